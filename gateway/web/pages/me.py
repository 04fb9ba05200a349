"""A member's own screens: the home feed and the featured feed, following people, threads, tags
and categories ("what I follow"), the profile (name, bio, language), the password, and GDPR
self-service (download my data, delete my account).

Every screen goes through the RPCs of the matching `/api/v1` routes (feeds.*, identity.*), with
the API's own schemas for forms; the services decide what is allowed. Unwatch and unmute are
forms that work without JavaScript and, with it, are sent by htmx and swap only the
button (`hx-select`), so the page does not reload.
"""
from __future__ import annotations

import json
from typing import Any

from marshmallow import Schema, fields, validate
from nameko.rpc import RpcProxy
from werkzeug.wrappers import Response

from services.feeds.schemas import CategoryPath, FeedQuerySchema, TagPath
from services.moderation.detector import mask

from ...routes.export import MemberExport, member_export
from ...routes.identity import EraseBody, PasswordChange, ProfilePatch
from .. import i18n
from ..page import PageCall, Spare, gather, page
from .account import FIELD_MESSAGES, as_written, field_errors, in_own_words, refusal
from .public import LIST_SIZE, category_names, next_href, tag_label, tag_label_read

FEED_QUERY = FeedQuerySchema(only=("cursor",))
# The most subscriptions of one kind whose names the "what I follow" page looks up.
NAMED_SUBSCRIPTIONS = 100
TOGGLES = {
    # form action -> (feeds RPC, subscribe?); following a member is thread_actions.py's page
    "watch": ("watch", True), "unwatch": ("watch", False),
    "mute": ("mute", True), "unmute": ("mute", False),
}


class ToggleForm(Schema):
    action = fields.String(required=True, validate=validate.OneOf(TOGGLES))
    on = fields.String()  # what the member follow page reads; the action says it here


class ProfileForm(ProfilePatch):
    """The profile form: the API's PATCH /me body (display name, bio, language)."""


# The profile form's own sentences for what its schema refuses; identity's refusals (a phone
# number in a public bio) are shown in its words (`refusal`).
PROFILE_MESSAGES = {**FIELD_MESSAGES, "bio": "me.bio_invalid"}


def without_findings(waiting: dict[str, Any]) -> dict[str, Any]:
    """The member's waiting and refused texts as the panel names them: a title that holds what
    the detector finds (an IBAN typed in it) shows masked, as the CMs' queue list names it —
    the page members open first is read over shoulders; the text's own page shows the
    original."""
    for post in waiting["posts"] + waiting.get("refused_posts", []):
        draft = post.get("draft") or {}
        if draft.get("title"):
            draft["title"] = mask(draft["title"])
    return waiting


def waiting_panel(waiting: Spare) -> dict[str, Any] | None:
    """posts' `my_waiting` (sent with the page's other reads), or None when posts fails or
    does not answer in time: "Mon fil"'s panel of the member's texts waiting is not the feed,
    it then says the list cannot be shown now (me/_waiting.html) and the feed shows as usual."""
    answer = waiting.answer()
    return without_findings(answer) if answer is not None else None


