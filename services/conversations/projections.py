"""conversations read models, from its own events and what it received from identity and posts.

Collections (rebuildable by `agora replay conversations`):

- ``conversations``: one document per conversation — member, participants, staff-queue pool,
  origin (member, escalation, social), the escalated post, counters and last activity, and
  ``closed`` once its member erased their account;
- ``message_index``: one document per message — conversation, author, time (no body);
- ``members``: user id -> assigned advisor, roles and language (identity's public events), the
  keyed hash of the normalised e-mail (identity's private ``contact_changed``) to match social
  mentions by e-mail without keeping addresses in a read model;
- ``posts``: post id -> author and state (posts' public events), for escalations.
- ``activity``: every published post and reply (public events; ids, kind, the post's title,
  when), so an advisor sees their customers' recent public activity (`my_customers`).

Not read models, and never rebuilt nor dropped by a replay: ``messages`` (subjects and bodies,
keyed by message id — the only place they live) and ``access_audit`` (append-only record of
every read of private content).
"""
from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, DESCENDING

from services.shared.envelope import Envelope
from services.shared.members import USER_ERASED, track_member_summaries
from services.shared.projections import Projection, ReadModels, update_once, update_versioned
from services.shared.shredding import LookupHash, SubjectKeys

from . import domain

COLLECTIONS = ["conversations", "message_index", "members", "posts", "activity"]


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
    rm["conversations"].create_index([("member_id", ASCENDING)], name="member")
    rm["message_index"].create_index([("conversation_id", ASCENDING), ("ts", ASCENDING),
                                      ("_id", ASCENDING)], name="conversation_ts")


VIEWS = Projection("conversations", service="conversations", collections=COLLECTIONS,
                   indexes=_indexes)
PROJECTION = VIEWS


def ensure_indexes(db) -> None:
    """The primary (non-projected) collections: bodies by conversation, the audit by reader."""
    db["messages"].create_index([("conversation_id", ASCENDING)], name="conversation")
    db["access_audit"].create_index([("conversation_id", ASCENDING), ("at", ASCENDING)],
                                    name="conversation_at")
    db["access_audit"].create_index([("user_id", ASCENDING), ("at", ASCENDING)], name="reader")


def micros(event: Envelope) -> int:
    return int(datetime.fromisoformat(event.occurred_at).timestamp() * 1_000_000)


# -- own events -----------------------------------------------------------------------------------

@VIEWS.on(domain.STARTED)
def _started(rm: ReadModels, event: Envelope) -> None:
    p = event.payload
    update_versioned(rm["conversations"], p["conversation_id"], event, {"$set": {
        "member_id": p["member_id"], "participant_ids": p["participant_ids"],
        "pool": p.get("pool"), "origin": p["origin"], "post_id": p.get("post_id"),
        "advisor_id": p.get("advisor_id"),
        "channel": p.get("channel"), "created_at": event.occurred_at,
        "created_ts": micros(event), "last_ts": micros(event),
        "last_message_at": event.occurred_at}})


@VIEWS.on(domain.PARTICIPANT_ADDED)
def _participant_added(rm: ReadModels, event: Envelope) -> None:
    p = event.payload
    # joined by staff: the conversation leaves the queue
    update_versioned(rm["conversations"], p["conversation_id"], event, {"$set": {
        "participant_ids": p["participant_ids"], "pool": None}})


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
    is no longer matched to them. A replay closes them again, the tombstone being in our log."""
    member_id = event.payload["user_id"]
    rm["conversations"].update_many({"member_id": member_id}, {"$set": {
        "closed": True, "closed_at": event.occurred_at}})
    rm["members"].update_one({"_id": member_id}, {"$unset": {"email_hash": ""}})


@VIEWS.on("identity.contact_changed")
def _contact_changed(rm: ReadModels, event: Envelope) -> None:
    p = event.payload
    if not p.get("email"):  # shredded (the member was erased): nothing to match any more
        rm["members"].update_one({"_id": p["user_id"]}, {"$unset": {"email_hash": ""}})
        return
    rm["members"].update_one({"_id": p["user_id"]}, {"$set": {
        "email_hash": domain.email_hash(p["email"], email_lookup(rm.db))}}, upsert=True)


def email_lookup(db) -> LookupHash:
    """The keyed hash of members' addresses (its secret in the key store, beside the keys)."""
    return SubjectKeys.beside(db, "conversations").lookup_hash("conversations.member_email")


# -- posts ----------------------------------------------------------------------------------------

@VIEWS.on("posts.post_submitted")
def _post_submitted(rm: ReadModels, event: Envelope) -> None:
    p = event.payload
    rm["posts"].update_one({"_id": p["post_id"]}, {
        "$set": {"author_id": p["author_id"], "kind": p["kind"]},
        "$setOnInsert": {"state": "pending"}}, upsert=True)


@VIEWS.on("posts.post_published", "posts.post_edited", "posts.post_redacted")
def _post_published(rm: ReadModels, event: Envelope) -> None:
    p = event.payload
    rm["posts"].update_one({"_id": p["post_id"]}, {"$set": {
        "author_id": p["author_id"], "kind": p["kind"], "state": "published",
        "title": p.get("title")}}, upsert=True)
    _activity_published(rm, event)  # published, or its (redacted) title changed


@VIEWS.on("posts.post_deleted", "posts.post_rejected")
def _post_gone(rm: ReadModels, event: Envelope) -> None:
    rm["posts"].update_one({"_id": event.payload["post_id"]},
                           {"$set": {"state": "deleted"}, "$unset": {"title": ""}}, upsert=True)
    rm["activity"].delete_one({"_id": event.payload["post_id"]})


# -- public activity of members (for their advisor) ------------------------------------------------

def _activity_published(rm: ReadModels, event: Envelope) -> None:
    p = event.payload
    reply = event.type == "posts.reply_published"
    title = (rm["posts"].find_one({"_id": p["post_id"]}, {"title": 1}) or {}).get("title") \
        if reply else p.get("title")
    rm["activity"].update_one({"_id": p["reply_id"] if reply else p["post_id"]}, {
        "$set": {"type": "reply" if reply else "post", "author_id": p["author_id"],
                 "post_id": p["post_id"], "kind": p["kind"], "title": title},
        "$setOnInsert": {"at": event.occurred_at, "ts": micros(event)}}, upsert=True)


@VIEWS.on("posts.reply_published")
def _reply_published(rm: ReadModels, event: Envelope) -> None:
    _activity_published(rm, event)


@VIEWS.on("posts.post_hidden", "posts.post_restored", "posts.reply_hidden",
          "posts.reply_restored", "posts.reply_deleted", "posts.reply_rejected")
def _activity_state(rm: ReadModels, event: Envelope) -> None:
    """Hidden (flagged) content leaves the advisor's view until restored; removed content
    leaves it for good (posts: see `_post_gone`)."""
    p = event.payload
    target = p.get("reply_id") if event.type.startswith("posts.reply_") else p["post_id"]
    fact = event.type.rsplit("_", 1)[1]
    if fact in ("deleted", "rejected"):
        rm["activity"].delete_one({"_id": target})
    else:
        rm["activity"].update_one({"_id": target}, {"$set": {"hidden": fact == "hidden"}})


track_member_summaries(VIEWS)  # authors' names, badges and avatars (identity's events)
