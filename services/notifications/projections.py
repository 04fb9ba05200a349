"""Notifications read models (rebuildable by `agora replay notifications`).

Facts, from the events notifications receives (recorded in its own log first):
``members`` (display name, @handle, roles: identity.events), ``contacts`` (e-mail address:
identity.private only), ``follows`` / ``watches`` / ``mutes`` (feeds.events), ``votes`` (idea
voters: posts.events), ``posts`` (published titles and kinds: posts.events). Joins of a
moderation event with posts' (either may come first): ``approvals`` (a CM's approval of a post,
told with its title once published), ``verdicts`` (a CM's refusal or redaction, told once posts
applied it).

The inbox, ``inbox``: one document per notification, id = its dedupe key
(`domain.notices_for`), created when the event is applied, with the channels the member's
preferences (``prefs``, from notifications' own events) chose at that moment. Sending
(e-mail, push, digests) is not a projection: `delivery.py` picks up new inbox documents
(``queued: false``) and keeps its own outboxes, so a replay re-sends nothing.

The member's unread count: one document per member *in the inbox* (``_id``
``unread:<member>``, no ``member_id``: no inbox query finds it), kept by the same handlers, so
that neither the API's count nor a delivery pass's live hint counts the member's unread
notifications (in a community where nobody reads, they grow with every post). Exactly right
under re-application (a redelivered event, a crash between two writes, two appliers at once):

- an event's notifications and their counts are one `update` command on the inbox (each count
  by `update_once` with the notification's id: a re-applied event counts it again, to no effect;
  each notification an upsert that only sets on insert), the counts first: an applier that dies
  sent all of it or nothing, and whoever sees a notification sees its count. Notifications an
  earlier version left *held* (``queued: "held"``, inserted before their count) are counted and
  released by delivery (`release_held`);
- reading marks the notifications with the event that read them (``read_by``); the member's
  count goes down by how many carry it, the event's debit raised to that number at most once
  (a re-applied event that read one more, late, notification debits that one only);
- erasure removes the count with the inbox.
"""
from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from services.shared.actors import STAFF_ROLES
from services.shared.envelope import Envelope
from services.shared.members import ERASED_DISPLAY_NAME, track_member_summaries
from services.shared.projections import (
    Projection,
    ReadModels,
    once,
    update_versioned,
    upsert_all,
)

from . import domain

# The events whose handlers may add inbox documents: only they wake the delivery pass (the
# others wait for its periodic run, and have nothing for it)
MAY_NOTIFY = frozenset((*domain.NOTIFYING, "posts.post_redacted", *domain.REJECTIONS))
COLLECTIONS = ["members", "contacts", "follows", "watches", "mutes", "votes", "posts", "prefs",
               "inbox", "approvals", "verdicts"]
UPGRADES = "upgrades"  # upgrade steps done by `agora migrate`, by name (`_id`)
COUNT = "unread:"  # `_id` prefix of a member's unread count in the inbox (never a notification's)
BATCH = 1000
MAX_DEBIT_ROUNDS = 10
HELD = "held"  # `queued` of a notification an earlier version inserted before counting it


def _indexes(rm: ReadModels) -> None:
    rm["members"].create_index([("handle", ASCENDING)], name="handle")
    rm["members"].create_index([("roles", ASCENDING)], name="roles")
    for name, field in (("follows", "followee"), ("watches", "post_id"), ("mutes", "post_id"),
                        ("votes", "post_id"), *MEMBER_FIELDS.items()):
        rm[name].create_index([(field, ASCENDING)], name=field)
    inbox = rm["inbox"]
    inbox.create_index([("member_id", ASCENDING), ("ts", DESCENDING), ("_id", DESCENDING)],
                       name="member_newest")
    inbox.create_index([("member_id", ASCENDING), ("read", ASCENDING)], name="member_unread")
    inbox.create_index([("member_id", ASCENDING), ("read_by", ASCENDING)], name="member_read_by")
    inbox.create_index([("queued", ASCENDING), ("ts", ASCENDING)], name="to_deliver")
    _verdict_indexes(rm)


