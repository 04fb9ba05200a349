"""Who takes part in a conversation, on its console page: the « Participants » line, the form
that brings a colleague in by their e-mail address (covering for an absent advisor, asking a
colleague's help), and the button with which a colleague so brought in leaves it.

Both actions are the RPCs of their `/api/v1` routes with the same actor (`POST
.../participants` with `email`, `POST .../participants/me/leave`), so conversations decides:
staff who may read the conversation invite (a member never: the form is not shown to them and
the service refuses them), and only a colleague brought in leaves — never its customer nor
the customer's advisor. The address is looked up by conversations among staff with a verified
address (identity's e-mail lookup is kept to admins and CMs, and an advisor invites too): an
address of nobody and a member's get the same answer, so the form tells nothing about who has
an account. Without JavaScript: plain forms, a redirect with a notice (`common.notice_*`).
"""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate
from nameko.rpc import RpcProxy

from gateway.routes.conversations import CONVERSATION_PATH
from services.shared.actors import STAFF_ROLES as CONVERSATION_ROLES  # console_staff's

from ..page import PageCall, page
from .console import require_roles

# what a refusal of the invitation says on its field (the service's status: which refusal)
INVITE_REFUSALS = {409: "staff.invite_already_there", 422: "staff.invite_no_colleague"}


class InviteForm(Schema):
    colleague_email = fields.String(required=True, validate=validate.Length(min=3, max=254))


def participants_view(conversation: dict[str, Any], names: dict[str, str],
                      actor_id: str) -> dict[str, Any]:
    """The page's « Participants » line: its customer, the customer's advisor, then the
    colleagues brought in, each with their part (the reader as « vous »); whether the reader
    may leave it (a colleague brought in: neither its customer nor the advisor)."""
    member_id, advisor_id = conversation.get("member_id"), conversation.get("advisor_id")
    people = [{"id": member_id, "part": "customer"}] if member_id else []
    if advisor_id:
        people.append({"id": advisor_id, "part": "advisor"})
    people += [{"id": pid, "part": "colleague"}
               for pid in conversation.get("participant_ids") or ()
               if pid not in (member_id, advisor_id)]
    for person in people:
        person["name"], person["you"] = names.get(person["id"]), person["id"] == actor_id
    return {"people": people,
            "may_leave": any(p["you"] and p["part"] == "colleague" for p in people)}


class ConsoleParticipantPages:
    conversations = RpcProxy("conversations")

    @page("POST", "/console/conversations/{id}/participants", path_params=CONVERSATION_PATH,
          auth="member", form=InviteForm)
    def staff_invite_page(self, call: PageCall):
        """« Inviter un·e collègue »: by their e-mail address; the page again with a notice, or
        with the refusal on the field (nobody on the staff with this address, already there)."""
        require_roles(call, CONVERSATION_ROLES)
        conversation_id = call.path["id"]
        if call.form_errors:
            return self._invite_refused(call, conversation_id, "staff.invite_invalid_email")
        _, problem = call.attempt(self.conversations.add_participant, call.actor,
                                  conversation_id, {"email": call.form["colleague_email"].strip()})
        if problem is not None:
            if problem.status not in INVITE_REFUSALS:  # 404: not theirs, as the page says
                return self._staff_conversation(call, conversation_id, status=problem.status,
                                                message=problem.detail)
            return self._invite_refused(call, conversation_id, INVITE_REFUSALS[problem.status])
        call.cookies.notice("participant_invited")
        return call.redirect(f"/console/conversations/{conversation_id}#participants")

    def _invite_refused(self, call: PageCall, conversation_id: str, key: str):
        return self._staff_conversation(  # StaffConsolePages' (one GatewayService)
            call, conversation_id, status=422, invite_errors={"colleague_email": call.t(key)})

    @page("POST", "/console/conversations/{id}/leave", path_params=CONVERSATION_PATH,
          auth="member")
    def staff_leave_page(self, call: PageCall):
        """« Quitter cette conversation »: they read it no more, so back to their inbox."""
        require_roles(call, CONVERSATION_ROLES)
        conversation_id = call.path["id"]
        _, problem = call.attempt(self.conversations.leave_conversation, call.actor,
                                  conversation_id)
        if problem is not None:
            return self._staff_conversation(call, conversation_id, status=problem.status,
                                            message=problem.detail)
        call.cookies.notice("conversation_left")
        return call.redirect("/console/conversations")
