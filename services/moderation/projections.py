"""Moderation read models (CM/admin only, never served to members), rebuildable by replay.

- ``items``: the queue — every held item with why (policy rules, detector kinds, flags), the text
  under review and the proposed masked version; once decided, the text is dropped from here
  and only the audit trail keeps it.
- ``audit``: the append-only trail of staff actions (who, what, when, before/after): moderation
  decisions (with the original text — the only read model that keeps a redacted original),
  policy changes, member notes, and the staff actions done in posts (idea status, merge,
  featuring, locking, deletions and edits by staff, answers accepted by staff), and the
  privileged changes done in identity (roles granted and revoked, verified-customer badges,
  advisor assignments: who did it, to whom, from identity's public events).
- ``targets``: posts and replies as moderation knows them from posts' events (state, author,
  the visible text and a post's tags — public anyway — to review flagged content; a refused
  post keeps only its title, masked, to be named in a member's list).
- ``members``: approved contributions per member and since when they are a member (their
  registration, from identity.events, else their first approved contribution) — for the
  pre-moderation of new members and trusted flags.
- ``policy``: the current policy; ``notes``: CM notes on members; ``flags``: every flag, one
  document each (who flagged whose contribution, why, when, in which round, the flagger's own
  words), kept after the round is decided: a member's own flags are in their export.
- ``sla``: the response-time clocks — per question, when its author submitted it (held for
  review or not: `published_*`, the start of the wait) and when staff first answered it (set
  aside, `answered: null`, while the question is out of public view); per
  wait in a private conversation or social case (``conv.<conversation>.<message>``), when the
  member wrote and when staff next wrote — or, marked handled by staff (no reply needed), set
  aside for good with ``settled: true`` (not an answer: the answer times leave it out).
  ``sla_targets``: the CM-edited targets (`sla.py`); ``conversations``: who is the member of
  each conversation (ids only, from conversations' public events), to tell a member's message
  from staff's, and ``closed`` once that member erased their account (their clocks stop: nobody
  can answer them any more).

Texts under review are read from this service's own log (the received ``posts.content_submitted``
events), so they never travel again.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING

from services.posts.schemas import CORRECTION_EVENTS
from services.shared.envelope import Envelope
from services.shared.event_store import EventStore
from services.shared.members import ERASED_MEMBER, USER_ERASED
from services.shared.projections import Projection, ReadModels, update_once, update_versioned

from . import detector, domain
from .schemas import CM_HOLD_REASONS

COLLECTIONS = ["items", "audit", "targets", "members", "policy", "notes", "sla", "sla_targets",
               "conversations", "flags"]


def _indexes(rm: ReadModels) -> None:
    rm["items"].create_index([("state", ASCENDING), ("held_ts", ASCENDING), ("_id", ASCENDING)],
                             name="queue")
    # the queue's counts per review (held content, flagged contributions) read index keys only,
    # and its page filtered by review walks this index in order
    rm["items"].create_index([("state", ASCENDING), ("review", ASCENDING), ("held_ts", ASCENDING),
                              ("_id", ASCENDING)], name="queue_by_review")
    rm["audit"].create_index([("at_ts", DESCENDING), ("_id", DESCENDING)], name="newest")
    rm["audit"].create_index([("target_id", ASCENDING), ("at_ts", DESCENDING)], name="target")
    # the console's audit log filters by staff member or by action, newest first
    rm["audit"].create_index([("actor_id", ASCENDING), ("at_ts", DESCENDING),
                              ("_id", DESCENDING)], name="actor_newest")
    rm["audit"].create_index([("action", ASCENDING), ("at_ts", DESCENDING),
                              ("_id", DESCENDING)], name="action_newest")
    rm["notes"].create_index([("member_id", ASCENDING), ("at", DESCENDING)], name="member")
    rm["audit"].create_index([("actor_id", ASCENDING)], name="actor")  # erasure
    # a member's contributions, newest first, in pages (the console's member screen)
    rm["targets"].create_index([("author_id", ASCENDING), ("submitted_ts", DESCENDING),
                                ("_id", DESCENDING)], name="author_pages")
    for role in ("author_id", "flagger_id"):  # the flags on a member's contributions / by them
        rm["flags"].create_index([(role, ASCENDING), ("at_ts", DESCENDING), ("_id", DESCENDING)],
                                 name=f"{role.removesuffix('_id')}_pages")
    # the waiting clocks, oldest first, in pages (`_id` breaks ties for the cursor)
    rm["sla"].create_index([("answered", ASCENDING), ("published_ts", ASCENDING),
                            ("_id", ASCENDING)], name="open_pages")
    for field in ("channel", "category"):  # the waiting clocks of one channel or category
        rm["sla"].create_index([("answered", ASCENDING), (field, ASCENDING),
                                ("published_ts", ASCENDING), ("_id", ASCENDING)],
                               name=f"waiting_{field}_pages")
    rm["sla"].create_index([("answered", ASCENDING), ("breached", ASCENDING),
                            ("channel", ASCENDING), ("published_ts", ASCENDING)], name="due")
    rm["sla"].create_index([("conversation_id", ASCENDING), ("answered", ASCENDING)],
                           name="conversation_open")
    rm["conversations"].create_index([("member_id", ASCENDING)], name="member")  # erasure
    for field in ("channel", "category"):  # answer-time statistics over the last days
        rm["sla"].create_index([("answered", ASCENDING), (field, ASCENDING),
                                ("first_staff_answer_ts", ASCENDING)], name=f"answered_{field}")


VIEWS = Projection("moderation_views", service="moderation", collections=COLLECTIONS,
                   indexes=_indexes)
PROJECTION = VIEWS


def ensure_indexes(db) -> None:
    """Indexes of moderation's abuse counters, which are not read models (`agora migrate`)."""
    from .dependencies import build_guard

    build_guard({}, db).ensure_indexes()


