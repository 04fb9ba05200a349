"""Feeds' pure rules: subscriptions, what an item is filed under, fan-out vs merge, home merging.

Vocabulary:

- a **subscription** is one member's choice about one thing: following a member, watching a
  thread, following a tag or a category, muting a thread. Each lives in its own stream
  (``<kind>.<member>.<target>``), so deciding is folding a handful of events.
- a **source** is what an item is filed under: ``author:<id>``, ``tag:<t>``, ``category:<c>``
  (posts), ``thread:<post id>`` (replies). A subscription is a subscription to a source.
- an **item** is a published post or reply; every journal (public, a member's activity,
  featured, home) lists items, newest first, by (ts, id).

Home feeds: an item reaches its sources' subscribers either by **push** (fan-out on write: one
entry per subscriber, batched) or by **pull** (merge on read: the reader queries the source). A
source with more subscribers than the threshold is pulled — one post by an account followed by
everyone costs O(1) writes — and stays pulled ("sticky"), so readers never miss what it
published while it was big. Whatever the mode, the reader keeps exactly the items that match
its current subscriptions (`reasons`) and are visible: the output does not depend on how items
were delivered, which is what makes a replay give the same feeds.
"""
from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from services.posts import markdown
from services.shared.envelope import Envelope, NewEvent
from services.shared.errors import NotFound, Unprocessable
from services.shared.slugs import TAG_MAX, slugify


@dataclass(frozen=True)
class Kind:
    """One kind of subscription: its events, payload key, stream prefix and source prefix."""

    name: str
    on: str
    off: str
    key: str
    source: str | None  # None: not a source subscription (mute)

    def stream(self, member_id: str, target: str) -> str:
        return f"{self.name}.{member_id}.{target}"


FOLLOW = Kind("follow", "feeds.member_followed", "feeds.member_unfollowed", "user_id", "author")
WATCH = Kind("watch", "feeds.post_watched", "feeds.post_unwatched", "post_id", "thread")
TAG = Kind("tag", "feeds.tag_followed", "feeds.tag_unfollowed", "tag", "tag")
CATEGORY = Kind("category", "feeds.category_followed", "feeds.category_unfollowed", "category",
                "category")
MUTE = Kind("mute", "feeds.thread_muted", "feeds.thread_unmuted", "post_id", None)
KINDS = {kind.name: kind for kind in (FOLLOW, WATCH, TAG, CATEGORY, MUTE)}
BY_EVENT = {event: kind for kind in KINDS.values() for event in (kind.on, kind.off)}

# --- subscriptions ----------------------------------------------------------------------------

@dataclass(frozen=True)
class SubscriptionState:
    on: bool = False
    opted_out: bool = False  # the member turned it off themself: automation never turns it on


def fold(history: Iterable[Envelope]) -> SubscriptionState:
    state = SubscriptionState()
    for event in history:
        kind = BY_EVENT.get(event.type)
        if kind is None:
            continue
        on = event.type == kind.on
        state = SubscriptionState(on=on, opted_out=not on and event.payload["reason"] == "member")
    return state


def subscribe(kind: Kind, member_id: str, target: str, on: bool, state: SubscriptionState,
              reason: str = "member") -> list[NewEvent]:
    """PUT (on) / DELETE (off) a subscription; idempotent. `reason` other than "member" is an
    automatic watch (authors, repliers, merges): it never undoes a member's own "off"."""
    if reason != "member" and (not on or state.opted_out):
        return []
    if state.on == on:
        return []
    return [NewEvent(kind.on if on else kind.off,
                     {"member_id": member_id, kind.key: target, "reason": reason})]


def check_target(kind: Kind, member_id: str, target: str, exists: bool) -> None:
    if kind is FOLLOW and target == member_id:
        raise Unprocessable("you cannot follow yourself")
    if not exists:
        if kind.name == "category":
            raise NotFound.from_catalogue("no_such_category_to_follow", {"id": target},
                                          slug=target)
        what = {"follow": "member", "watch": "contribution", "mute": "contribution"}.get(
            kind.name, kind.name)
        raise NotFound.from_catalogue(f"no_such_{what}", {"id": target})


def source_of(kind: Kind, target: str) -> str | None:
    return None if kind.source is None else f"{kind.source}:{target}"


# What a member chose to follow (members, tags, categories) is read with every home page; the
# threads they watch are not: every thread a member writes in is watched, so they grow with the
# member's history. Thread sources sort after every other kind ("author" < "category" < "tag" <
# "thread"), so "every source below THREADS_FROM" is an index range on (member, source).
THREADS_FROM = f"{WATCH.source}:"


