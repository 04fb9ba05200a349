"""Staff's internal notes on a conversation's console page: the panel « Note interne — jamais
montrée au client », its notes (author, time) and the form « Enregistrer la note ».

Both are the RPCs of their `/api/v1` routes with the same actor (`GET|POST .../notes`), so
conversations decides who may (staff who read the conversation; its customer never). The
panel is apart from the message list and below the reply box, which stays where it was: a
<details>, closed while there is no note (open once there are, so colleagues read them). Without
JavaScript: a plain form, then the page again at the new note.
"""
from __future__ import annotations

from typing import Any

from nameko.rpc import RpcProxy

from gateway.routes.conversations import CONVERSATION_PATH
from services.conversations.schemas import NoteCreateSchema
from services.shared.actors import STAFF_ROLES as CONVERSATION_ROLES  # console_staff's

from ..page import PageCall, page
from .account import field_errors
from .console import require_roles

NOTE_MESSAGES = {"body": "staff.invalid_note"}


def notes_view(conversations, call: PageCall, conversation_id: str) -> list[dict[str, Any]]:
    """The conversation's notes, oldest first (the page's reader reads it: a staff reader)."""
    return conversations.list_notes(call.actor, conversation_id)["items"]


class ConsoleNotePages:
    conversations = RpcProxy("conversations")

    @page("POST", "/console/conversations/{id}/notes", path_params=CONVERSATION_PATH,
          auth="member", form=NoteCreateSchema)
    def staff_note_page(self, call: PageCall):
        """« Enregistrer la note »: the page again at the new note, or with the refusal on
        the field (empty, too long)."""
        require_roles(call, CONVERSATION_ROLES)
        conversation_id = call.path["id"]
        if call.form_errors:
            return self._note_refused(call, conversation_id,
                                      field_errors(call, call.form_errors, NOTE_MESSAGES))
        note, problem = call.attempt(self.conversations.add_note, call.actor, conversation_id,
                                     call.form)
        if problem is not None:
            errors = problem.body.get("errors")
            if not errors:  # 404: not theirs, as the page says; 409: closed
                return self._staff_conversation(call, conversation_id, status=problem.status,
                                                message=problem.detail)
            return self._note_refused(call, conversation_id,
                                      field_errors(call, errors, NOTE_MESSAGES))
        return call.redirect(f"/console/conversations/{conversation_id}#note-{note['id']}")

    def _note_refused(self, call: PageCall, conversation_id: str, errors: dict[str, str]):
        # the draft goes back in the note's box, not the reply's (which shows `raw.body`)
        draft = call.raw_form.pop("body", "")
        return self._staff_conversation(  # StaffConsolePages' (one GatewayService)
            call, conversation_id, status=422, note_errors=errors, note_draft=draft)