def micros(event: Envelope) -> int:
    return int(datetime.fromisoformat(event.occurred_at).timestamp() * 1_000_000)


def submitted_content(rm: ReadModels, target_id: str, revision: int) -> dict[str, Any] | None:
    """The text of a submitted revision, from the received event in our own log."""
    events = EventStore(rm.db, "moderation").load(
        f"posts:{domain.review_item_id(target_id, revision)}")
    return events[0].payload if events else None


def text_under_review(rm: ReadModels, item: dict[str, Any]) -> dict[str, Any] | None:
    """Title, body and a post's tags (None for a reply): a submitted revision's, or for flags
    the visible ones."""
    if item["review"] == "content":
        content = submitted_content(rm, item["target_id"], item["revision"])
        return None if content is None else {"title": content["title"], "body": content["body"],
                                             "tags": content["tags"]}
    target = rm["targets"].find_one({"_id": item["target_id"]}) or {}
    return {"title": target.get("title"), "body": target.get("body") or "",
            "tags": target.get("tags")}


def scan_under_review(text: dict[str, Any] | None) -> domain.Scan:
    """The detector's scan of `text_under_review` (nothing found when it is missing)."""
    text = text or {"title": None, "body": ""}
    return domain.scan(text["title"], text["body"], text.get("tags"))


# --- queue ------------------------------------------------------------------------------------

# holds a CM makes (domain.take_down), by reason: their action in the staff trail
STAFF_HOLDS = dict(zip(CM_HOLD_REASONS, ("hold", "undo"), strict=True))


