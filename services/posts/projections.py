"""Posts read models, derived from posts' own events and the moderation verdicts it received.

Collections (all rebuildable by `agora replay posts`):

- ``posts``: one document per post — published text only (title, body), its
  lifecycle ``state``, counters (votes, replies, answers), idea status, flags (featured, locked),
  the pending edit's review state and the rejection reason (for the author);
- ``replies``: the same for replies;
- ``history``: every *published* revision (``<id>:<revision>``); a redaction overwrites the
  revision it masks, so an original never stays here;
- ``drafts``: the text of a submitted revision not yet ruled on, shown to its author only; deleted
  as soon as moderation rules (published, rejected or redacted);
- ``votes``: ``<target>:<voter>`` -> active, for "did I vote" and for moving votes on a merge;
- ``mentions``: per post or reply, the @tokens its visible text mentions (as written and as
  handles), so that a member's erasure finds the texts that name them;
- ``search_terms`` and ``search_vocabulary``: the French search's term index and the words it
  holds, with the number of entries holding each (services/posts/search.py).

Counters change with `update_once` (exact under concurrency and re-application); every other
write is an idempotent `$set`/upsert.
"""
from __future__ import annotations

import contextlib
import zlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from services.moderation import detector  # pure functions: the same masking as moderation's
from services.shared.envelope import Envelope
from services.shared.event_store import EventStore
from services.shared.members import parse_mentions, track_member_summaries
from services.shared.projections import (
    Projection,
    ReadModels,
    before_the_move,
    insert_new,
    insert_versioned,
    once,
    update_once,
    update_versioned,
    upsert_all,
)
from services.shared.slugs import TAG_MAX, slugify
from services.shared.write_limits import COLLECTION as WRITE_THROTTLE
from services.shared.write_limits import WriteLimits

from .domain import MENTIONS_UNLINKED, content_stream
from .schemas import CORRECTION_EVENTS
from .search import entry, index_terms, vocabulary_updates, written_words

COLLECTIONS = ["posts", "replies", "history", "drafts", "votes", "categories", "tag_counts",
               "search_terms", "search_vocabulary", "mentions"]


def _indexes(rm: ReadModels) -> None:
    # @mentions linked on the pages: the members holding a handle (services/shared/members.py)
    rm["member_summaries"].create_index([("handle", ASCENDING)], name="by_handle")
    posts = rm["posts"]
    for field in ("published_ts", "votes", "active_ts"):
        posts.create_index([("state", ASCENDING), (field, DESCENDING), ("_id", DESCENDING)],
                           name=f"state_{field}")
    terms = rm["search_terms"]  # French search (services/posts/search.py)
    terms.create_index([("terms", ASCENDING)], name="terms")  # multikey: one entry per term
    # a word found nowhere: the vocabulary's words sharing a deletion key with it (multikey)
    rm["search_vocabulary"].create_index([("keys", ASCENDING)], name="keys")
    posts.create_index([("author_id", ASCENDING), ("published_ts", DESCENDING)], name="author")
    # a member's own texts not published yet (queries.waiting)
    posts.create_index([("author_id", ASCENDING), ("state", ASCENDING), ("created_ts", DESCENDING)],
                       name="author_state")
    posts.create_index([("tag_slugs", ASCENDING)], name="tag_slugs")
    rm["categories"].create_index([("position", ASCENDING), ("_id", ASCENDING)],
                                  name="position")
    rm["tag_counts"].create_index([("count", DESCENDING), ("_id", ASCENDING)], name="popular")
    posts.create_index([("featured", ASCENDING), ("pin_rank", ASCENDING),
                        ("featured_ts", DESCENDING)], name="pinned")
    rm["replies"].create_index([("post_id", ASCENDING), ("created_ts", ASCENDING)],
                               name="post_created")
    rm["drafts"].create_index([("target_id", ASCENDING), ("revision", DESCENDING)],
                              name="target_newest")
    rm["history"].create_index([("target_id", ASCENDING), ("revision", ASCENDING)],
                               name="target_revision")
    rm["votes"].create_index([("target_id", ASCENDING), ("active", ASCENDING)],
                             name="target_active")
    # a member's export (GDPR): what they wrote and how they voted
    # replies published over a period (the console's community health)
    rm["replies"].create_index([("state", ASCENDING), ("published_ts", ASCENDING)],
                               name="state_published_ts")
    rm["replies"].create_index([("author_id", ASCENDING), ("created_ts", ASCENDING)],
                               name="author")
    rm["votes"].create_index([("voter_id", ASCENDING), ("active", ASCENDING)],
                             name="voter_active")
    rm["mentions"].create_index([("tokens", ASCENDING)], name="tokens")  # erasure


