"""moderation: the review of every contribution, CM decisions, flags, policy, audit, SLA clocks.

Thin nameko entrypoints: parse, then a rule (`domain`; response-time clocks in `sla`), a read
(`queries`, shaped by `presenters`) or a workflow (`flagging`), and return. Submitted texts
arrive on the private exchange (``posts.content_submitted``); the review (detector + policy)
runs in `on_content_submitted`; verdicts go back to posts as ``moderation.item_*`` events.
"""
from __future__ import annotations

import logging
import os
import time
from datetime import UTC, datetime
from typing import Any

from nameko.dependency_providers import Config
from nameko.rpc import rpc
from nameko.timer import timer
from prometheus_client import Gauge

from services.posts.schemas import (
    CATEGORY_EVENTS,
    POST_VOTE_EVENTS,
    REPLY_VOTE_EVENTS,
    public_events_but,
)
from services.shared import ids
from services.shared.actors import require_member, require_moderator, require_staff
from services.shared.consumer import reliable_handler
from services.shared.decisions import Decisions
from services.shared.envelope import CommandContext, Envelope, NewEvent
from services.shared.errors import EXPECTED_ERRORS, Conflict, Forbidden, NotFound
from services.shared.event_store_provider import EventStoreProvider
from services.shared.members import USER_ERASED
from services.shared.observability import HealthEndpoints
from services.shared.projections import ReadModelsProvider
from services.shared.validation import load_input

from . import domain, flagging, sla
from .dependencies import FlagGuardProvider
from .projections import VIEWS, scan_under_review, text_under_review
from .queries import ModerationQueries
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
    TakeDownSchema,
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
SLA_TARGETS_STREAM = "sla-targets"
DEFAULT_SLA_SECONDS = {"site": 12 * 3600, "social": 2 * 3600, "private": 8 * 3600}
# read at import: nameko's timer takes its interval when the class is defined
SLA_CHECK_SECONDS = float(os.environ.get("AGORA_SLA_CHECK_SECONDS") or 30)