@VIEWS.on("moderation.item_held", "moderation.item_escalated")
def _held(rm: ReadModels, event: Envelope) -> None:
    """Held (hidden) or escalated (visible, flags under suspicion of mass hiding): both wait
    in the queue for a CM."""
    p = event.payload
    text = text_under_review(rm, p) or {"title": None, "body": "", "tags": None}
    found = scan_under_review(text)
    escalated = event.type == "moderation.item_escalated"
    since, since_at = micros(event), event.occurred_at
    if p["review"] == "flags":  # flags wait since the round's first flag, hidden or not
        first = rm["items"].find_one({"_id": p["item_id"]}, {"held_ts": 1, "held_at": 1}) or {}
        since, since_at = first.get("held_ts") or since, first.get("held_at") or since_at
    staff = next((why for why in p["reasons"] if why in STAFF_HOLDS), None)
    # who took it out of public view, and which decision an undo takes back: the queue and the
    # flags screen say why an item held with no flag is there (absent for any other hold)
    held_by = {"held_by": event.actor, "taken_at": event.occurred_at,
               "undoes": p.get("undoes")} if staff else {
        "held_by": None, "taken_at": None, "undoes": None}
    # versioned: a late re-application after the decision must not put the text back
    update_versioned(rm["items"], p["item_id"], event, {"$set": {
        **held_by,
        **{k: p[k] for k in ("review", "target_type", "target_id", "post_id", "revision",
                             "author_id", "reasons", "flag_count")},
        "policy_rules": p.get("policy_rules", []),
        "detector_kinds": p.get("detector_kinds") or found.kinds,
        "state": "review" if escalated else "held", "held_at": since_at, "held_ts": since,
        "content": text,
        "proposal": found.proposal(),
    }})
    if staff:  # a CM took it out of public view (from its thread, or undoing a decision)
        _audit(rm, event, action=STAFF_HOLDS[staff], target_type=p["target_type"],
               target_id=p["target_id"], item_id=p["item_id"], before=text, after=None,
               details={"review": p["review"], "undoes": p.get("undoes")})


@VIEWS.on("moderation.item_flagged")
def _flagged(rm: ReadModels, event: Envelope) -> None:
    """Every flag reaches the flags queue: the item of the target, with the round's reasons
    (counted) and flaggers, waiting since the round's first flag (`held_ts`, the queue's
    order). A flag after a decision opens a new round."""
    p = event.payload
    item = rm["items"].find_one({"_id": p["item_id"]},
                                {"state": 1, "held_ts": 1, "held_at": 1}) or {}
    waiting = item.get("state") in ("held", "review")
    update_once(rm["items"], p["item_id"], event, {
        "$set": {"review": "flags", "target_type": p["target_type"], "round": p["round"],
                 "target_id": p["target_id"], "post_id": p["post_id"],
                 "author_id": p["author_id"], "state": item["state"] if waiting else "open",
                 "held_ts": item.get("held_ts") or micros(event),
                 "held_at": item.get("held_at") or event.occurred_at},
        "$inc": {f"flags.{p['reason']}": 1, "flags_total": 1},
        "$push": {"flaggers": {"id": p["flagger_id"], "reason": p["reason"],
                               "trusted": p["trusted"], "at": event.occurred_at}},
    })
    # every flag kept apart too (rounds are emptied by decisions): who flagged whom, for the
    # member screen; one document per event, written once
    rm["flags"].update_one({"_id": event.id}, {"$setOnInsert": {
        **{key: p[key] for key in ("item_id", "target_type", "target_id", "post_id",
                                   "author_id", "flagger_id", "reason", "trusted")},
        "round": p.get("round"), "at": event.occurred_at, "at_ts": micros(event)}},
        upsert=True)


@VIEWS.on("moderation.flag_explained")
def _flag_explained(rm: ReadModels, event: Envelope) -> None:
    """A flagger's words, beside their flag on the item (`present_item` joins them to the
    round's flaggers): for the CMs only, as the rest of the queue. And on the flag itself, which
    outlives the round: the words are the flagger's data, in their export after any decision.
    Masked as drafts are: a flagger often quotes the IBAN or card number they report, and only
    the log (sealed with their key) keeps it whole. Words an erasure shredded read empty:
    nothing to keep."""
    p = event.payload
    words = detector.mask(p["details"]) if p["details"] else p["details"]
    update_once(rm["items"], p["item_id"], event, {"$push": {"explanations": {
        "flagger_id": p["flagger_id"], "round": p["round"], "details": words}}},
        upsert=False)
    if words:
        rm["flags"].update_many({"item_id": p["item_id"], "flagger_id": p["flagger_id"],
                                 "round": p["round"]}, {"$set": {"details": words}})


# a decision closes a round of flags: the next flag starts from zero
EMPTY_ROUND = {"flags": {}, "flags_total": 0, "flaggers": [], "explanations": [],
               "held_by": None, "taken_at": None, "undoes": None}