class MePages:
    feeds = RpcProxy("feeds")
    identity = RpcProxy("identity")
    posts = RpcProxy("posts")

    # -- feeds

    @page("GET", "/me/feed", auth="member", query=FEED_QUERY)
    def home_feed_page(self, call: PageCall):
        """What the people, threads, tags and categories I follow published."""
        # their texts not public yet, and those refused lately: sent first, waited for last
        waiting = Spare(self.posts.my_waiting, call.actor)
        found = gather(home=self.feeds.home.call_async(call.actor, {
            "limit": LIST_SIZE, "cursor": call.query.get("cursor")}),
            me=self.identity.get_me.call_async(call.actor))  # the unconfirmed address's banner
        result = found["home"]
        return call.render("me/feed.html", items=result["items"], feed="home", me=found["me"],
                           waiting=waiting_panel(waiting),
                           more=next_href(call, result.get("next_cursor")),
                           title=call.t("me.feed_title"), noindex=True)

    @page("GET", "/featured", query=FEED_QUERY)
    def featured_feed_page(self, call: PageCall):
        """What the community managers chose to show."""
        result = self.feeds.featured(call.actor, {"limit": LIST_SIZE,
                                                  "cursor": call.query.get("cursor")})
        return call.render("me/feed.html", items=result["items"], feed="featured",
                           more=next_href(call, result.get("next_cursor")),
                           title=call.t("me.featured_title"),
                           description=call.t("me.featured_intro"))

    # -- following

    @page("GET", "/me/following", auth="member")
    def following_page(self, call: PageCall):
        return self._following_page(call)

    def _following_page(self, call: PageCall, status: int = 200):
        mine = self.feeds.subscriptions(call.actor)
        members = mine["members"][:NAMED_SUBSCRIPTIONS]
        threads = list(dict.fromkeys(mine["threads"] + mine["muted"]))[:NAMED_SUBSCRIPTIONS]
        tags = mine["tags"][:NAMED_SUBSCRIPTIONS]
        # Names, titles and tags as written through the same reads as the public pages, sent
        # together.
        found = gather(categories=self.posts.list_categories.call_async(call.actor),
                       **{f"m{i}": self.identity.get_user.call_async(user_id)
                          for i, user_id in enumerate(members)},
                       **{f"t{i}": self.posts.get_post.call_async(call.actor, post_id)
                          for i, post_id in enumerate(threads)},
                       **{f"g{i}": tag_label_read(self.posts, call.actor, tag)
                          for i, tag in enumerate(tags)})
        people = [found[f"m{i}"] for i in range(len(members))]
        # a deleted thread has nothing left to show (its page answers 410): left out
        posts = {post_id: found[f"t{i}"] for i, post_id in enumerate(threads)
                 if not found[f"t{i}"].get("deleted")}
        return call.render("me/following.html", status=status, people=people,
                           watched=[posts[p] for p in mine["threads"] if p in posts],
                           muted=[posts[p] for p in mine["muted"] if p in posts],
                           tags=[{"slug": tag, "label": tag_label(found[f"g{i}"], tag)}
                                 for i, tag in enumerate(tags)],
                           categories=mine["categories"],
                           category_names=category_names(found["categories"]["items"],
                                                         call.language),
                           title=call.t("me.following_title"), noindex=True)

    @page("POST", "/posts/{id}/subscription", auth="member", form=ToggleForm)
    def toggle_thread_page(self, call: PageCall):
        """Watch / unwatch, mute / unmute a thread."""
        action = (call.form or {}).get("action")
        if call.form_errors or action not in TOGGLES:
            return call.redirect(call.next_url("/me/following"))
        rpc_name, on = TOGGLES[action]
        getattr(self.feeds, rpc_name)(call.actor, call.path["id"], on)
        return call.redirect(call.next_url("/me/following"))

    @page("POST", "/me/following/tags/{tag}", auth="member", path_params=TagPath)
    def unfollow_tag_page(self, call: PageCall):
        self.feeds.follow_tag(call.actor, call.path["tag"], False)
        return call.redirect("/me/following")

    @page("POST", "/me/following/categories/{category}", auth="member",
          path_params=CategoryPath)
    def unfollow_category_page(self, call: PageCall):
        self.feeds.follow_category(call.actor, call.path["category"], False)
        return call.redirect("/me/following")

    # -- profile, language, password

    @page("GET", "/me/profile", auth="member")
    def profile_form_page(self, call: PageCall):
        return self._profile_page(call, self.identity.get_me(call.actor))

    def _profile_page(self, call: PageCall, me: dict[str, Any], status: int = 200,
                      errors=None, password_errors=None, form=None, saved=None, message=None):
        return call.render("me/profile.html", status=status, me=me, form=form or {},
                           errors=errors or {}, message=message,
                           password_errors=password_errors or {},
                           saved=saved, languages=i18n.LANGUAGES,
                           title=call.t("me.profile_title"), noindex=True)

    @page("POST", "/me/profile", auth="member", form=ProfileForm)
    def save_profile_page(self, call: PageCall):
        if call.form_errors:
            me = self.identity.get_me(call.actor)
            return self._profile_page(call, me, 400,
                                      field_errors(call, call.form_errors, PROFILE_MESSAGES),
                                      form=call.raw_form)
        me, problem = call.attempt(self.identity.update_me, call.actor, call.form)
        if problem is not None:
            errors, message = refusal(call, problem, PROFILE_MESSAGES)
            return self._profile_page(call, self.identity.get_me(call.actor), problem.status,
                                      errors, form=call.raw_form, message=message)
        language = call.form.get("language")
        if language in i18n.LANGUAGES and language != call.language:
            # The site follows the profile at once (the access token's claim on next sign-in).
            call.cookies.set(i18n.LANGUAGE_COOKIE, language, max_age=365 * 86400)
            call.language = language
        # What was saved (the answer's read model may lag the event by a moment).
        return self._profile_page(call, {**me, **call.form}, saved="profile")

    @page("POST", "/me/password", auth="member", form=PasswordChange)
    def change_password_page(self, call: PageCall):
        me = self.identity.get_me(call.actor)
        if call.form_errors:
            return self._profile_page(call, me, 400,
                                      password_errors=self._password_errors(call,
                                                                            call.form_errors))
        _, problem = call.attempt(self.identity.change_password, call.actor,
                                  call.form["current_password"], call.form["new_password"],
                                  call.client)
        if problem is not None:
            fields_ = problem.body.get("errors") or {}
            if problem.status == 429:
                fields_ = {"current_password": ["throttled"]}
            elif not fields_:
                fields_ = {"new_password": ["weak"]}
            # identity's reason for a weak new password, in the reader's language
            return self._profile_page(call, me, problem.status, password_errors=in_own_words(
                call, self._password_errors(call, fields_), problem.body.get("errors_i18n")))
        # Every session was revoked, this one too: sign in again with the new password.
        call.cookies.sign_out()
        call.cookies.notice("password_changed")
        return call.redirect("/login?next=/me/profile")

    def _password_errors(self, call: PageCall, errors: dict[str, Any]) -> dict[str, str]:
        messages = {}
        for name, problems in errors.items():
            text = as_written(problems)
            if "required" in text.lower() or "missing" in text.lower():
                messages[name] = call.t("account.field_required")
            elif name == "current_password" and "throttled" in text:
                messages[name] = call.t("me.password_throttled")
            elif name == "current_password":
                messages[name] = call.t("me.current_password_wrong")
            elif "same as the current" in text:  # identity's reason: not a weak one
                messages["new_password"] = call.t("me.same_password")
            else:
                messages["new_password"] = call.t("account.weak_password")
        return messages

    # -- GDPR self-service

    @page("GET", "/me/data", auth="member")
    def my_data_page(self, call: PageCall):
        return self._data_page(call)

    def _data_page(self, call: PageCall, status: int = 200, errors=None):
        return call.render("me/data.html", status=status, errors=errors or {},
                           title=call.t("me.data_title"), noindex=True)

    @page("GET", "/me/data/export", auth="member")
    def export_page(self, call: PageCall):
        """My data as a JSON file (what GET /api/v1/me/export answers), never cached."""
        data = MemberExport().dump(member_export(self, call.actor))
        return Response(json.dumps(data, ensure_ascii=False, indent=2),
                        content_type="application/json; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="agora-my-data.json"',
                                 "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})

    @page("POST", "/me/delete", auth="member", form=EraseBody)
    def delete_account_page(self, call: PageCall):
        if call.form_errors:
            return self._data_page(call, 400, {"password": call.t("account.field_required")})
        _, problem = call.attempt(self.identity.erase_me, call.actor, call.form, call.client)
        if problem is not None:
            key = "me.password_throttled" if problem.status == 429 else "me.delete_wrong_password"
            return self._data_page(call, problem.status, {"password": call.t(key)})
        call.cookies.sign_out()
        return call.redirect("/account-deleted")

    @page("GET", "/account-deleted")
    def account_deleted_page(self, call: PageCall):
        return call.render("me/deleted.html", title=call.t("me.deleted_title"), noindex=True)