# Moderation's streams are applied as they come (no stream cursor read or moved): each of its
# events that notifications uses makes its own notification (keyed by the event, counted once)
# or waits, keyed by the revision, in `approvals` (for the post's title) or `verdicts` (for
# posts to apply it: `_verdict`), whatever the order of an item's events
# and however often one is applied; the others (an automatic approval, a hold) change nothing,
# so they are not recorded in the log either (`Projection.records`).
VIEWS = Projection("notifications_views", service="notifications", collections=COLLECTIONS,
                   indexes=_indexes, as_they_come=["moderation"])
PROJECTION = VIEWS


def ensure_indexes(db) -> None:
    """Indexes of notifications' collections that are not read models (`agora migrate`)."""
    from .delivery import ensure_indexes as delivery_indexes

    delivery_indexes(db)
    existing = set(db.list_collection_names())
    # Upgrade steps of one release, each a whole read of its collection: run where there is
    # something to convert, and once (not at every deployment's migrate).
    if "approvals" in existing and not db[UPGRADES].find_one({"_id": "approval-marks"}):
        mark_waiting_approvals(ReadModels(db))
    db[UPGRADES].update_one({"_id": "approval-marks"}, {"$set": {"done": True}}, upsert=True)
    if "unread" in existing:  # dropped once moved
        move_unread_counts(ReadModels(db))
    if "verdicts" in existing:
        stamp_waiting_verdicts(ReadModels(db))


def stamp_waiting_verdicts(rm: ReadModels, now: datetime | None = None) -> int:
    """Upgrade step (`agora migrate`): halves an earlier version left without ``since`` wait
    from now on, so they are swept `VERDICT_KEPT` later if still alone; returns how many."""
    return rm["verdicts"].update_many({"since": None},  # (missing: the index serves it)
                                      {"$set": {"since": now or datetime.now(UTC)}}).modified_count


def move_unread_counts(rm: ReadModels) -> int:
    """Upgrade step (`agora migrate`, notifications stopped): the counts an earlier version kept
    in ``unread`` go into the inbox; returns how many."""
    old = rm["unread"]
    moved = 0
    for count in old.find({}):
        fields = {key: value for key, value in count.items() if key != "_id"}
        rm["inbox"].update_one({"_id": count_id(count["_id"])}, {"$setOnInsert": fields},
                               upsert=True)
        moved += 1
    old.drop()
    return moved


def count_id(member_id: str) -> str:
    return COUNT + member_id


def micros(event: Envelope) -> int:
    return int(datetime.fromisoformat(event.occurred_at).timestamp() * 1_000_000)


# --- facts: members and contacts ----------------------------------------------------------------

@VIEWS.on("identity.user_registered", "identity.profile_updated")
def _member(rm: ReadModels, event: Envelope) -> None:
    p = event.payload
    fields: dict[str, Any] = {}
    if p.get("display_name"):
        # since when the member holds this handle: the first holder's mentions stay theirs
        fields.update(display_name=p["display_name"], handle=domain.handle(p["display_name"]),
                      handle_since=micros(event))
    if p.get("language"):  # what the member reads notifications and e-mails in
        fields["language"] = p["language"]
    update: dict[str, Any] = {"$set": fields} if fields else {}
    if "roles" in p:
        update["$addToSet"] = {"roles": {"$each": p["roles"]}}
    if update:  # an erased member keeps "Former member", whatever arrives late
        with contextlib.suppress(DuplicateKeyError):
            rm["members"].update_one({"_id": p["user_id"], "erased": {"$ne": True}}, update,
                                     upsert=True)


@VIEWS.on("identity.role_granted", "identity.role_revoked")
def _role(rm: ReadModels, event: Envelope) -> None:
    p = event.payload
    op = "$addToSet" if event.type.endswith("_granted") else "$pull"
    rm["members"].update_one({"_id": p["user_id"]}, {op: {"roles": p["role"]}}, upsert=True)


