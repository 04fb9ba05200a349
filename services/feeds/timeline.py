"""Reading feeds: the journals (public, a member's activity, featured) and the home feed.

Every feed is newest first on (ts, id) with opaque cursors (services/shared/pagination.py).

The home feed of a member merges three newest-first streams, keeps each item once and only if
it matches the member's *current* subscriptions and is visible (`domain.home_visible`):

1. the member's window: ``home_entries`` pushed by fan-out on write, newer than the floor;
2. the sources the member follows that are merged on read (``sources.pull``), at any time;
3. below the floor, the members, tags and categories the member follows, straight from
   ``items`` (watched threads reach the window by push: they grow with every thread the member
   writes in, and are never read as a whole on a page).

The floor is the newer of "`window_days` ago" and where the window was last trimmed to
`home_cap` entries (trimmed when the member opens the first page), so the window is bounded in
time and size while older pages still come, from the source. The trim leaves a marker entry at
the floor (`floor_marker`): a first page meets it in order among the entries and needs no read
of the floor; streams 1 and 3 are one chain, and the source is read only when a page gets
below the floor (a full window: never). A first page the window holds is two reads, the window
and its items; what the member follows and mutes is read beside the window when this process
does not know it yet (`CHOICES`, at most 5 s old), and authors' summaries likewise
(projections.py).
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from services.shared import i18n
from services.shared.errors import Gone
from services.shared.expiring import ExpiringCache
from services.shared.members import is_erased, summaries, summary
from services.shared.overlap import at_once
from services.shared.pagination import after_cursor, decode_cursor, encode_cursor, page
from services.shared.projections import ReadModels

from . import domain
from .projections import CHOICES, FeedSettings, pulled_sources

VISIBLE = {"state": "published", "parent_visible": {"$ne": False}}
# What a page reads of an item: the card `present` shows, what `home_visible` decides on and
# the paging keys — not what only the projection uses (revisions, versions, merges).
CARD_FIELDS = ("type", "post_id", "kind", "author_id", "published_at", "excerpt", "official",
               "redacted", "title", "category", "tags", "featured", "status", "post_title",
               "post_kind", "post_author_id", "state", "parent_visible", "tag_slugs", "ts",
               "featured_ts")
CARD = dict.fromkeys(CARD_FIELDS, 1)
SORT = [("ts", -1), ("_id", -1)]
OLDEST = [("ts", 1), ("_id", 1)]  # SORT reversed, exactly
MAX_SUBSCRIPTIONS = 5000
# A member's window is trimmed to `home_cap` when they open their first page, at most once per
# TRIM_EVERY seconds per process (trimming sorts the member's whole window): in between, a
# window holds at most `home_cap` plus what was pushed to it since — the reads are the same.
TRIM_EVERY = 60.0
_TRIMMED = ExpiringCache(ttl_seconds=TRIM_EVERY, max_entries=10_000)


def present(item: dict[str, Any], reasons: list[str] | None = None,
            authors: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {key: item.get(key) for key in (
        "type", "post_id", "kind", "author_id", "published_at", "excerpt", "official")}
    out["id"] = item["_id"]
    author_id = item.get("author_id")
    out["author"] = (authors or {}).get(author_id) or summary(author_id, None) \
        if author_id else None
    out["redacted"] = bool(item.get("redacted"))
    if out["redacted"]:
        out["redaction_mark"] = i18n.text("en", "mark.redacted")  # the gateway translates
    if item["type"] == "post":
        out.update(title=item.get("title"), category=item.get("category"),
                   tags=item.get("tags") or [], featured=bool(item.get("featured")),
                   status=item.get("status"))
    else:
        out.update(post_title=item.get("post_title"), post_kind=item.get("post_kind"),
                   post_author_id=item.get("post_author_id"))
    if reasons is not None:
        out["reasons"] = reasons
    return out


# --- journals -----------------------------------------------------------------------------------

def journal(rm: ReadModels, query: dict[str, Any], condition: dict[str, Any] | None = None,
            field: str = "ts") -> dict[str, Any]:
    conditions = [VISIBLE, *([condition] if condition else [])]
    cursor = after_cursor(field, -1, query.get("cursor"))
    if cursor:
        conditions.append(cursor)
    limit = query["limit"]
    documents = list(rm["items"].find({"$and": conditions}, CARD)
                     .sort([(field, -1), ("_id", -1)]).limit(limit + 1))
    items, next_cursor = page(documents, field, limit)
    authors = summaries(rm, [item.get("author_id") for item in items])
    return {"items": [present(item, authors=authors) for item in items],
            "next_cursor": next_cursor}


def public(rm: ReadModels, query: dict[str, Any]) -> dict[str, Any]:
    return journal(rm, query)


def activity(rm: ReadModels, user_id: str, query: dict[str, Any]) -> dict[str, Any]:
    """A member's journal; Gone (410) once they erased their account, as their profile: the
    list would still tie what they wrote together under one id (each item stays, signed
    "former member"). The tombstone is looked up beside the page, not before it."""
    found, erased = at_once(lambda: journal(rm, query, {"author_id": user_id}),
                            lambda: is_erased(rm, user_id))
    if erased:
        raise Gone.from_catalogue("member_erased")
    return found


def featured(rm: ReadModels, query: dict[str, Any]) -> dict[str, Any]:
    return journal(rm, query, {"type": "post", "featured": True}, field="featured_ts")


# --- home -------------------------------------------------------------------------------------

def home(rm: ReadModels, member: str, query: dict[str, Any], config: FeedSettings,
         now_micros: int) -> dict[str, Any]:
    limit = query["limit"]
    key = _key(query.get("cursor"))
    if key is None and _TRIMMED.get((rm.db.name, member)) is None:
        trim(rm, member, config.home_cap)
        _TRIMMED.put((rm.db.name, member), True)
    oldest = int(now_micros - config.window_days * 86_400 * 1_000_000)
    batch = limit * 2 + 10
    # A first page meets the floor's marker in the window itself, in order; a later page may
    # start below it, so it reads the floor. What the member follows and mutes comes from the
    # process's memory (`CHOICES`) or is read beside the window: these reads do not depend on
    # each other.
    choices, since = CHOICES.get(rm, member), CHOICES.changes
    reads = [lambda: _entries(rm, member, key, oldest, batch)]
    if choices is None:
        reads += [lambda: _followed(rm, member), lambda: _muted(rm, member)]
    if key is not None:
        reads.append(lambda: max(oldest, int(
            (rm["home_floors"].find_one({"_id": member}) or {}).get("ts", 0))))
    first, *rest = at_once(*reads)
    if choices is None:
        choices = (rest.pop(0), rest.pop(0))
        CHOICES.put(rm, member, choices, since)
    floor = rest
    follows, muted = choices
    subscriptions = set(follows)  # the watched threads in sight are added to it
    watches = _Watches(rm, member, subscriptions)
    pulled = pulled_sources(rm)
    watches.look_up(source for source in pulled if domain.is_thread(source))
    pulled = pulled & subscriptions
    streams = [_window(rm, member, key, oldest, floor[0] if floor else None, batch, follows,
                       watches, first),
               _items(rm, pulled, key, None, batch, watches)]
    chosen: list[tuple[dict[str, Any], list[str]]] = []
    for item in domain.merge_newest(streams):
        why = domain.home_visible(item, member, subscriptions, muted)
        if why:
            chosen.append((item, why))
            if len(chosen) > limit:
                break
    next_cursor = None
    if len(chosen) > limit:
        chosen = chosen[:limit]
        last = chosen[-1][0]
        next_cursor = encode_cursor(last["ts"], last["_id"])
    authors = summaries(rm, [item.get("author_id") for item, _ in chosen])
    return {"items": [present(item, why, authors) for item, why in chosen],
            "next_cursor": next_cursor}


def _followed(rm: ReadModels, member: str) -> frozenset[str]:
    """What the member chose to follow, without the threads they watch (those grow with every
    thread the member writes in): a watched thread's replies reach the window by push, and
    whether the member still watches a thread is looked up for the threads a page shows."""
    return frozenset(doc["source"] for doc in rm["subs"].find(
        {"member": member, "source": {"$lt": domain.THREADS_FROM}},
        {"source": 1}).limit(MAX_SUBSCRIPTIONS))


def _muted(rm: ReadModels, member: str) -> frozenset[str]:
    return frozenset(doc["post_id"] for doc in rm["mutes"].find({"member": member},
                                                                {"post_id": 1}))


class _Watches:
    """The threads a member watches, looked up by id for the threads in sight (a batch of
    items, the pulled sources), added to `subscriptions` — never the member's whole list."""

    def __init__(self, rm: ReadModels, member: str, subscriptions: set[str]) -> None:
        self.rm, self.member, self.subscriptions = rm, member, subscriptions
        self.checked: set[str] = set()

    def look_up(self, threads: Iterable[str]) -> None:
        wanted = sorted(set(threads) - self.checked)
        if not wanted:
            return
        self.checked.update(wanted)
        self.subscriptions.update(doc["source"] for doc in self.rm["subs"].find(
            {"_id": {"$in": [f"{source}|{self.member}" for source in wanted]}}, {"source": 1}))

    def of(self, items: Iterable[dict[str, Any]]) -> None:
        self.look_up(f"{domain.WATCH.source}:{item['post_id']}" for item in items
                     if item.get("type") == "reply")


