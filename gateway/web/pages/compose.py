"""Writing: ask a question, propose an idea, start a discussion.

The form posts to this page, which calls posts' `create_post` exactly as `POST /api/v1/posts`
does (the service validates and decides; its field errors come back next to the fields). With
JavaScript on, gateway/web/static/js/compose.js adds what needs no round trip to the page (the
confidential-data warning while typing, from the same rules as the server's detector) and what
the API serves (Markdown preview, similar questions, tag suggestions). Without
JavaScript the "Preview" button posts the form and the page comes back with the preview.
"""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate
from nameko.rpc import RpcProxy

from services.posts.schemas import KINDS, TITLE_MAX
from services.shared.actors import is_moderator

from ..page import PageCall, page
from .thread_actions import (
    after_review,
    categories_for,
    found_in_tags,
    sent_notice,
    text_errors,
    typed_tags,
)

MEMBER_KINDS = tuple(kind for kind in KINDS if kind != "article")  # articles are the CMs'
COMPOSE_MESSAGES = {
    "kind": "compose.invalid_kind",
    "title": "compose.invalid_title",
    "body": "compose.invalid_body",
    "category": "compose.invalid_category",
    "tags": "compose.invalid_tags",
}


class ComposeQuery(Schema):
    kind = fields.String(load_default="question", validate=validate.OneOf(KINDS))
    # the title already typed elsewhere (a search that found nothing: "ask it")
    title = fields.String(load_default="", validate=validate.Length(max=TITLE_MAX))


def kinds_for(actor: dict[str, Any] | None) -> tuple[str, ...]:
    """What this writer may start: articles too for community managers and admins (posts
    refuses an article from anyone else; the choice is only not offered)."""
    return KINDS if is_moderator(actor) else MEMBER_KINDS


def _post_body(raw: dict[str, str]) -> dict[str, Any]:
    """The form as `POST /api/v1/posts` takes it (tags as `typed_tags` reads them)."""
    return {"kind": raw.get("kind", ""), "title": raw.get("title", "").strip(),
            "body": raw.get("body", ""), "category": raw.get("category", "").strip(),
            "tags": typed_tags(raw.get("tags", ""))}


class ComposePages:
    posts = RpcProxy("posts")

    def _compose_form(self, call: PageCall, form: dict[str, Any], status: int = 200,
              errors: dict[str, str] | None = None, preview: dict[str, Any] | None = None):
        errors = errors or {}
        # without JavaScript, the preview says it (writing.js says it while typing)
        tags_found = found_in_tags(form.get("tags", "")) if preview else None
        categories = categories_for(self.posts, call.actor)
        kinds = kinds_for(call.actor)
        kind = form.get("kind") if form.get("kind") in kinds else "question"  # what it says
        return call.render("posts/compose.html", status=status, form=form, errors=errors,
                           categories=categories,
                           field_errors={k: v for k, v in errors.items() if k != "form"},
                           preview=preview,
                           confidential_found=(preview or {}).get("confidential"),
                           tags_found=tags_found,
                           kinds=kinds, noindex=True, section="write", kind=kind,
                           title_max=TITLE_MAX,
                           # the heading follows the kind chosen (compose.js)
                           kind_titles={option: call.t(f"compose.title_{option}")
                                        for option in kinds},
                           title=call.t(f"compose.title_{kind}"))

    @page("GET", "/write", auth="member", query=ComposeQuery)
    def compose_form_page(self, call: PageCall):
        kind = call.query["kind"]
        return self._compose_form(call, {"kind": kind if kind in kinds_for(call.actor)
                                         else "question", "title": call.query["title"].strip()})

    @page("POST", "/write", auth="member")
    def compose_submit_page(self, call: PageCall):
        form = call.raw_form
        if form.get("action") == "preview":
            preview, problem = call.attempt(self.posts.preview, call.actor,
                                            {"body": form.get("body", "")})
            if problem is not None:
                return self._compose_form(call, form, 400, self._compose_errors(call, problem))
            return self._compose_form(call, form, preview=preview)
        post, problem = call.attempt(self.posts.create_post, call.actor, _post_body(form))
        if problem is not None:
            errors = self._compose_errors(call, problem)
            return self._compose_form(call, form, problem.status, errors)
        # the thread then says what became of it (published, or held and why), not "checking"
        post = after_review(post, lambda: self.posts.get_post(call.actor, post["id"]))
        call.cookies.notice(sent_notice(post))  # held: says so, as the box below it does
        return call.redirect(f"/posts/{post['id']}")

    @staticmethod
    def _compose_errors(call: PageCall, problem) -> dict[str, str]:
        errors = problem.body.get("errors") or {}
        if not errors:
            return {"form": problem.body.get("detail") or call.t("compose.failed")}
        return text_errors(call, errors, COMPOSE_MESSAGES)
