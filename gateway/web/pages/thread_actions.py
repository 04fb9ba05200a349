"""Taking part in a thread: reply, vote, accept an answer, flag, follow the author, watch / unwatch,
mute, edit (with its history) and delete.

Every action is an HTML form posting to one of these pages, which call the RPCs the API's routes
call (posts, feeds, moderation decide who may do what). Without JavaScript the page answers with a
redirect back to the thread (303, post/redirect/get). With JavaScript, htmx sends the same form
(`HX-Request`) and the page answers with the fragment that changed — the vote count, the toggle,
the new reply, the error next to its field — so nothing reloads.
"""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate
from nameko.rpc import RpcProxy

from services.moderation.schemas import FLAG_REASONS
from services.shared import ids
from services.shared.ids import path_schema

from ..page import PageCall, gather, page
from .account import field_errors

POST_PATH = path_schema(id=ids.POST)
REPLY_PATH = path_schema(id=ids.REPLY)
MEMBER_PATH = path_schema(id=ids.USER)
REPLY_MESSAGES = {"body": "contribute.invalid_body"}
EDIT_MESSAGES = {"title": "compose.invalid_title", "body": "contribute.invalid_body"}


class OnForm(Schema):
    on = fields.Boolean(required=True)


class PostRef(Schema):
    post_id = fields.String(required=True, validate=validate.Regexp(ids.POST.pattern))


class FlagForm(Schema):
    reason = fields.String(required=True, validate=validate.OneOf(FLAG_REASONS))


def is_htmx(call: PageCall) -> bool:
    return call.request.headers.get("HX-Request") == "true"


class ThreadActionPages:
    posts = RpcProxy("posts")
    feeds = RpcProxy("feeds")
    moderation = RpcProxy("moderation")

    def _back(self, call: PageCall, post_id: str, anchor: str = ""):
        return call.redirect(f"/posts/{post_id}" + (f"#{anchor}" if anchor else ""))

    def _problem_page(self, call: PageCall, problem):
        from ..page import render_problem
        return render_problem(call, problem.status)

    # -- replies

    @page("POST", "/posts/{id}/reply", auth="member", path_params=POST_PATH)
    def reply(self, call: PageCall):
        post_id = call.path["id"]
        body = call.raw_form.get("body", "")
        reply, problem = call.attempt(self.posts.add_reply, call.actor, post_id, {"body": body})
        if problem is not None:
            errors = field_errors(call, problem.body.get("errors") or {}, REPLY_MESSAGES) or {
                "body": problem.body.get("detail") or call.t("contribute.failed")}
            if is_htmx(call):
                return call.render("posts/_reply_form_fragment.html", post_id=post_id,
                                   body=body, errors=errors, status=200)
            return call.render("posts/_reply_form_page.html", status=problem.status,
                               post_id=post_id, body=body, errors=errors, noindex=True,
                               title=call.t("contribute.reply_title"))
        if is_htmx(call):
            return call.render("posts/_reply_added.html", post_id=post_id, reply=reply,
                               body="", errors={})
        return self._back(call, post_id, f"reply-{reply['id']}")

    # -- votes

    def _vote(self, call: PageCall, target_type: str):
        target_id = call.path["id"]
        on = call.raw_form.get("on") == "1"
        result, problem = call.attempt(self.posts.vote, call.actor, target_type, target_id, on)
        if problem is not None:
            return self._problem_page(call, problem)
        if is_htmx(call):
            return call.render("posts/_vote_fragment.html", target_type=target_type,
                               target_id=target_id, votes=result["votes"],
                               voted=result["voted"])
        return None

    @page("POST", "/posts/{id}/vote", auth="member", path_params=POST_PATH)
    def vote_post(self, call: PageCall):
        return self._vote(call, "post") or self._back(call, call.path["id"])

    @page("POST", "/replies/{id}/vote", auth="member", path_params=REPLY_PATH)
    def vote_reply(self, call: PageCall):
        answer = self._vote(call, "reply")
        if answer is not None:
            return answer
        reply = self.posts.get_reply(call.actor, call.path["id"])
        return self._back(call, reply["post_id"], f"reply-{call.path['id']}")

    # -- accept an answer (the question's author)

    @page("POST", "/posts/{id}/accept", auth="member", path_params=POST_PATH)
    def accept(self, call: PageCall):
        reply_id = call.raw_form.get("reply_id", "")
        _, problem = call.attempt(self.posts.accept_reply, call.actor, call.path["id"],
                                  {"reply_id": reply_id})
        if problem is not None:
            return self._problem_page(call, problem)
        if is_htmx(call):
            return call.redirect_htmx(f"/posts/{call.path['id']}#reply-{reply_id}")
        return self._back(call, call.path["id"], f"reply-{reply_id}")
