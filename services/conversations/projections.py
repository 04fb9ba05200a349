"""conversations read models, from its own events and what it received from identity and posts.

Collections (rebuildable by `agora replay conversations`):

- ``conversations``: one document per conversation — member, participants, staff-queue pool,
  origin (member, escalation, social), the escalated post, counters and last activity, since
  when its member has waited for staff (``waiting_since``: they wrote last), the advisors'
  inbox order (``inbox_rank``), ``handled`` (who marked it handled, no reply needed, and when:
  until the next message) and ``closed`` once its member erased their account;
- ``message_index``: one document per message — conversation, author, time (no body);
- ``note_index``: one document per staff's internal note — conversation, author, time (no body:
  it lives in ``notes``, notes.py); never read for the member;
- ``saved_replies``: one document per staff's saved reply still kept — whose, since when (no
  text: it lives in ``saved_reply_texts``, saved_replies.py);
- ``members``: user id -> assigned advisor, roles and language (identity's public events), the
  keyed hash of the normalised e-mail (identity's private ``contact_changed``) to match social
  mentions by e-mail without keeping addresses in a read model;
- ``posts``: post id -> author, state and title (posts' public events), for escalations and
  the titles of members' activity.
- ``activity``: every published post and reply (public events; ids, kind, when; tombstones of
  removed ones), so an advisor sees their customers' recent public activity (`my_customers`).

Not read models, and never rebuilt nor dropped by a replay: ``messages`` (subjects and bodies,
keyed by message id — the only place they live), ``notes`` (staff's notes' bodies) and
``access_audit`` (append-only record of every read of private content).
"""
from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, DESCENDING

from services.shared.envelope import Envelope
from services.shared.members import USER_ERASED, track_member_summaries
from services.shared.projections import Projection, ReadModels, update_once, update_versioned
from services.shared.shredding import LookupHash, SubjectKeys
from services.shared.write_limits import COLLECTION as WRITE_THROTTLE
from services.shared.write_limits import WriteLimits

from . import domain, saved_replies
from .absence import COLLECTION as ABSENCES
from .absence import track_absences

COLLECTIONS = ["conversations", "message_index", "members", "posts", "activity", "note_index",
               saved_replies.VIEW, ABSENCES]  # absences: advisors away (absence.py)


# The advisors' inbox order, one descending number: the conversations waiting for staff first,
# the longest wait first (WAITING_TOP minus when the wait began: far above any time), then the
# others by last activity (their last message's time).
WAITING_TOP = 2 ** 62


def inbox_rank(last_ts: int, waiting_since_ts: int | None) -> int:
    return WAITING_TOP - waiting_since_ts if waiting_since_ts is not None else last_ts


def _indexes(rm: ReadModels) -> None:
    rm["conversations"].create_index([("participant_ids", ASCENDING),
                                      ("last_ts", DESCENDING), ("_id", DESCENDING)],
                                     name="participant_recent")
    rm["conversations"].create_index([("pool", ASCENDING), ("last_ts", DESCENDING),
                                      ("_id", DESCENDING)], name="pool_recent")
    rm["members"].create_index([("email_hash", ASCENDING)], name="email_hash")
    rm["members"].create_index([("advisor_id", ASCENDING), ("assigned_ts", DESCENDING),
                                ("_id", DESCENDING)], name="advisor_customers")
    rm["activity"].create_index([("author_id", ASCENDING), ("ts", DESCENDING)],
                                name="author_recent")
    rm["conversations"].create_index([("participant_ids", ASCENDING),
                                      ("inbox_rank", DESCENDING), ("_id", DESCENDING)],
                                     name="participant_inbox")
    rm["conversations"].create_index([("pool", ASCENDING), ("inbox_rank", DESCENDING),
                                      ("_id", DESCENDING)], name="pool_inbox")
    rm["conversations"].create_index([("member_id", ASCENDING)], name="member")
    # the inbox filtered by customer (`customer=`), in the inbox's order
    rm["conversations"].create_index([("member_id", ASCENDING), ("inbox_rank", DESCENDING),
                                      ("_id", DESCENDING)], name="member_inbox")
    # … and newest first (the API's default sort; a customer's own list, `side=customer`)
    rm["conversations"].create_index([("member_id", ASCENDING), ("last_ts", DESCENDING),
                                      ("_id", DESCENDING)], name="member_recent")
    rm["message_index"].create_index([("conversation_id", ASCENDING), ("ts", ASCENDING),
                                      ("_id", ASCENDING)], name="conversation_ts")
    rm["note_index"].create_index([("conversation_id", ASCENDING), ("ts", ASCENDING),
                                   ("_id", ASCENDING)], name="conversation_ts")
    rm[saved_replies.VIEW].create_index([("user_id", ASCENDING), ("ts", ASCENDING),
                                         ("_id", ASCENDING)], name="user_ts")


