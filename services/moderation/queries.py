"""Moderation's reads over its read models (projections.py): the CMs' queue and items, the policy,
response-time targets and clocks, a member's notes, contributions and flags, the staff trail.
The entrypoints in service.py call these and return; the shapes are presenters.py's.
"""
from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from services.shared import ids, pagination, periods
from services.shared.errors import NotFound
from services.shared.projections import ReadModels

from . import domain, sla
from .presenters import (
    present_audit,
    present_clock,
    present_contribution,
    present_flag,
    present_item,
    present_note,
    present_own_flag,
)
from .projections import STAFF_HOLDS, scan_under_review, text_under_review
from .schemas import CM_HOLD_REASONS

# A CM's hold approved again was written as "approve" before the trail told it apart (the
# projection now writes "republish", with `undoes`): such a row still holds the hold's reasons
# (staff, undo) and no `undoes`. Only the trail's previous row on the item says whether it was
# that hold's approval (an approval of a later open round may carry the stale reasons too).
LEGACY_REPUBLISH = {"action": "approve", "details.undoes": {"$exists": False},
                    "details.reasons": {"$in": list(CM_HOLD_REASONS)}}

# the queue's filters (GET /moderation/queue?reason=): the items each one keeps
QUEUE_FILTERS: dict[str, dict[str, Any]] = {
    "detector": {"reasons": "detector"},
    "policy": {"reasons": "policy"},
    "flags": {"review": "flags"},
    "edit": {"review": "content", "revision": {"$gt": 1}},
}
REVIEWS_WAITING = ("content", "flags")
# answered clocks read per channel for the statistics: beyond, the most recent ones count
STATISTICS_MAX_CLOCKS = 50_000


