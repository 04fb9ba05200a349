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

from nameko.rpc import RpcProxy

from gateway.routes.conversations import CONVERSATION_PATH, CUSTOMER_PATH, POST_PATH
from services.conversations.schemas import BODY_MAX, STAFF_SIDE, MessageCreateSchema
from services.notifications.domain import CONVERSATION_PAGE
from services.shared.actors import STAFF_ROLES, holds_any, roles

from .. import i18n
from ..page import PageCall, page
from .account import field_errors
from .console import display_names, duration, require_roles
from .messages import CursorQuery as ConversationsScreenQuery
from .messages import latest_messages
from .notifications import reading_conversation, settled

CONVERSATION_ROLES = STAFF_ROLES
CONVERSATIONS_PAGE = 30
MESSAGES_PAGE = 100
TIMELINE_PAGE = 30
REPLY_MESSAGES = {"body": "staff.invalid_reply"}


class StaffConsolePages:
    conversations = RpcProxy("conversations")
    identity = RpcProxy("identity")
    notifications = RpcProxy("notifications")

    # -- conversations (advisors, CMs, admins) ---------------------------------------------

    @page("GET", "/console/conversations", auth="member", query=ConversationsScreenQuery)
    def staff_conversations_page(self, call: PageCall):
        """My customers' conversations (a CM's or an admin's: those they take part in), those
        waiting for an answer first, the longest wait first (the advisor's priority, across
        pages), then the others, most recently active first (CMs: the staff queue too)."""
        require_roles(call, CONVERSATION_ROLES)
        found = self.conversations.list_conversations(call.actor, {
            "limit": CONVERSATIONS_PAGE, "cursor": call.query.get("cursor"), "sort": "waiting",
            "side": STAFF_SIDE})  # not their own as a customer (the member's page lists those)
        items = found["items"]
        now = datetime.now(UTC)
        waited = {item["id"]: duration(call, (now - since).total_seconds()) for item in items
                  if item.get("waiting_for_staff")
                  and (since := i18n.parse_time(item.get("waiting_since")))}
        members = display_names(call, self.identity, [item.get("member_id") for item in items])
        queue = [item for item in items if item.get("queue")]
        mine = [item for item in items if not item.get("queue")]
        more = (f"/console/conversations?cursor={found['next_cursor']}"
                if found.get("next_cursor") else None)
        # an advisor answers their customers; a CM or an admin has none: theirs are the
        # conversations they picked up or opened from a thread, and the queue
        texts = "staff." if "advisor" in roles(call.actor) else "staff.team_"
        return call.render("console/conversations.html", title=call.t(texts + "inbox_title"),
                           texts=texts, mine=mine, queue=queue, members=members, more=more,
                           waited=waited, section="console", console_tab="conversations")

    @page("GET", "/console/conversations/{id}", path_params=CONVERSATION_PATH, auth="member",
          query=ConversationsScreenQuery)
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
        return call.redirect(f"/console/conversations/{conversation_id}#m-{message['id']}")

    def _staff_conversation(self, call: PageCall, conversation_id: str, status: int = 200,
                            cursor: str | None = None, **form_state: Any):
        conversation, earlier = latest_messages(self.conversations, call, conversation_id,
                                                MESSAGES_PAGE,
                                                f"/console/conversations/{conversation_id}",
                                                cursor)
        member_id = conversation.get("member_id")
        if member_id == call.actor["id"]:  # staff who are its customer: a link of before
            return call.redirect(CONVERSATION_PAGE.format(id=conversation_id))
        names = display_names(call, self.identity, [
            *(conversation.get("participant_ids") or ()), member_id,
            *(m.get("author_id") for m in conversation["messages"])])
        return call.render("console/conversation.html", status=status,
                           title=conversation.get("subject") or call.t("staff.no_subject"),
                           conversation=conversation, names=names, raw=call.raw_form,
                           earlier=earlier, latest=not cursor, body_max=BODY_MAX,
                           # only to who may open it (the timeline's own rule, in the service)
                           customer_id=member_id if conversation.get("customer_timeline")
                           else None,
                           section="console", console_tab="conversations", **form_state)

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
        return call.render("console/customer.html", title=call.t(
            "customer_timeline.title", name=timeline["member"].get("display_name") or ""),
            timeline=timeline, more=more, section="console", console_tab="conversations")

    # -- escalation from a thread (staff) ---------------------------------------------------

    @page("POST", "/console/posts/{id}/escalate", path_params=POST_PATH, auth="member")
    def staff_escalate_page(self, call: PageCall):
        """Continue a public question privately with its author, then open the conversation."""
        require_roles(call, CONVERSATION_ROLES)
        conversation = self.conversations.escalate_post(call.actor, call.path["id"], {})
        return call.redirect(f"/console/conversations/{conversation['id']}")
