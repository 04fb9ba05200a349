"""The admins' categories screen (`/console/categories`): create, rename, describe (in French and
English), order, keep for the staff (`staff_only`: only community managers and admins start posts
in it, e.g. the team's announcements) and archive the categories posts are filed under.

Each form calls the RPC of its `/api/v1/categories` route with the admin as actor — `POST`,
`PATCH /{slug}`, `PUT|DELETE /{slug}/archived` — so posts validates and decides (its field
errors come back next to the form). An archived category stays on its posts and in every list
of categories, marked; the writing form no longer offers it. The screen answers 404 to anyone
but admins.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from marshmallow import Schema, fields, validate
from nameko.rpc import RpcProxy

from gateway.routes.posts import CategorySlugPath
from services.shared.actors import ADMIN

from ..page import PageCall, page
from .console import require_roles

CATEGORY_DONE = ("created", "saved", "archived", "restored")


class CategoriesScreenQuery(Schema):
    done = fields.String(validate=validate.OneOf(CATEGORY_DONE))


def category_body(form: dict[str, str], creating: bool) -> dict[str, Any]:
    """The form's flat fields as posts' category schemas take them (position left empty: kept,
    or after the last one for a new category; the staff-only box unticked sends nothing, so
    its absence says false)."""
    body: dict[str, Any] = {
        "name": {"fr": form.get("name_fr", "").strip(), "en": form.get("name_en", "").strip()},
        "description": {"fr": form.get("description_fr", "").strip(),
                        "en": form.get("description_en", "").strip()},
        "staff_only": form.get("staff_only") == "on"}
    if creating and form.get("slug", "").strip():
        body["slug"] = form["slug"].strip()
    if form.get("position", "").strip():
        body["position"] = form["position"].strip()
    return body


def flat_errors(errors: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """{"name": {"en": ["..."]}} -> {"name_en": "..."}: one message per form field."""
    flat: dict[str, str] = {}
    for name, value in (errors or {}).items():
        key = f"{prefix}{name}"
        if isinstance(value, dict):
            flat.update(flat_errors(value, f"{key}_"))
        else:
            flat[key] = " ".join(value) if isinstance(value, list) else str(value)
    return flat


class ConsoleCategoryPages:
    posts = RpcProxy("posts")

    @page("GET", "/console/categories", query=CategoriesScreenQuery)
    def console_categories_page(self, call: PageCall):
        require_roles(call, {ADMIN})
        return self._categories_screen(call, done=call.query.get("done"))

    def _categories_screen(self, call: PageCall, status: int = 200, failed: str | None = None,
                           problem: dict | None = None, draft: dict | None = None,
                           done: str | None = None):
        categories = self.posts.list_categories(call.actor)["items"]
        return call.render(
            "console/categories.html", status=status, title=call.t("categories.title"),
            noindex=True, section="console", console_tab="categories", categories=categories,
            failed=failed, problem=problem, errors=flat_errors((problem or {}).get("errors")),
            draft=draft or {}, done=done)

    @page("POST", "/console/categories")
    def console_category_create_page(self, call: PageCall):
        require_roles(call, {ADMIN})
        _, problem = call.attempt(self.posts.create_category, call.actor,
                                  category_body(call.raw_form, creating=True))
        if problem is not None:
            return self._categories_screen(call, problem.status, "new", problem.body,
                                           call.raw_form)
        return call.redirect("/console/categories?" + urlencode({"done": "created"}))

    @page("POST", "/console/categories/{slug}", path_params=CategorySlugPath)
    def console_category_save_page(self, call: PageCall):
        require_roles(call, {ADMIN})
        slug = call.path["slug"]
        _, problem = call.attempt(self.posts.update_category, call.actor, slug,
                                  category_body(call.raw_form, creating=False))
        if problem is not None:
            return self._categories_screen(call, problem.status, slug, problem.body,
                                           call.raw_form)
        return call.redirect("/console/categories?" + urlencode({"done": "saved"}))

    @page("POST", "/console/categories/{slug}/archived", path_params=CategorySlugPath)
    def console_category_archive_page(self, call: PageCall):
        require_roles(call, {ADMIN})
        archived = call.raw_form.get("on") == "1"
        _, problem = call.attempt(self.posts.archive_category, call.actor, call.path["slug"],
                                  archived)
        if problem is not None:
            return self._categories_screen(call, problem.status, call.path["slug"],
                                           problem.body)
        return call.redirect("/console/categories?" + urlencode(
            {"done": "archived" if archived else "restored"}))