@VIEWS.on("moderation.item_approved", "moderation.item_rejected", "moderation.item_redacted")
def _decided(rm: ReadModels, event: Envelope) -> None:
    p = event.payload
    decision = event.type.split("_", 1)[1]  # approved | rejected | redacted
    if p["review"] == "content" and p["revision"] == 1 and decision != "rejected":
        update_once(rm["members"], p["author_id"], event, {
            "$inc": {"approved": 1}, "$min": {"since": event.occurred_at}})
        # Our own approval is what publishes it: flaggable now, not only once posts' event is
        # back (a member who flags a post the moment it shows up must not get a 404). No `_v`:
        # the targets' versions are those of posts' streams.
        rm["targets"].update_one({"_id": p["target_id"], "state": "pending"},
                                 {"$set": {"state": "published"}})
    if p.get("auto"):
        return  # nothing was held, nobody decided: neither queue nor audit
    item = rm["items"].find_one({"_id": p["item_id"]}) or {}
    before = item.get("content") or text_under_review(rm, p)
    after: dict[str, Any] | None = None
    details: dict[str, Any] = {"review": p["review"], "reasons": item.get("reasons", [])}
    # a CM's hold (from the thread, or undoing a decision) approved: the contribution is public
    # again; no flags were dismissed (the trail must say what happened)
    # (an open item's reasons may be an earlier round's: only a held one is that hold)
    staff_hold = item.get("state") == "held" and any(
        why in STAFF_HOLDS for why in item.get("reasons") or [])
    if staff_hold:
        details["undoes"] = item.get("undoes")
    if decision == "approved":
        after = before
        if p.get("not_confidential"):  # the CM stated these contact details may be public
            details["not_confidential"] = p["not_confidential"]
    elif decision == "redacted":
        after = {"title": p["title"], "body": p["body"], "tags": p["tags"]}
        details["detector_kinds"] = p["detector_kinds"]
    else:
        details.update(reason_code=p["reason_code"], reason=p["reason"])
    action = {"approved": "republish" if staff_hold else "approve", "rejected": "reject",
              "redacted": "redact"}[decision]
    _audit(rm, event, action=action,
        target_type=p["target_type"], target_id=p["target_id"], item_id=p["item_id"],
        before=before, after=after, details=details)
    update: dict[str, Any] = {"$set": {"state": decision, "decided_at": event.occurred_at,
                                       "decided_by": event.actor},
                              "$unset": {"content": "", "proposal": ""}}
    if p["review"] == "flags":  # the round is closed: flags start again from zero
        update["$set"].update(EMPTY_ROUND)
        update["$unset"].update(held_ts="", held_at="")
    update_versioned(rm["items"], p["item_id"], event, update)


@VIEWS.on("moderation.item_withdrawn")
def _withdrawn(rm: ReadModels, event: Envelope) -> None:
    """Out of the queue undecided, and its text under review dropped: nothing in the staff
    trail (nobody acted), and a flags round closed as a decision closes it."""
    p = event.payload
    update: dict[str, Any] = {"$set": {"state": "withdrawn", "withdrawn_because": p["cause"],
                                       "decided_at": event.occurred_at},
                              "$unset": {"content": "", "proposal": ""}}
    if p["review"] == "flags":
        update["$set"].update(EMPTY_ROUND)
        update["$unset"].update(held_ts="", held_at="")
    update_versioned(rm["items"], p["item_id"], event, update)


@VIEWS.on("identity.user_registered")
def _registered(rm: ReadModels, event: Envelope) -> None:
    p = event.payload
    update_once(rm["members"], p["user_id"], event, {"$min": {"since": p["joined_at"]}})


# --- policy, notes ----------------------------------------------------------------------------

@VIEWS.on("moderation.policy_changed")
def _policy(rm: ReadModels, event: Envelope) -> None:
    update_versioned(rm["policy"], "current", event, {"$set": {
        **event.payload["policy"], "changed_at": event.occurred_at,
        "changed_by": event.actor}})
    _audit(rm, event, action="change_policy", target_type="policy", target_id="policy",
           before=event.payload["previous"], after=event.payload["policy"])


@VIEWS.on("moderation.member_noted")
def _noted(rm: ReadModels, event: Envelope) -> None:
    p = event.payload
    rm["notes"].update_one({"_id": p["note_id"]}, {"$set": {
        "member_id": p["member_id"], "note": p["note"], "at": event.occurred_at,
        "by": event.actor}}, upsert=True)
    _audit(rm, event, action="note_member", target_type="member", target_id=p["member_id"],
           before=None, after={"note": p["note"]})


