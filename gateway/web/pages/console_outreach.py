"""« Écrire à {name} »: an advisor writes first to one of their customers from the console (the
form linked from « Mes clients » and from the customer's journey), without JavaScript: a plain
POST (CSRF-checked as every form), then the new conversation's console page.

Both are the RPCs of the API with the same actor (`own_customer`, and `reach_out` for
`POST /api/v1/customers/{id}/conversations`), so conversations decides who may: the customer's
own advisor; anyone else gets 404, as their timeline answers.
"""
from __future__ import annotations

from typing import Any

from nameko.rpc import RpcProxy

from gateway.routes.conversations import CUSTOMER_PATH
from services.conversations.schemas import BODY_MAX, SUBJECT_MAX, ConversationCreateSchema
from services.shared.actors import ADVISOR
from services.shared.errors import NotFound

from ..page import PageCall, page
from .console import require_roles
from .messages import form_errors, sent_href


class ConsoleOutreachPages:
    conversations = RpcProxy("conversations")

    @page("GET", "/console/customers/{id}/write", path_params=CUSTOMER_PATH, auth="member")
    def staff_outreach_page(self, call: PageCall):
        """The form: a subject and a message to this customer (their advisor only: 404)."""
        require_roles(call, (ADVISOR,))
        return self._outreach_form(call)

    @page("POST", "/console/customers/{id}/write", path_params=CUSTOMER_PATH, auth="member",
          form=ConversationCreateSchema)
    def staff_outreach_send_page(self, call: PageCall):
        """Sent: the new conversation's page (told when a card number was masked); refused
        (empty, too long): the form again with the drafts and the refusal on the field."""
        require_roles(call, (ADVISOR,))
        if call.form_errors:
            return self._outreach_form(call, 422, form_errors(call, call.form_errors))
        conversation, problem = call.attempt(self.conversations.reach_out, call.actor,
                                             call.path["id"], call.form)
        if problem is not None:
            if problem.status == 404:  # not their customer (any more): the page's own 404
                raise NotFound("no such customer", {"id": call.path["id"]})
            return self._outreach_form(call, problem.status, form_errors(
                call, problem.body.get("errors") or {"message": [problem.detail]}))
        return call.redirect(sent_href(f"/console/conversations/{conversation['id']}",
                                       conversation))

    def _outreach_form(self, call: PageCall, status: int = 200,
                       errors: dict[str, Any] | None = None):
        customer = self.conversations.own_customer(call.actor, call.path["id"])
        name = customer.get("display_name") or call.t("staff.member")
        return call.render("console/outreach.html", status=status,
                           title=call.t("staff.outreach_link", name=name), customer=customer,
                           name=name, form=call.raw_form, errors=errors or {},
                           subject_max=SUBJECT_MAX, body_max=BODY_MAX,
                           section="console", console_tab="customers")
