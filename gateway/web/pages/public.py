"""Public screens, readable by anyone (and with JavaScript off, and by search engines): home,
lists by kind / category / tag, search, a thread, a member's profile and activity.

Each reads through the same RPCs as the API's GET routes (services decide what is visible to
whom); a screen that needs several independent reads sends them together (`gather`).
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from marshmallow import Schema, fields, validate
from nameko.rpc import RpcProxy

from services.feeds.schemas import CategoryPath, FeedQuerySchema, TagPath
from services.moderation.schemas import FLAG_REASONS
from services.posts.schemas import LIST_SORTS, SORTS, PageQuerySchema, PostListQuerySchema

from ..page import PageCall, gather, page
from .thread_actions import render_drafts

KIND_SLUGS = {"questions": "question", "ideas": "idea", "discussions": "discussion",
              "articles": "article"}
HOME_SECTION_SIZE = 5
LIST_SIZE = 20
REPLIES_PAGE = 50


def _list_query(*names: str) -> Schema:
    """The API's list query, restricted to what a screen lets the reader change."""
    return PostListQuerySchema(only=names)


class SearchQuery(Schema):
    q = fields.String(validate=validate.Length(max=200), load_default="")
    kind = fields.String(validate=validate.OneOf(["", *KIND_SLUGS.values()]))  # "": every kind
    # none by default: posts ranks a search by relevance (a default of "new" here put the
    # newest first whatever the words matched)
    sort = fields.String(validate=validate.OneOf(SORTS))
    cursor = fields.String(allow_none=True, validate=validate.Length(max=500))


def category_name(category: dict[str, Any], language: str) -> str:
    """The category's name in the reader's language (the French one when it has none)."""
    names = category.get("name") or {}
    return names.get(language) or names.get("fr") or category["slug"]


def category_names(categories: list[dict[str, Any]], language: str) -> dict[str, str]:
    """slug -> the category's name in the reader's language."""
    return {category["slug"]: category_name(category, language) for category in categories}


def next_href(call: PageCall, cursor: str | None) -> str | None:
    """This page's URL for the next page of its list (keeps the other parameters)."""
    if not cursor:
        return None
    params = [(k, v) for k, v in call.request.args.items(multi=True) if k != "cursor"]
    return f"{call.request.path}?{urlencode([*params, ('cursor', cursor)])}"


def sort_links(call: PageCall, options: tuple[str, ...]) -> list[dict[str, Any]]:
    current = call.query.get("sort", "new")
    links = []
    for option in options:
        params = [(k, v) for k, v in call.request.args.items(multi=True)
                  if k not in ("sort", "cursor")]
        links.append({"sort": option, "current": option == current,
                      "href": f"{call.request.path}?{urlencode([*params, ('sort', option)])}"})
    return links


