"""The advisors' console (`/console/...`): private conversations and the escalation of a
public question (the member screens, with the admins' actions: console_members.py).

Every console URL answers 404 to whoever may not use that screen (its existence is not
advertised), but a conversation's page: it sends a signed-in person without a staff role to the
member's page of that conversation, since they may follow a notification link from when they
were staff (conversations still decides whether they read it there), and so it does staff who
are that conversation's customer (a link made before notifications knew the customer's side).
Each action is the RPC of its `/api/v1` route with the same actor, so the services' own
authorization decides (an advisor reads only the conversations they take part in, and an
advisor2 gets the same 404 on advisor1's conversation as a member would).
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from marshmallow import fields, validate
from nameko.rpc import RpcProxy

from gateway.routes.conversations import CONVERSATION_PATH, CUSTOMER_PATH, POST_PATH
from services.conversations.schemas import (
    BODY_MAX,
    NAME_FILTER_MAX,
    STAFF_SIDE,
    MessageCreateSchema,
)
from services.moderation import sla
from services.notifications.domain import CONVERSATION_PAGE
from services.shared import ids
from services.shared.actors import ADVISOR, STAFF_ROLES, holds_any, roles
from services.shared.errors import NotFound

from .. import i18n
from ..masked_notice import notice_view
from ..page import PageCall, Spare, page
from ..social_cases import (
    SOCIAL_ORIGIN,
    is_social_case,
    network_label,
    reply_destination,
    shown_conversation,
    shown_subject,
)
from .account import field_errors
from .console import display_names, duration, require_roles, urgency
from .console_absence import ABSENCE_ENDED
from .console_notes import notes_view
from .console_participants import participants_view
from .console_saved_replies import saved_replies_view
from .messages import ConversationQuery, latest_messages, sent_href
from .messages import CursorQuery as ConversationsScreenQuery
from .notifications import reading_conversation, settled

CONVERSATION_ROLES = STAFF_ROLES
CONVERSATIONS_PAGE = 30
MESSAGES_PAGE = 100
TIMELINE_PAGE = 30
MY_CUSTOMERS_PAGE = 100  # the service's most
REPLY_MESSAGES = {"body": "staff.invalid_reply"}


class InboxQuery(ConversationsScreenQuery):
    """The inbox's page (`cursor`), of one customer's conversations only (`customer`)."""

    customer = ids.USER.field()


class MyCustomersQuery(ConversationsScreenQuery):
    """« Mes clients »'s page (`cursor`), of the customers whose name holds `q` only."""

    q = fields.String(load_default=None, validate=validate.Length(max=NAME_FILTER_MAX))
    # « Je suis de retour » pressed here (console_absence.BACK_TO): said once, on arrival
    absence = fields.String(validate=validate.OneOf([ABSENCE_ENDED]))


def waiting_clocks(items: list[dict[str, Any]], targets: dict[str, Any] | None,
                   now: datetime) -> dict[str, dict[str, Any]]:
    """Each conversation waiting for staff: its wait since the customer's first unanswered
    message, read as the moderation's response-time clock reads it (`sla.read_clock`: the
    channel's current target, social cases theirs, opening hours when the target counts them),
    for `urgency()` as in the moderation queue. Without the targets (moderation slow): the
    plain wait, no target."""
    clocks = {}
    for item in items:
        since = i18n.parse_time(item.get("waiting_since"))
        if not (item.get("waiting_for_staff") and since):
            continue
        clock: dict[str, Any] = {"since": item["waiting_since"],
                                 "waiting_seconds": (now - since).total_seconds()}
        if targets:
            channel = "social" if is_social_case(item) else "private"
            reading = sla.read_clock(targets, channel, None, since, now)
            clock.update(waiting_seconds=reading.waited_seconds, breached=reading.breached,
                         target_seconds=reading.target_seconds,
                         business_hours=reading.business_hours,
                         due_at=reading.due_at.isoformat() if reading.due_at else None)
        clocks[item["id"]] = clock
    return clocks