@VIEWS.on("identity.contact_changed")
def _contact(rm: ReadModels, event: Envelope) -> None:
    update_versioned(rm["contacts"], event.payload["user_id"], event,
                     {"$set": {"email": event.payload["email"]}})


# the member's side of each relation: an erased member follows, watches, mutes and votes for
# nothing any more (each would still put notifications nobody reads into their inbox)
MEMBER_FIELDS = {"follows": "follower", "watches": "member", "mutes": "member", "votes": "member"}
ERASED_VERSION = 2 ** 62  # newer than any contact event: a late one never brings an address back


@VIEWS.on("identity.user_erased")
def _erased(rm: ReadModels, event: Envelope) -> None:
    """GDPR erasure: the member's address, preferences and inbox go, and what they followed,
    watched, muted and voted for (nothing notifies them any more); the name shown for their
    past actions becomes "Former member". The contact document stays as a versioned marker
    without address, so an older identity.contact_changed applied late changes nothing."""
    member_id = event.payload["user_id"]
    rm["contacts"].update_one({"_id": member_id}, {
        "$set": {"_v": ERASED_VERSION, "erased": True}, "$unset": {"email": ""}}, upsert=True)
    # their preferences give way to a marker no later preferences event overwrites: a
    # notification the read models would still make for them (a follow or vote of theirs
    # applied after this, from another source's stream or a replay) is made for nobody
    rm["prefs"].replace_one({"_id": member_id}, {"_v": ERASED_VERSION, "erased": True},
                            upsert=True)
    rm["inbox"].delete_many({"member_id": member_id})
    rm["inbox"].delete_one({"_id": count_id(member_id)})
    rm["members"].update_one({"_id": member_id}, {
        "$set": {"display_name": ERASED_DISPLAY_NAME, "erased": True}, "$unset": {"handle": ""}},
        upsert=True)
    for collection, member in MEMBER_FIELDS.items():
        rm[collection].delete_many({member: member_id})


def _is_erased(rm: ReadModels, member_id: str) -> bool:
    """Whether the member's tombstone was applied (their preferences are its marker)."""
    return rm["prefs"].find_one({"_id": member_id, "erased": True}, {"_id": 1}) is not None


# --- facts: subscriptions and votes -------------------------------------------------------------

RELATIONS = {
    "feeds.member_followed": ("follows", "followee", "user_id", "follower", "member_id", True),
    "feeds.member_unfollowed": ("follows", "followee", "user_id", "follower", "member_id", False),
    "feeds.post_watched": ("watches", "post_id", "post_id", "member", "member_id", True),
    "feeds.post_unwatched": ("watches", "post_id", "post_id", "member", "member_id", False),
    "feeds.thread_muted": ("mutes", "post_id", "post_id", "member", "member_id", True),
    "feeds.thread_unmuted": ("mutes", "post_id", "post_id", "member", "member_id", False),
    "posts.post_voted": ("votes", "post_id", "post_id", "member", "voter_id", True),
    "posts.post_unvoted": ("votes", "post_id", "post_id", "member", "voter_id", False),
}


@VIEWS.on(*RELATIONS)
def _relation(rm: ReadModels, event: Envelope) -> None:
    collection, subject, subject_key, member, member_key, on = RELATIONS[event.type]
    p = event.payload
    doc_id = f"{p[subject_key]}|{p[member_key]}"
    if on:
        if _is_erased(rm, p[member_key]):
            return  # applied after their tombstone (a source behind identity's, a replay)
        rm[collection].update_one({"_id": doc_id}, {"$set": {
            subject: p[subject_key], member: p[member_key]}}, upsert=True)
    elif p.get("merged_into"):
        # a vote moved by a merge stays a voter of the duplicate: the merge notification
        # (which may be applied after this event) tells them where it went
        rm[collection].update_one({"_id": doc_id}, {"$set": {"moved_to": p["merged_into"]}})
    else:
        rm[collection].delete_one({"_id": doc_id})