def trim(rm: ReadModels, member: str, cap: int) -> int:
    """Keep the newest `cap` entries of a member's window; returns how many were dropped.

    The floor is written twice: in `home_floors` (what a page with a cursor reads) and as the
    window's own marker entry (`floor_marker`), which a first page meets in order with the
    entries — so it needs no read of its own. A floor written before the marker existed is
    copied into it here (a process trims each member on their first page).

    The entry where the cut falls (the `cap + 1`-th newest, the marker counted) is found from
    the old end of the window, after a count the index answers: what a trim reads is what it
    drops, not the `cap` entries it keeps (a skip over them read every one, once a minute per
    member, as soon as windows reached the cap: "The mix after the data grows")."""
    held = rm["home_entries"].count_documents({"m": member})
    beyond = next(iter(rm["home_entries"].find({"m": member}, {"ts": 1}).sort(OLDEST)
                       .skip(held - cap - 1).limit(1)), None) if held > cap else None
    marker = floor_marker(member)
    if beyond is None:
        floor = int((rm["home_floors"].find_one({"_id": member}) or {}).get("ts", 0))
        if floor:
            rm["home_entries"].update_one(
                {"_id": marker}, {"$max": {"ts": floor}, "$set": {"m": member}}, upsert=True)
        return 0
    if beyond["_id"] == marker:  # the marker is where the window was last cut: nothing beyond
        return 0
    rm["home_floors"].update_one({"_id": member}, {"$max": {"ts": beyond["ts"]}}, upsert=True)
    rm["home_entries"].update_one(
        {"_id": marker}, {"$max": {"ts": beyond["ts"]}, "$set": {"m": member}}, upsert=True)
    return rm["home_entries"].delete_many(
        {"m": member, "ts": {"$lte": beyond["ts"]}, "_id": {"$ne": marker}}).deleted_count


