"""Feeds read models, derived from feeds' own subscription events and the posts and identity
events it received (all rebuildable by `agora replay feeds`).

- ``items``: one document per published post or reply — what a feed card shows (title, excerpt,
  redacted flag), its sources, ``state`` (published | hidden | removed) and, for replies,
  ``parent_visible``. Journals reference items by id and check visibility on read, so a removal
  (rejected, deleted, hidden) is one write, whatever the number of feeds the item is in; a
  redaction rewrites the item, so every feed shows the redacted form.
- ``subs``: ``<source>|<member>`` for every active subscription to a source (followed member,
  watched thread, followed tag or category); ``mutes``: ``<member>|<post>``.
- ``sources``: subscriber count per source, and ``pull: true`` once it was merged on read.
- ``home_entries``: fan-out on write — ``<member>:<item>`` per pushed item (insert-only, batched,
  idempotent by id), and ``<member>;floor`` (no item) marking where the window was trimmed;
  ``home_floors``: the same floor, for pages read with a cursor (older: from source).
- ``members``: registered members (following an unknown id is a 404).

Settings (`FEEDS` in config.yaml): `pull_threshold`, `home_cap`, `window_days`, `fanout_batch`,
`backfill`. The service configures them at start; `agora replay feeds` reads the same config file.
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from prometheus_client import Counter
from pymongo import ASCENDING, DESCENDING
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from services.shared.envelope import Envelope
from services.shared.expiring import ExpiringCache
from services.shared.members import USER_ERASED, track_member_summaries
from services.shared.mongo import drop_index
from services.shared.projections import (
    Handler,
    Projection,
    ReadModels,
    insert_new,
    older_than,
    update_once,
    update_versioned,
)

from . import domain

COLLECTIONS = ["items", "subs", "mutes", "sources", "home_entries", "home_floors", "members",
               "categories"]

FANOUT_ENTRIES = Counter("agora_feeds_fanout_entries",
                         "Home-feed entries written by fan-out on write (one per subscriber)")
PULLED_ITEMS = Counter("agora_feeds_pulled_items",
                       "Items left to merge on read (a source above the follower threshold)")


@dataclass(frozen=True)
class FeedSettings:
    pull_threshold: int = 10_000  # more subscribers than this: merged on read
    home_cap: int = 500           # entries kept per home feed (older: paged from the source)
    window_days: float = 30.0     # entries older than this are paged from the source
    fanout_batch: int = 1000      # entries per insert
    backfill: int = 20            # recent items pushed when a member subscribes

    @classmethod
    def from_config(cls, config: dict[str, Any] | None) -> FeedSettings:
        raw = (config or {}).get("FEEDS") or {}
        defaults = cls()
        return cls(**{name: type(getattr(defaults, name))(raw[name])
                      for name in defaults.__dataclass_fields__ if raw.get(name) not in (None, "")})


_settings: FeedSettings | None = None


def configure(config: dict[str, Any] | None) -> FeedSettings:
    global _settings
    _settings = FeedSettings.from_config(config)
    return _settings


def settings() -> FeedSettings:
    """The service's settings; outside a service (`agora replay feeds`), feeds' config file."""
    if _settings is None:
        from services.shared.config import load_config

        return configure(load_config("feeds"))
    return _settings


def _indexes(rm: ReadModels) -> None:
    items = rm["items"]
    items.create_index([("state", ASCENDING), ("ts", DESCENDING), ("_id", DESCENDING)],
                       name="newest")
    # A member's journal, and the members a home page follows below its floor: the author,
    # the visibility, then the page's order. An index on the author and the time alone left
    # the stand-in's planner a tie with "newest", which walks every newer visible item to
    # find a page of one member's (docs/performance.md, "The mix after the data grows").
    items.create_index([("author_id", ASCENDING), ("state", ASCENDING), ("ts", DESCENDING),
                        ("_id", DESCENDING)], name="author_page")
    drop_index(items, "author")  # what author_page replaced
    items.create_index([("tag_slugs", ASCENDING), ("ts", DESCENDING)], name="tag_slugs")
    items.create_index([("category", ASCENDING), ("ts", DESCENDING)], name="category")
    items.create_index([("post_id", ASCENDING), ("type", ASCENDING)], name="thread")
    items.create_index([("featured", ASCENDING), ("featured_ts", DESCENDING)], name="featured")
    rm["subs"].create_index([("source", ASCENDING)], name="source")
    # a member's subscriptions, and those below a source (the home feed reads what the member
    # follows without the threads they watch: domain.THREADS_FROM)
    rm["subs"].create_index([("member", ASCENDING), ("source", ASCENDING)],
                            name="member_source")
    rm["mutes"].create_index([("member", ASCENDING)], name="member")
    rm["sources"].create_index([("pull", ASCENDING)], name="pull")
    rm["home_entries"].create_index([("m", ASCENDING), ("ts", DESCENDING), ("_id", DESCENDING)],
                                    name="member_newest")
    rm["home_entries"].create_index([("ts", ASCENDING)], name="ts")


VIEWS = Projection("feeds_views", service="feeds", collections=COLLECTIONS, indexes=_indexes,
                   as_they_come=["posts"])  # see "items" below
PROJECTION = VIEWS


# What feeds' subscription to posts binds (services/feeds/service.py): the types handled below,
# applied as they come. A post's submission, its votes, locks and pins never reach feeds.
POSTS_EVENTS: list[str] = []


def _on_posts(*event_types: str) -> Callable[[Handler], Handler]:
    POSTS_EVENTS.extend(event_types)
    return VIEWS.on(*event_types)


def micros(event: Envelope) -> int:
    return int(datetime.fromisoformat(event.occurred_at).timestamp() * 1_000_000)


# --- members ------------------------------------------------------------------------------------

@VIEWS.on("identity.user_registered")
def _registered(rm: ReadModels, event: Envelope) -> None:
    rm["members"].update_one({"_id": event.payload["user_id"]},
                             {"$set": {"joined_at": event.occurred_at}}, upsert=True)


@VIEWS.on(USER_ERASED)
def _erased(rm: ReadModels, event: Envelope) -> None:
    """GDPR erasure (docs/asyncapi.yaml, identity.user_erased): what feeds keeps per member
    goes — what they followed, watched and muted, their home window and its floor, when they
    joined (so nobody can follow them again); each source they followed counts one follower
    less, once (`update_once`: a crash between these writes re-applies the event). Their items
    stay, signed "former member"; their activity journal answers 410 (timeline.activity)."""
    member = event.payload["user_id"]
    CHOICES.forget(rm, member)
    for sub in rm["subs"].find({"member": member}, {"source": 1}):
        update_once(rm["sources"], sub["source"], event, {"$inc": {"count": -1}}, upsert=False)
    rm["subs"].delete_many({"member": member})
    rm["mutes"].delete_many({"member": member})
    rm["home_entries"].delete_many({"m": member})
    rm["home_floors"].delete_one({"_id": member})
    rm["members"].delete_one({"_id": member})


@_on_posts("posts.category_created")
def _category(rm: ReadModels, event: Envelope) -> None:
    """Categories exist once posts created them (following an unknown one is a 404)."""
    rm["categories"].update_one({"_id": event.payload["slug"]},
                                {"$set": {"created_at": event.occurred_at}}, upsert=True)


# --- subscriptions ------------------------------------------------------------------------------

class MemberChoices:
    """What each member chose to follow (members, tags, categories — not the threads they
    watch, looked up per page) and the threads they muted, as two frozensets, kept at most
    `ttl_seconds` per process: a home page reads them on every request, a member changes them
    rarely. The process that applies a member's subscription or mute forgets their choices
    (below, before the write), so whoever follows or mutes through this process sees it on
    their next page; another replica's change is seen at most `ttl_seconds` later (until then
    a new follow's items are missing from that member's home feed here, an unfollowed source's
    or a muted thread's items still shown). A read that began before a change is not kept
    (`since`): it may hold the state the change replaced."""

    def __init__(self, ttl_seconds: float) -> None:
        self._cache = ExpiringCache(ttl_seconds=ttl_seconds, max_entries=10_000)

    @property
    def changes(self) -> int:
        """Forgets so far in this process (`ExpiringCache.changes`)."""
        return self._cache.changes

    def get(self, rm: ReadModels, member: str) -> tuple[frozenset[str], frozenset[str]] | None:
        return self._cache.get((rm.db.name, member))

    def put(self, rm: ReadModels, member: str,
            choices: tuple[frozenset[str], frozenset[str]], since: int) -> None:
        self._cache.put((rm.db.name, member), choices, since=since)

    def forget(self, rm: ReadModels, member: str) -> None:
        self._cache.forget((rm.db.name, member))


CHOICES_SECONDS = 5.0
CHOICES = MemberChoices(CHOICES_SECONDS)


def subscribers(rm: ReadModels, source: str) -> list[str]:
    return [doc["member"] for doc in rm["subs"].find({"source": source}, {"member": 1})]


SUBSCRIPTION_EVENTS = [event for kind in domain.KINDS.values() if kind.source
                       for event in (kind.on, kind.off)]


@VIEWS.on(*SUBSCRIPTION_EVENTS)
def _subscription(rm: ReadModels, event: Envelope) -> None:
    kind = domain.BY_EVENT[event.type]
    p = event.payload
    member, source = p["member_id"], domain.source_of(kind, p[kind.key])
    CHOICES.forget(rm, member)
    on = event.type == kind.on
    update_once(rm["sources"], source, event, {"$inc": {"count": 1 if on else -1}})
    key = f"{source}|{member}"
    if not on:
        rm["subs"].delete_one({"_id": key})
        return  # entries stay: readers keep only items matching current subscriptions
    rm["subs"].update_one({"_id": key}, {"$set": {"source": source, "member": member,
                                                  "since": event.occurred_at}}, upsert=True)
    _backfill(rm, member, source)


def _backfill(rm: ReadModels, member: str, source: str) -> None:
    """A new subscription brings the source's latest items into the window (pulled sources are
    merged on read anyway)."""
    if (rm["sources"].find_one({"_id": source}, {"pull": 1}) or {}).get("pull"):
        return
    condition = domain.source_filter([source])
    recent = rm["items"].find({"$and": [condition, {"state": "published"}]},
                              {"ts": 1, "author_id": 1}).sort([("ts", -1), ("_id", -1)]).limit(
        settings().backfill)
    insert_new(rm["home_entries"], [
        _entry(member, doc["_id"], doc["ts"]) for doc in recent if doc.get("author_id") != member])


@VIEWS.on(domain.MUTE.on, domain.MUTE.off)
def _mute(rm: ReadModels, event: Envelope) -> None:
    p = event.payload
    CHOICES.forget(rm, p["member_id"])
    key = f"{p['member_id']}|{p['post_id']}"
    if event.type == domain.MUTE.on:
        rm["mutes"].update_one({"_id": key}, {"$set": {"member": p["member_id"],
                                                       "post_id": p["post_id"]}}, upsert=True)
    else:
        rm["mutes"].delete_one({"_id": key})


# --- items: posts' events, as they come ---------------------------------------------------------
#
# Posts' events are applied as they come (`as_they_come`: no stream cursor), so a late,
# re-delivered or repeated one must never undo a later one. An item is written only by the
# events of its own stream (a post's or a reply's), in aspects, each keeping the stream version
# of the event that last wrote it and written only by a newer one (`update_versioned`): its text
# (`_v_text`: title, excerpt, revision, redacted, category, tags), its state (`_v_state`), its
# featuring (`_v_featured`) and its idea status (`_v_status`). What never changes (type, author,
# kind, when it was published: `ts`) comes with its publication. An event applied before its
# item's publication writes its aspect into a document without `ts` nor `type`, which no journal
# shows (they show `state: published` only); a state that shows the item waits there as SHOWN,
# which the publication makes `published` — so a hold or a removal seen first wins, and a
# rejection before a corrected text's publication does not. A reply keeps copies of its post's
# title and visibility (`post_title`, `parent_visible`), each with the version of the post's
# aspect it copied (`_v_post_title`, `_v_parent`).

TEXT, STATE, FEATURED, STATUS = "_v_text", "_v_state", "_v_featured", "_v_status"
POST_TITLE, PARENT = "_v_post_title", "_v_parent"
PUBLISHED, SHOWN = "published", "shown"


def _entry(member: str, item_id: str, ts: int) -> dict[str, Any]:
    return {"_id": f"{member}:{item_id}", "m": member, "item": item_id, "ts": ts}


def _post_text(p: dict[str, Any]) -> dict[str, Any]:
    return {"title": p["title"], "excerpt": domain.excerpt(p["body"]), "revision": p["revision"],
            "redacted": p["redacted"], "category": p["category"], "tags": p["tags"],
            "tag_slugs": domain.tag_slugs(p["tags"])}


def _reply_text(p: dict[str, Any]) -> dict[str, Any]:
    return {"excerpt": domain.excerpt(p["body"]), "revision": p["revision"],
            "redacted": p["redacted"]}


@_on_posts("posts.post_published")
def _post_published(rm: ReadModels, event: Envelope) -> None:
    p = event.payload
    facts = {"type": "post", "post_id": p["post_id"], "author_id": p["author_id"],
             "kind": p["kind"], "official": p["official"], "ts": micros(event),
             "published_at": event.occurred_at}
    item, new = _publish(rm, event, p["post_id"], facts, _post_text(p))
    if new:  # the replies published before it came
        _copy_from_post(rm, p["post_id"], {"title": p["title"], "state": PUBLISHED,
                                           TEXT: event.stream_version,
                                           STATE: event.stream_version}, together=True)
    fan_out(rm, item)


@_on_posts("posts.reply_published")
def _reply_published(rm: ReadModels, event: Envelope) -> None:
    p = event.payload
    post = rm["items"].find_one({"_id": p["post_id"]},
                                {"title": 1, "state": 1, TEXT: 1, STATE: 1}) or {}
    facts = {"type": "reply", "post_id": p["post_id"], "post_author_id": p["post_author_id"],
             "post_kind": p["post_kind"], "author_id": p["author_id"], "kind": p["kind"],
             "official": p["official"], "ts": micros(event), "published_at": event.occurred_at}
    copies = {name: value for fields in _copies(post).values() for name, value in fields.items()}
    item, new = _publish(rm, event, p["reply_id"], facts, _reply_text(p), copies)
    if not new:  # its copies, each if newer
        _copy_from_post(rm, p["post_id"], post, {"_id": p["reply_id"]})
    fan_out(rm, item)


def _publish(rm: ReadModels, event: Envelope, item_id: str, facts: dict[str, Any],
             text: dict[str, Any], copies: dict[str, Any] | None = None
             ) -> tuple[dict[str, Any], bool]:
    """The item as its publication says it (for the fan-out), and whether its document is
    new: one insert (with a reply's `copies` of its post), as it nearly always is. When an
    event of its stream came first (or this one again), the facts, then each aspect not newer:
    the text, and the state — `published`, whatever an older event said (a rejection before a
    corrected text), or what waited as SHOWN; a post's replies then copy its title and
    visibility as they are."""
    version = event.stream_version
    item = {"_id": item_id, **facts, **text, **(copies or {}), "state": PUBLISHED,
            TEXT: version, STATE: version}
    if _inserted(rm, item):
        return item, True
    items = rm["items"]
    items.update_one({"_id": item_id}, {"$set": facts})
    update_versioned(items, item_id, event, {"$set": text}, upsert=False, field=TEXT)
    items.update_one({"_id": item_id, "$or": [*older_than(version, STATE)["$or"],
                                              {"state": SHOWN}]},
                     {"$set": {"state": PUBLISHED}, "$max": {STATE: version}})
    if facts["type"] == "post":
        _parent_follows(rm, item_id, {"title": 1, TEXT: 1})
    return item, False


def _inserted(rm: ReadModels, item: dict[str, Any]) -> bool:
    """Insert `item` unless its document exists; whether it did. Against the database, the
    insert answers (one command); a rebuild's models are asked first."""
    items = rm.unbuffered("items")
    if isinstance(items, Collection):
        try:
            items.insert_one(item)
        except DuplicateKeyError:
            return False
        return True
    if items.find_one({"_id": item["_id"]}, {"_id": 1}) is not None:
        return False
    items.insert_one(item)
    return True


def _copies(post: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """What a reply copies from its post's document (or from the event that wrote its title),
    by the version field of each copy. A document written before aspects had versions counts
    as version 0."""
    copies = {}
    if "title" in post:
        copies[POST_TITLE] = {"post_title": post["title"], POST_TITLE: post.get(TEXT, 0)}
    if "state" in post:
        copies[PARENT] = {"parent_visible": post["state"] in (PUBLISHED, SHOWN),
                          PARENT: post.get(STATE, 0)}
    return copies


def _copy_from_post(rm: ReadModels, post_id: str, post: dict[str, Any],
                    replies: dict[str, Any] | None = None, together: bool = False) -> None:
    """Copy onto the post's replies (`replies`: a filter; all by default) what is newer than
    their copy: a write per copy, or `together` in one write to the replies older in both (a
    post's first document: its replies have copied nothing yet)."""
    replies = replies or {"type": "reply", "post_id": post_id}
    copies = _copies(post)
    if together:
        rm["items"].update_many(
            {**replies, "$and": [older_than(fields[field], field)
                                 for field, fields in copies.items()]},
            {"$set": {name: value for fields in copies.values() for name, value in fields.items()}})
        return
    for field, fields in copies.items():
        rm["items"].update_many({**replies, **older_than(fields[field], field)},
                                {"$set": fields})


def _parent_follows(rm: ReadModels, post_id: str, also: dict[str, int] | None = None) -> None:
    """The post's replies show or hide with it (by its state's version); `also`: what else
    they copy."""
    post = rm["items"].find_one({"_id": post_id}, {"state": 1, STATE: 1, **(also or {})})
    if post:
        _copy_from_post(rm, post_id, post)


# The sources merged on read (`pull: true`, sticky: only sources above `pull_threshold`
# subscribers, a handful) are read as one set per PULLED_SECONDS per process, not once per
# home read. This process forgets the set when it flags a source; a source flagged by another
# replica is merged here at most PULLED_SECONDS later — until then its newest items, no longer
# pushed, are missing from its followers' home feeds on this replica, then appear in place.
PULLED_SECONDS = 5.0
_PULLED = ExpiringCache(ttl_seconds=PULLED_SECONDS, max_entries=64)


def pulled_sources(rm: ReadModels) -> frozenset[str]:
    """Every source merged on read (at most PULLED_SECONDS old, see above)."""
    key = (rm.db.name, rm.suffix)
    pulled = _PULLED.get(key)
    if pulled is None:
        pulled = frozenset(doc["_id"] for doc in rm["sources"].find({"pull": True}, {"_id": 1}))
        _PULLED.put(key, pulled)
    return pulled


def fan_out(rm: ReadModels, item: dict[str, Any]) -> domain.Delivery:
    """Push the item to the subscribers of its small sources (batched inserts); flag big ones
    to be merged on read (O(1) writes however many follow them)."""
    config = settings()
    sources = domain.item_sources(item)
    known = {doc["_id"]: doc for doc in rm["sources"].find({"_id": {"$in": sources}})}
    delivery = domain.plan_delivery(
        sources, {s: int(doc.get("count", 0)) for s, doc in known.items()},
        {s for s, doc in known.items() if doc.get("pull")}, config.pull_threshold)
    for source in delivery.pull:
        if not known.get(source, {}).get("pull"):
            rm["sources"].update_one({"_id": source}, {"$set": {"pull": True}}, upsert=True)
            _PULLED.forget((rm.db.name, rm.suffix))  # this process's home reads merge it now
    if delivery.pull:
        PULLED_ITEMS.inc()
    recipients: set[str] = set()
    for source in delivery.push:
        recipients.update(subscribers(rm, source))
    recipients.discard(item["author_id"])
    for batch in domain.chunks(sorted(recipients), config.fanout_batch):
        FANOUT_ENTRIES.inc(insert_new(
            rm["home_entries"], [_entry(member, item["_id"], item["ts"]) for member in batch]))
    return delivery


# --- items: changes -----------------------------------------------------------------------------

@_on_posts("posts.post_edited", "posts.post_redacted")
def _post_text_changed(rm: ReadModels, event: Envelope) -> None:
    p = event.payload
    update_versioned(rm["items"], p["post_id"], event, {"$set": _post_text(p)}, field=TEXT)
    _copy_from_post(rm, p["post_id"], {"title": p["title"], TEXT: event.stream_version})
    if event.type == "posts.post_redacted":  # a redaction also ends a flags hold
        _set_state(rm, event, p["post_id"], PUBLISHED)


@_on_posts("posts.mentions_unlinked")
def _mentions_unlinked(rm: ReadModels, event: Envelope) -> None:
    """An erased member's @mentions, unlinked by posts: the card of each revision still shown
    takes the new text (a card of a later revision is its author's text after the erasure)."""
    for text in event.payload["texts"]:
        fields = {"excerpt": domain.excerpt(text["body"])}
        if text["target_type"] == "post":
            fields["title"] = text["title"]
        shown = rm["items"].find_one({"_id": text["target_id"]}, {"revision": 1}) or {}
        if shown.get("revision") != text["revision"]:
            continue
        rm["items"].update_one({"_id": text["target_id"]}, {"$set": fields})
        if text["target_type"] == "post":
            rm["items"].update_many({"type": "reply", "post_id": text["post_id"]},
                                    {"$set": {"post_title": text["title"]}})


@_on_posts("posts.reply_edited", "posts.reply_redacted")
def _reply_text_changed(rm: ReadModels, event: Envelope) -> None:
    p = event.payload
    update_versioned(rm["items"], p["reply_id"], event, {"$set": _reply_text(p)}, field=TEXT)
    if event.type == "posts.reply_redacted":
        _set_state(rm, event, p["reply_id"], PUBLISHED)


STATE_BY_FACT = {"rejected": "removed", "deleted": "removed", "hidden": "hidden",
                 "restored": PUBLISHED}


@_on_posts("posts.post_rejected", "posts.post_deleted", "posts.post_hidden", "posts.post_restored",
          "posts.reply_rejected", "posts.reply_deleted", "posts.reply_hidden",
          "posts.reply_restored")
def _state(rm: ReadModels, event: Envelope) -> None:
    fact = event.type.rsplit("_", 1)[1]
    target = event.payload["reply_id"] if event.type.startswith("posts.reply_") \
        else event.payload["post_id"]
    _set_state(rm, event, target, STATE_BY_FACT[fact])


def _set_state(rm: ReadModels, event: Envelope, item_id: str, state: str) -> None:
    """The item's state, by the event's version (a newer one applied first stays; a removal is
    never followed by another state). Before the item's publication came (no `ts`), a state that
    shows it waits as SHOWN. The write for a document not published yet goes first: a
    publication applied between the two writes leaves the first one without a match (or makes
    what it wrote `published`), and the second one finds it published. A post's replies
    follow."""
    version, items = event.stream_version, rm["items"]
    with contextlib.suppress(DuplicateKeyError):  # there, published or newer: the next write
        items.update_one({"_id": item_id, "ts": {"$exists": False}, **older_than(version, STATE)},
                         {"$set": {"state": SHOWN if state == PUBLISHED else state,
                                   STATE: version}}, upsert=True)
    items.update_one({"_id": item_id, "ts": {"$exists": True}, **older_than(version, STATE)},
                     {"$set": {"state": state, STATE: version}})
    if not event.type.startswith("posts.reply_"):
        _parent_follows(rm, item_id)


@_on_posts("posts.post_featured", "posts.post_unfeatured")
def _featured(rm: ReadModels, event: Envelope) -> None:
    on = event.type == "posts.post_featured"
    update_versioned(rm["items"], event.payload["post_id"], event, {"$set": {
        "featured": on, "featured_ts": micros(event) if on else None}}, field=FEATURED)


@_on_posts("posts.idea_status_changed")
def _idea_status(rm: ReadModels, event: Envelope) -> None:
    update_versioned(rm["items"], event.payload["post_id"], event,
                     {"$set": {"status": event.payload["to_status"]}}, field=STATUS)


@_on_posts("posts.idea_merged")
def _idea_merged(rm: ReadModels, event: Envelope) -> None:
    update_versioned(rm["items"], event.payload["post_id"], event, {"$set": {
        "status": "already_exists", "merged_into": event.payload["into_id"]}}, field=STATUS)


track_member_summaries(VIEWS)  # authors' names, badges and avatars (identity's events)
