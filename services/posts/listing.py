"""Listing posts: filters, sorts and opaque cursors, as pure functions over a MongoDB filter.

Cursors come from services/shared/pagination.py (opaque, on (sort field, _id)).

>>> plan = plan_posts({"kind": "question", "sort": "unanswered", "limit": 20})
>>> plan.filter["answer_count"], plan.sort
(0, [('published_ts', -1), ('_id', -1)])
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.shared.pagination import after_cursor, decode_cursor, encode_cursor, not_ours

DEFAULT_SORT = "new"  # without `q`; a search ranks by relevance
SORT_FIELDS = {"new": "published_ts", "top": "votes", "active": "active_ts",
               "unanswered": "published_ts", "relevance": "published_ts"}


@dataclass(frozen=True)
class Plan:
    filter: dict[str, Any]  # the conditions and the cursor
    sort: list[tuple[str, int]]
    limit: int
    conditions: dict[str, Any] | None = None  # the conditions alone
    relevance: bool = False  # rank the search's matches (services/posts/search.py)

    @property
    def field(self) -> str:
        return self.sort[0][0]


def plan_posts(query: dict[str, Any]) -> Plan:
    """`query` is validated input (PostListQuerySchema)."""
    sort = query.get("sort") or ("relevance" if query.get("q") else DEFAULT_SORT)
    conditions: dict[str, Any] = {"state": "published"}
    if query.get("status") != "already_exists":
        conditions["merged_into"] = None  # a merged duplicate is found through its target
    for name, field in (("kind", "kind"), ("category", "category"), ("tag", "tag_slugs"),
                        ("status", "idea_status"), ("author", "author_id")):
        if query.get(name) is not None:
            conditions[field] = query[name]
    if query.get("answered") is not None:
        conditions["answer_count"] = {"$gt": 0} if query["answered"] else 0
        conditions.setdefault("kind", "question")
    if query.get("accepted") is not None:
        conditions["accepted_reply_id"] = {"$ne": None} if query["accepted"] else None
        conditions.setdefault("kind", "question")
    for flag in ("featured", "locked"):  # the community managers' marks
        if query.get(flag) is not None:
            conditions[flag] = query[flag]
    if sort == "unanswered":
        conditions["answer_count"] = 0
        conditions.setdefault("kind", "question")
    field = SORT_FIELDS[sort]
    relevance = sort == "relevance" and bool(query.get("q"))
    page = None if relevance else after_cursor(field, -1, query.get("cursor"))
    if relevance:
        after_relevance(query.get("cursor"))  # refused also when the search finds nothing
    combined = {"$and": [conditions, page]} if page else conditions
    return Plan(combined, [(field, -1), ("_id", -1)], int(query.get("limit", 20)),
                conditions=conditions, relevance=relevance)


def relevance_key(score: int, published_ts: int | None, post_id: str) -> tuple:
    """Ranking order of search results: most relevant, then newest, then by id."""
    return (-score, -(published_ts or 0), post_id)


def after_relevance(cursor: str | None) -> tuple | None:
    """The ranking key a search's cursor stands for (opaque: ["score:ts", id]), None without
    one; `InvalidInput` for a cursor we did not issue."""
    if not cursor:
        return None
    value, last_id = decode_cursor(cursor, str)
    try:
        score, ts = (int(part) for part in value.split(":"))
    except ValueError:
        raise not_ours() from None
    return relevance_key(score, ts, last_id)


def rank(documents: list[dict[str, Any]], scores: dict[str, int], limit: int,
         cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """Search results in relevance order, after `cursor` (opaque: [score:ts, id])."""
    ranked = sorted(documents, key=lambda d: relevance_key(scores[d["_id"]],
                                                           d.get("published_ts"), d["_id"]))
    after = after_relevance(cursor)
    if after is not None:
        ranked = [d for d in ranked
                  if relevance_key(scores[d["_id"]], d.get("published_ts"), d["_id"]) > after]
    items = ranked[:limit]
    if len(ranked) <= limit or not items:
        return items, None
    last = items[-1]
    return items, encode_cursor(f"{scores[last['_id']]}:{last.get('published_ts') or 0}",
                                last["_id"])


PINS_MAX = 10  # pinned posts heading a list (CMs pin a handful)


def plan_pins(query: dict[str, Any], plan: Plan, now_micros: int) -> Plan | None:
    """The featured posts pinned at the top of this list, or None for a list without pins (a
    search, a list of non-featured posts, a list in another order than the default one). They
    must match the list's filters; a pin whose `pinned_until` passed no longer counts. Order:
    position (1 first, unnumbered after), then the most recently featured.

    Pins lead the default order only (as a forum pins in its "latest" view): sorted by votes or
    by activity, a pinned post with no vote heading the list reads as a sorting bug; it takes
    its place there like any other.

    >>> pins = plan_pins({"kind": "idea"}, plan_posts({"kind": "idea"}), 10)
    >>> pins.filter["$and"][0]["kind"], pins.sort[0]
    ('idea', ('pin_rank', 1))
    >>> plan_pins({"sort": "top"}, plan_posts({"sort": "top"}), 10) is None
    True
    """
    if query.get("q") or query.get("featured") is False or \
            (query.get("sort") or DEFAULT_SORT) != DEFAULT_SORT:
        return None
    base = plan.filter if not query.get("cursor") else _without_cursor(query)
    current = {"featured": True, "$or": [{"pinned_until_ts": None},
                                          {"pinned_until_ts": {"$gt": now_micros}}]}
    return Plan({"$and": [base, current]}, [("pin_rank", 1), ("featured_ts", -1), ("_id", -1)],
                PINS_MAX)


def _without_cursor(query: dict[str, Any]) -> dict[str, Any]:
    return plan_posts({**query, "cursor": None}).filter


def without(conditions: dict[str, Any], ids: list[str]) -> dict[str, Any]:
    """`conditions`, minus the posts already shown pinned (each post shows once)."""
    return {"$and": [conditions, {"_id": {"$nin": ids}}]} if ids else conditions