def floor_marker(member: str) -> str:
    """The id of the entry that marks a member's floor in their window: after every
    `<member>:<item>` id, so at the floor's own time it comes before the entries it cuts off."""
    return f"{member};floor"


def _key(cursor: str | None) -> tuple[int, str] | None:
    if not cursor:
        return None
    return decode_cursor(cursor)  # (ts, item id), the ts a 64-bit integer


def _before(key: tuple[int, str] | None, id_prefix: str = "") -> list[dict[str, Any]]:
    if key is None:
        return []
    ts, item_id = key
    return [{"$or": [{"ts": {"$lt": ts}}, {"ts": ts, "_id": {"$lt": id_prefix + item_id}}]}]


def _entries(rm: ReadModels, member: str, key, oldest: int, batch: int
             ) -> list[dict[str, Any]]:
    """A batch of the member's window after `key`, newest first (the floor's marker too)."""
    conditions = [{"m": member, "ts": {"$gt": oldest}}, *_before(key, f"{member}:")]
    return list(rm["home_entries"].find({"$and": conditions}, {"item": 1, "ts": 1})
                .sort(SORT).limit(batch))


def _window(rm: ReadModels, member: str, key, oldest: int, floor: int | None, batch: int,
            follows: frozenset[str], watches: _Watches, first: list[dict[str, Any]]
            ) -> Iterator[dict[str, Any]]:
    """Pushed entries newer than the floor, joined with their items, newest first (`first`:
    the first batch of entries, already read); then, below the floor, the items of the sources
    followed (read only when a page gets there).

    `floor` None: not known yet (a first page): the floor's marker, if the window was ever
    cut, comes in order among the entries, before every entry it cuts off."""
    entries = first
    while True:
        cut = next((n for n, entry in enumerate(entries) if "item" not in entry
                    or (floor is not None and entry["ts"] <= floor)), None)
        above = entries if cut is None else entries[:cut]
        found = {doc["_id"]: doc for doc in rm["items"].find(
            {"_id": {"$in": [entry["item"] for entry in above]}}, CARD)} if above else {}
        watches.of(found.values())
        for entry in above:
            if entry["item"] in found:
                yield found[entry["item"]]
        if cut is not None:
            if "item" not in entries[cut]:  # the marker
                floor = max(floor or oldest, int(entries[cut]["ts"]))
            break
        if len(entries) < batch:
            break
        key = (entries[-1]["ts"], entries[-1]["item"])
        entries = _entries(rm, member, key, oldest, batch)
    yield from _items(rm, follows, key, oldest if floor is None else floor, batch, watches)


def _items(rm: ReadModels, sources: Iterable[str], key, at_most: int | None, batch: int,
           watches: _Watches) -> Iterator[dict[str, Any]]:
    """Visible items of `sources` (optionally not newer than `at_most`), newest first."""
    condition = domain.source_filter(sources)
    if condition is None:
        return
    while True:
        conditions = [VISIBLE, condition, *_before(key)]
        if at_most is not None:
            conditions.append({"ts": {"$lte": at_most}})
        documents = list(rm["items"].find({"$and": conditions}, CARD).sort(SORT).limit(batch))
        watches.of(documents)
        yield from documents
        if len(documents) < batch:
            return
        key = domain.order_key(documents[-1])
