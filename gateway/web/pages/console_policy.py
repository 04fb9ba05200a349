"""The community managers' policy screen (`/console/policy`) and the audit log
(`/console/audit`).

**Policy**: the pre-moderation switches (everything, some categories, members with few approved
contributions) and the flag settings, each with what it means in plain words, read and saved
through the RPCs of `GET|PUT /api/v1/moderation/policy` (moderation validates: its field errors
come back next to the fields). Turning on the global switch holds every new post until a CM
approves it, so that change asks for a confirmation first (a page of its own: it works without
JavaScript). Who changed the policy last, and when, is the newest `change_policy` entry of the
audit trail.

**Audit log**: `GET /api/v1/moderation/audit` newest first, filtered by staff member, action and
target, 50 a page with its cursor. The trail already holds moderation's decisions, notes and
policy changes, posts' staff actions (feature, lock, idea status, merge, deletions and edits by
staff) and identity's privileged changes (roles, badges, advisor assignment), so one list shows
them all. Both screens answer 404 to anyone but community managers and admins.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from marshmallow import Schema, fields, pre_load, validate
from nameko.rpc import RpcProxy

from services.moderation.detector import mask
from services.moderation.schemas import PolicyUpdateSchema
from services.shared import ids

from .. import i18n
from ..page import PageCall, gather, page
from .console import form_problem, require_console
from .console_oversight import post_id_in

AUDIT_PAGE = 50
POLICY_NUMBERS = ("new_member_threshold", "flags_to_hide", "trusted_min_approved",
                  "trusted_min_age_days", "flags_target_hours")
# the actions the trail records (services/moderation/projections.py), in the filter's order
AUDIT_ACTIONS = (
    "approve", "reject", "redact", "hold", "undo", "republish", "delete_post", "delete_reply",
    "edit_post", "edit_reply", "feature", "unfeature", "lock", "unlock", "change_idea_status",
    "merge_idea", "accept_answer", "note_member", "change_policy", "change_sla_targets",
    "grant_role", "revoke_role", "grant_badge", "withdraw_badge", "assign_advisor",
    "reset_second_factor")
AUDIT_TARGETS = ("post", "reply", "user", "member", "policy")
# each number's bounds, read from moderation's own schema (the form's min and max say them)
POLICY_RANGES = {name: next((rule.min, rule.max) for rule in field.validators
                            if isinstance(rule, validate.Range))
                 for name, field in PolicyUpdateSchema().fields.items() if name in POLICY_NUMBERS}


class PolicyForm(Schema):
    """The policy form: unticked boxes are absent (off / no category); numbers are checked by
    moderation's own schema (`PolicyUpdateSchema`)."""

    premoderation = fields.Boolean(load_default=False)
    premoderated_categories = fields.List(fields.String(validate=validate.Length(max=60)),
                                          load_default=list)
    new_member_threshold = fields.String(load_default="")
    flags_to_hide = fields.String(load_default="")
    trusted_min_approved = fields.String(load_default="")
    trusted_min_age_days = fields.String(load_default="")
    flags_target_hours = fields.String(load_default="")
    confirmed = fields.Boolean(load_default=False)


class PolicyScreenQuery(Schema):
    done = fields.String(validate=validate.OneOf(["saved"]))


class AuditScreenQuery(Schema):
    actor = ids.USER.field()
    action = fields.String(validate=validate.OneOf(AUDIT_ACTIONS))
    target = fields.String(validate=validate.Length(max=500))
    cursor = fields.String(allow_none=True, validate=validate.Length(max=500))

    @pre_load
    def _blank_is_no_filter(self, data, **kwargs):
        """The filter form sends "any action" and an empty target as empty values."""
        return {name: value for name, value in data.items() if value != ""}


def audit_href(actor: str | None = None, action: str | None = None, target: str | None = None,
               cursor: str | None = None) -> str:
    params = [(k, v) for k, v in (("actor", actor), ("action", action), ("target", target),
                                  ("cursor", cursor)) if v]
    return "/console/audit" + (f"?{urlencode(params)}" if params else "")


