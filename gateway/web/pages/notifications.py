"""A member's notifications: the inbox (mark one or all read) and the preferences per type.

Same RPCs as `/api/v1/me/notifications*` (notifications decides what is whose); the inbox is
asked for in the reader's language. The bell in the header is filled in and kept current by
static/js/live.js from the live channel (`GET /api/v1/me/events`), so no page pays an RPC for it.
Private pages: `noindex`, `Cache-Control: no-store` (every HTML answer), never cached by the
service worker (it stores static files only).
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from marshmallow import Schema, fields, validate
from nameko.rpc import RpcProxy

from services.notifications.domain import ALWAYS_EMAILED, EMAIL_MODES, PREFERENCES_PAGE, TYPES
from services.notifications.schemas import MarkReadSchema
from services.shared.actors import is_staff

from ..page import PageCall, Spare, page
from .public import next_href

INBOX_PAGE = 20
STAFF_ONLY_TYPES = ("sla_breach",)


def reading_conversation(notifications, call: PageCall, conversation_id: str) -> Spare:
    """Mark the reader's notifications about a private conversation read, as its page opens
    (the member's or the console's): asked at once, alongside the page's own reads; `settled`
    waits for it before the page is sent, so the bell that page shows counts without them."""
    return Spare(notifications.mark_read, call.actor, {"conversation_id": conversation_id})


def settled(reading: Spare) -> None:
    """The marking done; a failure or a silence (notifications away) leaves them unread, never
    the page unshown: the inbox and the next opening still mark them."""
    reading.answer()


class InboxQuery(Schema):
    cursor = fields.String(allow_none=True, validate=validate.Length(max=500))
    done = fields.String(validate=validate.OneOf(["all", "one"]))


class PreferencesQuery(Schema):
    saved = fields.Boolean()


def local_link(link: str | None) -> str:
    """A notification's link as a path of this site (the service knows its public base URL,
    which is not necessarily the address this page was served from)."""
    parts = urlsplit(link or "/notifications")
    return parts.path + (f"?{parts.query}" if parts.query else "") + (
        f"#{parts.fragment}" if parts.fragment else "")


def shown_types(actor: dict[str, Any]) -> list[str]:
    staff = is_staff(actor)
    return [kind for kind in TYPES if staff or kind not in STAFF_ONLY_TYPES]


class NotificationPages:
    notifications = RpcProxy("notifications")

    @page("GET", "/notifications", auth="member", query=InboxQuery)
    def inbox_page(self, call: PageCall):
        query = {"limit": INBOX_PAGE, "language": call.language}
        if call.query.get("cursor"):
            query["cursor"] = call.query["cursor"]
        inbox = self.notifications.inbox(call.actor, query)
        items = [{**item, "href": local_link(item.get("link"))} for item in inbox["items"]]
        return call.render("notifications/inbox.html", items=items, unread=inbox["unread"],
                           more=next_href(call, inbox.get("next_cursor")),
                           done=call.query.get("done"), noindex=True,
                           title=call.t("notifications.inbox_title"))

    @page("POST", "/notifications/read", auth="member", form=MarkReadSchema)
    def mark_read_page(self, call: PageCall):
        """Without JavaScript (the page script calls the API and stays in place)."""
        if call.form_errors:
            return call.redirect("/notifications")
        self.notifications.mark_read(call.actor, call.form)
        return call.redirect("/notifications?done=" + ("all" if call.form.get("all") else "one"))

    # the e-mails' footer links here (the same constant)
    @page("GET", PREFERENCES_PAGE, auth="member", query=PreferencesQuery)
    def preferences_page(self, call: PageCall):
        return self._preferences_page(call)

    def _preferences_page(self, call: PageCall, status: int = 200, failed: bool = False):
        chosen = self.notifications.get_preferences(call.actor)["types"]
        return call.render("notifications/preferences.html", status=status,
                           types=shown_types(call.actor), chosen=chosen, modes=EMAIL_MODES,
                           always_emailed=ALWAYS_EMAILED,
                           saved=call.query.get("saved"), failed=failed, noindex=True,
                           title=call.t("notifications.preferences_title"))

    @page("POST", PREFERENCES_PAGE, auth="member")
    def save_preferences_page(self, call: PageCall):
        form = call.raw_form
        changes = {kind: {"email": form.get(f"email_{kind}", ""),
                          "push": form.get(f"push_{kind}") == "on"}
                   for kind in shown_types(call.actor) if f"email_{kind}" in form}
        _, problem = call.attempt(self.notifications.set_preferences, call.actor,
                                  {"types": changes})
        if problem is not None:
            return self._preferences_page(call, status=problem.status, failed=True)
        return call.redirect(f"{PREFERENCES_PAGE}?saved=true")