VIEWS = Projection("conversations", service="conversations", collections=COLLECTIONS,
                   indexes=_indexes, as_they_come=["posts"])
PROJECTION = VIEWS


def ensure_indexes(db) -> None:
    """The primary (non-projected) collections: bodies by conversation, the audit by reader,
    the members' write limits."""
    db["messages"].create_index([("conversation_id", ASCENDING)], name="conversation")
    db["notes"].create_index([("conversation_id", ASCENDING)], name="conversation")
    db[saved_replies.TEXTS].create_index([("user_id", ASCENDING)], name="user")
    db["access_audit"].create_index([("conversation_id", ASCENDING), ("at", ASCENDING)],
                                    name="conversation_at")
    db["access_audit"].create_index([("user_id", ASCENDING), ("at", ASCENDING)], name="reader")
    WriteLimits(db[WRITE_THROTTLE], {}).ensure_indexes()  # how fast members write


def micros(event: Envelope) -> int:
    return int(datetime.fromisoformat(event.occurred_at).timestamp() * 1_000_000)


# -- own events -----------------------------------------------------------------------------------

@VIEWS.on(domain.STARTED)
def _started(rm: ReadModels, event: Envelope) -> None:
    p = event.payload
    update_versioned(rm["conversations"], p["conversation_id"], event, {"$set": {
        "member_id": p["member_id"], "participant_ids": p["participant_ids"],
        "pool": p.get("pool"), "origin": p["origin"], "post_id": p.get("post_id"),
        "advisor_id": domain.seated_advisor(p),
        "channel": p.get("channel"), "created_at": event.occurred_at,
        "created_ts": micros(event), "last_ts": micros(event),
        "inbox_rank": inbox_rank(micros(event), None), "last_message_at": event.occurred_at}})


@VIEWS.on(domain.PARTICIPANT_ADDED)
def _participant_added(rm: ReadModels, event: Envelope) -> None:
    p = event.payload
    # joined by staff: the conversation leaves the queue
    update_versioned(rm["conversations"], p["conversation_id"], event, {"$set": {
        "participant_ids": p["participant_ids"], "pool": None}})


@VIEWS.on(domain.PARTICIPANT_LEFT)
def _participant_left(rm: ReadModels, event: Envelope) -> None:
    """A colleague left: they read it no more (`can_read`, the lists: `participant_ids`); with
    no staff left in it, it waits in the staff queue again (`domain.left_pool`)."""
    p = event.payload
    doc = rm["conversations"].find_one({"_id": p["conversation_id"]}, {"member_id": 1}) or {}
    update_versioned(rm["conversations"], p["conversation_id"], event, {"$set": {
        "participant_ids": p["participant_ids"],
        "pool": domain.left_pool(doc.get("member_id"), p["participant_ids"])}})


@VIEWS.on(domain.ADVISOR_CHANGED)
def _advisor_changed(rm: ReadModels, event: Envelope) -> None:
    p = event.payload
    update_versioned(rm["conversations"], p["conversation_id"], event, {"$set": {
        "participant_ids": p["participant_ids"], "advisor_id": p["advisor_id"], "pool": None}})


@VIEWS.on(domain.MESSAGE_POSTED)
def _message_posted(rm: ReadModels, event: Envelope) -> None:
    p = event.payload
    rm["message_index"].update_one({"_id": p["message_id"]}, {"$set": {
        "conversation_id": p["conversation_id"], "author_id": p["author_id"],
        "channel": p.get("channel"), "created_at": event.occurred_at, "ts": micros(event)}},
        upsert=True)
    update_once(rm["conversations"], p["conversation_id"], event, {
        "$inc": {"message_count": 1},
        "$max": {"last_ts": micros(event), "last_message_at": event.occurred_at}})
    # who wrote last (the member: waiting for staff); only the latest message may say so
    rm["conversations"].update_one({"_id": p["conversation_id"], "last_ts": micros(event)},
                                   {"$set": {"last_author_id": p["author_id"]}})
    _wait_changed(rm, p["conversation_id"], p["author_id"], micros(event), event.occurred_at)