VIEWS = Projection("posts_views", service="posts", collections=COLLECTIONS, indexes=_indexes)
PROJECTION = VIEWS


def ensure_indexes(db) -> None:
    """Indexes of posts' write limits, which are not read models (`agora migrate`)."""
    WriteLimits(db[WRITE_THROTTLE], {}).ensure_indexes()


def micros(event: Envelope) -> int:
    moment = datetime.fromisoformat(event.occurred_at)
    return int(moment.timestamp() * 1_000_000)


def _collection(rm: ReadModels, target_type: str):
    return rm["posts"] if target_type == "post" else rm["replies"]


def _target(event: Envelope) -> tuple[str, str]:
    """(target_type, id) of a post_* / reply_* event."""
    if event.type.startswith("posts.reply_"):
        return "reply", event.payload["reply_id"]
    return "post", event.payload["post_id"]


# --- drafts (private content stream) ----------------------------------------------------------

@VIEWS.on("posts.content_submitted")
def _content_submitted(rm: ReadModels, event: Envelope) -> None:
    """The text's draft, written first and checked after: a verdict's apply writes what
    `_ruled_on` looks at (history, the document's rejection or deletion) before it deletes
    drafts, so a look made after our write cannot miss a verdict our write came after. The
    look goes with the cursor's move (`before_the_move`: after a command's reply, off the
    request's path), so the request waits for one round trip here, not two."""
    p = event.payload
    # never over the masked text a rejection gave back (written just before the rejection
    # shows on the document, so it may be there already)
    with contextlib.suppress(DuplicateKeyError):  # it is there: the upsert found no match
        rm["drafts"].update_one({"_id": event.stream_id, "returned": {"$ne": True}}, {"$set": {
            "target_type": p["target_type"], "target_id": p["target_id"],
            "revision": p["revision"], "author_id": p["author_id"], "title": p["title"],
            "body": p["body"], "category": p["category"], "tags": p["tags"],
            "submitted_by": p.get("submitted_by"), "submitted_at": event.occurred_at}},
            upsert=True)

    def unless_ruled_on() -> None:
        if _ruled_on(rm, p["target_type"], p["target_id"], p["revision"]):
            # moderation was faster than this projection: the draft is already over (a text
            # given back is the rejection's, not ours)
            rm["drafts"].delete_one({"_id": event.stream_id, "returned": {"$ne": True}})

    before_the_move(unless_ruled_on)


def _ruled_on(rm: ReadModels, target_type: str, target_id: str, revision: int) -> bool:
    """Published, refused, deleted — or resubmitted since (a later revision of a text never
    published replaced it: `submitted_revision`)."""
    # both reads at once
    published, doc = rm.side_by_side(
        lambda: rm["history"].find_one({"_id": f"{target_id}:{revision}"}, {"_id": 1}),
        lambda: _collection(rm, target_type).find_one(
            {"_id": target_id}, {"state": 1, "rejection": 1, "submitted_revision": 1}))
    if published:
        return True
    doc = doc or {}
    return doc.get("state") == "deleted" or (doc.get("rejection") or {}).get(
        "revision") == revision or (doc.get("submitted_revision") or 0) > revision


def _drop_draft(rm: ReadModels, target_id: str, revision: int) -> None:
    rm["drafts"].delete_one({"_id": f"{target_id}.r{revision}"})


