"""Moderation routes: flags (members), the queue, decisions, policy, audit trail, member notes
and response-time clocks (community managers and admins; RPC to moderation)."""
from __future__ import annotations

import hashlib
import json

from marshmallow import Schema, fields
from nameko.rpc import RpcProxy
from werkzeug.wrappers import Response

from services.moderation.schemas import (
    AuditQuerySchema,
    DecisionSchema,
    FlagSchema,
    MemberFlagsQuerySchema,
    MemberPageQuerySchema,
    NoteSchema,
    PolicySchema,
    PolicyUpdateSchema,
    QueueQuerySchema,
    ReplyTargetSchema,
    SlaQuerySchema,
    SlaStatisticsQuerySchema,
    SlaTargetsSchema,
    SlaTargetsUpdateSchema,
    TakeDownSchema,
)
from services.shared import ids
from services.shared.ids import path_schema
from services.shared.members import ERASED_MEMBER

from ..calls import Call, Reply
from ..http import route

# path parameters: each id checked for its exact shape (404 otherwise)
POST_PATH = path_schema(id=ids.POST)
REPLY_PATH = path_schema(id=ids.REPLY)
ITEM_PATH = path_schema(id=ids.MODERATION_ITEM)
MEMBER_PATH = path_schema(id=ids.USER)

TAGS = ["moderation"]
CM = "community_manager"  # admins qualify too (gateway/auth.py)


# -- responses (every key the moderation presenters produce) -----------------------------------


class Text(Schema):
    title = fields.String(allow_none=True)
    body = fields.String()
    tags = fields.List(fields.String(), allow_none=True, metadata={
        "description": "a post's tags (null for a reply); in a proposal, without those that "
                       "make up what the detector found"})


class Finding(Schema):
    field = fields.String(metadata={"description": "title | body | tags (offsets in the tags "
                                    "joined by one space, in their order)"})
    kind = fields.String(metadata={"description": "iban, rib, card_number, email, "
                                   "account_number, phone, customer_number, card_expiry, "
                                   "card_security_code, pin_code, password"})
    start = fields.Integer(metadata={"description": "offset of the first character (code "
                                     "points)"})
    end = fields.Integer(metadata={"description": "offset after the last character"})


class Flagger(Schema):
    id = fields.String(required=True)
    reason = fields.String(required=True)
    trusted = fields.Boolean(metadata={"description": "counted towards hiding it"})
    at = fields.String()
    details = fields.String(metadata={"description": "the flagger's own words on why, when "
                                      "they gave some (community team only)"})


class Thread(Schema):
    id = fields.String(metadata={"description": "the post: the thread of a reply, or the post "
                                 "itself"})
    title = fields.String(allow_none=True, metadata={"description": "its public title (null "
                                                     "before its first publication)"})
    state = fields.String(allow_none=True, metadata={"description": "pending | published | "
                                                     "hidden | rejected | deleted"})


