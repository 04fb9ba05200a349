"""Private dialogue with the bank: my advisor, my conversations, one conversation, writing.

Same RPCs as `/api/v1/me/advisor` and `/api/v1/conversations*`: the conversations service decides
who reads what (participants only, audited). A member without an advisor writes all the same:
the conversation waits in the bank's staff queue. With JavaScript on, static/js/conversation.js
sends through the API and shows new messages as the live channel announces them.
Private pages: `noindex`, `Cache-Control: no-store`, never cached by the service worker.
"""
from __future__ import annotations

from typing import Any

from nameko.rpc import RpcProxy

from services.conversations.schemas import (
    ConversationCreateSchema,
    MessageCreateSchema,
    PageQuerySchema,
)

from ..page import PageCall, page
from .account import as_written
from .public import next_href

CONVERSATION_PAGE = 200   # messages shown at once (the API's largest page)


def form_errors(call: PageCall, errors: dict[str, Any] | None) -> dict[str, str]:
    messages = {}
    for name, problems in (errors or {}).items():
        written = as_written(problems).lower()
        messages[name] = call.t("messages.field_required") if (
            "required" in written or "missing" in written
            or "shorter than minimum" in written) else call.t(
            "messages.field_invalid",  # the API's message, in the reader's language
            detail=" ".join(problems) if isinstance(problems, list) else str(problems))
    return messages


class MessagePages:
    conversations = RpcProxy("conversations")
    identity = RpcProxy("identity")

    def _advisor(self, call: PageCall) -> dict[str, Any] | None:
        advisor, problem = call.attempt(self.identity.get_my_advisor, call.actor)
        return None if problem is not None else advisor

    @page("GET", "/advisor", auth="member")
    def my_advisor_page(self, call: PageCall):
        return self._advisor_page(call)

    def _advisor_page(self, call: PageCall, status: int = 200, errors=None):
        return call.render("messages/advisor.html", status=status, advisor=self._advisor(call),
                           form=call.raw_form, errors=errors or {}, noindex=True,
                           title=call.t("messages.advisor_title"))

    @page("GET", "/conversations", auth="member", query=PageQuerySchema)
    def my_conversations_page(self, call: PageCall):
        return self._list_page(call)

    def _list_page(self, call: PageCall, status: int = 200, errors=None):
        listing = self.conversations.list_conversations(call.actor, call.query)
        return call.render("messages/list.html", status=status, items=listing["items"],
                           more=next_href(call, listing.get("next_cursor")),
                           advisor=self._advisor(call), form=call.raw_form,
                           errors=errors or {}, noindex=True,
                           title=call.t("messages.conversations_title"))

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
        return call.redirect(f"/conversations/{conversation['id']}")

    @page("GET", "/conversations/{id}", auth="member")
    def conversation_page(self, call: PageCall):
        return self._conversation_page(call)

    def _conversation_page(self, call: PageCall, status: int = 200, errors=None):
        conversation = self.conversations.get_conversation(
            call.actor, call.path["id"], {"limit": CONVERSATION_PAGE})
        advisor = self._advisor(call)
        return call.render("messages/conversation.html", status=status,
                           conversation=conversation, advisor=advisor,
                           names=self._names(call, advisor), form=call.raw_form,
                           errors=errors or {}, noindex=True,
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
        _, problem = call.attempt(self.conversations.post_message, call.actor, call.path["id"],
                                  call.form)
        if problem is not None:
            return self._conversation_page(call, problem.status, form_errors(
                call, problem.body.get("errors") or {"body": [problem.body.get("detail")]}))
        return call.redirect(f"/conversations/{call.path['id']}#message-form")