def unread_counts(rm: ReadModels, member_ids) -> dict[str, int]:
    """The members' unread counts (one document per member in the inbox)."""
    wanted = sorted(set(member_ids))
    found = {doc["_id"][len(COUNT):]: doc.get("unread", 0) for doc in rm["inbox"].find(
        {"_id": {"$in": [count_id(member_id) for member_id in wanted]}}, {"unread": 1})
             } if wanted else {}
    # a read applied before the notification it read was counted goes below zero a moment
    return {member_id: max(0, int(found.get(member_id, 0))) for member_id in wanted}


def unread_count(rm: ReadModels, member_id: str) -> int:
    return unread_counts(rm, [member_id])[member_id]


def member_languages(rm: ReadModels, member_ids) -> dict[str, str | None]:
    wanted = sorted({member_id for member_id in member_ids if member_id})
    return {doc["_id"]: doc.get("language") for doc in rm["members"].find(
        {"_id": {"$in": wanted}}, {"language": 1})} if wanted else {}


def languages_and_names(rm: ReadModels, readers, actors
                        ) -> tuple[dict[str, str | None], dict[str, str]]:
    """`member_languages(readers)` and `member_names(actors)` in one read."""
    readers, actors = {m for m in readers if m}, {m for m in actors if m}
    wanted = sorted(readers | actors)
    found = list(rm["members"].find({"_id": {"$in": wanted}}, {"language": 1, "display_name": 1})
                 ) if wanted else []
    return ({doc["_id"]: doc.get("language") for doc in found if doc["_id"] in readers},
            {doc["_id"]: doc.get("display_name") for doc in found if doc["_id"] in actors})


def member_language(rm: ReadModels, member_id: str) -> str | None:
    """The member's language (profile setting), None when not known: French is used."""
    return member_languages(rm, [member_id]).get(member_id)


def member_names(rm: ReadModels, member_ids) -> dict[str, str]:
    wanted = sorted({member_id for member_id in member_ids if member_id})
    return {doc["_id"]: doc.get("display_name") for doc in rm["members"].find(
        {"_id": {"$in": wanted}}, {"display_name": 1})} if wanted else {}


def _members_of(rm: ReadModels, collection: str, subject: str, value: str, member: str
                ) -> frozenset[str]:
    return frozenset(doc[member] for doc in rm[collection].find({subject: value}, {member: 1}))


# --- facts: posts (kinds from submission, titles once published) ------------------------------

@VIEWS.on("posts.post_submitted")
def _post_submitted(rm: ReadModels, event: Envelope) -> None:
    p = event.payload
    rm["posts"].update_one({"_id": p["post_id"]}, {"$set": {
        "kind": p["kind"], "author_id": p["author_id"]}}, upsert=True)


@VIEWS.on("posts.post_published", "posts.post_edited", "posts.post_redacted")
def _post_visible(rm: ReadModels, event: Envelope) -> None:
    p = event.payload
    # the post's document says which of its revisions have an approval waiting (`approved`,
    # marked by `_approved`): no read of ``approvals`` for the others
    post = rm["posts"].find_one_and_update({"_id": p["post_id"]}, {
        "$set": {"title": p["title"], "kind": p["kind"], "author_id": p["author_id"]},
        "$max": {"revision": p["revision"]}}, {"approved": 1}, upsert=True,
        return_document=ReturnDocument.AFTER)
    _notify(rm, event)
    _applied_verdict(rm, event)  # a CM's redaction (`redacted`): its author told now
    if p["revision"] not in (post or {}).get("approved", ()):
        return
    approval_id = approval_key(p["post_id"], p["revision"])
    approval = rm["approvals"].find_one({"_id": approval_id})
    if approval is not None:  # the CM's approval came first: tell the author, with the title
        # (then forget it: a re-applied event that finds it still there notifies it again,
        # which inserts nothing twice and counts its held notification)
        _notify(rm, Envelope.from_dict(approval["event"]))
        rm["approvals"].delete_one({"_id": approval_id})
    rm["posts"].update_one({"_id": p["post_id"]}, {"$pull": {"approved": p["revision"]}})