class ModerationService(Decisions, HealthEndpoints):
    name = "moderation"
    store = EventStoreProvider()
    views = ReadModelsProvider(VIEWS)
    config = Config()
    guard = FlagGuardProvider()

    @property
    def queries(self) -> ModerationQueries:
        return ModerationQueries(self.views, self._configured_targets())

    def _configured_targets(self) -> dict[str, Any]:
        settings = self.config.get("AGORA", {}) or {}
        return sla.default_targets({
            channel: int(default if settings.get(f"sla_{channel}_seconds") in (None, "")
                         else settings[f"sla_{channel}_seconds"])
            for channel, default in DEFAULT_SLA_SECONDS.items()})

    # -- the queue and decisions ---------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def queue(self, actor, query=None):
        """Items waiting for a CM, oldest first, with why and the proposed masked text (CMs)."""
        require_moderator(actor)
        return self.queries.queue(load_input(QueueQuerySchema, query))

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_item(self, actor, item_id):
        require_moderator(actor)
        return self.queries.item(item_id)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def decide(self, actor, item_id, data):
        """approve | reject (reason_code) | redact (title/body: the CM's redacted text)."""
        require_moderator(actor)
        ids.MODERATION_ITEM.require(item_id)  # the item's stream is its id
        data = load_input(DecisionSchema, data)

        def decision(history):
            item = domain.fold_item(history)
            item.id = item.id or item_id
            proposal = found = None
            if item.state in domain.WAITING:
                # what an approval would publish (or keep published), as written, and the
                # masked version a redaction starts from (its title, its tags)
                found = scan_under_review(text_under_review(self.views.rm, item.ref()))
                proposal = found if data["decision"] == "redact" else None
            return domain.decide(actor, item, data, proposal,
                                 found if data["decision"] == "approve" else None)

        self._decide(item_id, decision, actor)
        return self.queries.decided_item(item_id)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def take_down(self, actor, target_type, target_id, data=None):
        """A CM takes a public post or reply out of public view from its thread: held for
        review on its flags item (`data` empty), or refused at once (`reason_code`: its author
        is told). Idempotent. Returns the flags item."""
        require_moderator(actor)
        ids.contribution(target_type).require(target_id)
        code = load_input(TakeDownSchema, data)["reason_code"] if data else None
        target = self._target(target_type, target_id)
        return self._take_down(actor, target, code, "staff")

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def undo(self, actor, item_id):
        """Undo a CM's decision that left a contribution public (domain.UNDOABLE): it leaves
        public view again, back in the queue on its flags item (``item_held``, reason undo,
        `undoes` this item). The decision's own events stay as they are. Returns that item."""
        require_moderator(actor)
        ids.MODERATION_ITEM.require(item_id)
        decided = domain.fold_item(self.store.load(item_id))
        decided.id = decided.id or item_id
        domain.undoable(decided)
        target = self._target(decided.target_type, decided.target_id)
        if int(target.get("revision") or 0) < decided.revision:
            # posts has not published the decision yet: hiding now would be overtaken by it
            raise Conflict.from_catalogue("undo_too_soon", {"id": item_id})
        return self._take_down(actor, target, None, "undo", undoes=item_id)

    def _target(self, target_type: str, target_id: str) -> dict[str, Any]:
        """The contribution as moderation knows it (404 when it does not)."""
        target = self.views["targets"].find_one({"_id": target_id})
        if target is None or target.get("target_type") != target_type:
            raise NotFound.from_catalogue(f"no_such_{target_type}", {"id": target_id})
        return {**target, "target_type": target_type}

    def _take_down(self, actor, target: dict[str, Any], code: str | None, why: str,
                   undoes: str | None = None) -> dict[str, Any]:
        item_id = domain.flags_item_id(target["_id"])
        self._decide(item_id, lambda history: domain.take_down(
            actor, domain.fold_item(history), target, code, why, undoes), actor)
        return self.queries.item(item_id)

    # -- flags (flagging.py) -------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def flag(self, actor, target_type, target_id, data, client=None):
        """A member reports a published post or reply; idempotent per member. Limited per
        account and per client address (429); see domain.is_trusted for whose flags hide."""
        data = load_input(FlagSchema, data)
        if not actor or not actor.get("id"):
            raise Forbidden("sign in to flag")
        return flagging.flag(self.guard, self.store, self.queries, self._decide, actor,
                             target_type, target_id, data["reason"], client,
                             data.get("details"))

    # -- GDPR: the member's export ----------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def export_member(self, actor):
        """What moderation holds that is the member's own (GDPR art. 15 and 20): the posts and
        replies they flagged, why, in their own words, when. Only the actor's: it takes no id."""
        return self.queries.export(require_member(actor)["id"])

    # -- policy, notes, audit ----------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_policy(self, actor):
        require_moderator(actor)
        return self.queries.policy()

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def set_policy(self, actor, data):
        require_moderator(actor)
        data = load_input(PolicyUpdateSchema, data)
        self._decide(POLICY_STREAM, lambda history: domain.change_policy(
            actor, domain.fold_policy(history), data), actor)
        return self.queries.policy()

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def note_member(self, actor, member_id, data):
        data = load_input(NoteSchema, data)
        ids.USER.require(member_id)
        commit = self._decide(domain.member_stream(member_id), lambda history:
                              domain.note_member(actor, member_id, data["note"]), actor)
        return self.queries.note(commit.events[0].payload["note_id"])

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def member_notes(self, actor, member_id):
        require_moderator(actor)
        ids.USER.require(member_id)
        return self.queries.member_notes(member_id)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def member_contributions(self, actor, member_id, query=None):
        """A member's posts and replies as moderation knows them, newest first, whatever their
        state (pending, published, hidden, rejected, deleted) (CMs)."""
        domain.require_moderator(actor)
        ids.USER.require(member_id)
        return self.queries.member_contributions(member_id,
                                                 load_input(MemberPageQuerySchema, query))

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def member_flags(self, actor, member_id, query=None):
        """Flags on a member's contributions (`side=on`) or raised by the member (`side=by`),
        newest first, each with its contribution's state now (CMs)."""
        domain.require_moderator(actor)
        ids.USER.require(member_id)
        return self.queries.member_flags(member_id, load_input(MemberFlagsQuerySchema, query))

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def audit(self, actor, query=None):
        """The staff-action trail, newest first (CMs/admins)."""
        require_moderator(actor)
        return self.queries.audit(load_input(AuditQuerySchema, query))

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def reject_reasons(self):
        return dict(REJECT_REASONS)

    # -- response-time clocks (rules in sla.py) ------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def sla(self, actor, query=None):
        """Time to first staff answer per clock (questions, private conversations, social
        cases) against the current targets, overall and per channel (CMs); the waiting clocks
        listed oldest first, of one channel or category when asked."""
        require_moderator(actor)
        overview = self.queries.sla(load_input(SlaQuerySchema, query))
        self.refresh_gauges()
        return overview

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def sla_statistics(self, actor, query=None):
        """Time to first staff answer per channel over the last 7 and 30 days: how many clocks
        staff answered in each window, and the p50 / p90 of those waits (counted as each
        clock's target counts: opening hours only when the target says so) (CMs)."""
        require_moderator(actor)
        return self.queries.sla_statistics(load_input(SlaStatisticsQuerySchema, query))

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_sla_targets(self, actor):
        """The current targets, for any staff: an advisor's inbox counts its customers' waits
        against them (CMs change them; the API's GET stays theirs)."""
        require_staff(actor)
        return self.queries.sla_targets()

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def private_reply_target(self, actor):
        """For any signed-in member: the private conversations' target, as the private pages
        tell the usual reply time (`sla.member_reply_target`: the same target the staff's
        clocks count against, and only that one — the others and the calendar stay staff's)."""
        require_member(actor)
        return sla.member_reply_target(self.queries.sla_targets())

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
        return self.queries.sla_targets()

    @timer(interval=SLA_CHECK_SECONDS)
    def check_sla(self):
        self.raise_sla_breaches()
        self.refresh_gauges()

    def refresh_gauges(self) -> None:
        """Live figures for dashboards and alerts (docs/runbook.md)."""
        waiting, oldest = self.queries.waiting()
        QUEUE_WAITING.set(waiting)
        QUEUE_OLDEST.set(max(0.0, time.time() - oldest) if oldest is not None else 0)
        unanswered, breached = self.queries.clocks_waiting()
        SLA_UNANSWERED.set(unanswered)
        SLA_BREACHED.set(breached)

    @rpc
    def raise_sla_breaches(self) -> int:
        """Append `sla_breached` once per clock waiting beyond its target (any replica may
        run it: the per-clock stream makes a second alert a no-op)."""
        queries, now = self.queries, datetime.now(UTC)
        targets, raised = queries.sla_targets(), 0
        for clock in queries.maybe_due(targets, now):
            reading = sla.read_clock_of(targets, clock, now)
            if reading.breached:
                event = NewEvent("moderation.sla_breached", sla.breach_alert(
                    clock, queries.conversation(clock.get("conversation_id")), reading))
                commit = self.store.execute(f"sla.{clock['_id']}", lambda history, event=event:
                                            [] if history else [event],
                                            CommandContext(correlation_id=self.correlation))
                self.views.apply_commit(commit)
                raised += commit is not None
        return raised

    # -- events --------------------------------------------------------------------------------

    @reliable_handler("moderation", "moderation.*", idempotent=True)
    def project(self, event: Envelope):
        self.views.apply(event)

    @reliable_handler("moderation", "moderation.*", private=True, idempotent=True)
    def project_private(self, event: Envelope):
        """Own private events (CM notes on a member), if the writer died before applying them:
        published on `moderation.private`, which `project`'s binding does not reach."""
        self.views.apply(event)

    @reliable_handler("posts", "posts.*", idempotent=True, batch=True, only=public_events_but(
        POST_VOTE_EVENTS, REPLY_VOTE_EVENTS, CATEGORY_EVENTS))
    def on_posts_event(self, events: list[Envelope]):
        """Posts' and replies' streams (whole: applied in order); votes and categories are
        streams of their own that moderation does not use, so they are not bound. A
        contribution deleted, or refused by another item's decision, leaves nothing to decide
        on its items still waiting (flags, an edit): they are withdrawn; so are the edits a
        later published revision superseded (a CM's edit over the author's waiting one)."""
        self.views.record_and_apply_all(events)
        for event in events:
            for scope, cause in domain.withdrawals(event):
                self._withdraw(scope, cause, event)

    @reliable_handler("identity", "identity.*", idempotent=True)
    def on_identity_event(self, event: Envelope):
        """When each member joined (the account age that trusted flags need), and roles, badges
        and advisor assignments: privileged changes in the staff trail. All of identity's
        public events, so each `user-<id>` stream arrives whole (the per-stream guard). An
        erased member's texts still held are withdrawn: never published, never decided."""
        self.views.record_and_apply(event)
        if event.type == USER_ERASED:
            self._withdraw({"author_id": event.payload["user_id"], "review": "content"},
                           "member_erased", event)

    def _withdraw(self, scope: dict[str, Any], cause: str, event: Envelope) -> None:
        """Withdraw the waiting items in `scope` (`domain.withdraw`: once, whoever redelivers)."""
        context = CommandContext(correlation_id=self.correlation).caused_by(event)
        for item in self.views["items"].find({**scope, "state": {"$in": domain.WAITING}},
                                             {"_id": 1}):
            self._decide(item["_id"], lambda history, cause=cause: domain.withdraw(
                domain.fold_item(history), cause), None, context)

    @reliable_handler("conversations", "conversations.*", idempotent=True)
    def on_conversations_event(self, event: Envelope):
        """Ids only (who wrote in which conversation): the clocks of conversations."""
        self.views.record_and_apply(event)

    @reliable_handler("posts", "posts.content_submitted", private=True, idempotent=True,
                      batch=True)
    def on_content_submitted(self, events: list[Envelope]):
        """Review every submitted text: detector whatever the policy, then the policy."""
        self.views.record_and_apply_all(events)
        policy = self.queries.policy()  # one read for the batch
        for event in events:
            self._review(event, policy)

    def _review(self, event: Envelope, policy: dict[str, Any]) -> None:
        content = event.payload
        item_id = domain.review_item_id(content["target_id"], content["revision"])
        found = domain.scan(content["title"], content["body"], content["tags"])
        # the member's approvals matter only to a policy that holds new members' texts
        approved = self.queries.approved(content["author_id"]) \
            if domain.counts_approvals(content, policy) else 0
        # what became of the text since it was sent: a later revision published, or deleted
        # (its author may delete a text still being checked: a late review must not hold it)
        published = self.queries.published(content["target_id"])
        context = CommandContext(correlation_id=self.correlation).caused_by(event)

        def decide(history: list[Envelope]) -> list[NewEvent]:
            return domain.review(domain.fold_item(history), content, policy, approved, found,
                                 published)

        # a revision's item is a new stream: nothing to load, unless this is a redelivery;
        # its cursor is not read either: the review's events (a hold, an automatic approval)
        # make one effect when applied twice and none after the item's later events (the
        # item's writes are versioned, the member's count and the audit keyed by the event)
        self._decide_new(item_id, decide, None, context, at_floor=True)
