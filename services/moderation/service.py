"""moderation: the review of every contribution, CM decisions, flags, policy, audit, SLA clocks.

Thin nameko entrypoints over `domain` (pure) and `projections` (read models). Submitted texts
arrive on the private exchange (``posts.content_submitted``); the review (detector + policy)
runs in `on_content_submitted`; verdicts go back to posts as ``moderation.item_*`` events.
"""
from __future__ import annotations

import logging
import os
import statistics
import time
from datetime import UTC, datetime
from typing import Any

from nameko.dependency_providers import Config
from nameko.rpc import rpc
from nameko.timer import timer
from prometheus_client import Gauge

from services.shared import ids, pagination, periods
from services.shared.actors import is_staff, require_moderator
from services.shared.consumer import reliable_handler
from services.shared.decisions import Decisions
from services.shared.envelope import CommandContext, Envelope, NewEvent, utc_now
from services.shared.errors import EXPECTED_ERRORS, Forbidden, NotFound
from services.shared.observability import HealthEndpoints
from services.shared.outbox import EventStoreProvider
from services.shared.projections import ReadModelsProvider
from services.shared.validation import load_input

from . import domain, sla
from .dependencies import FlagGuardProvider
from .projections import VIEWS, text_under_review
from .schemas import (
    REJECT_REASONS,
    AuditQuerySchema,
    DecisionSchema,
    FlagSchema,
    MemberFlagsQuerySchema,
    MemberPageQuerySchema,
    NoteSchema,
    PolicyUpdateSchema,
    QueueQuerySchema,
    SlaQuerySchema,
    SlaStatisticsQuerySchema,
    SlaTargetsUpdateSchema,
)

log = logging.getLogger(__name__)

QUEUE_WAITING = Gauge("agora_moderation_queue_waiting", "Items waiting for a CM decision: "
                      "held content, flagged contributions (hidden or not), escalations")
QUEUE_OLDEST = Gauge("agora_moderation_queue_oldest_seconds",
                     "Age of the oldest item waiting for a CM decision")
SLA_UNANSWERED = Gauge("agora_sla_questions_unanswered",
                       "Published questions without a staff answer yet")
SLA_BREACHED = Gauge("agora_sla_questions_breached",
                     "Questions waiting for a staff answer beyond their target")

POLICY_STREAM = "policy"
# the queue's filters (GET /moderation/queue?reason=): the items each one keeps
QUEUE_FILTERS: dict[str, dict[str, Any]] = {
    "detector": {"reasons": "detector"},
    "policy": {"reasons": "policy"},
    "flags": {"review": "flags"},
    "edit": {"review": "content", "revision": {"$gt": 1}},
}
# item states the CMs' queue shows: held (hidden), review (escalated, visible), open (flagged,
# visible: every member's flag reaches the flags queue)
WAITING = ["held", "review", "open"]
REVIEWS_WAITING = ("content", "flags")
SLA_TARGETS_STREAM = "sla-targets"
DEFAULT_SLA_SECONDS = {"site": 12 * 3600, "social": 2 * 3600, "private": 8 * 3600}
# answered clocks read per channel for the statistics: beyond, the most recent ones count
STATISTICS_MAX_CLOCKS = 50_000
# read at import: nameko's timer takes its interval when the class is defined
SLA_CHECK_SECONDS = float(os.environ.get("AGORA_SLA_CHECK_SECONDS") or 30)


