"""Private dialogue with the bank: my advisor, my conversations, one conversation, writing.

Same RPCs as `/api/v1/me/advisor` and `/api/v1/conversations*`: the conversations service decides
who reads what (participants only, audited). A member without an advisor writes all the same:
the conversation waits in the bank's staff queue. With JavaScript on, static/js/conversation.js
sends through the API and shows new messages as the live channel announces them.
Staff answer their conversations in the console: these pages only hold their own as a customer
(a bank's employee may be one), so they point staff to the console rather than redirect there.
Private pages: `noindex`, `Cache-Control: no-store`, never cached by the service worker.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from marshmallow import Schema, fields, validate
from nameko.rpc import RpcProxy

from services.conversations.schemas import (
    BODY_MAX,
    CUSTOMER_SIDE,
    ConversationCreateSchema,
    MessageCreateSchema,
    PageQuerySchema,
)
from services.notifications.domain import CONSOLE_CONVERSATION_PAGE
from services.shared import i18n as catalogue
from services.shared.actors import ADVISOR, is_staff, roles

from ..masked_notice import masked_query, notice_view
from ..page import PageCall, Spare, page
from ..social_cases import is_social_case, network_name, shown_conversation
from .account import as_written
from .advisor import my_advisor
from .notifications import reading_conversation, settled
from .public import next_href
from .reply_time import asking, usual_reply

CONVERSATION_PAGE = 100   # messages shown at once: the newest, then earlier pages
UNREAD_SCAN = 100         # unread notifications looked through for the list's (the API's most)
STAFF_INBOX = "/console/conversations"


class CursorQuery(Schema):
    """A page's `cursor` (a conversation's earlier messages, the console's next rows)."""

    cursor = fields.String(allow_none=True, validate=validate.Length(max=500))


class ConversationQuery(CursorQuery):
    """A member's conversation: `masked`, set by the redirect of a send without JavaScript
    when the service masked a card number, a PIN or a password in it: what it masked
    (`?masked=card,password`, read against a fixed list: masked_notice.py), for its notice;
    the script shows the same from the API's answer."""

    masked = fields.String(load_default=None)


def sent_href(path: str, answer: dict[str, Any] | None, anchor: str = "") -> str:
    """Where a send without JavaScript lands: the conversation's page (the member's or the
    console's), told what was masked in what was sent (the answer's `masked`)."""
    return f"{path}{masked_query((answer or {}).get('masked'))}{anchor}"


def latest_messages(conversations, call: PageCall, conversation_id: str, limit: int,
                    page_path: str, cursor: str | None = None
                    ) -> tuple[dict[str, Any], str | None]:
    """A conversation with a page of its messages as a chat shows them: the newest page (or the
    one before `cursor`), oldest at the top; and the link to the earlier ones (`page_path`'s),
    if any."""
    conversation = conversations.get_conversation(call.actor, conversation_id, {
        "limit": limit, "order": "desc", **({"cursor": cursor} if cursor else {})})
    conversation["messages"].reverse()
    earlier = conversation.get("next_cursor")
    return conversation, (f"{page_path}?{urlencode({'cursor': earlier})}" if earlier else None)


def form_errors(call: PageCall, errors: dict[str, Any] | None) -> dict[str, str]:
    """Per-field messages in the reader's language: "required" for a field left empty, else the
    validator's own message translated as the API translates it (`i18n.field_text`)."""
    messages = {}
    for name, problems in (errors or {}).items():
        written = as_written(problems).lower()
        empty = not str(call.raw_form.get(name) or "").strip()
        messages[name] = call.t("messages.field_required") if (
            empty or "required" in written or "missing" in written) else call.t(
            "messages.field_invalid", detail=" ".join(
                catalogue.field_text(call.language, str(problem))
                for problem in (problems if isinstance(problems, list) else [problems])))
    return messages


def unread_conversations(reading: Spare) -> set[str]:
    """The conversations with an unread notification (a message the member has not opened yet),
    from an inbox read asked alongside the list; none when notifications are away or slow: the
    list is shown all the same, without its markers."""
    items = (reading.answer() or {}).get("items") or []
    return {item["conversation_id"] for item in items if item.get("conversation_id")}


def customer_state(conversation: dict[str, Any], unread: set[str]) -> str | None:
    """Where a conversation stands for its member, in the list: "awaiting" (they wrote last, the
    bank owes an answer), "answered" (the bank wrote last, already opened), None where the list
    says it otherwise — an unopened answer ("Nouvelle réponse" on its link), the team's queue
    ("En attente de l'équipe"), a closed one. `waiting_for_staff` as the API gives the member:
    staff marking it handled (no reply needed) is theirs alone, to the member it still awaits."""
    if conversation.get("closed") or conversation.get("queue") or conversation["id"] in unread:
        return None
    if conversation.get("waiting_for_staff"):
        return "awaiting"
    return "answered" if conversation.get("message_count") else None


def staff_pointer(call: PageCall) -> dict[str, Any] | None:
    """For staff, where the conversations they answer are (the console) in their role's words:
    an advisor's customers, a CM's or an admin's conversations and queue; None for a member."""
    if not is_staff(call.actor):
        return None
    texts = "messages.staff_" if ADVISOR in roles(call.actor) else "messages.team_"
    return {"title": call.t(texts + "console_title"), "href": STAFF_INBOX}