def _wait_changed(rm: ReadModels, conversation_id: str, author_id: str, ts: int, at: str) -> None:
    """Its member wrote last: waiting for staff since their first message after staff last
    wrote (kept by a second one, and by this one applied again); anyone else wrote last: no
    one waits. Only the latest message decides, as for `last_author_id`."""
    doc = rm["conversations"].find_one({"_id": conversation_id, "last_ts": ts},
                                       {"member_id": 1, "closed": 1, "waiting_since_ts": 1,
                                        "waiting_since": 1})
    if doc is None:
        return
    if doc.get("member_id") and author_id == doc["member_id"] and not doc.get("closed"):
        since_ts = min(doc.get("waiting_since_ts") or ts, ts)
        since = doc.get("waiting_since") if since_ts != ts else at
        rm["conversations"].update_one({"_id": conversation_id}, {"$set": {
            "waiting_since_ts": since_ts, "waiting_since": since,
            "inbox_rank": inbox_rank(ts, since_ts)},
            "$unset": {"handled": ""}})  # marked handled before: this one waits again
    else:
        _not_waiting(rm, conversation_id, ts)


def _not_waiting(rm: ReadModels, conversation_id: str, last_ts: int) -> None:
    rm["conversations"].update_one({"_id": conversation_id}, {
        "$set": {"inbox_rank": inbox_rank(last_ts, None)},
        "$unset": {"waiting_since_ts": "", "waiting_since": "", "handled": ""}})


@VIEWS.on(domain.WAIT_SETTLED)
def _wait_settled(rm: ReadModels, event: Envelope) -> None:
    """Staff marked it handled, no reply needed: it stops waiting (out of the top of the
    inbox), `handled` saying who and when (staff's pages only, `presenters`) until the next
    message. Only while the message it was marked at is still the latest (the stream's order
    makes it so: the domain marks the last message), as `_wait_changed` decides."""
    p = event.payload
    message = rm["message_index"].find_one({"_id": p["up_to_message_id"]}, {"ts": 1})
    doc = message and rm["conversations"].find_one(
        {"_id": p["conversation_id"], "last_ts": message["ts"]},
        {"last_ts": 1, "waiting_since": 1})
    if not doc:
        return
    _not_waiting(rm, p["conversation_id"], doc["last_ts"])
    rm["conversations"].update_one({"_id": p["conversation_id"]}, {"$set": {"handled": {
        "by": p["settled_by"], "at": event.occurred_at,
        "up_to_message_id": p["up_to_message_id"],
        # what its customer still sees (they are not told): `presenters.summary`
        "waiting_since": doc.get("waiting_since")}}})


@VIEWS.on(domain.NOTE_ADDED)
def _note_added(rm: ReadModels, event: Envelope) -> None:
    """Staff's internal note: indexed apart from the messages, so that nothing reading
    `message_index` (the conversation, the timeline, the export's messages, the clocks) can
    show it; the conversation's activity, waiting and order are untouched."""
    p = event.payload
    rm["note_index"].update_one({"_id": p["note_id"]}, {"$set": {
        "conversation_id": p["conversation_id"], "author_id": p["author_id"],
        "created_at": event.occurred_at, "ts": micros(event)}}, upsert=True)


@VIEWS.on(saved_replies.SAVED)
def _saved_reply_saved(rm: ReadModels, event: Envelope) -> None:
    """A staff member's saved reply (whose, since when; its text in ``saved_reply_texts``)."""
    p = event.payload
    rm[saved_replies.VIEW].update_one({"_id": p["saved_reply_id"]}, {"$set": {
        "user_id": p["user_id"], "created_at": event.occurred_at, "ts": micros(event)}},
        upsert=True)