class ModerationService(Decisions, HealthEndpoints):
    name = "moderation"
    store = EventStoreProvider()
    views = ReadModelsProvider(VIEWS)
    config = Config()
    guard = FlagGuardProvider()

    # -- helpers -----------------------------------------------------------------------------

    def _policy(self) -> dict[str, Any]:
        doc = self.views["policy"].find_one({"_id": "current"}) or {}
        return {key: doc.get(key, default) for key, default in domain.DEFAULT_POLICY.items()}

    def _approved(self, member_id: str) -> int:
        return int((self.views["members"].find_one({"_id": member_id}) or {}).get("approved", 0))

    def _configured_targets(self) -> dict[str, Any]:
        settings = self.config.get("AGORA", {}) or {}
        return sla.default_targets({
            channel: int(default if settings.get(f"sla_{channel}_seconds") in (None, "")
                         else settings[f"sla_{channel}_seconds"])
            for channel, default in DEFAULT_SLA_SECONDS.items()})

    def _sla_targets(self) -> dict[str, Any]:
        """The CM-edited targets, else the configured defaults."""
        doc = self.views["sla_targets"].find_one({"_id": "current"})
        return doc["targets"] if doc else self._configured_targets()


    # -- the queue and decisions ---------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def queue(self, actor, query=None):
        """Items waiting for a CM, oldest first, with why and the proposed masked text (CMs).

        `waiting` counts what this query's filter shows (all of it, not only the page);
        `waiting_by_review` counts held content and flagged contributions apart."""
        require_moderator(actor)
        query = load_input(QueueQuerySchema, query)
        conditions: list[dict[str, Any]] = [{"state": {"$in": WAITING}}]
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
        now, targets, policy = time.time(), self._sla_targets(), self._policy()
        by_review = {review: self.views["items"].count_documents(
            {"state": {"$in": WAITING}, "review": review}) for review in REVIEWS_WAITING}
        return {"items": [present_item(self._with_text(doc), now, targets, policy)
                          for doc in items],
                "next_cursor": cursor, "waiting_by_review": by_review,
                "waiting": self.views["items"].count_documents(shown)}

    def _with_text(self, doc: dict[str, Any]) -> dict[str, Any]:
        """A flagged contribution still visible: its current text, for the CM to judge."""
        if doc.get("state") == "open" and not doc.get("content"):
            return {**doc, "content": text_under_review(self.views.rm, doc)}
        return doc

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_item(self, actor, item_id):
        require_moderator(actor)
        ids.MODERATION_ITEM.require(item_id)
        doc = self.views["items"].find_one({"_id": item_id})
        if doc is None:
            raise NotFound("no such moderation item", {"id": item_id})
        return present_item(self._with_text(doc), time.time(), self._sla_targets(),
                            self._policy())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def decide(self, actor, item_id, data):
        """approve | reject (reason_code) | redact (title/body: the CM's redacted text)."""
        require_moderator(actor)
        ids.MODERATION_ITEM.require(item_id)  # the item's stream is its id
        data = load_input(DecisionSchema, data)

        def decision(history):
            item = domain.fold_item(history)
            item.id = item.id or item_id
            proposal = None
            if data["decision"] == "redact" and item.state in ("held", "review"):
                text = text_under_review(self.views.rm, item.ref()) or {"title": None, "body": ""}
                proposal = domain.scan(text["title"], text["body"])
            return domain.decide(actor, item, data, proposal)

        self._decide(item_id, decision, actor)
        return present_item(self.views["items"].find_one({"_id": item_id}), time.time(),
                            self._sla_targets())

    # -- flags ---------------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def flag(self, actor, target_type, target_id, data, client=None):
        """A member reports a published post or reply; idempotent per member. Limited per
        account and per client address (429); see domain.is_trusted for whose flags hide."""
        data = load_input(FlagSchema, data)
        if not actor or not actor.get("id"):
            raise Forbidden("sign in to flag")
        ids.contribution(target_type).require(target_id)  # `<id>.flags` must be a flag item
        target = self.views["targets"].find_one({"_id": target_id})
        if target is None or target.get("target_type") != target_type:
            raise NotFound.from_catalogue(f"no_such_{target_type}", {"id": target_id})
        target = {**target, "target_type": target_type}
        guard, now, flagger = self.guard, utc_now(), actor["id"]
        staff = is_staff(actor)
        keys = {} if staff else guard.flag_keys(flagger, client)
        guard.flags.check(keys, now, "too_many_flags")
        guard.flags.record(keys, now)
        item_id = domain.flags_item_id(target_id)
        item = domain.fold_item(self.store.load(item_id))
        policy = self._policy()
        member = self.views["members"].find_one({"_id": flagger}) or {}
        standing = domain.FlaggerStanding(
            approved=int(member.get("approved", 0)), member_since=member.get("since"),
            shares_address=guard.shares_address(item_id, item.round, flagger, client))
        trusted = domain.is_trusted(actor, standing, policy, now)
        guard.record_source(item_id, item.round, flagger, client, now)
        round_flaggers = item.trusted_flaggers | ({flagger} if trusted else set())
        mass_hiders = guard.mass_hiders(round_flaggers, now)
        commit = self._decide(item_id, lambda history: domain.flag(
            actor, domain.fold_item(history), target, data["reason"], trusted, policy,
            mass_hiders), actor)
        held = bool(commit) and any(e.type == "moderation.item_held" for e in commit.events)
        if held:
            guard.record_hide(round_flaggers, now)
        return {"target_type": target_type, "target_id": target_id, "flagged": True,
                "held": held}

    # -- policy, notes, audit ----------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_policy(self, actor):
        require_moderator(actor)
        return self._policy()

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def set_policy(self, actor, data):
        require_moderator(actor)
        data = load_input(PolicyUpdateSchema, data)
        self._decide(POLICY_STREAM, lambda history: domain.change_policy(
            actor, domain.fold_policy(history), data), actor)
        return self._policy()

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def note_member(self, actor, member_id, data):
        data = load_input(NoteSchema, data)
        ids.USER.require(member_id)
        commit = self._decide(domain.member_stream(member_id), lambda history:
                              domain.note_member(actor, member_id, data["note"]), actor)
        note = self.views["notes"].find_one({"_id": commit.events[0].payload["note_id"]})
        return present_note(note)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def member_notes(self, actor, member_id):
        require_moderator(actor)
        ids.USER.require(member_id)
        notes = self.views["notes"].find({"member_id": member_id}).sort("at", -1).limit(200)
        return {"member_id": member_id, "approved_contributions": self._approved(member_id),
                "notes": [present_note(note) for note in notes]}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def member_contributions(self, actor, member_id, query=None):
        """A member's posts and replies as moderation knows them, newest first, whatever their
        state (pending, published, hidden, rejected, deleted) (CMs)."""
        domain.require_moderator(actor)
        ids.USER.require(member_id)
        query = load_input(MemberPageQuerySchema, query)
        items, cursor = self._member_page("targets", {"author_id": member_id}, "submitted_ts",
                                          query)
        return {"items": [present_contribution(doc) for doc in items], "next_cursor": cursor}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def member_flags(self, actor, member_id, query=None):
        """Flags on a member's contributions (`side=on`) or raised by the member (`side=by`),
        newest first, each with its contribution's state now (CMs)."""
        domain.require_moderator(actor)
        ids.USER.require(member_id)
        query = load_input(MemberFlagsQuerySchema, query)
        role = "author_id" if query["side"] == "on" else "flagger_id"
        items, cursor = self._member_page("flags", {role: member_id}, "at_ts", query)
        targets = {doc["_id"]: doc for doc in self.views["targets"].find(
            {"_id": {"$in": sorted({doc["target_id"] for doc in items})}},
            {"state": 1, "title": 1, "body": 1})}
        return {"items": [present_flag(doc, targets.get(doc["target_id"]) or {})
                          for doc in items], "next_cursor": cursor}

    def _member_page(self, collection: str, base: dict[str, Any], field: str,
                     query: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
        after = pagination.after_cursor(field, -1, query.get("cursor"))
        documents = list(self.views[collection].find({"$and": [base, after]} if after else base)
                         .sort([(field, -1), ("_id", -1)]).limit(query["limit"] + 1))
        return pagination.page(documents, field, query["limit"])

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def audit(self, actor, query=None):
        """The staff-action trail, newest first (CMs/admins)."""
        require_moderator(actor)
        query = load_input(AuditQuerySchema, query)
        conditions: list[dict[str, Any]] = [{}]
        for name in ("target_id", "actor_id", "action"):
            if query.get(name):
                conditions.append({name: query[name]})
        page = pagination.after_cursor("at_ts", -1, query.get("cursor"))
        if page:
            conditions.append(page)
        limit = query["limit"]
        documents = list(self.views["audit"].find({"$and": conditions})
                         .sort([("at_ts", -1), ("_id", -1)]).limit(limit + 1))
        items, cursor = pagination.page(documents, "at_ts", limit)
        return {"items": [present_audit(doc) for doc in items], "next_cursor": cursor}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def reject_reasons(self):
        return dict(REJECT_REASONS)

    # -- response-time clocks ------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def sla(self, actor, query=None):
        """Time to first staff answer per clock (questions, private conversations, social
        cases) against the current targets, overall and per channel (CMs); the waiting clocks
        listed oldest first, of one channel or category when asked."""
        require_moderator(actor)
        query = load_input(SlaQuerySchema, query)
        targets = self._sla_targets()
        now = datetime.now(UTC)
        answered = list(self.views["sla"].find({"answered": True}).sort("published_ts", -1)
                        .limit(1000))
        readings = [(doc, _reading(targets, doc, sla.from_micros(doc["first_staff_answer_ts"])))
                    for doc in answered]
        listed: dict[str, Any] = {"answered": False, **{
            key: query[key] for key in ("channel", "category") if query.get(key)}}
        after = pagination.after_cursor("published_ts", 1, query.get("cursor"))
        open_docs, cursor = pagination.page(list(
            self.views["sla"].find({"$and": [listed, after]} if after else listed)
            .sort([("published_ts", 1), ("_id", 1)]).limit(query["limit"] + 1)),
            "published_ts", query["limit"])
        waiting = [(doc, _reading(targets, doc, now)) for doc in open_docs]
        self.refresh_gauges()
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

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def sla_statistics(self, actor, query=None):
        """Time to first staff answer per channel over the last 7 and 30 days: how many clocks
        staff answered in each window, and the p50 / p90 of those waits (counted as each
        clock's target counts: opening hours only when the target says so) (CMs)."""
        require_moderator(actor)
        query = load_input(SlaStatisticsQuerySchema, query)
        targets, now = self._sla_targets(), time.time()
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
            waits = [(doc["first_staff_answer_ts"] / 1e6, _reading(
                targets, doc, sla.from_micros(doc["first_staff_answer_ts"])).waited_seconds)
                for doc in answered]
            by_channel[channel] = {
                "target_seconds": sla.target_for(targets, channel, query.get("category")).seconds,
                "windows": [sla.window_figures(round(periods.days(period), 2),
                                               [wait for _, wait in waits])] if period
                else sla.answer_times(waits, now)}
        return {"category": query.get("category"), "by_channel": by_channel,
                "computed_at": datetime.fromtimestamp(now, UTC).isoformat()}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_sla_targets(self, actor):
        require_moderator(actor)
        return self._sla_targets()

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def set_sla_targets(self, actor, data):
        """CMs change response-time targets (per channel, per category) and the calendar."""
        require_moderator(actor)
        changes = load_input(SlaTargetsUpdateSchema, data)
        configured = self._configured_targets()

        def decide(history):
            current = history[-1].payload["targets"] if history else configured
            updated = sla.change_targets(current, changes)
            return [] if updated is None else [NewEvent("moderation.sla_targets_changed", {
                "targets": updated, "previous": current})]

        self._decide(SLA_TARGETS_STREAM, decide, actor)
        self.raise_sla_breaches()  # a shorter target may be breached already
        return self._sla_targets()

    @timer(interval=SLA_CHECK_SECONDS)
    def check_sla(self):
        self.raise_sla_breaches()
        self.refresh_gauges()

    def refresh_gauges(self) -> None:
        """Live figures for dashboards and alerts (docs/runbook.md)."""
        items, sla = self.views["items"], self.views["sla"]
        QUEUE_WAITING.set(items.count_documents({"state": {"$in": WAITING}}))
        oldest = items.find_one({"state": {"$in": WAITING}}, {"held_ts": 1},
                                sort=[("held_ts", 1)])
        QUEUE_OLDEST.set(max(0.0, time.time() - oldest["held_ts"] / 1e6) if oldest else 0)
        SLA_UNANSWERED.set(sla.count_documents({"answered": False}))
        SLA_BREACHED.set(sla.count_documents({"answered": False, "breached": True}))

    @rpc
    def raise_sla_breaches(self) -> int:
        """Append `sla_breached` once per clock waiting beyond its target (any replica may
        run it: the per-clock stream makes a second alert a no-op)."""
        targets = self._sla_targets()
        now = datetime.now(UTC)
        raised = 0
        for doc in self._maybe_due(targets, now):
            reading = _reading(targets, doc, now)
            if not reading.breached:
                continue
            conversation = self.views["conversations"].find_one(
                {"_id": doc["conversation_id"]}) if doc.get("conversation_id") else None
            event = NewEvent("moderation.sla_breached", {
                "clock_id": doc["_id"], "channel": doc.get("channel", "site"),
                "post_id": None if conversation else doc["_id"],
                "conversation_id": doc.get("conversation_id"), "author_id": doc["author_id"],
                "staff_ids": sorted((conversation or {}).get("staff_ids") or []),
                "category": doc.get("category"), "published_at": doc["published_at"],
                "target_seconds": reading.target_seconds,
                "business_hours": reading.business_hours})
            commit = self.store.execute(f"sla.{doc['_id']}",
                                        lambda history, event=event: [] if history else [event],
                                        CommandContext(correlation_id=self.correlation))
            self.views.apply_commit(commit)
            raised += commit is not None
        return raised

    def _maybe_due(self, targets: dict[str, Any], now: datetime):
        """Open, unbreached clocks that may be due: per channel, those that have waited at
        least the channel's shortest target in wall-clock time (opening hours only ever make
        a deadline later), oldest first — never a scan of every waiting question."""
        for channel in sla.CHANNELS:
            cutoff = (now.timestamp() - sla.shortest_target(targets, channel)) * 1_000_000
            yield from self.views["sla"].find(
                {"answered": False, "breached": False, "channel": channel,
                 "published_ts": {"$lte": cutoff}}).sort("published_ts", 1)

    # -- events --------------------------------------------------------------------------------

    @reliable_handler("moderation", "moderation.*")
    def project(self, event: Envelope):
        self.views.apply(event)

    @reliable_handler("posts", "posts.*")
    def on_posts_event(self, event: Envelope):
        self.views.record_and_apply(event)

    @reliable_handler("identity", "identity.*")
    def on_identity_event(self, event: Envelope):
        """When each member joined (the account age that trusted flags need), and roles, badges
        and advisor assignments: privileged changes in the staff trail. All of identity's
        public events, so each `user-<id>` stream arrives whole (the per-stream guard)."""
        self.views.record_and_apply(event)

    @reliable_handler("conversations", "conversations.*")
    def on_conversations_event(self, event: Envelope):
        """Ids only (who wrote in which conversation): the clocks of conversations."""
        self.views.record_and_apply(event)

    @reliable_handler("posts", "posts.content_submitted", private=True)
    def on_content_submitted(self, event: Envelope):
        """Review every submitted text: detector whatever the policy, then the policy."""
        self.views.record_and_apply(event)
        content = event.payload
        item_id = domain.review_item_id(content["target_id"], content["revision"])
        found = domain.scan(content["title"], content["body"])
        policy = self._policy()
        approved = self._approved(content["author_id"])
        context = CommandContext(correlation_id=self.correlation).caused_by(event)
        commit = self.store.execute(item_id, lambda history: domain.review(
            domain.fold_item(history), content, policy, approved, found), context)
        self.views.apply_commit(commit)


# --- presenters -------------------------------------------------------------------------------

def present_item(doc: dict[str, Any], now: float, targets: dict[str, Any],
                 policy: dict[str, Any] | None = None) -> dict[str, Any]:
    out = {key: doc.get(key) for key in (
        "review", "target_type", "target_id", "post_id", "revision", "author_id", "state",
        "reasons", "policy_rules", "detector_kinds", "flag_count", "held_at", "decided_at",
        "decided_by")}
    out["id"] = doc["_id"]
    out["flags"] = doc.get("flags") or {}
    if doc.get("review") == "flags":
        out["flaggers"] = doc.get("flaggers") or []
        out["flag_count"] = out["flag_count"] or doc.get("flags_total") or 0
    if doc.get("held_ts"):
        out["waiting_seconds"] = round(now - doc["held_ts"] / 1e6, 1)
    if doc.get("state") in WAITING:
        out["content"] = doc.get("content")
        out["proposal"] = doc.get("proposal")
        out["findings"] = domain.findings(doc.get("content"))
        if doc.get("held_ts"):
            # a held contribution keeps its member waiting like an unanswered question: the
            # site channel's response-time target is the CMs' target for the queue
            reading = sla.read_clock(targets, "site", None, sla.from_micros(doc["held_ts"]),
                                     datetime.fromtimestamp(now, tz=UTC))
            out["target_seconds"] = reading.target_seconds
            out["due_at"] = reading.due_at.isoformat() if reading.due_at else None
            out["breached"] = reading.breached
            if doc.get("review") == "flags":  # the flags queue has its own target (policy)
                target = int((policy or domain.DEFAULT_POLICY).get("flags_target_hours")
                             or domain.DEFAULT_POLICY["flags_target_hours"]) * 3600
                due = doc["held_ts"] / 1e6 + target
                out.update(target_seconds=target, breached=now > due, overdue=now > due,
                           due_at=datetime.fromtimestamp(due, UTC).isoformat())
    return out


def _reading(targets: dict[str, Any], doc: dict[str, Any], until: datetime) -> sla.ClockReading:
    return sla.read_clock(targets, doc.get("channel", "site"), doc.get("category"),
                          sla.from_micros(doc["published_ts"]), until)


def present_clock(doc: dict[str, Any], reading: sla.ClockReading) -> dict[str, Any]:
    return {"clock_id": doc["_id"], "post_id": None if doc.get("conversation_id") else doc["_id"],
            "conversation_id": doc.get("conversation_id"), "category": doc.get("category"),
            "channel": doc.get("channel", "site"), "published_at": doc["published_at"],
            "waiting_seconds": reading.waited_seconds, "target_seconds": reading.target_seconds,
            "business_hours": reading.business_hours,
            "due_at": reading.due_at.isoformat() if reading.due_at else None,
            "breached": bool(doc.get("breached")) or reading.breached}


def present_audit(doc: dict[str, Any]) -> dict[str, Any]:
    return {"id": doc["_id"], **{key: doc.get(key) for key in (
        "at", "actor_id", "action", "target_type", "target_id", "item_id", "before", "after",
        "details", "correlation_id")}}


EXCERPT_CHARACTERS = 200


def present_contribution(doc: dict[str, Any]) -> dict[str, Any]:
    body = doc.get("body") or ""
    return {"target_type": doc.get("target_type"), "id": doc["_id"],
            "post_id": doc.get("post_id"), "kind": doc.get("kind"), "state": doc.get("state"),
            "title": doc.get("title"), "excerpt": body[:EXCERPT_CHARACTERS],
            "submitted_at": doc.get("submitted_at")}


def present_flag(doc: dict[str, Any], target: dict[str, Any]) -> dict[str, Any]:
    """A flag, with what its contribution is now: state, and title or start of its text."""
    return {"id": doc["_id"], **{key: doc.get(key) for key in (
        "item_id", "target_type", "target_id", "post_id", "author_id", "flagger_id", "reason",
        "trusted", "at")}, "target_state": target.get("state"),
        "target_title": target.get("title") or (target.get("body") or "")[:EXCERPT_CHARACTERS]}


def present_note(doc: dict[str, Any]) -> dict[str, Any]:
    return {"id": doc["_id"], "member_id": doc["member_id"], "note": doc["note"],
            "at": doc["at"], "by": doc.get("by")}