class MessagePages:
    conversations = RpcProxy("conversations")
    identity = RpcProxy("identity")
    notifications = RpcProxy("notifications")
    moderation = RpcProxy("moderation")  # the usual reply time (reply_time.py)

    def _advisor(self, call: PageCall) -> dict[str, Any] | None:
        return my_advisor(self.identity, call)

    @page("GET", "/advisor", auth="member")
    def my_advisor_page(self, call: PageCall):
        return self._advisor_page(call)

    def _advisor_page(self, call: PageCall, status: int = 200, errors=None):
        """A customer's advisor; a member without one (not a customer) writes to the bank's
        team, and is told so; staff without one are pointed to their console."""
        reply_time = asking(self.moderation, call)
        advisor = self._advisor(call)
        pointer = None if advisor else staff_pointer(call)  # a staff member who is a customer
        title = pointer["title"] if pointer else call.t(
            "messages.advisor_title" if advisor else "messages.contact_title")
        return call.render("messages/advisor.html", status=status, advisor=advisor,
                           staff=pointer, form=call.raw_form, errors=errors or {},
                           usual_reply=usual_reply(call, reply_time), noindex=True, title=title)

    @page("GET", "/conversations", auth="member", query=PageQuerySchema)
    def my_conversations_page(self, call: PageCall):
        return self._list_page(call)

    def _list_page(self, call: PageCall, status: int = 200, errors=None):
        # theirs as a customer: staff answer the others in the console
        reading = Spare(self.notifications.inbox, call.actor, {"unread": True,
                                                               "limit": UNREAD_SCAN})
        reply_time = asking(self.moderation, call)
        listing = self.conversations.list_conversations(call.actor, {**call.query,
                                                                     "side": CUSTOMER_SIDE})
        unread = unread_conversations(reading)
        items = [{**shown_conversation(call.t, item), "state": customer_state(item, unread)}
                 for item in listing["items"]]
        return call.render("messages/list.html", status=status, items=items,
                           more=next_href(call, listing.get("next_cursor")),
                           unread=unread, staff=staff_pointer(call),
                           advisor=self._advisor(call), form=call.raw_form,
                           errors=errors or {}, usual_reply=usual_reply(call, reply_time),
                           noindex=True, title=call.t("messages.conversations_title"))

    @page("POST", "/conversations", auth="member", form=ConversationCreateSchema)
    def start_conversation_page(self, call: PageCall):
        if call.form_errors:
            return self._list_page(call, 400, form_errors(call, call.form_errors))
        conversation, problem = call.attempt(self.conversations.start_conversation,
                                             call.actor, call.form)
        if problem is not None:
            return self._list_page(call, problem.status,
                                   form_errors(call, problem.body.get("errors")
                                               or {"message": [problem.body.get("detail")]}))
        return call.redirect(sent_href(f"/conversations/{conversation['id']}", conversation))

    @page("GET", "/conversations/{id}", auth="member", query=ConversationQuery)
    def conversation_page(self, call: PageCall):
        """Its newest messages, as a chat (newest at the bottom); `cursor`: earlier ones. Staff
        answer a customer's conversation in the console: one who follows a notification link
        from before their role is sent there (decided on the conversation read for the page,
        no second read: each is audited). Opening it reads its notifications."""
        cursor = call.query.get("cursor")
        reading = reading_conversation(self.notifications, call, call.path["id"])
        conversation, earlier = self._latest(call, cursor)
        if is_staff(call.actor) and conversation.get("member_id") != call.actor["id"]:
            return call.redirect(CONSOLE_CONVERSATION_PAGE.format(id=call.path["id"]))
        shown = self._conversation_page(call, cursor=cursor, loaded=(conversation, earlier))
        settled(reading)
        return shown

    def _latest(self, call: PageCall, cursor: str | None
                ) -> tuple[dict[str, Any], str | None]:
        return latest_messages(self.conversations, call, call.path["id"], CONVERSATION_PAGE,
                               f"/conversations/{call.path['id']}", cursor)

    def _conversation_page(self, call: PageCall, status: int = 200, errors=None,
                           cursor: str | None = None,
                           loaded: tuple[dict[str, Any], str | None] | None = None):
        """`loaded`: the conversation and its earlier link, when already read."""
        reply_time = asking(self.moderation, call)
        conversation, earlier = loaded or self._latest(call, cursor)
        # a social case in your words, and why your public mention is here
        social_network = network_name(call.t, conversation.get("channel")) \
            if is_social_case(conversation) else None
        conversation = shown_conversation(call.t, conversation)
        advisor = self._advisor(call)
        return call.render("messages/conversation.html", status=status,
                           conversation=conversation, advisor=advisor, earlier=earlier,
                           social_network=social_network,
                           latest=not cursor, body_max=BODY_MAX,
                           masked_notice=notice_view(call.t, call.query.get("masked")),
                           names=self._names(call, advisor), form=call.raw_form,
                           errors=errors or {}, usual_reply=usual_reply(call, reply_time),
                           noindex=True,
                           title=conversation.get("subject") or call.t(
                               "messages.conversation_title"))

    @staticmethod
    def _names(call: PageCall, advisor: dict[str, Any] | None) -> dict[str, str]:
        names = {call.actor["id"]: call.t("messages.you")}
        if advisor:
            names[advisor["advisor"]["id"]] = advisor["advisor"].get("display_name") or \
                call.t("messages.bank_team")
        return names

    @page("POST", "/conversations/{id}", auth="member", form=MessageCreateSchema)
    def post_message_page(self, call: PageCall):
        """Without JavaScript (the page script posts to the API and stays in place)."""
        if call.form_errors:
            return self._conversation_page(call, 400, form_errors(call, call.form_errors))
        sent, problem = call.attempt(self.conversations.post_message, call.actor,
                                     call.path["id"], call.form)
        if problem is not None:
            return self._conversation_page(call, problem.status, {
                "body": call.t("messages.closed_reply")} if problem.status == 409 else form_errors(
                call, problem.body.get("errors") or {"body": [problem.body.get("detail")]}))
        return call.redirect(sent_href(f"/conversations/{call.path['id']}", sent, "#message-form"))