@VIEWS.on(saved_replies.REMOVED)
def _saved_reply_removed(rm: ReadModels, event: Envelope) -> None:
    rm[saved_replies.VIEW].delete_one({"_id": event.payload["saved_reply_id"]})


@VIEWS.on(domain.ESCALATED)
def _escalated(rm: ReadModels, event: Envelope) -> None:
    p = event.payload
    rm["posts"].update_one({"_id": p["post_id"]},
                           {"$set": {"conversation_id": p["conversation_id"]}}, upsert=True)


# -- identity -------------------------------------------------------------------------------------

@VIEWS.on("identity.user_registered")
def _registered(rm: ReadModels, event: Envelope) -> None:
    p = event.payload
    rm["members"].update_one({"_id": p["user_id"]},
                             {"$addToSet": {"roles": {"$each": list(p["roles"])}}}, upsert=True)


@VIEWS.on("identity.role_granted")
def _role_granted(rm: ReadModels, event: Envelope) -> None:
    p = event.payload
    rm["members"].update_one({"_id": p["user_id"]}, {"$addToSet": {"roles": p["role"]}},
                             upsert=True)


@VIEWS.on("identity.role_revoked")
def _role_revoked(rm: ReadModels, event: Envelope) -> None:
    p = event.payload
    rm["members"].update_one({"_id": p["user_id"]}, {"$pull": {"roles": p["role"]}},
                             upsert=True)


@VIEWS.on("identity.advisor_assigned")
def _advisor_assigned(rm: ReadModels, event: Envelope) -> None:
    p = event.payload
    rm["members"].update_one({"_id": p["user_id"]}, {"$set": {
        "advisor_id": p["advisor_id"], "branch": p["branch"],
        "assigned_at": event.occurred_at, "assigned_ts": micros(event)}}, upsert=True)


@VIEWS.on("identity.profile_updated")
def _language(rm: ReadModels, event: Envelope) -> None:
    """The member's language: the texts Agora writes into their conversations (an escalation's
    first message, a social case's subject) are in it."""
    p = event.payload
    if p.get("language"):
        rm["members"].update_one({"_id": p["user_id"]}, {"$set": {"language": p["language"]}},
                                 upsert=True)


@VIEWS.on(USER_ERASED)
def _member_erased(rm: ReadModels, event: Envelope) -> None:
    """The erased member's conversations close for good (the service deletes their subjects and
    bodies: `messages` is no read model); the hash of their address goes, so a social mention
    is no longer matched to them; they leave their advisor's customers (there is nobody left to
    serve: the person goes, their public posts stay as "Former member"). A replay does all this
    again, the tombstone being the last event of the member's stream in our log."""
    member_id = event.payload["user_id"]
    rm["conversations"].update_many({"member_id": member_id}, {"$set": {
        "closed": True, "closed_at": event.occurred_at}})
    for doc in rm["conversations"].find({"member_id": member_id}, {"last_ts": 1}):
        _not_waiting(rm, doc["_id"], doc.get("last_ts") or 0)  # nobody can answer it any more
    rm["members"].update_one({"_id": member_id}, {"$unset": {
        "email_hash": "", "advisor_id": "", "branch": "", "assigned_at": "", "assigned_ts": ""}})


@VIEWS.on("identity.contact_changed")
def _contact_changed(rm: ReadModels, event: Envelope) -> None:
    """A new address matches nobody until its owner verifies it (`identity.email_verified`):
    a squatter's registration of a customer's address must not receive their cases."""
    p = event.payload
    if not p.get("email"):  # shredded (the member was erased): nothing to match any more
        rm["members"].update_one({"_id": p["user_id"]}, {"$unset": {"email_hash": ""}})
        return
    rm["members"].update_one({"_id": p["user_id"]}, {"$set": {
        "email_hash": domain.email_hash(p["email"], email_lookup(rm.db))}}, upsert=True)
    rm["members"].update_one({"_id": p["user_id"], "$or": [  # not a later verification's
        {"email_verified_version": {"$exists": False}},
        {"email_verified_version": {"$lt": event.stream_version}}]},
        {"$set": {"email_verified": False}})


@VIEWS.on("identity.email_verified")
def _email_verified(rm: ReadModels, event: Envelope) -> None:
    rm["members"].update_one({"_id": event.payload["user_id"]}, {"$set": {
        "email_verified": True, "email_verified_version": event.stream_version}}, upsert=True)