class StaffConsolePages:
    conversations = RpcProxy("conversations")
    identity = RpcProxy("identity")
    moderation = RpcProxy("moderation")
    notifications = RpcProxy("notifications")

    # -- conversations (advisors, CMs, admins) ---------------------------------------------

    @page("GET", "/console/conversations", auth="member", query=InboxQuery)
    def staff_conversations_page(self, call: PageCall):
        """My customers' conversations (a CM's or an admin's: those they take part in), those
        waiting for an answer first, the longest wait first (the advisor's priority, across
        pages), then the others, most recently active first (CMs: the staff queue too).
        `customer`: only those with one customer (the service decides whom the reader may
        see: a 404 for anyone else, as their timeline answers)."""
        require_roles(call, CONVERSATION_ROLES)
        targets = Spare(self.moderation.get_sla_targets, call.actor)
        customer_id = call.query.get("customer")
        found = self.conversations.list_conversations(call.actor, {
            "limit": CONVERSATIONS_PAGE, "cursor": call.query.get("cursor"), "sort": "waiting",
            "side": STAFF_SIDE,  # not their own as a customer (the member's page lists those)
            **({"customer": customer_id} if customer_id else {})})
        if customer_id and not found.get("customer"):
            raise NotFound("no such customer", {"id": customer_id})
        items = [shown_conversation(call.t, item) for item in found["items"]]
        now = datetime.now(UTC)
        clocks = waiting_clocks(items, targets.answer(), now)
        members = display_names(call, self.identity, [item.get("member_id") for item in items])
        queue = [item for item in items if item.get("queue")]
        mine = [item for item in items if not item.get("queue")]
        more = ("/console/conversations?" + urlencode(
            {**({"customer": customer_id} if customer_id else {}),
             "cursor": found["next_cursor"]}) if found.get("next_cursor") else None)
        # an advisor answers their customers; a CM or an admin has none: theirs are the
        # conversations they picked up or opened from a thread, and the queue
        texts = "staff." if "advisor" in roles(call.actor) else "staff.team_"
        return call.render("console/conversations.html",
                           title=inbox_title(call, texts, found.get("customer")),
                           texts=texts, mine=mine, queue=queue, members=members, more=more,
                           customer=found.get("customer"), is_user=ids.USER.matches,
                           clocks=clocks, urgency=urgency, now=now.isoformat(),
                           duration=lambda seconds: duration(call, seconds),
                           section="console", console_tab="conversations")

    @page("GET", "/console/conversations/{id}", path_params=CONVERSATION_PATH, auth="member",
          query=ConversationQuery)
    def staff_conversation_page(self, call: PageCall):
        """Its newest messages, as a chat (newest at the bottom); `cursor`: earlier ones.
        Opening it reads its notifications."""
        if not holds_any(roles(call.actor), CONVERSATION_ROLES):  # signed in (auth="member")
            return call.redirect(CONVERSATION_PAGE.format(id=call.path["id"]))
        reading = reading_conversation(self.notifications, call, call.path["id"])
        shown = self._staff_conversation(call, call.path["id"], cursor=call.query.get("cursor"))
        settled(reading)
        return shown

    @page("POST", "/console/conversations/{id}/messages", path_params=CONVERSATION_PATH,
          auth="member", form=MessageCreateSchema)
    def staff_reply_page(self, call: PageCall):
        """Reply without JavaScript (console_staff.js sends the same call through the API)."""
        require_roles(call, CONVERSATION_ROLES)
        conversation_id = call.path["id"]
        if call.form_errors:
            return self._staff_conversation(call, conversation_id, status=422, errors=field_errors(
                call, call.form_errors, REPLY_MESSAGES))
        message, problem = call.attempt(self.conversations.post_message, call.actor,
                                        conversation_id, call.form)
        if problem:
            errors = problem.body.get("errors")
            return self._staff_conversation(
                call, conversation_id, status=422,
                errors=field_errors(call, errors, REPLY_MESSAGES) if errors else None,
                message=None if errors else problem.detail)
        return call.redirect(sent_href(f"/console/conversations/{conversation_id}", message,
                                       f"#m-{message['id']}"))

    @page("POST", "/console/conversations/{id}/handled", path_params=CONVERSATION_PATH,
          auth="member")
    def staff_handled_page(self, call: PageCall):
        """« Marquer comme traitée »: no reply needed (the API's `POST .../handled`); the
        conversation stops waiting, its customer is not told."""
        require_roles(call, CONVERSATION_ROLES)
        conversation_id = call.path["id"]
        _, problem = call.attempt(self.conversations.settle_wait, call.actor, conversation_id)
        if problem:
            return self._staff_conversation(call, conversation_id, status=problem.status,
                                            message=problem.detail)
        return call.redirect(f"/console/conversations/{conversation_id}#staff-handled")

    def _staff_conversation(self, call: PageCall, conversation_id: str, status: int = 200,
                            cursor: str | None = None, **form_state: Any):
        conversation, earlier = latest_messages(self.conversations, call, conversation_id,
                                                MESSAGES_PAGE,
                                                f"/console/conversations/{conversation_id}",
                                                cursor)
        member_id = conversation.get("member_id")
        if member_id == call.actor["id"]:  # staff who are its customer: a link of before
            return call.redirect(CONVERSATION_PAGE.format(id=conversation_id))
        side = self._staff_side(call, conversation,
                                authors=[m.get("author_id") for m in conversation["messages"]])
        names = side["names"]
        conversation = shown_conversation(call.t, conversation)
        form_state.setdefault("participants", side["participants"])
        form_state["notes"] = side["notes"]
        form_state["saved_replies"] = saved_replies_view(  # console_saved_replies.py
            self.conversations, call)
        return call.render("console/conversation.html", status=status,
                           title=conversation.get("subject") or call.t("staff.no_subject"),
                           conversation=conversation, names=names, raw=call.raw_form,
                           reply_destination=reply_destination(call.t, conversation),
                           network=lambda channel: network_label(call.t, channel),
                           earlier=earlier, latest=not cursor, body_max=BODY_MAX,
                           # what the service masked in a reply sent (masked_notice.py)
                           masked_notice=notice_view(call.t, call.query.get("masked")),
                           # only to who may open it (the timeline's own rule, in the service)
                           customer_id=member_id if conversation.get("customer_timeline")
                           else None,
                           section="console", console_tab="conversations", **form_state)

    def _staff_side(self, call: PageCall, conversation: dict[str, Any],
                    authors: list[str | None] = ()) -> dict[str, Any]:
        """What the side of a conversation's page shows — its notes (console_notes.py), the
        « Participants » line (console_participants.py), who marked it handled — with the
        names these need (and `authors`', the page's messages: one look-up for all)."""
        names = display_names(call, self.identity, [
            *(conversation.get("participant_ids") or ()), conversation.get("member_id"),
            *authors,
            (conversation.get("handled") or {}).get("by")])  # a CM of the queue: no seat
        notes = notes_view(self.conversations, call, conversation["id"])
        names.update({n["author_id"]: n["author"]["display_name"] for n in notes
                      if n.get("author") and n["author"].get("display_name")})
        return {"names": names, "notes": notes,
                "participants": participants_view(conversation, names, call.actor["id"])}

    @page("GET", "/console/conversations/{id}/side", path_params=CONVERSATION_PATH,
          auth="member")
    def staff_side_page(self, call: PageCall):
        """The side alone (notes, participants, handled), for console_side.js to follow what
        colleagues do while the page is open. Unlike the page it reads no message (no `read`
        in the access audit: nobody read them) and reads no notification: a tab left open
        says nothing of who looked. Its notes are read, and audited as on the page; the
        summary comes from the inbox's list (`ids`: audited `list`), without messages. 404
        for whoever may not read its notes, its customer included (the page sends them to
        theirs)."""
        require_roles(call, CONVERSATION_ROLES)
        conversation_id = call.path["id"]
        found = self.conversations.list_conversations(call.actor, {
            "ids": [conversation_id], "limit": 1, "side": STAFF_SIDE})["items"]
        if not found:  # not theirs, or they are its customer: the notes' refusal (audited
            notes_view(self.conversations, call, conversation_id)  # `denied`), else ours
            raise NotFound("no such conversation", {"id": conversation_id})
        side = self._staff_side(call, found[0])
        return call.render("console/side.html", conversation=found[0], raw={},
                           body_max=BODY_MAX, **side)

    # -- a customer's timeline across channels (their advisor, CMs) -------------------------

    @page("GET", "/console/customers/{id}", path_params=CUSTOMER_PATH, auth="member",
          query=ConversationsScreenQuery)
    def staff_customer_timeline_page(self, call: PageCall):
        """Public posts and replies, private messages, social mentions: one timeline, newest
        first (conversations decide who may read it: 404 for another advisor)."""
        require_roles(call, CONVERSATION_ROLES)
        timeline = self.conversations.customer_timeline(call.actor, call.path["id"], {
            "limit": TIMELINE_PAGE, **({"cursor": call.query["cursor"]}
                                       if call.query.get("cursor") else {})})
        more = (f"/console/customers/{call.path['id']}?cursor={timeline['next_cursor']}"
                if timeline.get("next_cursor") else None)
        for entry in timeline["items"]:  # a social case's subject as the other pages say it
            if entry.get("channel") == SOCIAL_ORIGIN and entry.get("subject"):
                entry["subject"] = shown_subject(call.t, {"origin": SOCIAL_ORIGIN,
                                                          "channel": entry.get("social_channel")})
        # back to the inbox under its own title (`staff_inbox_page`): an advisor's customers,
        # a CM's or an admin's team conversations
        back = ("customer_timeline.back" if "advisor" in roles(call.actor)
                else "customer_timeline.team_back")
        # « Écrire à » for their own advisor only (console_outreach.py; a CM reads, no more)
        can_write = bool(timeline.get("writable"))
        return call.render("console/customer.html", title=call.t(
            "customer_timeline.title", name=timeline["member"].get("display_name") or ""),
            timeline=timeline, more=more, network=lambda channel: network_label(call.t, channel),
            back=call.t(back), can_write=can_write, section="console",
            console_tab="conversations")

    # -- an advisor's customers (their portfolio) --------------------------------------------

    @page("GET", "/console/customers", auth="member", query=MyCustomersQuery)
    def staff_my_customers_page(self, call: PageCall):
        """« Mes clients »: the advisor's customers (the service's order: most recently
        assigned first), each with their branch, whether one of their open conversations waits
        for an answer and since when, and the ways to their conversations and their journey.
        `q`: only those whose name holds it, in the whole portfolio (the service filters, then
        pages: a filter here of its first page missed a customer beyond it). Advisors only, as
        the service's `my_customers` (a CM or an admin has no portfolio: 404)."""
        require_roles(call, (ADVISOR,))
        # still marked away (back early, forgot « Je suis de retour »)? said here, not in the
        # console's tab: the nav has no absence without an RPC on every console page
        away = Spare(self.identity.get_my_absence, call.actor)
        cursor, wanted = call.query.get("cursor"), call.query.get("q") or ""
        found = self.conversations.my_customers(call.actor, {
            "limit": MY_CUSTOMERS_PAGE, "activity": 0, **({"q": wanted} if wanted else {}),
            **({"cursor": cursor} if cursor else {})})
        now = datetime.now(UTC)
        customers = [customer_row(item, now) for item in found["items"]]
        more = ("/console/customers?" + urlencode(
            {**({"q": wanted} if wanted else {}), "cursor": found["next_cursor"]})
            if found.get("next_cursor") else None)
        return call.render("console/my_customers.html", title=call.t("staff.my_customers_title"),
                           customers=customers, wanted=wanted, more=more,
                           absence=away.answer({}),
                           absence_ended=call.query.get("absence") == ABSENCE_ENDED,
                           duration=lambda seconds: duration(call, seconds),
                           section="console", console_tab="customers")

    # -- escalation from a thread (staff) ---------------------------------------------------

    @page("POST", "/console/posts/{id}/escalate", path_params=POST_PATH, auth="member")
    def staff_escalate_page(self, call: PageCall):
        """Continue a public question privately with its author, then open the conversation."""
        require_roles(call, CONVERSATION_ROLES)
        conversation = self.conversations.escalate_post(call.actor, call.path["id"], {})
        return call.redirect(f"/console/conversations/{conversation['id']}")


def customer_row(item: dict[str, Any], now: datetime) -> dict[str, Any]:
    """One customer's row: their open conversation that waits longest for an answer, if one
    does (its id, and the wait since the customer's first unanswered message: the inbox's)."""
    waits = sorted((since, conversation["id"]) for conversation in item["open_conversations"]
                   if conversation.get("waiting_for_staff")
                   and (since := i18n.parse_time(conversation.get("waiting_since"))))
    row = {"customer": item["customer"], "branch": item.get("branch"), "waiting": None}
    if waits:
        since, conversation_id = waits[0]
        row["waiting"] = {"since": since.isoformat(), "conversation_id": conversation_id,
                          "seconds": (now - since).total_seconds(), "count": len(waits)}
    return row


def inbox_title(call: PageCall, texts: str, customer: dict[str, Any] | None) -> str:
    """The inbox's title, or one customer's (« Conversations avec Marie Dubois »)."""
    if customer is None:
        return call.t(texts + "inbox_title")
    return call.t("console.customer_title", name=customer.get("display_name")
                  or call.t("console.customer_unnamed"))