def approval_key(post_id: str, revision: int) -> str:
    return f"{post_id}.r{revision}"


@VIEWS.on("posts.post_deleted", "posts.post_rejected")
def _post_gone(rm: ReadModels, event: Envelope) -> None:
    _applied_verdict(rm, event)  # (a rejection's notice reads the post as it was)
    rm["posts"].update_one({"_id": event.payload["post_id"]}, {"$unset": {"title": ""}})


# --- notifications ---------------------------------------------------------------------------

@VIEWS.on("posts.reply_published", "posts.reply_edited", "posts.answer_accepted",
          "posts.idea_status_changed", "posts.idea_merged", "moderation.sla_breached",
          "conversations.message_posted")
def _event_notifies(rm: ReadModels, event: Envelope) -> None:
    _notify(rm, event)
    _applied_verdict(rm, event)  # a reply published or edited as a CM redacted it


@VIEWS.on("moderation.item_rejected", "moderation.item_redacted")
def _verdict(rm: ReadModels, event: Envelope) -> None:
    """A CM's refusal or redaction of a submitted revision is told once posts applied it (posts
    ignores one about a revision its author corrected since, or about a deleted contribution:
    its author must not read of a refusal or a publication that never happened). Moderation's
    event and posts' come in any order (two exchanges, redeliveries, a replay): each side writes
    its half of one ``verdicts`` document (`_join`), and whichever comes second tells the
    author. A flag round's verdict is about the visible text: told at once, as always; its
    rejection still meets posts' (one ``verdicts`` document, then none)."""
    waits = domain.told_once_posts_applied(event)
    if not waits:
        _notify(rm, event)
    ruled = domain.ruling(event)
    if ruled is None:
        return
    joined = _join(rm, ruled, {"event": event.to_dict()}, event)
    if "applied" in joined:
        if waits:
            _notify(rm, event)
        rm["verdicts"].delete_one({"_id": joined["_id"]})


@VIEWS.on("posts.reply_rejected", "posts.post_edit_rejected", "posts.reply_edit_rejected")
def _applied_verdict(rm: ReadModels, event: Envelope) -> None:
    """Posts' outcome of a CM's verdict (a rejection, a publication marked redacted): the
    verdict, if it came first, is told now. Posts' other events (an author's publication,
    approved automatically most of the time) record nothing."""
    ruled = domain.ruling(event)
    if ruled is None:
        return
    joined = _join(rm, ruled, {"applied": True}, event)
    if "event" in joined:
        verdict = Envelope.from_dict(joined["event"])
        if domain.told_once_posts_applied(verdict):
            # (then forgotten: a re-applied event that finds it still there notifies again,
            # which inserts nothing twice)
            _notify(rm, verdict)
        rm["verdicts"].delete_one({"_id": joined["_id"]})


def verdict_key(target_id: str, revision: int, decision: str) -> str:
    return f"{target_id}.r{revision}.{decision}"


# A half waits this long (by its event's time) for the other, then is swept: a verdict posts
# ignored (its author corrected the text since, or deleted it) never gets posts' half. Far
# longer than posts may lag behind moderation (an outage, a dead letter put back by hand); a
# half swept before the other came only costs its author that one notice.
VERDICT_KEPT = timedelta(days=30)


def _verdict_indexes(rm: ReadModels) -> None:
    # Not a TTL index: MongoDB's would sweep by the wall clock, and a replay, which writes
    # halves of old events, would lose a half before the log's next event brings the other.
    rm["verdicts"].create_index([("since", ASCENDING)], name="since")


def _join(rm: ReadModels, ruled: tuple[str, int, str], half: dict[str, Any],
          event: Envelope) -> dict[str, Any]:
    """Set one side's half of the verdict's document and return the whole of it: one atomic
    write per side, so that of the two, whichever comes second sees the other's half. The
    first half stamps the document with its event's time (``since``), which sweeps it."""
    at = occurred(event)
    key = verdict_key(*ruled)
    _sweep_verdicts(rm, at, keep=key)  # never this verdict's own half, however late this one
    update = {"$set": half, "$setOnInsert": {"since": at}}
    try:
        return rm["verdicts"].find_one_and_update(
            {"_id": key}, update, upsert=True, return_document=ReturnDocument.AFTER)
    except DuplicateKeyError:  # the other side inserted it meanwhile: now an update
        return rm["verdicts"].find_one_and_update(
            {"_id": key}, update, upsert=True, return_document=ReturnDocument.AFTER)


