"""The console's member screens (`/console/members`): community managers and admins look a
member up by name or e-mail and open their page — CM notes (read, add), their contributions in
every state, the flags on them and by them, each list in cursor pages; admins also find there
the roles, the "verified customer" badge and the advisor assignment.

Everything goes through the RPCs of the `/api/v1` routes with the staff member as actor:
`GET /users?name=|email=`, `GET /users/{id}/private` (identity: admins and CMs, audited),
`GET|POST /moderation/members/{id}/notes`, `GET /moderation/members/{id}/contributions`,
`GET /moderation/members/{id}/flags` (moderation: CMs and admins), and the admins' `PUT
/users/{id}/roles|verification|advisor` — which identity refuses to a CM whatever the page
shows (the admin forms are only a courtesy hidden from CMs; the handlers also answer them 404).
Roles and advisor are privileged changes with a step-up (identity: a second factor proved in
the last 5 minutes): their forms carry a code field, passed on as the API's `X-Agora-TOTP`.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from marshmallow import Schema, fields, validate
from nameko.rpc import RpcProxy

from gateway.routes.identity import STEP_UP_HEADER, USER_PATH, AdvisorBody
from services.moderation.schemas import NoteSchema
from services.shared import ids
from services.shared.actors import ADMIN, ROLES, roles

from ..page import PageCall, gather, page
from .account import as_written, field_errors
from .console import display_names, queue_href, require_console, require_roles

LOOKUP_PAGE = 20
MEMBER_LIST_PAGE = 10
CURSOR = fields.String(allow_none=True, validate=validate.Length(max=500))
# each list of the member page pages on its own (its cursor in the query, its anchor)
MEMBER_LISTS = ("contributions", "flags_on", "flags_by")
ADVISOR_MESSAGES = {"advisor_email": "staff.invalid_advisor_email",
                    "branch": "staff.invalid_branch", "advisor_code": "console.stepup_wrong"}
ROLES_MESSAGES = {"roles_code": "console.stepup_wrong"}
NOTE_MESSAGES = {"note": "console_members.invalid_note"}
SAVED_NOTICES = {"roles": "staff.roles_saved", "verification": "staff.verification_saved",
                 "advisor": "staff.advisor_saved", "note": "console_members.note_saved"}


class MemberLookupQuery(Schema):
    q = fields.String(validate=validate.Length(min=1, max=254), metadata={
        "description": "the start of a display name, or an e-mail address"})
    cursor = CURSOR


class MemberScreenQuery(Schema):
    contributions = CURSOR
    flags_on = CURSOR
    flags_by = CURSOR
    saved = fields.String(validate=validate.OneOf(list(SAVED_NOTICES)))


# the authenticator's code of a step-up (as the API's header takes it: at most 32 characters)
STEP_UP_CODE = fields.String(load_default=None, validate=validate.Length(max=32))


class RolesForm(Schema):
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), load_default=list)
    roles_code = STEP_UP_CODE


class AdvisorForm(Schema):
    advisor_email = fields.String(required=True, validate=validate.Length(min=3, max=254))
    branch = AdvisorBody().fields["branch"]
    advisor_code = STEP_UP_CODE


class VerificationForm(Schema):
    verified_customer = fields.Boolean(load_default=False)


def member_href(member_id: str, **params: str | None) -> str:
    query = [(key, value) for key, value in params.items() if value]
    return f"/console/members/{member_id}" + (f"?{urlencode(query)}" if query else "")


def step_up(call: PageCall, field: str) -> str | None:
    """The form's step-up code, as the API's `step_up_code` reads its header."""
    return ((call.form or {}).get(field) or "").strip() or None


def step_up_refusal(call: PageCall, problem, field: str) -> dict[str, str] | None:
    """identity's step-up refusal (its errors name the API's header) said on the form's code
    field: a code is needed, or the one given is wrong or used. None for any other refusal."""
    errors = (problem.body.get("errors") or {}) if problem is not None else {}
    if STEP_UP_HEADER not in errors:
        return None
    wrong = "wrong" in as_written(errors[STEP_UP_HEADER]).lower()
    return {field: call.t("console.stepup_wrong" if wrong else "console.stepup_needed")}


def contribution_href(item: dict[str, Any]) -> str:
    anchor = f"#reply-{item['id']}" if item.get("target_type") == "reply" else ""
    return f"/posts/{item['post_id']}{anchor}"


class ConsoleMemberPages:
    identity = RpcProxy("identity")
    moderation = RpcProxy("moderation")

    @page("GET", "/console/members", query=MemberLookupQuery)
    def console_members_page(self, call: PageCall):
        """Look a member up: an e-mail address opens their page, a name lists who matches."""
        require_console(call)
        wanted = (call.query.get("q") or "").strip()
        found, next_page = [], None
        if "@" in wanted:
            match, problem = call.attempt(self.identity.find_users_by_email, call.actor,
                                          wanted, call.client)
            if problem is None and match["items"]:
                return call.redirect(member_href(match["items"][0]["id"]))
        elif wanted:
            page_found = self.identity.find_users_by_name(call.actor, {
                "name": wanted, "limit": LOOKUP_PAGE,
                **({"cursor": call.query["cursor"]} if call.query.get("cursor") else {})})
            found = page_found["items"]
            if page_found.get("next_cursor"):
                next_page = "/console/members?" + urlencode(
                    {"q": wanted, "cursor": page_found["next_cursor"]})
        return call.render("console/members.html", title=call.t("console_members.title"),
                           noindex=True, section="console", console_tab="members", q=wanted,
                           found=found, next_page=next_page)

    @page("GET", "/console/members/{id}", path_params=USER_PATH, query=MemberScreenQuery)
    def console_member_page(self, call: PageCall):
        require_console(call)
        return self._member_screen(call, call.path["id"], call.query)

    def _member_screen(self, call: PageCall, member_id: str, query: dict[str, Any],
                       status: int = 200, **state: Any):
        def listing(name: str) -> dict[str, Any]:
            return {"limit": MEMBER_LIST_PAGE,
                    **({"cursor": query[name]} if query.get(name) else {})}
        found = gather(
            member=self.identity.get_private_profile.call_async(call.actor, member_id,
                                                                call.client),
            notes=self.moderation.member_notes.call_async(call.actor, member_id),
            contributions=self.moderation.member_contributions.call_async(
                call.actor, member_id, listing("contributions")),
            flags_on=self.moderation.member_flags.call_async(
                call.actor, member_id, {"side": "on", **listing("flags_on")}),
            flags_by=self.moderation.member_flags.call_async(
                call.actor, member_id, {"side": "by", **listing("flags_by")}))
        people = {flag["flagger_id"] for flag in found["flags_on"]["items"]} | {
            flag["author_id"] for flag in found["flags_by"]["items"]} | {
            note["by"] for note in found["notes"]["notes"] if note.get("by")}
        more = {name: member_href(member_id, **{name: found[name]["next_cursor"]}) + f"#{name}"
                for name in MEMBER_LISTS if found[name].get("next_cursor")}
        saved = SAVED_NOTICES.get(query.get("saved") or "")
        return call.render(
            "console/member.html", status=status, title=found["member"]["display_name"],
            noindex=True, section="console", console_tab="members", member=found["member"],
            notes=found["notes"], contributions=found["contributions"]["items"],
            flags_on=found["flags_on"]["items"], flags_by=found["flags_by"]["items"],
            names=display_names(call, self.identity, people), more=more,
            saved=call.t(saved) if saved else None,
            admin=ADMIN in roles(call.actor),
            role_names=ROLES, raw=call.raw_form, contribution_href=contribution_href,
            **state)

    # -- CM notes --------------------------------------------------------------------------

    @page("POST", "/console/members/{id}/notes", path_params=USER_PATH, form=NoteSchema)
    def console_note_page(self, call: PageCall):
        """A CM note on a member, from their page or from the queue (`?item=`: back to the
        item it was written from)."""
        require_console(call)
        member_id = call.path["id"]
        item = call.request.args.get("item") or None
        item = item if item and ids.MODERATION_ITEM.matches(item) else None
        problem = None
        if call.form_errors is None:
            _, problem = call.attempt(self.moderation.note_member, call.actor, member_id,
                                      call.form)
        if item is not None:
            return call.redirect(queue_href(item=item) + "#author-notes")
        if call.form_errors or problem is not None:
            refused = call.form_errors or (problem.body.get("errors") if problem else None)
            return self._member_screen(call, member_id, {}, status=problem.status if problem
                                       else 400, note_errors=field_errors(
                                           call, refused, NOTE_MESSAGES),
                                       note_problem=None if refused else problem)
        return call.redirect(member_href(member_id, saved="note") + "#notes")

    # -- admins: roles, badge, advisor assignment -------------------------------------------

    def _after_admin_change(self, call: PageCall, problem, saved: str, errors=None,
                            code_field: str | None = None):
        member_id = call.path["id"]
        refused_code = step_up_refusal(call, problem, code_field) if code_field else None
        if refused_code:
            return self._member_screen(call, member_id, {}, status=422, errors=refused_code)
        if problem is not None or errors:
            # the service's refusal is a sentence of its own ("this member is not an
            # advisor"); the form's are already the fields' messages (field_errors)
            return self._member_screen(call, member_id, {}, status=422, errors=errors,
                                       message=problem.detail if problem else None)
        return call.redirect(member_href(member_id, saved=saved) + "#admin")

    @page("POST", "/console/members/{id}/roles", path_params=USER_PATH, form=RolesForm)
    def staff_roles_page(self, call: PageCall):
        require_roles(call, {ADMIN})
        if call.form_errors:
            return self._after_admin_change(call, None, "roles", errors=field_errors(
                call, call.form_errors, ROLES_MESSAGES))
        roles = sorted(set(call.form.get("roles") or ()) | {"member"})
        _, problem = call.attempt(self.identity.set_roles, call.actor, call.path["id"], roles,
                                  step_up(call, "roles_code"))
        return self._after_admin_change(call, problem, "roles", code_field="roles_code")

    @page("POST", "/console/members/{id}/verification", path_params=USER_PATH,
          form=VerificationForm)
    def staff_verification_page(self, call: PageCall):
        require_roles(call, {ADMIN})
        _, problem = call.attempt(self.identity.set_verification, call.actor, call.path["id"],
                                  bool(call.form.get("verified_customer")))
        return self._after_admin_change(call, problem, "verification")

    @page("POST", "/console/members/{id}/advisor", path_params=USER_PATH, form=AdvisorForm)
    def staff_advisor_page(self, call: PageCall):
        """Assign by the advisor's e-mail (what an admin knows), through the lookup route."""
        require_roles(call, {ADMIN})
        if call.form_errors:
            return self._after_admin_change(call, None, "advisor", errors=field_errors(
                call, call.form_errors, ADVISOR_MESSAGES))
        found = self.identity.find_users_by_email(call.actor, call.form["advisor_email"],
                                                  call.client)
        advisor = (found.get("items") or [None])[0]
        if advisor is None:
            return self._after_admin_change(call, None, "advisor", errors={
                "advisor_email": call.t("staff.no_such_advisor")})
        _, problem = call.attempt(self.identity.assign_advisor, call.actor, call.path["id"],
                                  advisor["id"], call.form["branch"],
                                  step_up(call, "advisor_code"))
        return self._after_admin_change(call, problem, "advisor", code_field="advisor_code")
