"""Taking part in a thread: reply, vote, accept an answer, flag, follow the author, watch / unwatch,
mute, edit (with its visible history) and delete.

Every action is an HTML form posting to one of these pages, which call the RPCs the API's routes
call (posts, feeds, moderation decide who may do what). Without JavaScript the page answers with a
redirect back to the thread (303, post/redirect/get) or, on bad input, the form again with the
errors next to the fields. With JavaScript, htmx sends the same form (`HX-Request: true`) and the
page answers with only what changed — the vote count, the toggle, the new reply, the error next to
its field (status 200: htmx swaps only successful answers; the error is in the fragment, in a
`role=alert` element) — so nothing reloads.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import eventlet
from nameko.rpc import RpcProxy

from services.moderation.detector import confidential_fields, tags_text
from services.moderation.schemas import FLAG_REASONS, FLAG_WORDS_MAX
from services.posts.domain import may_post_in
from services.posts.schemas import KINDS
from services.shared import ids
from services.shared.actors import is_moderator
from services.shared.errors import Forbidden
from services.shared.ids import path_schema

from ..page import PageCall, gather, page, render_problem
from .account import field_errors
from .advisor import my_advisor

POST_PATH = path_schema(id=ids.POST)
REPLY_PATH = path_schema(id=ids.REPLY)
USER_PATH = path_schema(id=ids.USER)
TEXT_MESSAGES = {"title": "compose.invalid_title", "body": "compose.invalid_body"}
POST_MESSAGES = {**TEXT_MESSAGES, "category": "compose.invalid_category",
                 "tags": "compose.invalid_tags"}
# Moderation's automatic review of a new text takes some 50 ms: the author's next screen waits
# that long for it (published, or held and why) rather than saying "checking". A bound, not a
# delay: past it the screen says "checking" and updates itself (posts/_review_state.html).
REVIEW_WAIT_SECONDS = 0.5
REVIEW_POLL_SECONDS = 0.03


def is_htmx(call: PageCall) -> bool:
    return call.request.headers.get("HX-Request") == "true"


def in_review(item: dict[str, Any]) -> bool:
    """Not ruled on yet by moderation's automatic review (its author and the CMs see that): a new
    text, or the edit of a published one (`pending_edit`: the old text shows until it rules)."""
    return "pending" in ((item.get("review") or {}).get("state"),
                         (item.get("pending_edit") or {}).get("state"))


def after_review(item: dict[str, Any], read: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """`item` as its author sees it once the automatic review ruled, if it does within
    REVIEW_WAIT_SECONDS (`read` reads it again); else as it is, still in review."""
    deadline = time.monotonic() + REVIEW_WAIT_SECONDS
    while in_review(item) and time.monotonic() < deadline:
        eventlet.sleep(REVIEW_POLL_SECONDS)  # ok: a bounded poll of the review's outcome
        item = read()
    return item


def edit_waiting(item: dict[str, Any]) -> bool:
    """The edit of a published text, still waiting for its review (checked or held): its
    author is shown it beside the published version (posts/_review_state.html)."""
    return (item.get("pending_edit") or {}).get("state") in ("pending", "held")


def edit_notice(item: dict[str, Any], sent_again: bool = False) -> str:
    """What the thread says after an edit: published (the new text shows), or sent (still
    checked, held or refused: the thread's box says which). `sent_again`: a text refused before
    anyone saw it, corrected: a contribution sent anew (its box says published, or why it
    waits)."""
    if sent_again:
        return sent_notice(item)
    return "edited" if item.get("pending_edit") else "edit_published"


def sent_notice(item: dict[str, Any]) -> str:
    """The notice of a text just sent: a reply's names it (the thread's "posted" notice is its
    post's, and draws the post's state box: posts/thread.html). A post held for the team's
    review says so: a plain "sent" above the box saying "held" read as published."""
    if item.get("post_id") and item.get("id") != item.get("post_id"):
        return "answer_posted" if item.get("kind") == "answer" else "comment_posted"
    return "posted_held" if (item.get("review") or {}).get("state") == "held" else "posted"


def refused_unseen(item: dict[str, Any]) -> bool:
    """Refused before anyone saw it: corrected, it is sent again (posts' `submit_edit`,
    `_resubmit`). One taken down after it was published stays as it is (readers may have
    quoted it: posts refuses to edit it)."""
    return item.get("state") == "rejected" and not item.get("published_at")


def waiting_unseen(item: dict[str, Any]) -> bool:
    """Never published and still waiting (being checked, or held): its author's correction
    replaces the waiting version (posts' `correcting`)."""
    return item.get("state") == "pending" and not item.get("published_at")


def resubmittable(actor: dict[str, Any] | None, item: dict[str, Any]) -> bool:
    """Its author's text refused before anyone saw it: theirs to correct and send again."""
    return bool(actor) and item.get("author_id") == actor.get("id") and refused_unseen(item)


def refused_way_out(identity, call: PageCall, items: list[dict[str, Any]]
                    ) -> dict[str, Any] | None:
    """The advisor a refused text's box offers to write to privately (posts/_review_state.html
    words the link for a member without one as /conversations does): read only when the page
    shows its reader a text of theirs refused."""
    if not any(resubmittable(call.actor, item) for item in items):
        return None
    return my_advisor(identity, call)


def render_drafts(posts, actor: dict[str, Any] | None, items: list[dict[str, Any]]) -> None:
    """The author's own texts still waiting (`draft`: posts gives it to its author only, as
    written) — a new one, or the edit of a published one — get `draft.body_html`, rendered by
    posts' renderer as they will read once published; the previews are sent together."""
    waiting = [item for item in items if item.get("draft") and (
        edit_waiting(item) or not (item.get("body_html") or item.get("body")))]
    rendered = gather(**{str(n): posts.preview.call_async(actor, {"body": item["draft"]["body"]})
                         for n, item in enumerate(waiting)})
    for n, item in enumerate(waiting):
        item["draft"]["body_html"] = rendered[str(n)]["body_html"]


def _kind(call: PageCall) -> str | None:
    """The post's kind a vote or a watch form sends back (its button's wording), if one."""
    kind = call.raw_form.get("kind")
    return kind if kind in KINDS else None


def text_errors(call: PageCall, errors: dict[str, Any] | None,
                keys: dict[str, str] = TEXT_MESSAGES) -> dict[str, str]:
    """A text's refusals in the site's words (`field_errors`); a body sent empty is asked for
    ("Write your text."), not told the maximum it is far from (posts' one length rule refuses
    both)."""
    messages = field_errors(call, errors, keys)
    if "body" in messages and not call.raw_form.get("body", "").strip():
        messages["body"] = call.t("compose.empty_body")
    return messages


def _errors(call: PageCall, problem, keys: dict[str, str] = TEXT_MESSAGES) -> dict[str, str]:
    errors = text_errors(call, problem.body.get("errors") or {}, keys)
    return errors or {"form": problem.body.get("detail") or call.t("contribute.failed")}


def typed_tags(typed: str) -> list[str]:
    """Tags typed "a, b c" -> ["a", "b", "c"], in the order typed and each kept, so that
    moderation reads them as typed (a repeated group of digits is part of the number; posts
    publishes each tag once)."""
    return [tag for tag in (part.strip().lower() for part in typed.replace(",", " ").split())
            if tag]


def found_in_tags(typed: str) -> list[str] | None:
    """The confidential kinds the detector finds in typed tags, read as moderation reads them
    (a number split over several tags holds the post like one in its text): the warning a
    preview without JavaScript shows under the tags."""
    return confidential_fields({"tags": tags_text(typed_tags(typed))}).get("tags")


def categories_for(posts, actor: dict[str, Any] | None, keep: str | None = None
                   ) -> list[dict[str, Any]]:
    """The categories a writer may file a post under — an archived one takes no new post, a
    staff-only one is not offered to members — and `keep`, an edited post's own, whatever it
    is now (keeping it is always allowed)."""
    return [category for category in posts.list_categories(actor, {})["items"]
            if category["slug"] == keep or (not category.get("archived") and may_post_in(
                actor, category.get("staff_only", False)))]


def _post_edit(form: dict[str, str]) -> dict[str, Any]:
    """The edit page's form as `PATCH /api/v1/posts/{id}` takes it: the category and tags only
    when they differ from the published post's (`*_was`, which a new revision keeps unless
    told) — an archived category stays its post's without being chosen anew, and tags written
    before today's rules are not judged by them again."""
    edit: dict[str, Any] = {"title": form["title"], "body": form["body"]}
    if form["category"] and form["category"] != form["category_was"]:
        edit["category"] = form["category"]
    if typed_tags(form["tags"]) != typed_tags(form["tags_was"]):
        edit["tags"] = typed_tags(form["tags"])
    return edit


def _history_page(call: PageCall, item: dict, post_id: str, history: dict):
    """A post's or a reply's versions, newest first."""
    return call.render("posts/history.html", item=item, post_id=post_id,
                       revisions=list(reversed(history["revisions"])), noindex=True,
                       title=call.t("contribute.history_title"))


def action_failed(call: PageCall, problem, fragment: str, error: str | None = None,
                  **context: Any):
    """An action refused (409 locked, 403 not yours, 429...): the control again with the
    reason (htmx; `error`: the page's own sentence, if it has one), or the error page (no
    JavaScript). The thread's actions and the tag and category pages' Follow share it."""
    if is_htmx(call):
        return call.render(fragment, error=error or problem.body.get("detail") or
                           call.t("contribute.failed"), **context)
    return render_problem(call, problem.status)


class ThreadActionPages:
    posts = RpcProxy("posts")
    feeds = RpcProxy("feeds")
    moderation = RpcProxy("moderation")
    identity = RpcProxy("identity")  # a refused text's way out: the advisor, if any

    @staticmethod
    def _thread_back(call: PageCall, post_id: str, anchor: str = ""):
        return call.redirect(f"/posts/{post_id}" + (f"#{anchor}" if anchor else ""))

    def _merged_refusal(self, call: PageCall, problem, post_id: str) -> str | None:
        """The page's sentence when an action on an idea was refused because the idea was merged
        (a form left open from before the merge): posts' message is written for the API."""
        if problem.status != 422:
            return None
        post, _ = call.attempt(self.posts.get_post, call.actor, post_id)
        return call.t("thread.merged_into") if (post or {}).get("merged_into") else None

    # -- replies

    @page("POST", "/posts/{id}/reply", auth="member", path_params=POST_PATH)
    def thread_reply_page(self, call: PageCall):
        post_id = call.path["id"]
        body = call.raw_form.get("body", "")
        if call.raw_form.get("action") == "preview":  # without JavaScript (reply.js previews)
            return self._reply_preview(call, post_id, body)
        reply, problem = call.attempt(self.posts.add_reply, call.actor, post_id, {"body": body})
        if problem is not None:
            merged = self._merged_refusal(call, problem, post_id)
            errors = {"form": merged} if merged else _errors(call, problem)
            if is_htmx(call):
                return call.render("posts/_reply_form.html", post_id=post_id, body=body,
                                   errors=errors, post_kind=_kind(call), fragment=True)
            post = self.posts.get_post(call.actor, post_id)
            return call.render("posts/reply_page.html", status=problem.status, post=post,
                               body=body, errors=errors, noindex=True,
                               title=call.t("contribute.reply_title" if post.get("kind") ==
                                            "question" else "contribute.comment_title"))
        # the reply as its author will find it: published, or held and why
        reply = after_review(reply, lambda: self.posts.get_reply(call.actor, reply["id"]))
        if is_htmx(call):
            post = self.posts.get_post(call.actor, post_id)
            render_drafts(self.posts, call.actor, [reply])
            return call.render("posts/_reply_added.html", post=post, reply=reply, body="",
                               errors={}, fragment=True)
        call.cookies.notice(sent_notice(reply))  # without JavaScript: said on the thread
        return self._thread_back(call, post_id, f"reply-{reply['id']}")

    def _reply_preview(self, call: PageCall, post_id: str, body: str):
        """The reply form again with the text rendered below it and, if posts' preview found
        confidential data in it, the warning (as the compose page's Preview does)."""
        preview, problem = call.attempt(self.posts.preview, call.actor, {"body": body})
        errors = {} if problem is None else _errors(call, problem)
        if is_htmx(call):
            return call.render("posts/_reply_form.html", post_id=post_id, body=body,
                               errors=errors, preview=preview, post_kind=_kind(call),
                               fragment=True)
        post = self.posts.get_post(call.actor, post_id)
        return call.render("posts/reply_page.html", status=problem.status if problem else 200,
                           post=post, body=body, errors=errors, preview=preview, noindex=True,
                           title=call.t("contribute.reply_title" if post.get("kind") ==
                                        "question" else "contribute.comment_title"))

    # -- the review box of a contribution still being checked (htmx asks again: posts/
    #    _review_state.html); public, so an ended session gets an empty box, not the login page

    def _review_box(self, call: PageCall, read, thread: Callable[[str], Any] | None = None):
        """`thread`: for a reply, the read of its post, made once the review ruled (the box
        stops asking then) for its author's page, whose reply list's heading counts it."""
        item, problem = call.attempt(read, call.actor, call.path["id"])
        item = item if problem is None else {}
        post = None
        if thread and item and call.actor and not in_review(item):
            post, _ = call.attempt(thread, call.actor, item["post_id"])
        return call.render("posts/review_state.html", item=item, post=post,
                           own_advisor=refused_way_out(self.identity, call, [item]))

    @page("GET", "/posts/{id}/review", path_params=POST_PATH)
    def thread_post_review_page(self, call: PageCall):
        return self._review_box(call, self.posts.get_post)

    @page("GET", "/replies/{id}/review", path_params=REPLY_PATH)
    def thread_reply_review_page(self, call: PageCall):
        return self._review_box(call, self.posts.get_reply, self.posts.get_post)

    # -- votes

    def _thread_vote(self, call: PageCall, target_type: str):
        target_id = call.path["id"]
        on = call.raw_form.get("on") == "1"
        result, problem = call.attempt(self.posts.vote, call.actor, target_type, target_id, on)
        context = {"target_type": target_type, "target_id": target_id, "kind": _kind(call)}
        if problem is not None:
            merged = self._merged_refusal(call, problem, target_id) \
                if target_type == "post" else None
            if merged and not is_htmx(call):
                return self._thread_back(call, target_id)  # which says so, and links to it
            return action_failed(call, problem, "posts/_vote.html", merged, votes=None,
                                       voted=not on, **context)
        if is_htmx(call):
            return call.render("posts/_vote.html", votes=result["votes"], voted=result["voted"],
                               error=None, **context)
        return None

    @page("POST", "/posts/{id}/vote", auth="member", path_params=POST_PATH)
    def thread_vote_post_page(self, call: PageCall):
        return self._thread_vote(call, "post") or self._thread_back(call, call.path["id"])

    @page("POST", "/replies/{id}/vote", auth="member", path_params=REPLY_PATH)
    def thread_vote_reply_page(self, call: PageCall):
        answer = self._thread_vote(call, "reply")
        if answer is not None:
            return answer
        reply = self.posts.get_reply(call.actor, call.path["id"])
        return self._thread_back(call, reply["post_id"], f"reply-{call.path['id']}")

    # -- accept an answer (the question's author): the whole thread changes order, so a redirect

    @page("POST", "/posts/{id}/accept", auth="member", path_params=POST_PATH)
    def thread_accept_page(self, call: PageCall):
        reply_id = call.raw_form.get("reply_id", "")
        _, problem = call.attempt(self.posts.accept_reply, call.actor, call.path["id"],
                                  {"reply_id": reply_id})
        if problem is not None:
            return render_problem(call, problem.status)
        return self._thread_back(call, call.path["id"], f"reply-{reply_id}")

    # -- flags

    def _thread_flag(self, call: PageCall, target_type: str):
        target_id = call.path["id"]
        reason = call.raw_form.get("reason", "")
        words = call.raw_form.get("details", "").strip()[:FLAG_WORDS_MAX]
        context = {"target_type": target_type, "target_id": target_id, "reasons": FLAG_REASONS,
                   "chosen": reason, "words": words, "flag_words_max": FLAG_WORDS_MAX}
        # "other" says nothing by itself: the team needs the member's words to act on it
        needs_words = reason == "other" and not words
        if reason not in FLAG_REASONS or needs_words:
            error = call.t("contribute.flag_details_needed" if needs_words
                           else "contribute.flag_choose")
            if is_htmx(call):
                return call.render("posts/_flag.html", done=False, error=error,
                                   words_error=needs_words, **context)
            return self._flag_page(call, error, needs_words, context)
        _, problem = call.attempt(self.moderation.flag, call.actor, target_type, target_id,
                                  {"reason": reason, **({"details": words} if words else {})},
                                  call.client)
        if problem is not None:
            return action_failed(call, problem, "posts/_flag.html", done=False, **context)
        if is_htmx(call):
            return call.render("posts/_flag.html", done=True, error=None, **context)
        return None

    def _flag_page(self, call: PageCall, error: str, words_error: bool,
                   context: dict[str, Any]):
        """Without JavaScript, a flag refused for its input: its form again on a page of its
        own, the error next to its field, the reason and the words as sent, and the way back
        to the thread (as the reply form's page does)."""
        post_id = context["target_id"] if context["target_type"] == "post" else \
            self.posts.get_reply(call.actor, context["target_id"])["post_id"]
        return call.render("posts/flag_page.html", status=400,
                           post=self.posts.get_post(call.actor, post_id), done=False,
                           error=error, words_error=words_error, standalone=True, noindex=True,
                           title=call.t("contribute.flag_title"), **context)

    @page("POST", "/posts/{id}/flag", auth="member", path_params=POST_PATH)
    def thread_flag_post_page(self, call: PageCall):
        if (answer := self._thread_flag(call, "post")) is not None:
            return answer
        call.cookies.notice("flagged")
        return self._thread_back(call, call.path["id"])

    @page("POST", "/replies/{id}/flag", auth="member", path_params=REPLY_PATH)
    def thread_flag_reply_page(self, call: PageCall):
        if (answer := self._thread_flag(call, "reply")) is not None:
            return answer
        call.cookies.notice("flagged")
        reply = self.posts.get_reply(call.actor, call.path["id"])
        return self._thread_back(call, reply["post_id"], f"reply-{call.path['id']}")

    # -- follow the author, watch / mute the thread (idempotent toggles)

    def _thread_toggle(self, call: PageCall, name: str, target_id: str, post_id: str):
        on = call.raw_form.get("on") == "1"
        rpc = {"follow": self.feeds.follow, "watch": self.feeds.watch,
               "mute": self.feeds.mute}[name]
        _, problem = call.attempt(rpc, call.actor, target_id, on)
        context = {"name": name, "target_id": target_id, "post_id": post_id,
                   "kind": _kind(call)}
        if problem is not None:
            return action_failed(call, problem, "posts/_toggle.html", on=not on, **context)
        if is_htmx(call):
            return call.render("posts/_toggle.html", on=on, error=None, **context)
        return self._thread_back(call, post_id)

    @page("POST", "/posts/{id}/watch", auth="member", path_params=POST_PATH)
    def thread_watch_page(self, call: PageCall):
        return self._thread_toggle(call, "watch", call.path["id"], call.path["id"])

    @page("POST", "/posts/{id}/mute", auth="member", path_params=POST_PATH)
    def thread_mute_page(self, call: PageCall):
        return self._thread_toggle(call, "mute", call.path["id"], call.path["id"])

    @page("POST", "/members/{id}/follow", auth="member", path_params=USER_PATH)
    def thread_follow_page(self, call: PageCall):
        post_id = call.raw_form.get("post_id", "")
        if not ids.POST.matches(post_id):
            post_id = ""
        answer = self._thread_toggle(call, "follow", call.path["id"], post_id)
        if not post_id and not is_htmx(call):
            return call.redirect(f"/members/{call.path['id']}")
        return answer

    # -- edit (with the visible history) and delete: whole-page forms

    def _thread_render_edit(self, call: PageCall, target_type: str, item: dict[str, Any],
                   form: dict[str, Any], errors: dict[str, str] | None = None, status: int = 200,
                   preview: dict[str, Any] | None = None):
        """The edit form: its author's, or a CM's on someone else's text (said so: the author
        is told; and a CM's edit replaces one of the author's waiting for review). A text
        refused before anyone saw it is corrected and sent again for review (`resubmit`); one
        still waiting is corrected by its author (`correct`: the correction replaces it)."""
        by_author = call.actor["id"] == item.get("author_id")
        resubmit = refused_unseen(item)
        correct = by_author and waiting_unseen(item)
        author = "" if by_author else (item.get("author") or {}).get("display_name") or ""
        kind = item.get("kind") or target_type
        title = call.t("staff.edit_title_other", name=author) if author else \
            call.t(f"compose.resubmit_title_{kind}" if resubmit
                   else f"contribute.edit_title_{kind}")
        intro = "compose.resubmit_intro" if resubmit and by_author else \
            "compose.correct_intro" if correct else \
            "contribute.edit_intro" if by_author else "staff.edit_intro_other"
        categories = categories_for(self.posts, call.actor, item.get("category")) \
            if target_type == "post" else []
        return call.render("posts/edit.html", status=status, target_type=target_type,
                           item=item, form=form, errors=errors or {}, heading=title,
                           by_author=by_author, categories=categories, preview=preview,
                           tags_found=found_in_tags(form.get("tags") or "") if preview else None,
                           intro=call.t(intro), resubmit=resubmit, correct=correct,
                           field_errors={k: v for k, v in (errors or {}).items() if k != "form"},
                           noindex=True, title=title)

    def _edit_preview(self, call: PageCall, target_type: str, form: dict[str, Any]):
        """The edit form again, as typed, with the text rendered and, if posts' preview found
        confidential data in it, the warning (as the compose page's Preview does)."""
        read = self.posts.get_post if target_type == "post" else self.posts.get_reply
        # the preview beside the read (it needs nothing from it); shown only to whoever may edit
        rendering = self.posts.preview.call_async(call.actor, {"body": form["body"]})
        item = read(call.actor, call.path["id"])
        self._may_edit(call, target_type, item)
        preview, problem = call.attempt(rendering.result)
        return self._thread_render_edit(
            call, target_type, item, form, {} if problem is None else _errors(call, problem),
            problem.status if problem else 200, preview=preview)

    @staticmethod
    def _may_edit(call: PageCall, target_type: str, item: dict[str, Any]) -> None:
        """Whoever may not edit it (its author and CMs may) gets the 403 saving would answer,
        not a form they cannot use."""
        if call.actor["id"] != item.get("author_id") and not is_moderator(call.actor):
            raise Forbidden.from_catalogue("author_or_moderator_edits",
                                           terms={"thing": f"noun.{target_type}"})

    @page("GET", "/posts/{id}/edit", auth="member", path_params=POST_PATH)
    def thread_edit_post_form_page(self, call: PageCall):
        post = self.posts.get_post(call.actor, call.path["id"])
        self._may_edit(call, "post", post)
        draft = post.get("draft") or {}  # the author's edit waiting, with its category and tags
        published_tags = " ".join(post.get("tags") or [])
        # what the form sends is compared with the published post, which a new revision keeps
        # unless told otherwise (posts' `submit_edit`), not with the waiting edit it replaces
        return self._thread_render_edit(call, "post", post, {
            "title": draft.get("title") or post.get("title") or "",
            "body": draft.get("body") or post.get("body") or "",
            "category": draft.get("category") or post.get("category") or "",
            "category_was": post.get("category") or "",
            "tags": " ".join(draft["tags"]) if "tags" in draft else published_tags,
            "tags_was": published_tags})

    @page("POST", "/posts/{id}/edit", auth="member", path_params=POST_PATH)
    def thread_edit_post_page(self, call: PageCall):
        form = {"title": call.raw_form.get("title", "").strip(),
                "body": call.raw_form.get("body", ""),
                "category": call.raw_form.get("category", "").strip(),
                "category_was": call.raw_form.get("category_was", "").strip(),
                "tags": call.raw_form.get("tags", ""),
                "tags_was": call.raw_form.get("tags_was", "")}
        if call.raw_form.get("action") == "preview":  # without JavaScript (edit.js previews)
            return self._edit_preview(call, "post", form)
        post, problem = call.attempt(self.posts.edit_post, call.actor, call.path["id"],
                                     _post_edit(form))
        if problem is not None:
            post = self.posts.get_post(call.actor, call.path["id"])
            self._may_edit(call, "post", post)
            return self._thread_render_edit(call, "post", post, form,
                                            _errors(call, problem, POST_MESSAGES),
                                            problem.status)
        # as for a new post: the thread then shows the new text (or why it is held), not the old:
        # a text never published (refused, or its author's still waiting) is sent again whole
        sent_again = not post.get("published_at")
        post = after_review(post, lambda: self.posts.get_post(call.actor, post["id"]))
        call.cookies.notice(edit_notice(post, sent_again))
        return self._thread_back(call, call.path["id"])

    @page("GET", "/replies/{id}/edit", auth="member", path_params=REPLY_PATH)
    def thread_edit_reply_form_page(self, call: PageCall):
        reply = self.posts.get_reply(call.actor, call.path["id"])
        self._may_edit(call, "reply", reply)
        draft = reply.get("draft") or {}
        return self._thread_render_edit(call, "reply", reply,
                               {"body": draft.get("body") or reply.get("body") or ""})

    @page("POST", "/replies/{id}/edit", auth="member", path_params=REPLY_PATH)
    def thread_edit_reply_page(self, call: PageCall):
        form = {"body": call.raw_form.get("body", "")}
        if call.raw_form.get("action") == "preview":  # without JavaScript (edit.js previews)
            return self._edit_preview(call, "reply", form)
        reply, problem = call.attempt(self.posts.edit_reply, call.actor, call.path["id"], form)
        if problem is not None:
            reply = self.posts.get_reply(call.actor, call.path["id"])
            self._may_edit(call, "reply", reply)
            return self._thread_render_edit(call, "reply", reply, form, _errors(call, problem),
                                   problem.status)
        sent_again = not reply.get("published_at")  # never published (as above)
        reply = after_review(reply, lambda: self.posts.get_reply(call.actor, reply["id"]))
        call.cookies.notice(edit_notice(reply, sent_again))
        return self._thread_back(call, reply["post_id"], f"reply-{reply['id']}")

    @page("POST", "/posts/{id}/delete", auth="member", path_params=POST_PATH)
    def thread_delete_post_page(self, call: PageCall):
        _, problem = call.attempt(self.posts.delete_post, call.actor, call.path["id"])
        if problem is not None:
            return render_problem(call, problem.status)
        call.cookies.notice("deleted")
        return self._thread_back(call, call.path["id"])

    @page("POST", "/replies/{id}/delete", auth="member", path_params=REPLY_PATH)
    def thread_delete_reply_page(self, call: PageCall):
        reply = self.posts.get_reply(call.actor, call.path["id"])
        _, problem = call.attempt(self.posts.delete_reply, call.actor, call.path["id"])
        if problem is not None:
            return render_problem(call, problem.status)
        call.cookies.notice("deleted")
        return self._thread_back(call, reply["post_id"], f"reply-{call.path['id']}")

    @page("GET", "/posts/{id}/history", path_params=POST_PATH)
    def thread_post_history_page(self, call: PageCall):
        post = self.posts.get_post(call.actor, call.path["id"])
        return _history_page(call, post, post["id"],
                             self.posts.history(call.actor, call.path["id"]))

    @page("GET", "/replies/{id}/history", path_params=REPLY_PATH)
    def thread_reply_history_page(self, call: PageCall):
        reply = self.posts.get_reply(call.actor, call.path["id"])
        return _history_page(call, reply, reply["post_id"],
                             self.posts.reply_history(call.actor, call.path["id"]))