def _audit(rm: ReadModels, event: Envelope, *, action: str, target_type: str, target_id: str,
           before: Any, after: Any, item_id: str | None = None,
           details: dict[str, Any] | None = None) -> None:
    """One entry per event (its id), written once: the trail is append-only."""
    rm["audit"].update_one({"_id": event.id}, {"$setOnInsert": {
        "at": event.occurred_at, "at_ts": micros(event), "actor_id": event.actor,
        "action": action, "target_type": target_type, "target_id": target_id,
        "item_id": item_id, "before": before, "after": after, "details": details or {},
        "event_type": event.type, "correlation_id": event.correlation_id}}, upsert=True)


# --- what posts tells us ----------------------------------------------------------------------

def _target_of(event: Envelope) -> tuple[str, str, dict[str, Any]]:
    p = event.payload
    if event.type.startswith("posts.reply_"):
        return "reply", p["reply_id"], p
    return "post", p["post_id"], p


@VIEWS.on("posts.post_submitted", "posts.reply_submitted")
def _target_submitted(rm: ReadModels, event: Envelope) -> None:
    target_type, target_id, p = _target_of(event)
    # the stream's first event: the document is new (a state set already stays, unread)
    update_versioned(rm["targets"], target_id, event, {"$set": {
        "target_type": target_type, "post_id": p["post_id"], "author_id": p["author_id"],
        "kind": p["kind"]}, "$setOnInsert": {"state": "pending"},
        "$min": {"submitted_ts": micros(event), "submitted_at": event.occurred_at,
                 "waiting_ts": micros(event), "waiting_at": event.occurred_at}})


@VIEWS.on("posts.post_resubmitted", "posts.reply_resubmitted", *CORRECTION_EVENTS)
def _target_resubmitted(rm: ReadModels, event: Envelope) -> None:
    """Never published, corrected and sent again: for this revision now (`submitted_revision`:
    an older one is superseded). Refused, its author waits from now; corrected while it still
    waited (`replaces_revision`), its author has been waiting since they first sent it."""
    _, target_id, p = _target_of(event)
    waiting = {} if p.get("replaces_revision") else {
        "waiting_ts": micros(event), "waiting_at": event.occurred_at}
    update_versioned(rm["targets"], target_id, event, {"$set": {
        **waiting, "submitted_revision": p["revision"]}})


@VIEWS.on("posts.post_published", "posts.post_edited", "posts.post_redacted",
          "posts.reply_published", "posts.reply_edited", "posts.reply_redacted")
def _target_visible(rm: ReadModels, event: Envelope) -> None:
    target_type, target_id, p = _target_of(event)
    fact = event.type.rsplit("_", 1)[1]
    if fact == "published":
        # posts publishes only what was pending (a first submission, or one resubmitted after
        # its rejection): published now, whatever this document said, and nothing to read
        state = "published"
    else:  # an edit keeps the state; a redaction shows again what flags had hidden
        state = (rm["targets"].find_one({"_id": target_id}, {"state": 1}) or {}).get("state")
        if fact == "redacted" and state == "hidden":
            state = "published"
            if target_type == "post":
                _withhold_clock(rm, target_id, False)  # shown again: it waits on
    update_versioned(rm["targets"], target_id, event, {"$set": {
        "target_type": target_type, "post_id": p["post_id"], "author_id": p["author_id"],
        "revision": p["revision"], "title": p.get("title"), "body": p["body"],
        "tags": p.get("tags"), "state": state}})
    if target_type == "reply" and p["kind"] == "answer" and p["official"] and fact == "published":
        # answered while the question was out of view too (its clock set aside: None)
        rm["sla"].update_one({"_id": p["post_id"], "answered": {"$in": [False, None]}}, {"$set": {
            "answered": True, "first_staff_answer_at": event.occurred_at,
            "first_staff_answer_ts": micros(event), "answered_by": p["author_id"]}})
    if target_type == "post" and p["kind"] == "question" and fact == "published":
        # the member has waited since they sent it, however long it was held for review
        # (`published_*` names when the wait started); the submission came first in the stream
        sent = rm["targets"].find_one({"_id": target_id}, {"waiting_ts": 1, "waiting_at": 1}) \
            or {}
        rm["sla"].update_one({"_id": p["post_id"]}, {"$setOnInsert": {
            "category": p["category"], "channel": "site", "author_id": p["author_id"],
            "published_at": sent.get("waiting_at") or event.occurred_at,
            "published_ts": sent.get("waiting_ts") or micros(event),
            "answered": False, "breached": False}}, upsert=True)