def _own(rm: ReadModels, event: Envelope, decide,
         derived: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Write an own event to its post/reply document: `decide(current document)` returns the
    update, applied only if the document does not reflect a later version of the stream already
    (`update_versioned`), so a late re-application can never overwrite newer state.

    `derived(current document)` writes what the event changes beside the document (a draft
    given back), *before* it: a reader reads the document first and what hangs on it after
    (queries.post), so whoever sees the document's new state finds the rest too — written the
    other way round, a read between the two writes showed a returned draft beside the old
    review state ("held" after the rejection)."""
    target_type, target_id = _target(event)
    collection = _collection(rm, target_type)
    doc = collection.find_one({"_id": target_id}) or {}
    if derived is not None:
        derived(doc)
    update_versioned(collection, target_id, event, decide(doc))
    return doc


# --- submitted ---------------------------------------------------------------------------------

@VIEWS.on("posts.post_submitted", "posts.reply_submitted")
def _submitted(rm: ReadModels, event: Envelope) -> None:
    target_type, target_id = _target(event)
    p = event.payload
    fields: dict[str, Any] = {"author_id": p["author_id"], "kind": p["kind"],
                              "created_at": event.occurred_at, "created_ts": micros(event)}
    fields["staff_role"] = p.get("staff_role")
    fields["submitted_revision"] = p["revision"]
    if target_type == "post":
        fields.update(category=p["category"], tags=p["tags"], tag_slugs=tag_slugs(p["tags"]),
                      idea_status="submitted" if p["kind"] == "idea" else None)
        defaults = {"votes": 0, "reply_count": 0, "answer_count": 0, "featured": False,
                    "locked": False, "accepted_reply_id": None, "merged_from": [],
                    "merged_into": None}
    else:
        fields.update(post_id=p["post_id"], post_author_id=p["post_author_id"],
                      official=p["official"])
        defaults = {"votes": 0, "accepted": False}

    def decide(doc):
        missing = {key: value for key, value in defaults.items() if key not in doc}
        return {"$set": {**fields, **missing, "state": doc.get("state") or "pending"}}

    # the stream's opening event: its document is inserted without a read before (one round
    # trip); one found there instead (a verdict received first) is updated as `_own` does
    collection = _collection(rm, target_type)
    found = insert_versioned(collection, target_id, event, decide({})["$set"])
    if found is not None:
        update_versioned(collection, target_id, event, decide(found))


@VIEWS.on("posts.post_edit_submitted", "posts.reply_edit_submitted")
def _edit_submitted(rm: ReadModels, event: Envelope) -> None:
    p = event.payload
    _own(rm, event, lambda doc: {"$set": {"pending_edit": {
        "revision": p["revision"], "state": "pending", "editor_id": p["editor_id"]}}})
    _drop_returned(rm, _target(event)[1], p["revision"])


def _drop_returned(rm: ReadModels, target_id: str, revision: int) -> None:
    """A new revision replaces the rejected text that was given back to correct."""
    rm["drafts"].delete_many({"target_id": target_id, "returned": True,
                              "revision": {"$lt": revision}})


# --- published / edited / redacted ------------------------------------------------------------

@VIEWS.on("posts.post_published", "posts.post_edited", "posts.post_redacted",
          "posts.reply_published", "posts.reply_edited", "posts.reply_redacted")
def _text_visible(rm: ReadModels, event: Envelope) -> None:
    target_type, target_id = _target(event)
    p, fact = event.payload, event.type.rsplit("_", 1)[1]
    now = micros(event)
    fields: dict[str, Any] = {"body": p["body"], "revision": p["revision"],
                              "redacted": p["redacted"], "active_ts": now}
    if target_type == "post":
        fields.update(title=p["title"], official=p["official"], category=p["category"],
                      tags=p["tags"], tag_slugs=tag_slugs(p["tags"]))
    if fact == "published":
        fields.update(published_at=event.occurred_at, published_ts=now)
    else:
        fields.update(edited_at=event.occurred_at)
    collection = _collection(rm, target_type)
    before = collection.find_one({"_id": target_id}) or {}
    # no revision yet: no text of it was ever visible, so no search terms or mentions to replace
    first_text = before.get("revision") is None
    if target_type == "reply":
        _count_reply(rm, event, before.get("state"))

    state = before.get("state")
    if (fact == "published" and state in (None, "pending")) or (
            fact == "redacted" and state == "hidden"):
        state = "published"  # an approved edit does not un-hide a flagged contribution
    if (before.get("pending_edit") or {}).get("revision", 0) <= p["revision"]:
        fields["pending_edit"] = None
    fields["state"] = state

    # everything derived first, then the document, then the drafts: a reader who sees the new
    # text published finds it in search; a reader who finds the draft gone finds the document
    # showing the text (queries.py `_after_publication` reads it again), never neither
    rm["history"].update_one({"_id": f"{target_id}:{p['revision']}"}, {"$set": {
        "target_id": target_id, "revision": p["revision"], "title": p.get("title"),
        "body": p["body"], "redacted": p["redacted"], "at": event.occurred_at,
        "editor_id": p.get("editor_id", p["author_id"])}}, upsert=True)
    indexed = {"title": p["title"], "tags": " ".join(p["tags"]), "body": p["body"]} \
        if target_type == "post" else {"reply": p["body"]}
    _index(rm, event, p["post_id"], "post" if target_type == "post" else target_id,
           {"state": "published"}, indexed, replacing=not first_text)
    tokens = sorted(parse_mentions(p.get("title"), p["body"]))
    if tokens or not first_text:  # versioned: a late re-run must not bring back older tokens
        update_versioned(rm["mentions"], target_id, event, {"$set": {
            "target_type": target_type, "post_id": p["post_id"], "tokens": tokens}})
    if update_versioned(collection, target_id, event, {"$set": fields}):
        # the document as this update left it (the stream's events are applied one at a time)
        _refresh_derived(rm, event, target_type, target_id, indexed, {**before, **fields})
    else:  # a later version is there already: derive from what it shows
        _refresh_derived(rm, event, target_type, target_id, indexed)
    # this revision's draft, and any older one given back after a rejection: after the
    # document (history first, so `_ruled_on` still sees the verdict before the draft goes)
    rm["drafts"].delete_many({"target_id": target_id, "revision": {"$lte": p["revision"]}})
    if target_type == "reply":
        rm["posts"].update_one({"_id": p["post_id"]}, {"$max": {"active_ts": now}})


# --- an erased member's mentions ----------------------------------------------------------------

@VIEWS.on(MENTIONS_UNLINKED)
def _mentions_unlinked(rm: ReadModels, event: Envelope) -> None:
    """An erased member's @mentions become `ERASED_MENTION` wherever the texts are read from:
    each published revision, the current text, the search index; the `mentions` document
    keeps only what the new text mentions. From the event, not from the name: a replay, after
    the name was shredded, unlinks the same mentions."""
    for text in event.payload["texts"]:
        target_id, is_post = text["target_id"], text["target_type"] == "post"
        rm["history"].update_one({"_id": f"{target_id}:{text['revision']}"}, {"$set": {
            "body": text["body"], "title": text["title"]}})
        collection = rm["posts" if is_post else "replies"]
        doc = collection.find_one({"_id": target_id}) or {}
        if doc.get("revision") != text["revision"] or doc.get("body") is None:
            continue  # a later revision is visible: its author wrote it after the erasure
        changes = {"body": text["body"], **({"title": text["title"]} if is_post else {})}
        collection.update_one({"_id": target_id}, {"$set": changes})
        rm["mentions"].update_one({"_id": target_id}, {"$set": {
            "tokens": sorted(parse_mentions(text["title"], text["body"]))}})
        texts = {"title": text["title"], "tags": " ".join(doc.get("tags") or []),
                 "body": text["body"]} if is_post else {"reply": text["body"]}
        _index(rm, event, text["post_id"], "post" if is_post else target_id, doc, texts)


# --- rejected / hidden / restored / deleted ---------------------------------------------------

@VIEWS.on("posts.post_rejected", "posts.reply_rejected")
def _rejected(rm: ReadModels, event: Envelope) -> None:
    target_type, target_id = _target(event)
    p = event.payload
    if target_type == "reply":
        _count_reply(rm, event)

    def derived(doc):
        _forget_text(rm, target_id)
        if not doc.get("published_at"):  # rejected before anyone saw it: its author gets it back
            _return_draft(rm, target_id, p["revision"])

    _own(rm, event, lambda doc: {
        "$set": {"state": "rejected", "rejection.reason_code": p["reason_code"],
                 "rejection.revision": p["revision"], "rejection.at_ts": micros(event),
                 "pending_edit": None},
        "$unset": {"title": "", "body": ""}}, derived=derived)
    _refresh_derived(rm, event, target_type, target_id)


@VIEWS.on("posts.post_edit_rejected", "posts.reply_edit_rejected")
def _edit_rejected(rm: ReadModels, event: Envelope) -> None:
    _, target_id = _target(event)
    p = event.payload

    def decide(doc):
        update = {"rejection.reason_code": p["reason_code"], "rejection.revision": p["revision"]}
        if (doc.get("pending_edit") or {}).get("revision") == p["revision"]:
            update["pending_edit.state"] = "rejected"
        return {"$set": update}

    _own(rm, event, decide, derived=lambda doc: _return_draft(rm, target_id, p["revision"]))


@VIEWS.on("posts.post_resubmitted", "posts.reply_resubmitted", *CORRECTION_EVENTS)
def _resubmitted(rm: ReadModels, event: Envelope) -> None:
    """The author corrected a text never published (rejected, or still waiting): it waits for
    moderation again (a new revision); the text given back, or the waiting one, is replaced by
    the one submitted (`posts.content_submitted`): its older drafts go (a held one may hold the
    IBAN its author just took out)."""
    target_type, target_id = _target(event)
    p = event.payload
    fields: dict[str, Any] = {"state": "pending", "submitted_revision": p["revision"]}
    if target_type == "post":
        fields.update(category=p["category"], tags=p["tags"], tag_slugs=tag_slugs(p["tags"]))

    def decide(doc):
        return {"$set": {**fields, "state": "pending" if doc.get("state") == "rejected"
                         else doc.get("state")}}

    _own(rm, event, decide)
    rm["drafts"].delete_many({"target_id": target_id, "revision": {"$lt": p["revision"]}})


def _return_draft(rm: ReadModels, target_id: str, revision: int) -> None:
    """A rejected text goes back to its author as a draft to correct — minus what the detector
    finds (masked as in the moderation queue), so confidential data does not stay around; the
    text itself comes from posts' own log (the draft may not have been projected yet)."""
    submitted = EventStore(rm.db, "posts").load(content_stream(target_id, revision))
    if not submitted:
        return
    p = submitted[0].payload
    title = detector.mask(p["title"]) if p.get("title") else p.get("title")
    body = detector.mask(p["body"])
    tags = None if p["tags"] is None else detector.mask_tags(p["tags"])
    rm["drafts"].update_one({"_id": f"{target_id}.r{revision}"}, {"$set": {
        "target_type": p["target_type"], "target_id": target_id, "revision": revision,
        "author_id": p["author_id"], "title": title, "body": body, "category": p["category"],
        "tags": tags, "submitted_by": p.get("submitted_by"),
        "submitted_at": submitted[0].occurred_at, "returned": True,
        "masked": (title, body, tags) != (p.get("title"), p["body"], p["tags"])}},
        upsert=True)


@VIEWS.on("posts.post_hidden", "posts.reply_hidden", "posts.post_restored",
          "posts.reply_restored")
def _hidden_or_restored(rm: ReadModels, event: Envelope) -> None:
    target_type, _ = _target(event)
    hidden = event.type.endswith("_hidden")
    if target_type == "reply":
        _count_reply(rm, event)

    def decide(doc):
        state = doc.get("state")
        if state == ("published" if hidden else "hidden"):
            state = "hidden" if hidden else "published"
        return {"$set": {"state": state}}

    _own(rm, event, decide)
    _refresh_derived(rm, event, target_type, _target(event)[1])


@VIEWS.on("posts.post_deleted", "posts.reply_deleted")
def _deleted(rm: ReadModels, event: Envelope) -> None:
    target_type, target_id = _target(event)
    if target_type == "reply":
        _count_reply(rm, event)
        rm["posts"].update_one({"_id": event.payload["post_id"], "accepted_reply_id": target_id},
                               {"$set": {"accepted_reply_id": None}})
    _own(rm, event, lambda doc: {
        "$set": {"state": "deleted", "deleted_at": event.occurred_at,
                 "pending_edit": None, "deleted_by": event.payload["deleted_by"]},
        "$unset": {"title": "", "body": ""}})
    _forget_text(rm, target_id)
    _refresh_derived(rm, event, target_type, target_id)


def tag_slugs(tags: list[str]) -> list[str]:
    """Filters and counts go by slug: "épargne" and "epargne" are one tag."""
    return [slug for slug in dict.fromkeys(slugify(tag, TAG_MAX) for tag in tags) if slug]


def _refresh_derived(rm: ReadModels, event: Envelope, target_type: str, target_id: str,
                     indexed: dict[str, str | None] | None = None,
                     doc: dict[str, Any] | None = None) -> None:
    """After a post or reply changed text or visibility: its tag counts and search terms,
    both derived from the document as it now is (so re-applying an event changes nothing).
    `indexed`: the texts the caller has just indexed as visible; when the document is visible
    with those texts, its terms are those already (no read of them, no second tokenizing).
    `doc`: the document as the caller's update left it (else it is read)."""
    if target_type == "post":
        doc = doc if doc is not None else rm["posts"].find_one(
            {"_id": target_id}, {"state": 1, "title": 1, "body": 1, "tags": 1,
                                 "counted_tags": 1}) or {}
        _recount_tags(rm, event, target_id, doc)
        texts = {"title": doc.get("title"), "tags": " ".join(doc.get("tags") or []),
                 "body": doc.get("body")}
        if not (texts == indexed and doc.get("state") in VISIBLE):
            _index(rm, event, target_id, "post", doc, texts)
    else:
        doc = doc if doc is not None else rm["replies"].find_one(
            {"_id": target_id}, {"state": 1, "body": 1, "post_id": 1}) or {}
        texts = {"reply": doc.get("body")}
        if doc.get("post_id") and not (texts == indexed and doc.get("state") in VISIBLE):
            _index(rm, event, doc["post_id"], target_id, doc, texts)


# the entries a word's count remembers having applied: a re-run follows its crash closely, and
# a common word ("carte") is updated by most entries (each update copies the list)
VOCABULARY_APPLIED_KEPT = 8
VISIBLE = ("published", "hidden")  # states whose text is searchable (search filters on state)


def _index(rm: ReadModels, event: Envelope, post_id: str, source: str, doc: dict[str, Any],
           texts: dict[str, str | None], replacing: bool = True) -> None:
    """Replace the search entry of one source of a post (its own text, or one reply's): the
    terms of visible text (published or hidden — the search filters on the post's state), no
    entry otherwise. One write, derived from the texts alone (re-applying it changes nothing).
    `replacing=False`: the source never had visible text, so there is nothing to replace (the
    same entry, if an earlier run of this event wrote it: inserted once)."""
    terms = rm["search_terms"]
    visible = doc.get("state") in VISIBLE
    words = written_words(texts) if visible else {}
    wanted = entry(post_id, source, index_terms(texts), words) if visible else None
    entry_id = f"{post_id}|{source}"
    if not replacing:  # its words counted by the run that inserts it (`_count_words`)
        if wanted and insert_new(terms, [wanted]):
            _count_words(rm, None, entry_id, [], words)
        return
    before = (terms.find_one({"_id": entry_id}, {"words": 1}) or {}).get("words", [])
    _count_words(rm, event, entry_id, before, words)
    if wanted:
        terms.replace_one({"_id": wanted["_id"]}, wanted, upsert=True)
    else:
        terms.delete_one({"_id": entry_id})


def _count_words(rm: ReadModels, event: Envelope | None, entry_id: str, before: list[str],
                 after: dict[str, str]) -> None:
    """The vocabulary (`search_vocabulary`: word -> entries holding it, its label and fuzzy
    keys) follows one entry's words. A first text's are counted once its entry is inserted,
    by the run that inserted it (`event` None: plain increments, as a replay mostly makes —
    a run cut short in between leaves them uncounted, they are no suggestion until another
    text holds them). A change is counted before the entry is written: a run cut short in
    between reads the same entry again, and `once` per (event, entry, new words) applies each
    update once (the same event may index one entry twice, with different texts). A word's
    document goes with its last entry; a re-run after that may leave a count below zero,
    without label or keys (never a suggestion)."""
    updates = vocabulary_updates(before, after)
    if not updates:
        return
    vocabulary = rm["search_vocabulary"]
    if event is None:
        upsert_all(vocabulary, [({"_id": word}, update) for word, update in updates])
    else:
        applied = f"{event.id}|{entry_id}|{zlib.crc32(' '.join(sorted(after)).encode())}"
        upsert_all(vocabulary, [once(word, applied, update, kept=VOCABULARY_APPLIED_KEPT)
                                for word, update in updates])
    dropped = sorted(set(before) - set(after))
    if dropped:  # a word no text holds any more is gone (an erased member's name with it)
        vocabulary.delete_many({"_id": {"$in": dropped}, "count": {"$lte": 0}})


def _recount_tags(rm: ReadModels, event: Envelope, post_id: str, doc: dict[str, Any]) -> None:
    """`tag_counts` (popular tags) counts published posts per tag slug. The post remembers
    which tags it is counted under (`doc`: its state, tags and counted_tags as they are now),
    so each change moves only the difference, once per event (`update_once`): a re-applied
    event changes nothing."""
    wanted: dict[str, str] = {}
    if doc.get("state") == "published":
        for label in doc.get("tags") or []:
            wanted.setdefault(slugify(label, TAG_MAX), label)
    wanted.pop("", None)
    counted = set(doc.get("counted_tags") or [])
    for slug in sorted(set(wanted) - counted):
        # the label shown: a written form with accents wins over the bare slug ("épargne"
        # whether "epargne" or "épargne" came first)
        label = {"$set" if wanted[slug] != slug else "$setOnInsert": {"label": wanted[slug]}}
        update_once(rm["tag_counts"], slug, event, {"$inc": {"count": 1}, **label})
    for slug in sorted(counted - set(wanted)):
        update_once(rm["tag_counts"], slug, event, {"$inc": {"count": -1}})
    if set(wanted) != counted:
        rm["posts"].update_one({"_id": post_id}, {"$set": {"counted_tags": sorted(wanted)}})


_UNREAD = object()


def _forget_text(rm: ReadModels, target_id: str) -> None:
    rm["history"].delete_many({"target_id": target_id})
    rm["drafts"].delete_many({"target_id": target_id})


def _count_reply(rm: ReadModels, event: Envelope, state: Any = _UNREAD) -> None:
    """Keep the post's reply/answer counters exact: +1/-1 when a reply's visibility changes.

    Runs before the reply document is updated, so a re-application after a crash in between
    sees the same "before" and `update_once` drops the repeated increment. `state`: the reply's
    state as the caller just read it (else it is read here).
    """
    p = event.payload
    if state is _UNREAD:
        state = (rm["replies"].find_one({"_id": p["reply_id"]}, {"state": 1}) or {}).get("state")
    before = state == "published"
    fact = event.type.split("reply_", 1)[1]
    after = {"published": True, "restored": True, "edited": before,
             "redacted": before or state == "hidden"}.get(fact, False)
    delta = int(after) - int(before)
    if delta:
        inc = {"reply_count": delta}
        if p["kind"] == "answer":
            inc["answer_count"] = delta
            if p["official"]:
                inc["official_answer_count"] = delta
        update_once(rm["posts"], p["post_id"], event, {"$inc": inc})


# --- questions, ideas, staff flags ------------------------------------------------------------

@VIEWS.on("posts.answer_accepted")
def _answer_accepted(rm: ReadModels, event: Envelope) -> None:
    p = event.payload
    _own(rm, event, lambda doc: {"$set": {"accepted_reply_id": p["reply_id"]}})
    if p["previous_reply_id"]:
        rm["replies"].update_one({"_id": p["previous_reply_id"]}, {"$set": {"accepted": False}})
    rm["replies"].update_one({"_id": p["reply_id"]}, {"$set": {"accepted": True}})


@VIEWS.on("posts.idea_status_changed")
def _idea_status(rm: ReadModels, event: Envelope) -> None:
    p = event.payload
    entry = {"from": p["from_status"], "to": p["to_status"], "note": p["note"],
             "release": p["release"], "by": p["changed_by"], "at": event.occurred_at}
    _own(rm, event, lambda doc: {"$set": {"idea_status": p["to_status"], "status_note": entry,
                                          "active_ts": micros(event)}})
    update_once(rm["posts"], p["post_id"], event, {"$push": {"status_history": entry}})


@VIEWS.on("posts.idea_merged")
def _idea_merged(rm: ReadModels, event: Envelope) -> None:
    p = event.payload
    _own(rm, event, lambda doc: {"$set": {"merged_into": p["into_id"],
                                          "idea_status": "already_exists",
                                          "merged_at": event.occurred_at}})
    rm["posts"].update_one({"_id": p["into_id"]}, {"$addToSet": {"merged_from": p["post_id"]}})


@VIEWS.on("posts.post_featured", "posts.post_unfeatured", "posts.post_locked",
          "posts.post_unlocked")
def _staff_flag(rm: ReadModels, event: Envelope) -> None:
    fact = event.type.split("_", 1)[1]
    flag = fact.removeprefix("un")
    update: dict[str, Any] = {flag: not fact.startswith("un")}
    if flag == "featured":  # the pin: lists sort on pin_rank (unnumbered after the numbered)
        p = event.payload
        until = p.get("pinned_until")
        update.update(pin_position=p.get("position"), pin_rank=p.get("position") or PIN_LAST,
                      pinned_until=until, featured_ts=micros(event),
                      pinned_until_ts=int(datetime.fromisoformat(until).timestamp() * 1e6)
                      if until else None)
    _own(rm, event, lambda doc: {"$set": update})


PIN_LAST = 1_000_000


# --- categories -------------------------------------------------------------------------------

@VIEWS.on("posts.category_created", "posts.category_updated")
def _category(rm: ReadModels, event: Envelope) -> None:
    p = event.payload
    fields = {"name": p["name"], "description": p["description"], "position": p["position"],
              "staff_only": p["staff_only"], "updated_at": event.occurred_at}
    if event.type == "posts.category_created":
        fields["created_at"] = event.occurred_at
    update_versioned(rm["categories"], p["slug"], event, {"$set": fields})


@VIEWS.on("posts.category_archived", "posts.category_restored")
def _category_archived(rm: ReadModels, event: Envelope) -> None:
    update_versioned(rm["categories"], event.payload["slug"], event, {"$set": {
        "archived": event.type == "posts.category_archived", "updated_at": event.occurred_at}})


# --- votes ------------------------------------------------------------------------------------

@VIEWS.on("posts.post_voted", "posts.post_unvoted", "posts.reply_voted", "posts.reply_unvoted")
def _voted(rm: ReadModels, event: Envelope) -> None:
    p = event.payload
    target_type = "reply" if event.type.startswith("posts.reply_") else "post"
    target_id = p["reply_id"] if target_type == "reply" else p["post_id"]
    on = event.type.endswith("_voted")
    update_once(_collection(rm, target_type), target_id, event,
                {"$inc": {"votes": 1 if on else -1}}, upsert=False)
    rm["votes"].update_one({"_id": f"{target_id}:{p['voter_id']}"}, {"$set": {
        "target_id": target_id, "target_type": target_type, "voter_id": p["voter_id"],
        "active": on, "at": event.occurred_at}}, upsert=True)


# --- private handling (received from conversations.events) -----------------------------------

@VIEWS.on("conversations.escalated")
def _handled_privately(rm: ReadModels, event: Envelope) -> None:
    """Staff took the question to a private conversation: the public thread says so (and
    nothing else: the conversation itself is confidential)."""
    rm["posts"].update_one({"_id": event.payload["post_id"]}, {"$set": {
        "handled_privately": True, "handled_privately_at": event.occurred_at}})


# --- moderation verdicts (received from moderation.events) -----------------------------------

@VIEWS.on("moderation.item_held")
def _item_held(rm: ReadModels, event: Envelope) -> None:
    p = event.payload
    collection = _collection(rm, p["target_type"])
    if p["review"] != "content":
        # a flags hold shows through posts.*_hidden; why it was held (flags, or a CM: from the
        # thread, or undoing a decision) is for its author's status box while it is hidden
        collection.update_one({"_id": p["target_id"]}, {"$set": {"flags_hold": {
            "reasons": p["reasons"], "at": event.occurred_at}}})
        return
    review = {"state": "held", "reasons": p["reasons"], "revision": p["revision"]}
    collection.update_one({"_id": p["target_id"]}, {"$set": {f"reviews.r{p['revision']}": review}},
                          upsert=True)
    collection.update_one({"_id": p["target_id"], "pending_edit.revision": p["revision"],
                           "pending_edit.state": "pending"},
                          {"$set": {"pending_edit.state": "held"}})


@VIEWS.on("moderation.item_rejected")
def _item_rejected(rm: ReadModels, event: Envelope) -> None:
    p = event.payload
    _collection(rm, p["target_type"]).update_one({"_id": p["target_id"]}, {"$set": {
        "rejection.reason": p["reason"], "rejection.reason_code": p["reason_code"],
        "rejection.revision": p["revision"]}}, upsert=True)


track_member_summaries(VIEWS)  # authors' names, badges and avatars (identity's events)