def _sweep_verdicts(rm: ReadModels, now: datetime, keep: str) -> None:
    """Forget the halves that waited `VERDICT_KEPT` for the other (by event time, so a replay
    sweeps what the live projection swept). One indexed delete per verdict event: CMs'
    verdicts are few, and strays are bounded by a month of them."""
    rm["verdicts"].delete_many({"since": {"$lt": now - VERDICT_KEPT}, "_id": {"$ne": keep}})


def occurred(event: Envelope) -> datetime:
    """When the event occurred, as a UTC date (an offset-less `occurred_at` is UTC)."""
    at = datetime.fromisoformat(event.occurred_at)
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


@VIEWS.on(*domain.SECURITY_EVENTS)
def _account_security(rm: ReadModels, event: Envelope) -> None:
    _notify(rm, event)


@VIEWS.on("moderation.item_approved", used_when=domain.a_cm_approved)
def _approved(rm: ReadModels, event: Envelope) -> None:
    """A post approved by a CM is announced with its title, known once posts published it:
    until then the approval waits in ``approvals`` (`_post_visible` sends it). The others
    (automatic, a flag round's) are neither recorded nor applied (`used_when`)."""
    p = event.payload
    if p["target_type"] == "post" and domain.a_cm_approved(event):
        approval_id = approval_key(p["target_id"], p["revision"])
        rm["approvals"].update_one({"_id": approval_id}, {"$set": {"event": event.to_dict()}},
                                   upsert=True)
        if _mark_approval_waiting(rm, p["target_id"], p["revision"]):
            return
        rm["approvals"].delete_one({"_id": approval_id})  # published already: told now
    _notify(rm, event)


def _mark_approval_waiting(rm: ReadModels, post_id: str, revision: int) -> bool:
    """Mark `revision` of the post as having an approval waiting, unless that revision was
    published already (then False). One atomic write on the post's document, which the
    publication's own write reads: whichever comes second sees the other."""
    try:
        rm["posts"].find_one_and_update(
            {"_id": post_id, "$or": [{"revision": {"$lt": revision}},
                                     {"revision": {"$exists": False}}]},
            {"$addToSet": {"approved": revision}}, {"_id": 1}, upsert=True)
    except DuplicateKeyError:  # the document exists with this revision or a later one
        return False
    return True


def mark_waiting_approvals(rm: ReadModels) -> int:
    """Upgrade step (`agora migrate`): approvals stored before the posts' documents carried
    their marks get them. Returns how many."""
    marked = 0
    for approval in rm["approvals"].find({}, {"_id": 1}):
        post_id, _, revision = approval["_id"].rpartition(".r")
        marked += _mark_approval_waiting(rm, post_id, int(revision))
    return marked


def gather(rm: ReadModels, event: Envelope) -> domain.Facts:
    """The facts the event's rules need, from the read models as they are now."""
    p = event.payload
    facts: dict[str, frozenset[str]] = {}
    for need in domain.NEEDS.get(event.type, ()):
        if need == "followers":
            facts[need] = _members_of(rm, "follows", "followee", p["author_id"], "follower")
        elif need in ("watchers", "voters", "muted"):
            collection = {"watchers": "watches", "voters": "votes", "muted": "mutes"}[need]
            facts[need] = _members_of(rm, collection, "post_id", p["post_id"], "member")
        elif need == "staff":
            facts[need] = frozenset(doc["_id"] for doc in rm["members"].find(
                {"roles": "community_manager"}, {"_id": 1}))
        elif need == "mentioned":
            found = domain.mentions_in(p.get("title"), p.get("body"))
            tokens = sorted({token for readings in found for _, ts in readings for token in ts})
            candidates = rm["members"].find({"$or": [{"_id": {"$in": tokens}},
                                                     {"handle": {"$in": tokens}}]},
                                            {"handle": 1, "roles": 1, "handle_since": 1}
                                            ) if tokens else []
            facts[need] = frozenset(domain.resolve_mentions(found, candidates))
    return domain.Facts(**facts)