@VIEWS.on("posts.post_hidden", "posts.reply_hidden", "posts.post_restored",
          "posts.reply_restored", "posts.post_rejected", "posts.reply_rejected",
          "posts.post_deleted", "posts.reply_deleted")
def _target_state(rm: ReadModels, event: Envelope) -> None:
    target_type, target_id, p = _target_of(event)
    fact = event.type.split("_", 1)[1]
    state = {"hidden": "hidden", "restored": "published", "rejected": "rejected",
             "deleted": "deleted"}[fact]
    update: dict[str, Any] = {"$set": {"state": state}}
    if state == "rejected":
        # the text goes, but a post keeps its name: the CMs' lists of a member's contributions
        # (the console's author panel) say what was refused (see `refused_title`)
        update["$set"]["title"] = refused_title(rm, target_id, p["revision"])
        update["$unset"] = {"body": "", "tags": ""}
    elif state == "deleted":
        update["$unset"] = {"title": "", "body": "", "tags": ""}
        if target_type == "post":
            _stop_clocks(rm, {"_id": target_id})
    elif target_type == "post":
        _withhold_clock(rm, target_id, state == "hidden")
    update_versioned(rm["targets"], target_id, event, update)
    if fact == "deleted" and p["by_staff"]:
        _audit(rm, event, action=f"delete_{target_type}", target_type=target_type,
               target_id=target_id, before=None, after=None)


def refused_title(rm: ReadModels, target_id: str, revision: int) -> str | None:
    """A refused post's title, masked by the detector as the queue's headlines are (a title
    refused for the IBAN it shows must not show it to every CM reading a member's list): the
    visible one when it was published (removed after flags), else the one of the submission
    moderation judged — read from our own log, not from the order events arrive in, so a
    replay finds it too. None for a reply, or a text an erasure shredded."""
    current = rm["targets"].find_one({"_id": target_id}, {"title": 1, "revision": 1}) or {}
    if current.get("revision") == revision:  # published (maybe redacted by a CM): as shown
        title = current.get("title")
    else:  # never published: a title kept from an earlier refusal is not this revision's
        title = (submitted_content(rm, target_id, revision) or {}).get("title")
    return detector.mask(title) if title else None


STAFF_POST_ACTIONS = {
    "posts.idea_status_changed": "change_idea_status",
    "posts.idea_merged": "merge_idea",
    "posts.post_featured": "feature",
    "posts.post_unfeatured": "unfeature",
    "posts.post_locked": "lock",
    "posts.post_unlocked": "unlock",
}


@VIEWS.on(*STAFF_POST_ACTIONS)
def _staff_post_action(rm: ReadModels, event: Envelope) -> None:
    p = event.payload
    before: Any = None
    after: Any = None
    if event.type == "posts.idea_status_changed":
        before, after = {"status": p["from_status"]}, {"status": p["to_status"], "note": p["note"],
                                                        "release": p["release"]}
    elif event.type == "posts.idea_merged":
        before, after = {"status": p["from_status"]}, {"merged_into": p["into_id"]}
    _audit(rm, event, action=STAFF_POST_ACTIONS[event.type], target_type="post",
           target_id=p["post_id"], before=before, after=after)


@VIEWS.on("posts.answer_accepted")
def _accepted(rm: ReadModels, event: Envelope) -> None:
    p = event.payload
    if p["accepted_by"] != p["author_id"]:  # a CM accepted it for the author
        _audit(rm, event, action="accept_answer", target_type="post", target_id=p["post_id"],
               before={"reply_id": p["previous_reply_id"]}, after={"reply_id": p["reply_id"]})


