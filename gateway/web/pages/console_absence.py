"""« Absence »: an advisor going away names the colleague who answers their customers meanwhile
and the day they are back; « Je suis de retour » ends it early. Plain forms (CSRF-checked as
every form), no script: POST, then this page again (`?saved=`) or the form with the refusal on
its field.

The RPCs are the API's (`PUT|GET|DELETE /api/v1/me/absence`) with the same actor, so identity
decides: advisors only (this page answers 404 to anyone else, as the other advisors' screens),
the backup a colleague's verified address — nobody's and a member's get the same refusal.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from marshmallow import Schema, fields, validate
from nameko.rpc import RpcProxy

from services.identity.absence import MAX_DAYS
from services.shared.actors import ADVISOR
from services.shared.bank_days import bank_today
from services.shared.envelope import utc_now

from ..page import PageCall, page
from .console import require_roles

SAVED = {"on": "absence.saved", "off": "absence.ended"}  # `?saved=`: what was just done


class AbsenceForm(Schema):
    until = fields.Date(required=True)
    backup_email = fields.String(required=True, validate=validate.Length(min=3, max=254))


class SavedQuery(Schema):
    saved = fields.String(validate=validate.OneOf(list(SAVED)))


#: Where « Je suis de retour » was pressed (`from`), when not on this page: the advisor is taken
#: back there, told they are back (« Mes clients », `?absence=ended`: console_staff.py).
ABSENCE_ENDED = "ended"
BACK_TO = {"customers": f"/console/customers?absence={ABSENCE_ENDED}"}


class EndForm(Schema):
    from_page = fields.String(data_key="from", validate=validate.OneOf(list(BACK_TO)))


class ConsoleAbsencePages:
    identity = RpcProxy("identity")

    @page("GET", "/console/absence", auth="member", query=SavedQuery)
    def staff_absence_page(self, call: PageCall):
        """My absence being declared (its backup, the day I am back), and the form."""
        require_roles(call, (ADVISOR,))
        return self._absence_form(call, saved=SAVED.get(str(call.query.get("saved") or "")))

    @page("POST", "/console/absence", auth="member", form=AbsenceForm)
    def staff_absence_set_page(self, call: PageCall):
        """« Enregistrer »: declared, this page again; refused: the form, the refusal on the
        field (a date not ahead or too far, nobody on the staff with this address, oneself)."""
        require_roles(call, (ADVISOR,))
        if call.form_errors:
            return self._absence_form(call, 422, {name: call.t(f"absence.invalid_{name}")
                                                  for name in call.form_errors})
        _, problem = call.attempt(self.identity.set_my_absence, call.actor, {
            "until": call.form["until"].isoformat(),
            "backup_email": call.form["backup_email"].strip()})
        if problem is not None:
            fields_refused = (problem.body.get("errors") or {}) or {"backup_email": None}
            return self._absence_form(call, problem.status, {
                name: problem.detail for name in fields_refused})
        return call.redirect("/console/absence?saved=on")

    @page("POST", "/console/absence/end", auth="member", form=EndForm)
    def staff_absence_end_page(self, call: PageCall):
        """« Je suis de retour »: my customers' messages bring nobody in any more. Back to the
        page it was pressed on (`from`, one of `BACK_TO`; anything else: this page)."""
        require_roles(call, (ADVISOR,))
        self.identity.end_my_absence(call.actor)
        back_to = None if call.form_errors else BACK_TO.get((call.form or {}).get("from_page"))
        return call.redirect(back_to or "/console/absence?saved=off")

    def _absence_form(self, call: PageCall, status: int = 200,
                      errors: dict[str, Any] | None = None, saved: str | None = None):
        current = self.identity.get_my_absence(call.actor)
        today = bank_today(utc_now())  # identity's days (services/identity/absence.py)
        form = call.raw_form or {"until": current["until"] or "",
                                 "backup_email": (current["backup"] or {}).get("email") or ""}
        return call.render("console/absence.html", status=status, title=call.t("absence.title"),
                           absence=current, form=form, errors=errors or {}, saved=saved,
                           earliest=(today + timedelta(days=1)).isoformat(),
                           latest=(today + timedelta(days=MAX_DAYS)).isoformat(),
                           max_days=MAX_DAYS, section="console", console_tab="absence")