def email_lookup(db) -> LookupHash:
    """The keyed hash of members' addresses (its secret in the key store, beside the keys)."""
    return SubjectKeys.beside(db, "conversations").lookup_hash("conversations.member_email")


# -- posts ----------------------------------------------------------------------------------------
#
# Only the posts events below are bound (`POSTS_EVENTS`), not whole streams: they are applied as
# they come (`as_they_come`, no stream cursor), so a late, re-delivered or repeated event must
# never undo a later one. Each document is one contribution's, written by the events of its own
# stream, and every write is versioned by the stream's version (`update_versioned`): the
# newest event's state wins, whatever order they are applied in. Each event written here says
# the whole state of what it writes — `posts`: state and title (an edit is only ever of a
# published or hidden post, which `posts` counts as published); `activity`: whether it is shown
# (an edit does not change that, so it does not write there) — except a contribution's time
# of publication, which only its one `*_published` event knows: set by a write of its own,
# unversioned (the same value every time).

POST_STATE = ("posts.post_published", "posts.post_edited", "posts.post_redacted",
              "posts.post_deleted", "posts.post_rejected")
SHOWN_OR_NOT = ("posts.post_hidden", "posts.post_restored", "posts.reply_published",
                "posts.reply_redacted", "posts.reply_hidden", "posts.reply_restored",
                "posts.reply_deleted", "posts.reply_rejected")
POSTS_EVENTS = POST_STATE + SHOWN_OR_NOT  # what conversations' subscription binds
REMOVED = ("deleted", "rejected")


def _fact(event: Envelope) -> tuple[str, str]:
    """("post" | "reply", what happened): `posts.reply_hidden` -> ("reply", "hidden")."""
    target, _, fact = event.type.split(".", 1)[1].partition("_")
    return target, fact


@VIEWS.on(*POST_STATE)
def _post_state(rm: ReadModels, event: Envelope) -> None:
    """Escalations read `posts`: published (hidden ones included) with its title, or gone."""
    p, (_, fact) = event.payload, _fact(event)
    facts = {"author_id": p["author_id"], "kind": p["kind"]}
    if fact in REMOVED:
        update_versioned(rm["posts"], p["post_id"], event, {
            "$set": {**facts, "state": "deleted"}, "$unset": {"title": ""}})
    else:
        update_versioned(rm["posts"], p["post_id"], event, {"$set": {
            **facts, "state": "published", "title": p.get("title")}})
    if fact != "edited":  # an approved edit does not show a hidden post again
        _shown_or_not(rm, event)


@VIEWS.on(*SHOWN_OR_NOT)
def _shown_or_not(rm: ReadModels, event: Envelope) -> None:
    """A member's public contribution, for their advisor: shown once published, hidden while
    flagged, shown again once restored or redacted, removed for good once deleted or rejected
    (a tombstone, so that a late `*_published` cannot bring it back). Titles are the posts'
    (`posts`), read with the page: a reply shows its post's current title."""
    p, (target, fact) = event.payload, _fact(event)
    contribution = p["reply_id"] if target == "reply" else p["post_id"]
    if fact == "published":
        # Shown if nothing newer said otherwise: an existing document holds a newer state
        # (hidden, restored, removed: applied first), unless the publication follows a
        # rejection (a stream opens with its submission, which is not bound: at version 2
        # nothing older can have written here)
        rm["activity"].update_one({"_id": contribution}, {
            "$set": {"type": target, "author_id": p["author_id"], "post_id": p["post_id"],
                     "kind": p["kind"], "at": event.occurred_at, "ts": micros(event)},
            "$setOnInsert": {"hidden": False, "_v": event.stream_version}}, upsert=True)
        if event.stream_version <= 2:
            return
    if fact in REMOVED:
        update_versioned(rm["activity"], contribution, event,
                         {"$set": {"hidden": True, "removed": True}})
    else:
        update_versioned(rm["activity"], contribution, event,
                         {"$set": {"hidden": fact == "hidden"}, "$unset": {"removed": ""}})


track_member_summaries(VIEWS)  # authors' names, badges and avatars (identity's events)
track_absences(VIEWS)  # advisors away and who covers for them (absence.py)