@VIEWS.on("posts.post_edit_submitted", "posts.reply_edit_submitted")
def _edit_by_staff(rm: ReadModels, event: Envelope) -> None:
    target_type, target_id, p = _target_of(event)
    if p["editor_id"] != p["author_id"]:
        _audit(rm, event, action=f"edit_{target_type}", target_type=target_type,
               target_id=target_id, before=None, after={"revision": p["revision"]})


# --- what identity tells us: privileged changes by admins (and bank systems) ---------------------

IDENTITY_PRIVILEGED = {
    "identity.role_granted": "grant_role",
    "identity.role_revoked": "revoke_role",
    "identity.user_verified": "grant_badge",
    "identity.user_verification_withdrawn": "withdraw_badge",
    "identity.advisor_assigned": "assign_advisor",
    "identity.second_factor_reset": "reset_second_factor",
}


@VIEWS.on(*IDENTITY_PRIVILEGED)
def _privileged_change(rm: ReadModels, event: Envelope) -> None:
    """Roles, badges and advisor assignments in the staff trail (ids, role and badge names,
    the branch: nothing personal). The actor is the admin or the bank system's credential;
    a role granted when an account was created by `agora create-admin` has no actor."""
    p = event.payload
    after = {key: p[key] for key in ("role", "badge", "advisor_id", "branch") if key in p}
    _audit(rm, event, action=IDENTITY_PRIVILEGED[event.type], target_type="user",
           target_id=p["user_id"], before=None, after=after)


@VIEWS.on("posts.mentions_unlinked")
def _mentions_unlinked(rm: ReadModels, event: Envelope) -> None:
    """The visible text of a target that @mentioned an erased member, as posts unlinked it."""
    for text in event.payload["texts"]:
        rm["targets"].update_one({"_id": text["target_id"], "revision": text["revision"]},
                                 {"$set": {"title": text["title"], "body": text["body"]}})


@VIEWS.on(USER_ERASED)
def _member_erased(rm: ReadModels, event: Envelope) -> None:
    """The staff trail keeps every fact and drops the person: where the erased member acted
    (a member's own deletion, an answer they accepted) or was acted upon (roles, badges,
    advisor, CM notes), they become `ERASED_MEMBER`; the CMs' notes about them go (what staff
    wrote about a person is that person's data). Replays reach the same state: the tombstone is
    the last event of the member's stream in our log."""
    member_id = event.payload["user_id"]
    audit = rm["audit"]
    audit.update_many({"actor_id": member_id}, {"$set": {"actor_id": ERASED_MEMBER}})
    audit.update_many({"target_id": member_id, "action": "note_member"},
                      {"$set": {"target_id": ERASED_MEMBER, "after": None}})
    audit.update_many({"target_id": member_id, "target_type": {"$in": ["user", "member"]}},
                      {"$set": {"target_id": ERASED_MEMBER}})
    rm["notes"].delete_many({"member_id": member_id})
    # their words on their flags are theirs too (the flags themselves stay, as facts)
    flagged = {doc["item_id"] for doc in rm["flags"].find({"flagger_id": member_id},
                                                          {"item_id": 1})}
    if flagged:
        rm["items"].update_many({"_id": {"$in": sorted(flagged)}},
                                {"$pull": {"explanations": {"flagger_id": member_id}}})
        rm["flags"].update_many({"flagger_id": member_id}, {"$unset": {"details": ""}})
    # their conversations are closed (nobody can answer them now): their waits stop, and a
    # message of theirs that reaches us after the tombstone starts none
    rm["conversations"].update_many({"member_id": member_id}, {"$set": {"closed": True}})
    closed = [doc["_id"] for doc in rm["conversations"].find({"member_id": member_id}, {"_id": 1})]
    if closed:
        _stop_clocks(rm, {"conversation_id": {"$in": closed}})


def _stop_clocks(rm: ReadModels, scope: dict[str, Any]) -> None:
    """Clocks that end without an answer (a deleted question, a closed conversation) go: no
    longer waiting nor due, and the statistics count answered waits only."""
    rm["sla"].delete_many({**scope, "answered": {"$ne": True}})  # set-aside ones too