def is_thread(source: str) -> bool:
    return source.startswith(THREADS_FROM)


# --- items --------------------------------------------------------------------------------------

def tag_slugs(tags: list[str]) -> list[str]:
    """Tags are followed by slug: "épargne" and "epargne" are one tag (services/shared/slugs)."""
    return [slug for slug in dict.fromkeys(slugify(tag, TAG_MAX) for tag in tags) if slug]


def item_sources(item: dict[str, Any]) -> list[str]:
    """The sources a published item is filed under (its author's, its tags', its thread's)."""
    sources = [f"author:{item['author_id']}"]
    if item["type"] == "post":
        slugs = item.get("tag_slugs")  # stored with the item: no slugifying on every read
        sources += [f"tag:{slug}" for slug in
                    (tag_slugs(item.get("tags") or []) if slugs is None else slugs)]
        if item.get("category"):
            sources.append(f"category:{item['category']}")
    else:
        sources.append(f"thread:{item['post_id']}")
    return sources


REASON_NAMES = {"author": "following", "thread": "watching", "tag": "tag", "category": "category"}


def reasons(item: dict[str, Any], subscriptions: set[str]) -> list[str]:
    """Why `item` is in a home feed with these subscriptions (empty: it is not)."""
    return [f"{REASON_NAMES[s.split(':', 1)[0]]}:{s.split(':', 1)[1]}"
            for s in item_sources(item) if s in subscriptions]


def home_visible(item: dict[str, Any], member_id: str, subscriptions: set[str],
                 muted: set[str]) -> list[str]:
    """The reasons `item` belongs in `member_id`'s home feed, or [] (own items, muted threads,
    removed items and items of removed threads never do)."""
    if not is_visible(item) or item.get("author_id") == member_id:
        return []
    if item.get("post_id") in muted:
        return []
    return reasons(item, subscriptions)


def is_visible(item: dict[str, Any]) -> bool:
    return item.get("state") == "published" and item.get("parent_visible", True) is not False


def source_filter(sources: Iterable[str]) -> dict[str, Any] | None:
    """A MongoDB filter for the items of these sources (None when there are none)."""
    by_kind: dict[str, list[str]] = {}
    for source in sources:
        kind, _, value = source.partition(":")
        by_kind.setdefault(kind, []).append(value)
    clauses: list[dict[str, Any]] = []
    if by_kind.get("author"):
        clauses.append({"author_id": {"$in": sorted(by_kind["author"])}})
    if by_kind.get("tag"):
        clauses.append({"type": "post", "tag_slugs": {"$in": sorted(by_kind["tag"])}})
    if by_kind.get("category"):
        clauses.append({"type": "post", "category": {"$in": sorted(by_kind["category"])}})
    if by_kind.get("thread"):
        clauses.append({"type": "reply", "post_id": {"$in": sorted(by_kind["thread"])}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$or": clauses}


# --- fan-out on write, merge on read ------------------------------------------------------------

@dataclass(frozen=True)
class Delivery:
    push: list[str]  # sources whose subscribers get an entry each
    pull: list[str]  # sources merged on read (flagged sticky)


def plan_delivery(sources: Iterable[str], counts: dict[str, int], pulled: set[str],
                  threshold: int) -> Delivery:
    """Push to the subscribers of small sources; pull big ones (more subscribers than
    `threshold`) and those already pulled (sticky). Sources nobody follows need nothing."""
    push, pull = [], []
    for source in sources:
        count = counts.get(source, 0)
        if source in pulled or count > threshold:
            pull.append(source)
        elif count > 0:
            push.append(source)
    return Delivery(push, pull)


def chunks(values: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def order_key(item: dict[str, Any]) -> tuple[int, str]:
    return int(item["ts"]), str(item["_id"])


def merge_newest(streams: Iterable[Iterable[dict[str, Any]]]) -> Iterator[dict[str, Any]]:
    """Merge streams each sorted newest first into one, without repeating an item id."""
    seen: set[str] = set()
    for item in heapq.merge(*streams, key=order_key, reverse=True):
        if item["_id"] not in seen:
            seen.add(item["_id"])
            yield item


# --- presentation -----------------------------------------------------------------------------

# A card's excerpt is the listing's: posts' Markdown read as a reader sees it (one piece of
# code for both, so a card and a list never show the same body differently).
EXCERPT_LENGTH = markdown.EXCERPT_LENGTH
excerpt = markdown.excerpt
