"""A community manager's moderation from a thread (posts/_staff_menu.html, staff only): take a
public post or reply out of public view with a refusal reason (its author is told), or hold it
to redact it in the console's editor. The same RPC as `POST /api/v1/{posts|replies}/{id}/
removal` and `.../hold`, with the same actor: moderation checks the role again; anyone else
gets 404 here, as on every console URL.

Without JavaScript the forms post here and the page answers with a redirect (303): back to the
thread, where the contribution is gone from public view, or to the console's item to redact.
When it went before the request (its author deleted it), the thread says there was nothing to take
down instead of an error page.
"""
from __future__ import annotations

import time

import eventlet
from nameko.rpc import RpcProxy

from services.moderation.domain import flags_item_id
from services.moderation.schemas import REJECT_REASONS
from services.shared import ids

from ..page import PageCall, page, render_problem
from .console import queue_href, require_console
from .thread_actions import POST_PATH, REPLY_PATH, REVIEW_POLL_SECONDS, REVIEW_WAIT_SECONDS


def refused(call: PageCall, read, target_id: str) -> None:
    """Wait, within REVIEW_WAIT_SECONDS, until posts has applied moderation's refusal (some
    50 ms: an event away; hidden first, which staff still read), so that the thread the CM goes
    back to shows it gone. A bound, not a delay: past it the thread shows it until the next
    load."""
    deadline = time.monotonic() + REVIEW_WAIT_SECONDS
    while time.monotonic() < deadline:
        item, problem = call.attempt(read, call.actor, target_id)
        if problem is not None or item.get("state") not in ("published", "hidden"):
            return
        eventlet.sleep(REVIEW_POLL_SECONDS)  # ok: a bounded poll of the verdict's effect


class ThreadModerationPages:
    moderation = RpcProxy("moderation")
    posts = RpcProxy("posts")

    def _thread_of(self, call: PageCall, target_type: str, target_id: str) -> str | None:
        """The thread to go back to: the post, or the reply's post as the menu's form names it
        (read from posts only for a form rendered without it); None when the reply is gone."""
        if target_type == "post":
            return f"/posts/{target_id}"
        thread = call.raw_form.get("thread")
        if not ids.POST.matches(thread):
            reply, problem = call.attempt(self.posts.get_reply, call.actor, target_id)
            thread = None if problem is not None else reply["post_id"]
        return f"/posts/{thread}" if thread else None

    @staticmethod
    def _refused(call: PageCall, status: int, back: str | None):
        """Moderation found nothing public to take down (404): its author deleted it, or it
        left public view, while the CM chose — said on the thread, where the CM goes on. Any
        other refusal is the standard page."""
        if status == 404 and back:
            call.cookies.notice("already_gone")
            return call.redirect(back)
        return render_problem(call, status, "already_gone" if status == 404 else None)

    def _remove(self, call: PageCall, target_type: str):
        require_console(call)
        target_id = call.path["id"]
        code = call.raw_form.get("reason_code", "")
        if code not in REJECT_REASONS:  # the select is required; a form sent without it
            return render_problem(call, 400, "remove_reason")
        back = self._thread_of(call, target_type, target_id)
        _, problem = call.attempt(self.moderation.take_down, call.actor, target_type,
                                  target_id, {"reason_code": code})
        if problem is not None:
            return self._refused(call, problem.status, back)
        read = self.posts.get_post if target_type == "post" else self.posts.get_reply
        refused(call, read, target_id)
        call.cookies.notice("removed")
        return call.redirect(back or "/")

    def _hold(self, call: PageCall, target_type: str):
        require_console(call)
        target_id = call.path["id"]
        _, problem = call.attempt(self.moderation.take_down, call.actor, target_type,
                                  target_id)
        if problem is not None:
            return self._refused(call, problem.status,
                                 self._thread_of(call, target_type, target_id))
        return call.redirect(queue_href(item=flags_item_id(target_id)) + "#redact-body")

    @page("POST", "/posts/{id}/removal", auth="member", path_params=POST_PATH)
    def thread_remove_post_page(self, call: PageCall):
        return self._remove(call, "post")

    @page("POST", "/replies/{id}/removal", auth="member", path_params=REPLY_PATH)
    def thread_remove_reply_page(self, call: PageCall):
        return self._remove(call, "reply")

    @page("POST", "/posts/{id}/hold", auth="member", path_params=POST_PATH)
    def thread_hold_post_page(self, call: PageCall):
        return self._hold(call, "post")

    @page("POST", "/replies/{id}/hold", auth="member", path_params=REPLY_PATH)
    def thread_hold_reply_page(self, call: PageCall):
        return self._hold(call, "reply")