def _withhold_clock(rm: ReadModels, post_id: str, hidden: bool) -> None:
    """A question out of public view (hidden by flags, or by an undone approval) waits for no
    public answer: its open clock is set aside (`answered: None`, which neither the waiting
    clocks, the breach checks nor the statistics read) until the question is shown again,
    when it waits on from when it was asked."""
    rm["sla"].update_one({"_id": post_id, "answered": False if hidden else None},
                         {"$set": {"answered": None if hidden else False}})


@VIEWS.on("moderation.sla_breached")
def _breached(rm: ReadModels, event: Envelope) -> None:
    rm["sla"].update_one({"_id": event.payload["clock_id"]}, {"$set": {
        "breached": True, "breached_at": event.occurred_at}})


@VIEWS.on("moderation.sla_targets_changed")
def _sla_targets(rm: ReadModels, event: Envelope) -> None:
    update_versioned(rm["sla_targets"], "current", event, {"$set": {
        "targets": event.payload["targets"], "changed_at": event.occurred_at,
        "changed_by": event.actor}})
    _audit(rm, event, action="change_sla_targets", target_type="policy",
           target_id="sla-targets", before=event.payload["previous"],
           after=event.payload["targets"])


# --- clocks of private conversations and social cases (conversations' public events) ---------

@VIEWS.on("conversations.conversation_started")
def _conversation_started(rm: ReadModels, event: Envelope) -> None:
    p = event.payload
    rm["conversations"].update_one({"_id": p["conversation_id"]}, {"$set": {
        "member_id": p["member_id"], "origin": p["origin"],
        "staff_ids": [pid for pid in p["participant_ids"] if pid != p["member_id"]]}},
        upsert=True)


@VIEWS.on("conversations.participant_added", "conversations.advisor_changed",
          "conversations.participant_left")
def _participants_changed(rm: ReadModels, event: Envelope) -> None:
    """Who is staff in the conversation now (a breach alerts them; no longer a colleague who
    left it)."""
    p = event.payload
    conversation = rm["conversations"].find_one({"_id": p["conversation_id"]}) or {}
    member_id = conversation.get("member_id") or p.get("member_id")
    rm["conversations"].update_one({"_id": p["conversation_id"]}, {"$set": {
        "staff_ids": [pid for pid in p["participant_ids"] if pid != member_id]}})


@VIEWS.on("conversations.wait_settled")
def _wait_settled(rm: ReadModels, event: Envelope) -> None:
    """Staff marked the conversation handled, no reply needed: its running clock stops, not
    answered — set aside (`answered: None`: neither waiting, due, nor counted in the answer
    times) with `settled_*` saying who and when. The member's next message starts a new one."""
    p = event.payload
    rm["sla"].update_many({"conversation_id": p["conversation_id"], "answered": False},
                          {"$set": {"answered": None, "settled": True,
                                    "settled_at": event.occurred_at,
                                    "settled_by": p["settled_by"]}})


@VIEWS.on("conversations.message_posted")
def _message_posted(rm: ReadModels, event: Envelope) -> None:
    """The member writes: a clock starts unless one already runs. Staff write: it stops."""
    p = event.payload
    conversation = rm["conversations"].find_one({"_id": p["conversation_id"]}) or {}
    member_id = conversation.get("member_id")
    if member_id is None or conversation.get("closed"):
        return  # per-stream order: conversation_started is always applied first
    if p["author_id"] != member_id:
        rm["sla"].update_many({"conversation_id": p["conversation_id"], "answered": False},
                              {"$set": {"answered": True, "first_staff_answer_at":
                                        event.occurred_at, "first_staff_answer_ts":
                                        micros(event), "answered_by": p["author_id"]}})
        return
    if rm["sla"].find_one({"conversation_id": p["conversation_id"], "answered": False},
                          {"_id": 1}):
        return  # the member writes again while waiting: the first message's clock runs on
    social = conversation.get("origin") == "social" or bool(p.get("channel"))
    rm["sla"].update_one({"_id": f"conv.{p['conversation_id']}.{p['message_id']}"}, {
        "$setOnInsert": {
            "conversation_id": p["conversation_id"], "channel": "social" if social
            else "private", "category": None, "author_id": member_id,
            "published_at": event.occurred_at, "published_ts": micros(event),
            "answered": False, "breached": False}}, upsert=True)