def _notify(rm: ReadModels, event: Envelope) -> int:
    if event.type not in domain.NOTIFYING:
        return 0
    notices = domain.notices_for(event, gather(rm, event))
    if not notices:
        return 0
    post = {} if event.type in domain.SHOWN_FROM_THE_EVENT else \
        rm["posts"].find_one({"_id": event.payload.get("post_id")}) or {}
    if event.payload.get("into_id"):
        post["into_title"] = (rm["posts"].find_one({"_id": event.payload["into_id"]},
                                                   {"title": 1}) or {}).get("title")
    shown = domain.details(event, post)
    actor = domain.actor_of(event)
    # staff decide as a team; a member's name is looked up when shown (it may change, and
    # identity's events may arrive after this one)
    shown["by_team"] = event.source_service == "moderation" or \
        event.type in ("posts.idea_status_changed", "posts.idea_merged")
    base = {**shown, "event_id": event.id, "event_type": event.type, "actor_id": actor,
            "ts": micros(event), "at": event.occurred_at, "read": False, "queued": False}
    # a conversation's customer reads their notice on the member's page, whatever their roles
    customer = event.payload.get("member_id") if shown.get("conversation_id") else None
    created = 0
    for start in range(0, len(notices), BATCH):
        batch = notices[start:start + BATCH]
        prefs = {doc["_id"]: doc for doc in rm["prefs"].find(
            {"_id": {"$in": [n.recipient for n in batch]}})}
        batch = [n for n in batch if not prefs.get(n.recipient, {}).get("erased")]
        if not batch:
            continue
        chosen = {member: doc.get("types") for member, doc in prefs.items()}
        staff = _staff_among(rm, [n.recipient for n in batch]) \
            if shown.get("conversation_id") else set()
        others = _made_by_other_events(rm, event, batch)
        counts = _counts([{"_id": n.key, "member_id": n.recipient} for n in batch
                          if n.key not in others])
        created += _updates_of_the_inbox(rm, counts + [({"_id": n.key}, {"$setOnInsert": {
            **base, "member_id": n.recipient, "type": n.type, "for_staff": n.recipient in staff,
            # a moderation notice is the team's (a CM's edit too; its mentions stay the CM's)
            **({"by_team": True} if n.type == "moderation" else {}),
            **({"own_conversation": True} if customer and n.recipient == customer else {}),
            "channels": domain.channels(chosen.get(n.recipient), n.type)}}) for n in batch],
            first_insert=len(counts))
    return created


def _staff_among(rm: ReadModels, member_ids: list[str]) -> set[str]:
    """Who of `member_ids` holds a staff role: a conversation's link takes them to the console
    (where staff answer), the member to their own page."""
    return {doc["_id"] for doc in rm["members"].find(
        {"_id": {"$in": member_ids}, "roles": {"$in": sorted(STAFF_ROLES)}}, {"_id": 1})}


def _made_by_other_events(rm: ReadModels, event: Envelope, notices: list[domain.Notice]
                          ) -> set[str]:
    """The notices whose notification another event made already (a mention is one
    notification whichever of the post's versions named the member): theirs to count. A
    notice keyed by this event is this event's, whoever inserted it."""
    shared = [n.key for n in notices if n.key != f"{event.id}:{n.recipient}"]
    return {doc["_id"] for doc in rm["inbox"].find(
        {"_id": {"$in": shared}, "event_id": {"$ne": event.id}}, {"_id": 1})} if shared else set()


Update = tuple[dict[str, Any], dict[str, Any]]  # (filter, update) of one upsert


