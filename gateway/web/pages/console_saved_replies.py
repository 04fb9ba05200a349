"""Staff's saved replies on a conversation's console page: the panel « Réponses enregistrées »
above the reply box, each title with « Insérer » and « Supprimer », and a form to save one.

All are the RPCs of their `/api/v1/me/saved-replies` routes with the same actor, so
conversations decides who may (staff; each their own). With JavaScript (saved_replies.js),
« Insérer » puts the text at the cursor in the reply box; without it, « Insérer » is the link
`?reply=<id>`, which pre-fills the box here (`saved_replies_view`). Saving and removing are
plain forms, then the page again at the panel.
"""
from __future__ import annotations

from typing import Any

from nameko.rpc import RpcProxy

from gateway.routes.conversations import CONVERSATION_PATH
from services.conversations.saved_replies import ID as SAVED_REPLY_ID
from services.conversations.schemas import SavedReplyCreateSchema
from services.shared import ids
from services.shared.actors import STAFF_ROLES as CONVERSATION_ROLES  # console_staff's
from services.shared.ids import path_schema

from ..page import PageCall, page
from .account import field_errors
from .console import require_roles

SAVED_REPLY_MESSAGES = {"title": "saved_replies.invalid_title",
                        "body": "saved_replies.invalid_body"}
CONVERSATION_REPLY_PATH = path_schema(id=ids.CONVERSATION, reply=SAVED_REPLY_ID)
OPEN = "saved-replies"
ANCHOR = f"?{OPEN}=1#saved-replies"


def saved_replies_view(conversations, call: PageCall) -> dict[str, Any]:
    """The reader's saved replies (`items`); `?reply=<id>` (« Insérer » without JavaScript)
    puts that one's text in the reply box, unless the box holds a draft sent back already.
    The panel is closed (it would push the reply box down) but after a save or a removal
    (`?saved-replies=1`: the page again, the panel where it was left)."""
    items = conversations.list_saved_replies(call.actor)["items"]
    wanted = call.request.args.get("reply") if call.request.method == "GET" else None
    chosen = next((item for item in items if item["id"] == wanted), None)
    if chosen is not None and not call.raw_form.get("body"):
        call.raw_form["body"] = chosen["body"]
    return {"items": items, "open": bool(call.request.args.get(OPEN))}


class ConsoleSavedReplyPages:
    conversations = RpcProxy("conversations")

    @page("POST", "/console/conversations/{id}/saved-replies", path_params=CONVERSATION_PATH,
          auth="member",
          form=SavedReplyCreateSchema)
    def save_reply_page(self, call: PageCall):
        """« Enregistrer comme réponse »: the page again at the panel, or with the refusal on
        its field (empty, too long, one too many)."""
        require_roles(call, CONVERSATION_ROLES)
        conversation_id = call.path["id"]
        errors = call.form_errors
        if not errors:
            _, problem = call.attempt(self.conversations.save_reply, call.actor, call.form)
            if problem is None:
                return call.redirect(f"/console/conversations/{conversation_id}{ANCHOR}")
            errors = problem.body.get("errors") or {"title": [problem.detail]}
        draft = {name: call.raw_form.pop(name, "") for name in ("title", "body")}
        return self._staff_conversation(  # StaffConsolePages' (one GatewayService)
            call, conversation_id, status=422, saved_reply_draft=draft,
            saved_reply_errors=field_errors(call, errors, SAVED_REPLY_MESSAGES))

    @page("POST", "/console/conversations/{id}/saved-replies/{reply}/delete",
          path_params=CONVERSATION_REPLY_PATH, auth="member")
    def remove_saved_reply_page(self, call: PageCall):
        """« Supprimer »: the page again at the panel (one already gone: the same)."""
        require_roles(call, CONVERSATION_ROLES)
        call.attempt(self.conversations.remove_saved_reply, call.actor, call.path["reply"])
        return call.redirect(f"/console/conversations/{call.path['id']}{ANCHOR}")