class Item(Schema):
    id = fields.String(required=True)
    review = fields.String(metadata={"description": "content (a submitted text) | flags"})
    target_type = fields.String(metadata={"description": "post | reply"})
    target_id = fields.String()
    post_id = fields.String()
    revision = fields.Integer(allow_none=True)
    author_id = fields.String()
    state = fields.String(metadata={"description": "held | review (escalated flags: still "
                                    "visible, waiting for a CM) | open (flagged, still "
                                    "visible, waiting for a CM) | approved | rejected | "
                                    "redacted | withdrawn (nothing left to decide: see "
                                    "`withdrawn_because`)"})
    withdrawn_because = fields.String(allow_none=True, metadata={
        "description": "contribution_deleted | contribution_rejected (by another item's "
                       "decision) | member_erased (the author erased their account: their "
                       "held text is dropped, never published) | edit_superseded (a later "
                       "revision of the text was published: this one never will be) | "
                       "resubmitted (its author corrected the text, never published, while "
                       "it waited: the CMs review the correction instead)"})
    held_by = fields.String(allow_none=True, metadata={
        "description": "held by a CM (`reasons` staff: from its thread; undo: undoing a "
                       "decision): who; null for any other hold"})
    taken_at = fields.String(allow_none=True, metadata={
        "description": "held by a CM: when (a flags item's `held_at` is its round's first "
                       "flag's)"})
    undoes = fields.String(allow_none=True, metadata={
        "description": "`reasons` undo: the item whose decision this hold takes back"})
    suggested_reason_code = fields.String(allow_none=True, metadata={
        "description": "the rejection reason the item calls for, to offer first: flags, the "
                       "most given flag reason's; a text the detector held, confidential_data; "
                       "null when nothing says (the CM chooses)"})
    target_state = fields.String(allow_none=True, metadata={
        "description": "the contribution's public state now: pending (never published yet), "
                       "published (visible: flagged, or its previous revision while an edit "
                       "waits), hidden, rejected, deleted"})
    thread = fields.Nested(Thread, metadata={"description": "the thread the contribution "
                                             "belongs to, as it is public now"})
    reasons = fields.List(fields.String(), allow_none=True,
                          metadata={"description": "policy | detector | flags | mass_flagging | "
                                    "staff (a CM took it out of public view) | undo (a CM "
                                    "undid the decision that had left it public) | "
                                    "sent_again (a person refused it before publication; its "
                                    "author corrected it and sent it again)"})
    policy_rules = fields.List(fields.String(), allow_none=True,
                               metadata={"description": "global | category | new_member"})
    detector_kinds = fields.List(fields.String(), allow_none=True,
                                 metadata={"description": "iban, rib, card_number, email, "
                                           "account_number, phone, customer_number, card_expiry, "
                                           "card_security_code, pin_code, password"})
    flag_count = fields.Integer(allow_none=True)
    flags = fields.Dict(keys=fields.String(), values=fields.Integer(),
                        metadata={"description": "flags per reason"})
    flaggers = fields.List(fields.Nested(Flagger), metadata={
        "description": "flags: who flagged it this round, why and when"})
    held_at = fields.String(allow_none=True, metadata={
        "description": "since when it waits (flags: the round's first flag)"})
    waiting_seconds = fields.Float()
    target_seconds = fields.Integer(metadata={
        "description": "flags: the flags queue's response-time target (policy "
                       "flags_target_hours)"})
    due_at = fields.String(metadata={"description": "flags: when the target is reached"})
    overdue = fields.Boolean(metadata={"description": "flags: waiting beyond the target"})
    decided_at = fields.String(allow_none=True)
    decided_by = fields.String(allow_none=True)
    findings = fields.List(fields.Nested(Finding), metadata={
        "description": "where the detector finds confidential data in `content` (while held)"})
    target_seconds = fields.Integer(metadata={
        "description": "the response-time target of a waiting item (the site channel's)"})
    due_at = fields.String(allow_none=True, metadata={"description": "when it is reached"})
    breached = fields.Boolean(metadata={"description": "waiting beyond its target"})
    headline = fields.String(allow_none=True, metadata={
        "description": "what a list names the item by (while held): its title, else its "
                       "text's first line, confidential data masked as in `proposal`"})
    content = fields.Nested(Text, allow_none=True,
                            metadata={"description": "the text under review (while held)"})
    proposal = fields.Nested(Text, allow_none=True,
                             metadata={"description": "the proposed masked version: the "
                                       "starting point of a redaction"})


class ItemPage(Schema):
    items = fields.List(fields.Nested(Item), required=True)
    next_cursor = fields.String(allow_none=True)
    waiting = fields.Integer(metadata={
        "description": "items waiting for a CM that this filter shows, all pages: with "
                       "review=content, texts held for review; with review=flags, flagged "
                       "contributions (hidden or still visible) and escalations; without, both"})
    waiting_by_review = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={
        "description": "waiting items per review: content, flags"})


class AuditEntry(Schema):
    id = fields.String(required=True)
    at = fields.String()
    actor_id = fields.String(allow_none=True, metadata={
        "description": f"`{ERASED_MEMBER}` (as `target_id`) once that member erased their "
                       "account: the fact stays, the person goes"})
    action = fields.String()
    target_type = fields.String()
    target_id = fields.String()
    item_id = fields.String(allow_none=True)
    before = fields.Raw(allow_none=True)
    after = fields.Raw(allow_none=True)
    details = fields.Dict()
    correlation_id = fields.String(allow_none=True)


class AuditPage(Schema):
    items = fields.List(fields.Nested(AuditEntry), required=True)
    next_cursor = fields.String(allow_none=True)


class FlagResult(Schema):
    target_type = fields.String()
    target_id = fields.String()
    flagged = fields.Boolean()
    held = fields.Boolean(metadata={"description": "this flag hid it pending review"})