class ModerationQueries:
    """`configured_targets`: the response-time targets before any CM edited them (config)."""

    def __init__(self, views: ReadModels, configured_targets: dict[str, Any]):
        self.views = views
        self.configured_targets = configured_targets

    def policy(self) -> dict[str, Any]:
        doc = self.views["policy"].find_one({"_id": "current"}) or {}
        return {key: doc.get(key, default) for key, default in domain.DEFAULT_POLICY.items()}

    def approved(self, member_id: str) -> int:
        """How many of the member's contributions moderation approved."""
        return int((self.views["members"].find_one({"_id": member_id}) or {}).get("approved", 0))

    def published(self, target_id: str) -> dict[str, Any]:
        """What posts told of a post or reply: the `revision` it published last (absent: none
        yet), its `state` (deleted...) and the `submitted_revision` of a text never published
        sent again; empty for one it has not told of."""
        return self.views["targets"].find_one(
            {"_id": target_id}, {"revision": 1, "state": 1, "submitted_revision": 1}) or {}

    def sla_targets(self) -> dict[str, Any]:
        """The CM-edited targets, else the configured defaults."""
        doc = self.views["sla_targets"].find_one({"_id": "current"})
        return doc["targets"] if doc else self.configured_targets

    # -- the queue

    def queue(self, query: dict[str, Any]) -> dict[str, Any]:
        """Items waiting for a CM, oldest first. `waiting` counts what this query's filter
        shows (all of it, not only the page); `waiting_by_review` counts held content and
        flagged contributions apart."""
        conditions: list[dict[str, Any]] = [{"state": {"$in": domain.WAITING}}]
        if query.get("review"):
            conditions.append({"review": query["review"]})
        if query.get("reason"):
            conditions.append(QUEUE_FILTERS[query["reason"]])
        shown = {"$and": list(conditions)}  # what `waiting` counts: the filter, every page
        page = pagination.after_cursor("held_ts", 1, query.get("cursor"))
        if page:
            conditions.append(page)
        limit = query["limit"]
        documents = list(self.views["items"].find({"$and": conditions})
                         .sort([("held_ts", 1), ("_id", 1)]).limit(limit + 1))
        items, cursor = pagination.page(documents, "held_ts", limit)
        now, targets, policy = time.time(), self.sla_targets(), self.policy()
        by_review = {review: self.views["items"].count_documents(
            {"state": {"$in": domain.WAITING}, "review": review}) for review in REVIEWS_WAITING}
        contributions = self._contributions(items)
        return {"items": [present_item(self._with_text(doc), now, targets, policy,
                                       contributions) for doc in items],
                "next_cursor": cursor, "waiting_by_review": by_review,
                "waiting": self.views["items"].count_documents(shown)}

    def item(self, item_id: str) -> dict[str, Any]:
        ids.MODERATION_ITEM.require(item_id)
        doc = self.views["items"].find_one({"_id": item_id})
        if doc is None:
            raise NotFound("no such moderation item", {"id": item_id})
        return present_item(self._with_text(doc), time.time(), self.sla_targets(),
                            self.policy(), self._contributions([doc]))

    def _contributions(self, items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """The contributions of `items` and their threads as moderation knows them now (state,
        a post's title), by id: in one read."""
        wanted = sorted({doc[key] for doc in items for key in ("target_id", "post_id")
                         if doc.get(key)})
        return {doc["_id"]: doc for doc in self.views["targets"].find(
            {"_id": {"$in": wanted}}, {"state": 1, "title": 1})} if wanted else {}

    def decided_item(self, item_id: str) -> dict[str, Any]:
        """An item just decided (no longer waiting: no text, no flags target)."""
        return present_item(self.views["items"].find_one({"_id": item_id}), time.time(),
                            self.sla_targets())

    def _with_text(self, doc: dict[str, Any]) -> dict[str, Any]:
        """A flagged contribution still visible: its current text, for the CM to judge, and the
        masked version a redaction would start from (what `decide` proposes too)."""
        if doc.get("state") == "open" and not doc.get("content"):
            text = text_under_review(self.views.rm, doc)
            return {**doc, "content": text, "proposal": scan_under_review(text).proposal()}
        return doc

    def waiting(self) -> tuple[int, float | None]:
        """How many items wait for a CM, and since when the oldest (epoch seconds)."""
        items = self.views["items"]
        oldest = items.find_one({"state": {"$in": domain.WAITING}}, {"held_ts": 1},
                                sort=[("held_ts", 1)])
        return (items.count_documents({"state": {"$in": domain.WAITING}}),
                oldest["held_ts"] / 1e6 if oldest else None)

    # -- members and the staff trail

    def note(self, note_id: str) -> dict[str, Any]:
        return present_note(self.views["notes"].find_one({"_id": note_id}))

    def member_notes(self, member_id: str) -> dict[str, Any]:
        notes = self.views["notes"].find({"member_id": member_id}).sort("at", -1).limit(200)
        return {"member_id": member_id, "approved_contributions": self.approved(member_id),
                "notes": [present_note(note) for note in notes]}

    def member_contributions(self, member_id: str, query: dict[str, Any]) -> dict[str, Any]:
        items, cursor = self._member_page("targets", {"author_id": member_id}, "submitted_ts",
                                          query)
        return {"items": [present_contribution(doc) for doc in items], "next_cursor": cursor}

    def member_flags(self, member_id: str, query: dict[str, Any]) -> dict[str, Any]:
        role = "author_id" if query["side"] == "on" else "flagger_id"
        items, cursor = self._member_page("flags", {role: member_id}, "at_ts", query)
        targets = {doc["_id"]: doc for doc in self.views["targets"].find(
            {"_id": {"$in": sorted({doc["target_id"] for doc in items})}},
            {"state": 1, "title": 1, "body": 1})}
        return {"items": [present_flag(doc, targets.get(doc["target_id"]) or {})
                          for doc in items], "next_cursor": cursor}

    def export(self, member_id: str) -> dict[str, Any]:
        """The member's own flags (GDPR export), newest first, with their own words; no cap, as
        every section of the export. The rest of moderation's records stay staff-internal
        (docs/architecture.md, "Export (GDPR)")."""
        flags = self.views["flags"].find({"flagger_id": member_id}).sort(
            [("at_ts", -1), ("_id", -1)])
        return {"flags": [present_own_flag(doc) for doc in flags]}

    def _member_page(self, collection: str, base: dict[str, Any], field: str,
                     query: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
        after = pagination.after_cursor(field, -1, query.get("cursor"))
        documents = list(self.views[collection].find({"$and": [base, after]} if after else base)
                         .sort([(field, -1), ("_id", -1)]).limit(query["limit"] + 1))
        return pagination.page(documents, field, query["limit"])

    def audit(self, query: dict[str, Any]) -> dict[str, Any]:
        """The staff-action trail, newest first."""
        conditions: list[dict[str, Any]] = [{}]
        for name in ("target_id", "actor_id"):
            if query.get(name):
                conditions.append({name: query[name]})
        action = query.get("action")
        if action == "republish":  # the rows written as approvals too
            conditions.append({"$or": [{"action": action}, LEGACY_REPUBLISH]})
        elif action:
            conditions.append({"action": action})
        page = pagination.after_cursor("at_ts", -1, query.get("cursor"))
        if page:
            conditions.append(page)
        limit = query["limit"]
        documents = list(self.views["audit"].find({"$and": conditions})
                         .sort([("at_ts", -1), ("_id", -1)]).limit(limit + 1))
        items, cursor = pagination.page(documents, "at_ts", limit)
        items = [self._as_written_now(doc) for doc in items]
        # a filtered page may come out shorter than `limit` (its cursor still goes on)
        return {"items": [present_audit(doc) for doc in items
                          if not action or doc["action"] == action], "next_cursor": cursor}

    def _as_written_now(self, doc: dict[str, Any]) -> dict[str, Any]:
        """An old row as the projection writes it now: an approval of a CM's hold (the trail's
        previous row on the item is that hold) is a republication, undoing what the hold's
        row says it undid."""
        details = doc.get("details") or {}
        if doc.get("action") != "approve" or "undoes" in details or not set(
                details.get("reasons") or []) & set(CM_HOLD_REASONS):
            return doc
        previous = next(iter(self.views["audit"].find(
            {"target_id": doc.get("target_id"), "item_id": doc.get("item_id"),
             "at_ts": {"$lt": doc["at_ts"]}},  # the "target" index
            {"action": 1, "details": 1}).sort([("at_ts", -1), ("_id", -1)]).limit(1)), None)
        if not previous or previous.get("action") not in STAFF_HOLDS.values():
            return doc
        return {**doc, "action": "republish", "details": {
            **details, "undoes": (previous.get("details") or {}).get("undoes")}}

    # -- response-time clocks

    def sla(self, query: dict[str, Any]) -> dict[str, Any]:
        """Time to first staff answer per clock against the current targets, overall and per
        channel; the waiting clocks listed oldest first, of one channel or category."""
        targets = self.sla_targets()
        now = datetime.now(UTC)
        answered = list(self.views["sla"].find({"answered": True}).sort("published_ts", -1)
                        .limit(1000))
        readings = [(doc, sla.read_clock_of(targets, doc,
                                            sla.from_micros(doc["first_staff_answer_ts"])))
                    for doc in answered]
        listed: dict[str, Any] = {"answered": False, **{
            key: query[key] for key in ("channel", "category") if query.get(key)}}
        after = pagination.after_cursor("published_ts", 1, query.get("cursor"))
        open_docs, cursor = pagination.page(list(
            self.views["sla"].find({"$and": [listed, after]} if after else listed)
            .sort([("published_ts", 1), ("_id", 1)]).limit(query["limit"] + 1)),
            "published_ts", query["limit"])
        waiting = [(doc, sla.read_clock_of(targets, doc, now)) for doc in open_docs]
        return {
            "targets_seconds": {channel: value["target_seconds"]
                                for channel, value in targets["channels"].items()},
            "targets": targets,
            **self._figures(readings, {}),
            "by_channel": {channel: self._figures(
                [r for r in readings if r[0].get("channel", "site") == channel],
                {"channel": channel}) for channel in sla.CHANNELS},
            "oldest_unanswered": [present_clock(doc, reading) for doc, reading in waiting],
            "next_cursor": cursor,
        }

    def _figures(self, readings, scope: dict[str, Any]) -> dict[str, Any]:
        """Of the recent answered clocks (`readings`): how many, the median wait, the share
        within target; of the clocks still waiting in `scope`: how many, how many breached."""
        waits = [reading.waited_seconds for _, reading in readings]
        within = [not reading.breached for _, reading in readings]
        clocks = self.views["sla"]
        return {"answered": len(readings),
                "median_first_answer_seconds": statistics.median(waits) if waits else None,
                "within_target_ratio": (sum(within) / len(within)) if within else None,
                "unanswered": clocks.count_documents({**scope, "answered": False}),
                "breached_unanswered": clocks.count_documents(
                    {**scope, "answered": False, "breached": True})}

    def sla_statistics(self, query: dict[str, Any]) -> dict[str, Any]:
        """Time to first staff answer per channel over the last 7 and 30 days: how many clocks
        staff answered in each window, and the p50 / p90 of those waits; with `since` and
        `until`, one window: that period."""
        targets, now = self.sla_targets(), time.time()
        period = {key: query[key] for key in ("since", "until") if key in query}
        answered_in = periods.between(period) if period else {
            "$gte": (now - max(sla.STATISTICS_WINDOWS_DAYS) * 86400) * 1_000_000}
        channels = ["site"] if query.get("category") else list(sla.CHANNELS)
        by_channel = {}
        for channel in channels:
            scope = {"category": query["category"]} if query.get("category") else {
                "channel": channel}
            answered = self.views["sla"].find(
                {"answered": True, **scope, "first_staff_answer_ts": answered_in},
                {"published_ts": 1, "first_staff_answer_ts": 1, "category": 1, "channel": 1},
            ).sort("first_staff_answer_ts", -1).limit(STATISTICS_MAX_CLOCKS)
            waits = [(doc["first_staff_answer_ts"] / 1e6, sla.read_clock_of(
                targets, doc, sla.from_micros(doc["first_staff_answer_ts"])).waited_seconds)
                for doc in answered]
            by_channel[channel] = {
                "target_seconds": sla.target_for(targets, channel, query.get("category")).seconds,
                "windows": [sla.window_figures(round(periods.days(period), 2),
                                               [wait for _, wait in waits])] if period
                else sla.answer_times(waits, now)}
        return {"category": query.get("category"), "by_channel": by_channel,
                "computed_at": datetime.fromtimestamp(now, UTC).isoformat()}

    def clocks_waiting(self) -> tuple[int, int]:
        """Clocks still waiting for a staff answer, and how many of them are breached."""
        clocks = self.views["sla"]
        return (clocks.count_documents({"answered": False}),
                clocks.count_documents({"answered": False, "breached": True}))

    def maybe_due(self, targets: dict[str, Any], now: datetime) -> Iterator[dict[str, Any]]:
        """Open, unbreached clocks that may be due: per channel, those that have waited at
        least the channel's shortest target in wall-clock time (opening hours only ever make
        a deadline later), oldest first — never a scan of every waiting question."""
        for channel in sla.CHANNELS:
            cutoff = (now.timestamp() - sla.shortest_target(targets, channel)) * 1_000_000
            yield from self.views["sla"].find(
                {"answered": False, "breached": False, "channel": channel,
                 "published_ts": {"$lte": cutoff}}).sort("published_ts", 1)

    def conversation(self, conversation_id: str | None) -> dict[str, Any] | None:
        return self.views["conversations"].find_one({"_id": conversation_id}) \
            if conversation_id else None