def _counts(notifications: list[dict[str, Any]]) -> list[Update]:
    """Each notification (`_id`, `member_id`) counted once in its member's unread count,
    whoever does it (this application, a re-application after a crash, another applier at
    once, delivery's `release_held`)."""
    return [once(count_id(doc["member_id"]), doc["_id"], {"$inc": {"unread": 1}})
            for doc in notifications]


def _updates_of_the_inbox(rm: ReadModels, updates: list[Update], first_insert: int) -> int:
    """`updates` (upserts) as one command, after what the handlers buffered (not with the
    inbox's other buffered writes: a document written twice would split them in waves); returns
    how many of those from `first_insert` on inserted a document."""
    return sum(index >= first_insert for index in upsert_all(rm.unbuffered("inbox"), updates))


def count_and_release(rm: ReadModels, notifications: list[dict[str, Any]]) -> None:
    """Count held notifications (`_id`, `member_id`), then release them to delivery, in one
    command: a live hint always carries a count that includes the notifications it announces."""
    if notifications:
        _updates_of_the_inbox(rm, _counts(notifications) + [
            ({"_id": doc["_id"], "queued": HELD}, {"$set": {"queued": False}})
            for doc in notifications], first_insert=len(notifications) * 2)


def release_held(rm: ReadModels, before_ts: int, limit: int = 500) -> int:
    """Count and release what an applier left held (it crashed between the insert and the
    count, and its event, applied again, no longer notifies that member); returns how many."""
    held = list(rm["inbox"].find({"queued": HELD, "ts": {"$lt": before_ts}}, {"member_id": 1})
                .limit(limit))
    count_and_release(rm, held)
    return len(held)


# --- own events: preferences and reading ----------------------------------------------------

@VIEWS.on("notifications.preferences_changed")
def _preferences(rm: ReadModels, event: Envelope) -> None:
    update_versioned(rm["prefs"], event.payload["member_id"], event,
                     {"$set": {"types": event.payload["types"],
                               "digest": event.payload.get("digest")}})


@VIEWS.on("notifications.marked_read")
def _marked_read(rm: ReadModels, event: Envelope) -> None:
    p = event.payload
    mine: dict[str, Any] = {"member_id": p["member_id"], "read": False}
    if p["ids"]:
        mine["_id"] = {"$in": p["ids"]}
    else:
        mine["ts"] = {"$lte": p["up_to_ts"]}
    rm["inbox"].update_many(mine, {"$set": {"read": True, "read_at": event.occurred_at,
                                            "read_by": event.id}})
    _debit(rm, p["member_id"], event.id)


def _debit(rm: ReadModels, member_id: str, event_id: str) -> None:
    """Take what the read event marked read off the member's unread count, once: the count
    remembers the member's last read event and how much it took (a member's reads are applied
    in order, so a re-application only ever concerns the last one), and a re-application that
    marked more (a notification applied late, older than the moment read) takes the rest."""
    marked = rm["inbox"].count_documents({"member_id": member_id, "read_by": event_id})
    counts, count = rm["inbox"], count_id(member_id)
    for _ in range(MAX_DEBIT_ROUNDS):  # another applier of the same event may come between
        last = (counts.find_one({"_id": count}, {"last_read": 1}) or {}).get("last_read")
        taken = int(last["count"]) if last and last.get("event") == event_id else 0
        if marked <= taken:
            return
        mine = {"_id": count, "last_read.event": event_id, "last_read.count": taken} \
            if taken else {"_id": count, "last_read.event": {"$ne": event_id}}
        with contextlib.suppress(DuplicateKeyError):  # (the count was made meanwhile)
            result = counts.update_one(mine, {"$inc": {"unread": taken - marked}, "$set": {
                "last_read": {"event": event_id, "count": marked}}}, upsert=not taken)
            if result.modified_count or result.upserted_id is not None:
                return
    raise RuntimeError(f"unread count of {member_id}: debit of {event_id} kept being raced")


track_member_summaries(VIEWS)  # who acted: names, badges and avatars (identity's events)