class MemberNote(Schema):
    id = fields.String(required=True)
    member_id = fields.String()
    note = fields.String()
    at = fields.String()
    by = fields.String(allow_none=True)


class MemberNotes(Schema):
    member_id = fields.String()
    approved_contributions = fields.Integer()
    notes = fields.List(fields.Nested(MemberNote))


class MemberContribution(Schema):
    target_type = fields.String(metadata={"description": "post | reply"})
    id = fields.String(required=True)
    post_id = fields.String(metadata={"description": "the thread (a reply's question)"})
    kind = fields.String(allow_none=True, metadata={"description": "question, idea, "
                         "discussion, article; a reply: reply or answer"})
    state = fields.String(metadata={"description": "pending | published | hidden | rejected | "
                                    "deleted"})
    title = fields.String(allow_none=True, metadata={
        "description": "a post's title (null for a reply); once published, else refused (as "
                       "the refused submission's, masked by the detector); none once deleted"})
    excerpt = fields.String(metadata={"description": "the start of the visible text (none "
                                      "once rejected or deleted)"})
    submitted_at = fields.String(allow_none=True)


class MemberContributions(Schema):
    items = fields.List(fields.Nested(MemberContribution))
    next_cursor = fields.String(allow_none=True)


class MemberFlag(Schema):
    id = fields.String(required=True)
    item_id = fields.String(metadata={"description": "the flags' moderation item"})
    target_type = fields.String()
    target_id = fields.String()
    post_id = fields.String()
    author_id = fields.String(metadata={"description": "whose contribution was flagged"})
    flagger_id = fields.String()
    reason = fields.String()
    trusted = fields.Boolean()
    at = fields.String()
    target_state = fields.String(allow_none=True, metadata={
        "description": "the contribution's state now (hidden, published, ...)"})
    target_title = fields.String(metadata={
        "description": "its title, or the start of its text (empty once rejected or deleted)"})


class MemberFlags(Schema):
    items = fields.List(fields.Nested(MemberFlag))
    next_cursor = fields.String(allow_none=True)


class WaitingClock(Schema):
    clock_id = fields.String(metadata={"description": "the post id, or conv.<conversation>."
                                       "<message> for a conversation's wait"})
    post_id = fields.String(allow_none=True, metadata={"description": "site questions"})
    conversation_id = fields.String(allow_none=True, metadata={
        "description": "private conversations and social cases"})
    category = fields.String(allow_none=True)
    channel = fields.String(metadata={"description": "site | social | private"})
    published_at = fields.String(metadata={"description": "when the member's wait started"})
    waiting_seconds = fields.Float(metadata={"description": "counted as the target counts "
                                             "(opening hours only with business_hours)"})
    target_seconds = fields.Integer()
    business_hours = fields.Boolean()
    due_at = fields.String(allow_none=True, metadata={"description": "when the target is "
                                                      "reached (null: the calendar never opens)"})
    breached = fields.Boolean()


class SlaFigures(Schema):
    answered = fields.Integer(metadata={"description": "answered clocks (the latest 1,000)"})
    median_first_answer_seconds = fields.Float(allow_none=True)
    within_target_ratio = fields.Float(allow_none=True)
    unanswered = fields.Integer(metadata={"description": "clocks waiting for staff now"})
    breached_unanswered = fields.Integer(metadata={"description": "of those, beyond target"})


class Sla(SlaFigures):
    targets_seconds = fields.Dict(keys=fields.String(), values=fields.Integer(),
                                  metadata={"description": "per channel (shortcut of targets)"})
    targets = fields.Nested(SlaTargetsSchema)
    by_channel = fields.Dict(keys=fields.String(), values=fields.Nested(SlaFigures),
                             metadata={"description": "site | social | private"})
    oldest_unanswered = fields.List(fields.Nested(WaitingClock))
    next_cursor = fields.String(allow_none=True, metadata={
        "description": "the next page of waiting clocks (null: the last page)"})


class AnswerTimeWindow(Schema):
    days = fields.Float(metadata={"description": "7 or 30: the last days counted; with since "
                                  "and until, the period's length in days"})
    answered = fields.Integer(metadata={"description": "clocks staff first answered within "
                                        "the window"})
    p50_seconds = fields.Float(allow_none=True, metadata={
        "description": "median wait for the first staff answer (null: none answered)"})
    p90_seconds = fields.Float(allow_none=True, metadata={
        "description": "nine members in ten waited at most this long (nearest rank)"})