def target_id_in(text: str) -> str:
    """What a CM types to find a target: a thread's address gives its post id, anything else
    is taken as the id itself (a member's, a reply's, `policy`)."""
    return post_id_in(text) or text.strip()


def target_href(entry: dict[str, Any]) -> str | None:
    """Where the target lives on the site (a contribution, a member), if anywhere."""
    target = entry.get("target_id") or ""
    if entry.get("target_type") == "post" and ids.POST.matches(target):
        return f"/posts/{target}"
    if entry.get("target_type") == "user" or entry.get("target_type") == "member":
        return f"/members/{target}" if ids.USER.matches(target) else None
    return None


def contribution_states(call: PageCall, posts: Any, post_ids: list[str]
                        ) -> dict[str, dict[str, Any]]:
    """These contributions as the staff member reads them in posts, in parallel: their title and
    whether they were ever published (a question refused before publication answers with no
    title and no `published_at`); one deleted since is absent."""
    wanted = sorted({post_id for post_id in post_ids if ids.POST.matches(post_id)})
    replies = {post_id: posts.get_post.call_async(call.actor, post_id) for post_id in wanted}
    found = {}
    for post_id, reply in replies.items():
        post, _ = call.attempt(reply.result)
        if post and not post.get("deleted"):  # a deleted one answers with neither
            found[post_id] = {"title": post.get("title") or "",
                              "never_published": not post.get("published_at")}
    return found


def entry_title(entry: dict[str, Any], post: dict[str, Any] | None) -> dict[str, Any] | None:
    """A contribution's row by its title: the one it has now, else the version the decision
    published (a CM's redaction), else the text it reviewed — a never-published question's is
    only in the trail. A reviewed text is masked the detector's way, as the queue proposed it
    (what it found may be in the title); staff only, and said as never published when posts
    says it never was."""
    if entry.get("target_type") != "post":
        return None
    if post and post["title"]:
        return {"title": post["title"], "never_published": False}
    published = (entry.get("after") or {}).get("title")
    reviewed = (entry.get("before") or {}).get("title")
    title = published or (mask(reviewed) if reviewed else None)
    if not title:
        return None
    return {"title": title, "never_published": bool(post and post["never_published"])}


def policy_problem(call: PageCall, errors: dict[str, Any]) -> dict[str, Any]:
    """The refused fields as the console says them; a number, with the bounds it must keep."""
    problem = form_problem(call, errors, {})
    for name in problem["errors"]:
        if name in POLICY_RANGES:
            low, high = POLICY_RANGES[name]
            problem["errors"][name] = call.t(
                "policy.invalid_number", min=i18n.format_number(call.language, low),
                max=i18n.format_number(call.language, high))
    return problem


def policy_update(form: dict[str, Any]) -> dict[str, Any]:
    """The form as `PUT /moderation/policy` takes it: numbers left empty are not changed."""
    update: dict[str, Any] = {"premoderation": form["premoderation"],
                              "premoderated_categories": form["premoderated_categories"]}
    for name in POLICY_NUMBERS:
        value = (form.get(name) or "").strip()
        if value:
            update[name] = value  # moderation's schema reads the number (or says why not)
    return update