class PublicPages:
    posts = RpcProxy("posts")
    identity = RpcProxy("identity")
    feeds = RpcProxy("feeds")

    @page("GET", "/")
    def home_page(self, call: PageCall):
        """Home: featured, latest, unanswered questions, popular ideas (four reads at once)."""
        lists = self.posts.list_posts
        actor, size = call.actor, HOME_SECTION_SIZE
        sections = gather(
            featured=lists.call_async(actor, {"featured": True, "limit": size}),
            latest=lists.call_async(actor, {"limit": size}),
            unanswered=lists.call_async(actor, {"kind": "question", "sort": "unanswered",
                                                "limit": size}),
            ideas=lists.call_async(actor, {"kind": "idea", "sort": "top", "limit": size}),
        )
        return call.render("home/home.html", sections={k: v["items"] for k, v in
                                                       sections.items()})

    def _post_list(self, call: PageCall, template_context: dict[str, Any],
                   filters: dict[str, Any]):
        query = {**call.query, **filters, "limit": LIST_SIZE}
        result = self.posts.list_posts(call.actor, query)
        return call.render("posts/list.html", items=result["items"],
                           more=next_href(call, result.get("next_cursor")),
                           sorts=sort_links(call, LIST_SORTS), **template_context)

    def _kind_list(self, call: PageCall, slug: str):
        kind = KIND_SLUGS[slug]
        return self._post_list(call, {
            "section": slug, "kind": kind, "heading": call.t(f"posts.kinds_{kind}"),
            "intro": call.t(f"posts.intro_{kind}"), "title": call.t(f"posts.kinds_{kind}"),
            "description": call.t(f"posts.intro_{kind}")}, {"kind": kind})

    @page("GET", "/questions", query=_list_query("sort", "cursor", "category", "tag"))
    def questions_page(self, call: PageCall):
        return self._kind_list(call, "questions")

    @page("GET", "/ideas", query=_list_query("sort", "cursor", "category", "tag", "status"))
    def ideas_page(self, call: PageCall):
        return self._kind_list(call, "ideas")

    @page("GET", "/discussions", query=_list_query("sort", "cursor", "category", "tag"))
    def discussions_page(self, call: PageCall):
        return self._kind_list(call, "discussions")

    @page("GET", "/articles", query=_list_query("sort", "cursor", "category", "tag"))
    def articles_page(self, call: PageCall):
        return self._kind_list(call, "articles")

    @page("GET", "/categories/{category}", path_params=CategoryPath,
          query=_list_query("sort", "cursor", "kind"))
    def category_page(self, call: PageCall):
        category = self.posts.get_category(call.actor, call.path["category"])  # 404: no such
        name = category_name(category, call.language)
        return self._post_list(call, {
            "section": "", "kind": None, "heading": call.t("posts.category", name=name),
            "intro": call.t("posts.category_intro", name=name),
            "title": call.t("posts.category", name=name),
            "description": call.t("posts.category_intro", name=name)},
            {"category": call.path["category"]})

    @page("GET", "/tags/{tag}", path_params=TagPath, query=_list_query("sort", "cursor", "kind"))
    def tag_page(self, call: PageCall):
        name = call.path["tag"]
        return self._post_list(call, {
            "section": "", "kind": None, "heading": call.t("posts.tag", name=name),
            "intro": call.t("posts.tag_intro", name=name), "title": call.t("posts.tag", name=name),
            "description": call.t("posts.tag_intro", name=name)}, {"tag": name})

    @page("GET", "/search", query=SearchQuery)
    def search_page(self, call: PageCall):
        """Search: the `q` of GET /posts (every word, accents and case ignored)."""
        q = call.query["q"].strip()
        items, more = [], None
        if q:
            query = {key: value for key, value in call.query.items() if value}
            result = self.posts.list_posts(call.actor, {**query, "q": q, "limit": LIST_SIZE})
            items, more = result["items"], next_href(call, result.get("next_cursor"))
        title = call.t("posts.search_results_for", q=q) if q else call.t("posts.search_title")
        return call.render("posts/search.html", items=items, more=more, q=q, search_q=q,
                           kind=call.query.get("kind"), title=title, noindex=True,
                           kinds=list(KIND_SLUGS.values()))

    @page("GET", "/posts/{id}", query=PageQuerySchema(only=("cursor",)))
    def thread_page(self, call: PageCall):
        """A thread by its stable URL: the post, its answers and comments."""
        post_id = call.path["id"]
        replies_query = {"limit": REPLIES_PAGE, "cursor": call.query.get("cursor")}
        reads = {"post": self.posts.get_post.call_async(call.actor, post_id),
                 "replies": self.posts.list_replies.call_async(call.actor, post_id,
                                                               replies_query),
                 "categories": self.posts.list_categories.call_async(call.actor)}
        if call.actor:  # what the reader follows, watches and mutes (the thread's toggles)
            reads["subscriptions"] = self.feeds.subscriptions.call_async(call.actor)
        found = gather(**reads)
        post, replies = found["post"], found["replies"]["items"]
        section = next((slug for slug, kind in KIND_SLUGS.items() if kind == post.get("kind")),
                       "")
        if post.get("deleted"):
            return self._deleted_page(call, post, section)
        render_drafts(self.posts, call.actor, [post, *replies])  # the author's, still waiting
        accepted = post.get("accepted_reply_id")
        replies.sort(key=lambda reply: reply["id"] != accepted)  # the accepted answer first
        answers = [reply for reply in replies if reply.get("kind") == "answer"]
        comments = [reply for reply in replies if reply.get("kind") != "answer"]
        excerpt = (post.get("excerpt") or post.get("body") or "")[:180]
        title = post.get("title") or (post.get("draft") or {}).get("title")
        return call.render("posts/thread.html", post=post, answers=answers, comments=comments,
                           subscriptions=found.get("subscriptions") or {},
                           category_names=category_names(found["categories"]["items"],
                                                         call.language),
                           flag_reasons=FLAG_REASONS,
                           more=next_href(call, found["replies"].get("next_cursor")),
                           title=title or call.t(f"posts.kind_{post['kind']}"),
                           description=excerpt, og_type="article", section=section,
                           noindex=post.get("state") != "published")

    @staticmethod
    def _deleted_page(call: PageCall, post: dict[str, Any], section: str):
        """A deleted post: 410, it existed and is gone for good (search engines drop it),
        with nothing of it left to show (posts keeps only its kind)."""
        return call.render("posts/deleted.html", status=410, kind=post.get("kind"),
                           section=section, noindex=True, title=call.t("posts.deleted_title"))

    @page("GET", "/members/{id}", query=FeedQuerySchema(only=("cursor",)))
    def member_page(self, call: PageCall):
        """A member's public profile (badges) and activity journal."""
        user_id = call.path["id"]
        # Whether the reader follows this member (signed in, someone else): same round trip.
        reader_follows = call.actor and call.actor.get("id") != user_id
        found = gather(
            profile=self.identity.get_user.call_async(user_id),
            activity=self.feeds.activity.call_async(call.actor, user_id,
                                                    {"limit": LIST_SIZE,
                                                     "cursor": call.query.get("cursor")}),
            **({"mine": self.feeds.subscriptions.call_async(call.actor)}
               if reader_follows else {}))
        profile = found["profile"]
        following = user_id in found["mine"]["members"] if reader_follows else None
        return call.render("members/profile.html", profile=profile, following=following,
                           items=found["activity"]["items"],
                           more=next_href(call, found["activity"].get("next_cursor")),
                           title=call.t("members.profile_title", name=profile["display_name"]),
                           description=(profile.get("bio") or "")[:180] or None,
                           og_type="profile")
