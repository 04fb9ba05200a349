"""The community managers' publishing screen (`/console/publishing`): write an article, feature /
unfeature and lock / unlock any contribution.

The screen lists the featured contributions and the locked threads (`GET /api/v1/posts?featured=
true`, `?locked=true`, each with its own cursor) and finds any other one by its address or id.
Each mark is one form posting to `/console/posts/{id}/featured|locked` (`on` = 1 or 0), which
calls the RPC of `PUT|DELETE /api/v1/posts/{id}/featured|locked` with the CM as actor, so posts
decides who may (a member or an advisor gets the 404 of every console URL first). With
JavaScript, htmx sends the same form and nothing reloads: on a thread the page answers with the
form alone, now saying what it does next; on this screen with the screen's marks and lists as
the action left them (the contribution merged in from the action's own answer: read-your-writes)
and a notice. Without it, the answer goes back where the CM was (the thread, or this screen
with the notice). The thread shows the same forms to CMs and admins (`posts/thread.html`).
Articles are written on the compose screen (`/write?kind=article`, offered to CMs and admins
only: posts refuses an article from anyone else), with its Markdown preview and its
confidential-data warning.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from marshmallow import Schema, ValidationError, fields, validate
from nameko.rpc import RpcProxy

from services.shared import ids
from services.shared.ids import path_schema

from ..page import PageCall, gather, page, render_problem
from .console import require_console
from .console_oversight import post_id_in
from .thread_actions import is_htmx

PUBLISHING_PAGE = 20
MARKS = ("featured", "locked")
MARK_PATH = path_schema(id=ids.POST)


class PublishingQuery(Schema):
    featured_cursor = fields.String(allow_none=True, validate=validate.Length(max=500))
    locked_cursor = fields.String(allow_none=True, validate=validate.Length(max=500))
    post = fields.String(validate=validate.Length(max=500), metadata={
        "description": "a contribution to mark: its address on the site, or its id"})
    done = fields.String(validate=validate.OneOf(
        [f"{mark}_{state}" for mark in MARKS for state in ("on", "off")]))


def publishing_href(featured_cursor: str | None = None, locked_cursor: str | None = None,
                    done: str | None = None) -> str:
    params = [(k, v) for k, v in (("featured_cursor", featured_cursor),
                                  ("locked_cursor", locked_cursor), ("done", done)) if v]
    return "/console/publishing" + (f"?{urlencode(params)}" if params else "")


class ConsolePublishingPages:
    posts = RpcProxy("posts")

    @page("GET", "/console/publishing", query=PublishingQuery)
    def console_publishing_page(self, call: PageCall):
        require_console(call)
        return self._publishing_screen(call, call.query, back=call.here,
                                       done=call.query.get("done"))

    def _publishing_screen(self, call: PageCall, query: dict[str, Any], back: str,
                           done: str | None = None, marked: dict[str, Any] | None = None,
                           failed: dict[str, str] | None = None):
        """The screen; `marked`: the contribution the CM has just marked, as the action
        answered — its lists show it so whatever they read (read-your-writes)."""
        lists = {mark: {mark: True, "limit": PUBLISHING_PAGE,
                        **({"cursor": query[f"{mark}_cursor"]}
                           if query.get(f"{mark}_cursor") else {})} for mark in MARKS}
        wanted = post_id_in(query.get("post") or "")
        found = gather(**{mark: self.posts.list_posts.call_async(call.actor, listing)
                          for mark, listing in lists.items()})
        chosen = problem = None
        if query.get("post"):
            if wanted is None:
                problem = {"detail": call.t("publishing.find_no_post")}
            elif marked is not None and marked["id"] == wanted:
                chosen = marked
            else:
                chosen, problem = call.attempt(self.posts.get_post, call.actor, wanted)
                problem = problem.body if problem is not None else None
        items = {mark: found[mark]["items"] for mark in MARKS}
        if marked is not None:
            items = {mark: with_marks(items[mark], marked, mark,
                                      first_page=not query.get(f"{mark}_cursor"))
                     for mark in MARKS}
        more = {mark: found[mark].get("next_cursor") for mark in MARKS}
        return call.render(
            "console/publishing.html", title=call.t("publishing.title"), noindex=True,
            section="console", console_tab="publishing",
            featured=items["featured"], locked=items["locked"],
            chosen=chosen, problem=problem, searched=query.get("post") or "",
            done=done, failed=failed or {}, back=_with_done(back, None),
            more_featured=publishing_href(featured_cursor=more["featured"],
                                          locked_cursor=query.get("locked_cursor"))
            if more["featured"] else None,
            more_locked=publishing_href(featured_cursor=query.get("featured_cursor"),
                                        locked_cursor=more["locked"])
            if more["locked"] else None)

    @page("POST", "/console/posts/{id}/featured", path_params=MARK_PATH)
    def console_feature_page(self, call: PageCall):
        """Feature (on=1) or stop featuring (on=0): the RPC of PUT|DELETE .../featured."""
        return self._mark(call, "featured")

    @page("POST", "/console/posts/{id}/locked", path_params=MARK_PATH)
    def console_lock_page(self, call: PageCall):
        """Lock (on=1) or unlock (on=0) a thread: the RPC of PUT|DELETE .../locked."""
        return self._mark(call, "locked")

    def _mark(self, call: PageCall, mark: str):
        require_console(call)
        post_id, on = call.path["id"], call.raw_form.get("on") == "1"
        rpc = self.posts.set_featured if mark == "featured" else self.posts.set_locked
        post, problem = call.attempt(rpc, call.actor, post_id, on)
        back = _back(call, post_id)
        done = f"{mark}_{'on' if on else 'off'}"
        on_screen = back.startswith("/console/publishing")
        error = None if problem is None else (problem.body.get("detail")
                                              or call.t("publishing.failed"))
        if is_htmx(call) and on_screen:
            # the screen's marks and lists as they are now, with a notice (htmx swaps them in;
            # 200 with the error inside: htmx swaps only successful answers)
            return self._publishing_screen(
                call, screen_query(back), back, done=None if problem else done, marked=post,
                failed={"post": post_id, "mark": mark, "error": error} if problem else None)
        if is_htmx(call):
            return call.render("console/_mark.html", mark=mark, post_id=post_id,
                               on=post[mark] if post else not on, error=error, back=back)
        if problem is not None:
            return render_problem(call, problem.status)
        if on_screen:
            return call.redirect(_with_done(back, done))
        return call.redirect(back)


def with_marks(items: list[dict[str, Any]], post: dict[str, Any], mark: str,
               first_page: bool) -> list[dict[str, Any]]:
    """A page of the `mark` list with `post` as the CM's action has just left it: in it (at the
    head of the first page) while it holds the mark, out of it once it does not, and its
    other mark as it is now wherever it is listed."""
    now = {name: post.get(name) for name in MARKS}
    kept = [{**item, **now} if item["id"] == post["id"] else item for item in items]
    if not post.get(mark):
        return [item for item in kept if item["id"] != post["id"]]
    if first_page and all(item["id"] != post["id"] for item in kept):
        return [post, *kept]
    return kept


def screen_query(back: str) -> dict[str, Any]:
    """The publishing screen's query in `back` (the CM's page of each list, the contribution
    found), as the screen reads it; nothing when it does not read."""
    _, _, query = back.partition("?")
    try:
        return PublishingQuery().load(
            {name: value for name, value in parse_qsl(query) if name != "done"})
    except ValidationError:
        return {}


def _back(call: PageCall, post_id: str) -> str:
    """Where the CM was: the thread, or the publishing screen (never another site)."""
    back = call.raw_form.get("back") or ""
    if back == f"/posts/{post_id}" or back.startswith("/console/publishing"):
        return back
    return "/console/publishing"


def _with_done(back: str, done: str | None) -> str:
    """`back` saying `done` (None: saying nothing)."""
    path, _, query = back.partition("?")
    params = [part for part in query.split("&") if part and not part.startswith("done=")]
    params += [urlencode({"done": done})] if done else []
    return path + ("?" + "&".join(params) if params else "")