class ConsolePolicyPages:
    moderation = RpcProxy("moderation")
    posts = RpcProxy("posts")
    identity = RpcProxy("identity")

    # -- policy --------------------------------------------------------------------------------

    @page("GET", "/console/policy", query=PolicyScreenQuery)
    def console_policy_page(self, call: PageCall):
        require_console(call)
        return self._policy_screen(call, done=call.query.get("done"))

    def _policy_screen(self, call: PageCall, status: int = 200, draft: dict | None = None,
                       problem: dict | None = None, done: str | None = None):
        found = gather(
            policy=self.moderation.get_policy.call_async(call.actor),
            categories=self.posts.list_categories.call_async(call.actor, {"archived": False}),
            last=self.moderation.audit.call_async(call.actor, {"action": "change_policy",
                                                              "limit": 1}))
        policy = found["policy"]
        last = (found["last"]["items"] or [None])[0]
        changed_by = None
        if last and last.get("actor_id") and ids.USER.matches(last["actor_id"]):
            users = self.identity.get_users([last["actor_id"]])["items"]
            changed_by = users[0].get("display_name") if users else None
        shown = dict(policy)
        if draft is not None:
            shown.update(draft)
        return call.render(
            "console/policy.html", status=status, title=call.t("policy.title"), noindex=True,
            section="console", console_tab="policy", policy=shown, saved=policy,
            categories=found["categories"]["items"], last=last, changed_by=changed_by,
            numbers=POLICY_NUMBERS, problem=problem, done=done,
            ranges=POLICY_RANGES, errors=(problem or {}).get("errors") or {})

    @page("POST", "/console/policy", form=PolicyForm)
    def console_policy_save_page(self, call: PageCall):
        """Save the policy; turning on the global switch asks for a confirmation first."""
        require_console(call)
        if call.form_errors:
            return self._policy_screen(call, 400, call.raw_form,
                                       policy_problem(call, call.form_errors))
        update = policy_update(call.form)
        current = self.moderation.get_policy(call.actor)
        if update["premoderation"] and not current["premoderation"] \
                and not call.form["confirmed"]:
            return call.render(
                "console/policy_confirm.html", title=call.t("policy.confirm_title"),
                noindex=True, section="console", console_tab="policy", form=call.form,
                numbers=POLICY_NUMBERS)
        _, problem = call.attempt(self.moderation.set_policy, call.actor, update)
        if problem is not None:
            draft = {**call.form, "premoderated_categories": call.form[
                "premoderated_categories"]}
            return self._policy_screen(call, problem.status, draft, policy_problem(
                call, problem.body["errors"]) if problem.body.get("errors") else problem.body)
        return call.redirect("/console/policy?done=saved")

    # -- audit log -----------------------------------------------------------------------------

    @page("GET", "/console/audit", query=AuditScreenQuery)
    def console_audit_page(self, call: PageCall):
        require_console(call)
        query = call.query
        target = target_id_in(query["target"]) if query.get("target") else None
        listing = {"limit": AUDIT_PAGE,
                   **({"actor_id": query["actor"]} if query.get("actor") else {}),
                   **({"action": query["action"]} if query.get("action") else {}),
                   **({"target_id": target} if target else {}),
                   **({"cursor": query["cursor"]} if query.get("cursor") else {})}
        found = self.moderation.audit(call.actor, listing)
        entries = found["items"]
        people = sorted({entry["actor_id"] for entry in entries if entry.get("actor_id")
                         and ids.USER.matches(entry["actor_id"])}
                        | ({query["actor"]} if query.get("actor") else set())
                        | {entry["target_id"] for entry in entries
                           if entry.get("target_type") in ("user", "member")
                           and ids.USER.matches(entry.get("target_id") or "")})
        names = {user["id"]: user.get("display_name") or "" for user in
                 self.identity.get_users(people[:100])["items"]} if people else {}
        posts = contribution_states(call, self.posts, [
            entry["target_id"] for entry in entries if entry.get("target_type") == "post"])
        titles = {entry["id"]: entry_title(entry, posts.get(entry["target_id"]))
                  for entry in entries}
        more = found.get("next_cursor")
        return call.render(
            "console/audit.html", title=call.t("audit.title"), noindex=True, section="console",
            console_tab="audit", entries=entries, names=names, actions=AUDIT_ACTIONS,
            chosen_actor=query.get("actor"), chosen_action=query.get("action"),
            chosen_target=query.get("target") or "", audit_href=audit_href,
            target_href=target_href, target_types=AUDIT_TARGETS, titles=titles,
            is_user=ids.USER.matches,
            next_page=audit_href(query.get("actor"), query.get("action"), query.get("target"),
                                 more) if more else None)