class ChannelAnswerTimes(Schema):
    target_seconds = fields.Integer(metadata={"description": "the channel's current target"})
    windows = fields.List(fields.Nested(AnswerTimeWindow))


class SlaStatistics(Schema):
    category = fields.String(allow_none=True)
    by_channel = fields.Dict(keys=fields.String(), values=fields.Nested(ChannelAnswerTimes),
                             metadata={"description": "site | social | private (only site "
                                       "with a category)"})
    computed_at = fields.String()


def queue_etag(page: dict) -> str:
    """What a queue page's readers see change: which items, in which state, how flagged."""
    state = [[item["id"], item.get("state"), item.get("flags"), item.get("decided_by")]
             for item in page["items"]]
    document = json.dumps([state, page.get("waiting"), page.get("next_cursor")],
                          sort_keys=True, default=str)
    return hashlib.sha256(document.encode()).hexdigest()[:32]


class ModerationRoutes:
    moderation = RpcProxy("moderation")

    # -- members: flags

    @route("POST", "/api/v1/posts/{id}/flags", path_params=POST_PATH, auth="member",
           body=FlagSchema, response=FlagResult, status=201, tags=TAGS, errors=[422, 429])
    def flag_post(self, call: Call):
        """Flag (report) a post; enough flags from trusted members hide it pending review

        Trusted: staff, or members whose account is old enough, with enough approved
        contributions, flagging from an address no other flagger of the round used (the
        policy's `trusted_min_age_days`, `trusted_min_approved`). When a trusted flagger has
        already hidden many contributions within a day, the item goes to the CMs' queue
        (state `review`) and stays visible until they decide. Flags are limited per account
        and per client address: 429 with Retry-After.
        """
        return self.moderation.flag(call.actor, "post", call.path["id"], call.body,
                                    call.client)

    @route("POST", "/api/v1/replies/{id}/flags", path_params=REPLY_PATH, auth="member",
           body=FlagSchema, response=FlagResult, status=201, tags=TAGS, errors=[422, 429])
    def flag_reply(self, call: Call):
        """Flag (report) a reply (same rules and limits as a post's flags)"""
        return self.moderation.flag(call.actor, "reply", call.path["id"], call.body,
                                    call.client)

    # -- community managers

    @route("GET", "/api/v1/moderation/queue", auth=CM, query=QueueQuerySchema,
           response=ItemPage, tags=TAGS, conditional=True)
    def queue(self, call: Call):
        """Items waiting for a CM, oldest first: held texts, and every flagged contribution

        Flags are grouped per contribution (one item: reasons counted, flaggers listed),
        waiting since the round's first flag, with the flags queue's own response-time target
        (`target_seconds`, `due_at`, `overdue`; policy `flags_target_hours`). A flagged
        contribution still visible is `open`: approving dismisses the flags, rejecting or
        redacting hides it first.

        The answer carries an `ETag` naming the queue's state (its items, their states and
        flags, the number waiting), not their ages: a console polling with `If-None-Match`
        gets `304 Not Modified` until an item arrives, is decided or is flagged again.
        """
        page = self.moderation.queue(call.actor, call.query)
        etag = queue_etag(page)
        if etag in call.request.if_none_match:
            return Response(status=304, headers={"ETag": f'"{etag}"'})
        return Reply(page, headers={"ETag": f'"{etag}"'})

    @route("GET", "/api/v1/moderation/items/{id}", path_params=ITEM_PATH, auth=CM, response=Item,
           tags=TAGS)
    def get_item(self, call: Call):
        """One moderation item (CM)"""
        return self.moderation.get_item(call.actor, call.path["id"])

    @route("POST", "/api/v1/moderation/items/{id}/decision", path_params=ITEM_PATH, auth=CM,
           body=DecisionSchema, response=Item, tags=TAGS, errors=[409, 422])
    def decide(self, call: Call):
        """Decide on a held item: approve, reject (reason code), redact (the redacted text) (CM)

        A redaction is published with the "edited by the community team" mark; the original
        is kept only in the audit trail. The redacted text must itself be free of confidential
        data (422 otherwise). A post's tags that make up what the detector found are removed
        (the proposal's `tags`), the others published.

        An approval publishes the text as written: it is refused (422, field error on
        `decision`) while the detector finds an IBAN, a RIB, a card or an account number in it
        — redact or reject instead; there is no override. For contact details it finds (an
        e-mail address, a phone number) the approval needs `not_confidential` naming each of
        those kinds — the CM's statement that they may be public (the bank's customer service,
        an agency's address), kept in the event and the audit trail (422 on
        `not_confidential` otherwise). Each decision takes only its own fields: a
        `reason_code` (reject), `title`/`body` (redact) or `not_confidential` (approve) sent
        with another decision is refused (422, field error on that field).
        """
        return self.moderation.decide(call.actor, call.path["id"], call.body)

    @route("POST", "/api/v1/moderation/items/{id}/undo", path_params=ITEM_PATH, auth=CM,
           response=Item, tags=TAGS, errors=[409])
    def undo(self, call: Call):
        """Undo a decision that left a contribution public (CM): it leaves public view again

        An approval, a redaction or a dismissal of flags (item `approved` or `redacted`) is
        taken back by hiding the contribution again and putting it back in the queue on its
        flags item (`<id>.flags`, state `held`, reason `undo`), which is returned: decide on it
        again. The decision stays in the item's history and the audit trail (the undo is a
        new event, `moderation.item_held` with `undoes`). A refusal is not undone (409): its
        author has been told. Idempotent: undoing again changes nothing while it is held.
        """
        return self.moderation.undo(call.actor, call.path["id"])

    @route("POST", "/api/v1/posts/{id}/removal", path_params=POST_PATH, auth=CM,
           body=TakeDownSchema, response=Item, tags=TAGS)
    def remove_post(self, call: Call):
        """Take a public post out of public view and refuse it (CM): its author is told why

        For what members flag too late or not at all (abuse, a confidential number): the post
        is hidden and refused with `reason_code` at once, on its flags item (returned; reason
        `staff`). Refused already: nothing changes (idempotent). 404 when it is not public
        (pending, deleted, refused otherwise).
        """
        return self.moderation.take_down(call.actor, "post", call.path["id"], call.body)

    @route("POST", "/api/v1/replies/{id}/removal", path_params=REPLY_PATH, auth=CM,
           body=TakeDownSchema, response=Item, tags=TAGS)
    def remove_reply(self, call: Call):
        """Take a public reply out of public view and refuse it (CM): as for a post"""
        return self.moderation.take_down(call.actor, "reply", call.path["id"], call.body)

    @route("POST", "/api/v1/posts/{id}/hold", path_params=POST_PATH, auth=CM, response=Item,
           tags=TAGS)
    def hold_post(self, call: Call):
        """Take a public post out of public view for review (CM), e.g. to redact it

        It is hidden and waits in the queue on its flags item (returned; state `held`, reason
        `staff`), where it is approved (shown again), redacted or refused. Held already:
        nothing changes (idempotent).
        """
        return self.moderation.take_down(call.actor, "post", call.path["id"])

    @route("POST", "/api/v1/replies/{id}/hold", path_params=REPLY_PATH, auth=CM, response=Item,
           tags=TAGS)
    def hold_reply(self, call: Call):
        """Take a public reply out of public view for review (CM): as for a post"""
        return self.moderation.take_down(call.actor, "reply", call.path["id"])

    @route("GET", "/api/v1/moderation/policy", auth=CM, response=PolicySchema, tags=TAGS)
    def get_policy(self, call: Call):
        """The moderation policy (CM)"""
        return self.moderation.get_policy(call.actor)

    @route("PUT", "/api/v1/moderation/policy", auth=CM, body=PolicyUpdateSchema,
           response=PolicySchema, tags=TAGS)
    def set_policy(self, call: Call):
        """Change the policy: pre-moderation (global, categories, new members), flags (CM)"""
        return self.moderation.set_policy(call.actor, call.body)

    @route("GET", "/api/v1/moderation/audit", auth=CM, query=AuditQuerySchema,
           response=AuditPage, tags=TAGS)
    def audit(self, call: Call):
        """The append-only trail of staff actions, newest first (CM, admin)

        An approval of a CM's own hold (after an undo or a take-down) written as `approve`
        before the trail told it apart is answered as `republish` (its `undoes` read from the
        hold's entry), and filtered as such: a page filtered by action may then hold fewer
        entries than `limit` while `next_cursor` goes on.
        """
        return self.moderation.audit(call.actor, call.query)

    @route("GET", "/api/v1/moderation/sla", auth=CM, query=SlaQuerySchema, response=Sla,
           tags=TAGS)
    def sla(self, call: Call):
        """Response-time clocks: time to first staff answer vs targets, per channel (CM)

        A clock runs for every published question (channel `site`) from its submission (the
        time it was held for review counts) until its first official answer, and for every
        member message in a private conversation (`private`) or a
        social-media case (`social`) until staff next write.
        """
        return self.moderation.sla(call.actor, call.query)

    @route("GET", "/api/v1/moderation/sla/statistics", auth=CM,
           query=SlaStatisticsQuerySchema, response=SlaStatistics, tags=TAGS)
    def sla_statistics(self, call: Call):
        """Time to first staff answer, p50 and p90 per channel over 7 and 30 days (CM)

        Counts the clocks staff first answered within each window; a wait is counted as its
        target counts (opening hours only for a business-hours target). `category` narrows
        to the site questions of one category.
        """
        return self.moderation.sla_statistics(call.actor, call.query)

    @route("GET", "/api/v1/moderation/sla/targets", auth=CM, response=SlaTargetsSchema,
           tags=TAGS)
    def get_sla_targets(self, call: Call):
        """Response-time targets per channel and category, and the business-hours calendar (CM)"""
        return self.moderation.get_sla_targets(call.actor)

    @route("GET", "/api/v1/me/reply-target", auth="member", response=ReplyTargetSchema,
           tags=["me"])
    def private_reply_target(self, call: Call):
        """When the bank usually answers a private conversation (any member)

        The private conversations' response-time target, the one staff's clocks count against
        (`/moderation/sla/targets`, CM), and only that one: the private pages say « Réponse
        habituelle sous 8 h ». `business_hours`: counted in opening hours only; `working_days`:
        then the target as whole opening days, when it is.
        """
        return self.moderation.private_reply_target(call.actor)

    @route("PUT", "/api/v1/moderation/sla/targets", auth=CM, body=SlaTargetsUpdateSchema,
           response=SlaTargetsSchema, tags=TAGS, errors=[409])
    def set_sla_targets(self, call: Call):
        """Change response-time targets (CM): the sections sent replace the current ones

        `channels` (site, social, private) are replaced one by one; `categories` (site
        questions of a category; overrides the site channel) and `calendar` (time zone, opening
        hours per weekday, closed dates) as a whole. A target with `business_hours: true`
        counts the calendar's opening hours only. Clocks already running are measured against
        the new targets at once. Audited (`change_sla_targets`).
        """
        return self.moderation.set_sla_targets(call.actor, call.body)

    @route("POST", "/api/v1/moderation/members/{id}/notes", path_params=MEMBER_PATH, auth=CM,
           body=NoteSchema, response=MemberNote, status=201, tags=TAGS)
    def note_member(self, call: Call):
        """Add a private CM note on a member (CM)"""
        return self.moderation.note_member(call.actor, call.path["id"], call.body)

    @route("GET", "/api/v1/moderation/members/{id}/notes", path_params=MEMBER_PATH, auth=CM,
           response=MemberNotes, tags=TAGS)
    def member_notes(self, call: Call):
        """CM notes on a member and their approved contributions (CM)"""
        return self.moderation.member_notes(call.actor, call.path["id"])

    @route("GET", "/api/v1/moderation/members/{id}/contributions", path_params=MEMBER_PATH,
           auth=CM, query=MemberPageQuerySchema, response=MemberContributions, tags=TAGS)
    def member_contributions(self, call: Call):
        """A member's posts and replies in every state, newest first, in pages (CM)"""
        return self.moderation.member_contributions(call.actor, call.path["id"], call.query)

    @route("GET", "/api/v1/moderation/members/{id}/flags", path_params=MEMBER_PATH, auth=CM,
           query=MemberFlagsQuerySchema, response=MemberFlags, tags=TAGS)
    def member_flags(self, call: Call):
        """Flags on a member's contributions (`side=on`) or raised by them (`side=by`), newest
        first, in pages, with each contribution's state now (CM)"""
        return self.moderation.member_flags(call.actor, call.path["id"], call.query)
