"""Public screens, readable by anyone (and with JavaScript off, and by search engines): home,
lists by kind / category / tag, search, a thread, a member's profile and activity.

Each reads through the same RPCs as the API's GET routes (services decide what is visible to
whom); a screen that needs several independent reads sends them together (`gather`).
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup
from marshmallow import Schema, fields, pre_load, validate
from nameko.exceptions import RemoteError
from nameko.rpc import RpcProxy

from services.feeds.queries import SUBSCRIPTION_LISTS
from services.feeds.schemas import CategoryPath, FeedQuerySchema, TagPath
from services.moderation.schemas import FLAG_REASONS, FLAG_WORDS_MAX, REJECT_REASONS
from services.notifications.domain import REPLY_PAGE
from services.posts.markdown import excerpt
from services.posts.schemas import LIST_SORTS, SORTS, PageQuerySchema, PostListQuerySchema
from services.posts.search import marked, parse_search, too_common
from services.shared.actors import is_moderator
from services.shared.members import ERASED_DISPLAY_NAME, handle, mention_of

from ..page import PageCall, gather, page, render_problem
from .thread_actions import (
    REPLY_PATH,
    action_failed,
    is_htmx,
    refused_way_out,
    render_drafts,
)

KIND_SLUGS = {"questions": "question", "ideas": "idea", "discussions": "discussion",
              "articles": "article"}
HOME_SECTION_SIZE = 5
LIST_SIZE = 20
REPLIES_PAGE = 50
TOPIC_PAGES = {"tag": "/tags", "category": "/categories"}
DESCRIPTION_LENGTH = 180  # what search engines show of a page's description
# the refusals the rules explain: every code a CM can cite but the catch-all "other" (whose
# words, "refused by the community team", explain nothing)
RULES_REASONS = tuple(code for code in REJECT_REASONS if code != "other")


def highlighted(items: list[dict[str, Any]], searched: str) -> list[dict[str, Any]]:
    """Search results with their title and excerpt marked up: the words the search matched in
    <mark>, everything else escaped (the text is members', never trusted as HTML)."""
    words = parse_search(searched).words

    def marked_up(text: str | None) -> Markup | None:
        return Markup("").join(Markup("<mark>{}</mark>").format(piece) if hit else piece
                               for piece, hit in marked(text, words)) if text else None
    return [{**item, "title_marked": marked_up(item.get("title")),
             "excerpt_marked": marked_up(item.get("excerpt"))} for item in items]


class _ForgivingSort:
    """A page's `sort` that it does not know (mistyped, or an order a shared link named that
    the site no longer has) is dropped: the page opens in its default order rather than the
    400 page. The API, whose callers are programs, keeps refusing it."""

    @pre_load
    def _default_order(self, data, **_):
        if data.get("sort") not in SORTS:
            data = {name: value for name, value in data.items() if name != "sort"}
        return data


class _PageListQuery(_ForgivingSort, PostListQuerySchema):
    pass


def _list_query(*names: str) -> Schema:
    """The API's list query, restricted to what a screen lets the reader change."""
    return _PageListQuery(only=names)


class SearchQuery(_ForgivingSort, Schema):
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


def tag_label(popular: dict[str, Any], slug: str) -> str:
    """A tag as members write it ("épargne"), from posts' popular tags read with the tag's slug
    as prefix; the slug itself when no published post carries the tag (only the slug is kept
    with a subscription or in a URL)."""
    return next((item["tag"] for item in popular["items"] if item["slug"] == slug), slug)


def tag_label_read(posts, actor, slug: str):
    """The read that `tag_label` needs (the most a prefix read gives: the exact tag sorts
    among the others that start with it)."""
    return posts.popular_tags.call_async(actor, {"prefix": slug, "limit": 100})


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

    @page("GET", "/developers")
    def developers_page(self, call: PageCall):
        """For the bank's other teams: the API and the event stream, in words (the footer's
        link; the OpenAPI document itself is for their programs)."""
        return call.render("public/developers.html", title=call.t("developers.page_title"))

    @page("GET", "/rules")
    def rules_page(self, call: PageCall):
        """The community's rules: what a sign-up accepts and a refusal cites."""
        return call.render("public/rules.html", title=call.t("rules.page_title"),
                           reasons=RULES_REASONS)

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
        return self._render_list(call, self._list_read(call, filters).result(),
                                 template_context)

    def _list_read(self, call: PageCall, filters: dict[str, Any]):
        return self.posts.list_posts.call_async(call.actor,
                                                {**call.query, **filters, "limit": LIST_SIZE})

    @staticmethod
    def _render_list(call: PageCall, result: dict[str, Any], template_context: dict[str, Any]):
        return call.render("posts/list.html", items=result["items"],
                           more=next_href(call, result.get("next_cursor")),
                           sorts=sort_links(call, LIST_SORTS), **template_context)

    def _topic_reads(self, call: PageCall, filters: dict[str, Any], **reads):
        """A tag's or a category's list, its own reads and, signed in, what the reader follows
        (the page's Follow button), sent together."""
        if call.actor:
            reads["mine"] = self.feeds.subscriptions.call_async(call.actor)
        return gather(items=self._list_read(call, filters), **reads)

    @staticmethod
    def _follow_toggle(kind: str, key: str, on: bool) -> dict[str, Any]:
        """posts/_toggle.html's values for following a tag or a category."""
        return {"name": f"follow_{kind}", "target_id": key, "post_id": "",
                "action": f"{TOPIC_PAGES[kind]}/{key}/follow", "on": on, "error": None}

    def _topic_context(self, call: PageCall, found: dict[str, Any], kind: str, key: str,
                       name: str) -> dict[str, Any]:
        """A tag's or a category's page: its headings, and signed in, its Follow button."""
        context = {"section": "", "kind": None, "heading": call.t(f"posts.{kind}", name=name),
                   "intro": call.t(f"posts.{kind}_intro", name=name),
                   "title": call.t(f"posts.{kind}", name=name),
                   "description": call.t(f"posts.{kind}_intro", name=name)}
        if "mine" in found:
            following = key in found["mine"][SUBSCRIPTION_LISTS[kind]]
            context["follow_toggle"] = self._follow_toggle(kind, key, following)
        return context

    def _kind_list(self, call: PageCall, slug: str):
        kind = KIND_SLUGS[slug]
        return self._post_list(call, {
            "section": slug, "kind": kind, "heading": call.t(f"posts.kinds_{kind}"),
            "intro": call.t(f"posts.intro_{kind}"), "title": call.t(f"posts.kinds_{kind}"),
            "description": call.t(f"posts.intro_{kind}")}, {"kind": kind})

    @page("GET", "/contributions", query=_list_query("sort", "cursor"))
    def contributions_page(self, call: PageCall):
        """Every kind together: the home page's latest contributions, whole ("see all" there
        led to the questions alone)."""
        return self._post_list(call, {
            "section": "", "kind": None, "heading": call.t("posts.kinds_all"),
            "intro": call.t("posts.intro_all"), "title": call.t("posts.kinds_all"),
            "description": call.t("posts.intro_all")}, {})

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
        slug = call.path["category"]
        found = self._topic_reads(call, {"category": slug},  # 404: no such category
                                  category=self.posts.get_category.call_async(call.actor, slug))
        name = category_name(found["category"], call.language)
        return self._render_list(call, found["items"],
                                 self._topic_context(call, found, "category", slug, name))

    @page("GET", "/tags/{tag}", path_params=TagPath, query=_list_query("sort", "cursor", "kind"))
    def tag_page(self, call: PageCall):
        slug = call.path["tag"]  # "Épargne" in the URL is "epargne" here
        found = self._topic_reads(call, {"tag": slug},
                                  popular=tag_label_read(self.posts, call.actor, slug))
        name = tag_label(found["popular"], slug)
        return self._render_list(call, found["items"],
                                 self._topic_context(call, found, "tag", slug, name))

    # -- follow a tag or a category: the thread's toggles (posts/_toggle.html), on the tag's
    # or the category's page

    @page("POST", "/tags/{tag}/follow", auth="member", path_params=TagPath)
    def follow_tag_page(self, call: PageCall):
        return self._follow_topic(call, "tag", call.path["tag"], self.feeds.follow_tag)

    @page("POST", "/categories/{category}/follow", auth="member", path_params=CategoryPath)
    def follow_category_page(self, call: PageCall):
        return self._follow_topic(call, "category", call.path["category"],
                                  self.feeds.follow_category)

    @staticmethod
    def _follow_topic(call: PageCall, kind: str, key: str, rpc):
        on = call.raw_form.get("on") == "1"
        _, problem = call.attempt(rpc, call.actor, key, on)
        context = PublicPages._follow_toggle(kind, key, on if problem is None else not on)
        if problem is not None:  # the button again with the reason (htmx), else the error page
            del context["error"]
            return action_failed(call, problem, "posts/_toggle.html", **context)
        if is_htmx(call):
            return call.render("posts/_toggle.html", **context)
        return call.redirect(f"{TOPIC_PAGES[kind]}/{key}")

    @page("GET", "/search", query=SearchQuery)
    def search_page(self, call: PageCall):
        """Search: the `q` of GET /posts (every word, accents and case ignored)."""
        q = call.query["q"].strip()
        common = too_common(q)  # "le la de": the page says so (posts would find nothing)
        items, more, outcome = [], None, {}
        if q and not common:
            query = {key: value for key, value in call.query.items() if value}
            result = self.posts.list_posts(call.actor, {**query, "q": q, "limit": LIST_SIZE})
            items, more = result["items"], next_href(call, result.get("next_cursor"))
            outcome = result.get("search") or {}
            items = highlighted(items, outcome.get("query") or q)
        searched = outcome.get("query") or q  # with its corrected words ("virement")
        suggested = outcome.get("suggested_query")  # "did you mean", not searched
        title = call.t("posts.search_results_for", q=searched) if q else \
            call.t("posts.search_title")
        return call.render("posts/search.html", items=items, more=more, q=q, search_q=q,
                           corrections=outcome.get("corrections") or [],
                           partial=outcome.get("partial"),
                           suggested=suggested, suggested_href=suggested and "/search?" +
                           urlencode({"q": suggested, "kind": call.query.get("kind") or ""}),
                           too_common=common,  # nothing found: ask it, the words as title
                           ask_href="/write?" + urlencode({"kind": "question", "title": q}),
                           kind=call.query.get("kind"), title=title, noindex=True,
                           kinds=list(KIND_SLUGS.values()))

    def _mention_candidates(self, call: PageCall, post: dict[str, Any],
                            replies: list[dict[str, Any]]) -> list[dict[str, str]]:
        """Whom "@" suggests in the reply form: one read of who owns the authors' names, for a
        signed-in reader of a thread taking replies, with other authors (nobody else has the
        form). Suggestions help, never stand in the way: a refused read suggests nobody."""
        takes_replies = post.get("state") == "published" and not post.get("locked") \
            and not post.get("merged_into")
        authors = thread_authors(call.actor, post, *replies) \
            if call.actor and takes_replies else {}
        if not authors:
            return []
        owners, refused = call.attempt(self.posts.mention_owners, call.actor, sorted(
            {handle(name) for name in authors.values()}))
        return [] if refused else mention_candidates(authors, owners)

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
        try:
            found = gather(**reads)
        except RemoteError as error:
            if error.exc_type == "NotFound" and self._hidden_for_review(call, "post", post_id):
                return self._hidden_page(call)
            raise
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
        # what a search result or a shared link shows: the text as read, not its Markdown
        description = excerpt(post.get("body"), DESCRIPTION_LENGTH)
        title = post.get("title") or (post.get("draft") or {}).get("title")
        return call.render("posts/thread.html", post=post, answers=answers, comments=comments,
                           subscriptions=found.get("subscriptions") or {},
                           category_names=category_names(found["categories"]["items"],
                                                         call.language),
                           flag_reasons=FLAG_REASONS, flag_words_max=FLAG_WORDS_MAX,
                           # the staff's moderation menu (posts/_staff_menu.html): its
                           # controls are never sent to members
                           staff_menu=is_moderator(call.actor), reject_reasons=RULES_REASONS,
                           mention_candidates=self._mention_candidates(call, post, replies),
                           # a refused text of the reader's: whom its box offers to write to
                           own_advisor=refused_way_out(self.identity, call, [post, *replies]),
                           more=next_href(call, found["replies"].get("next_cursor")),
                           # a later page (from "more" or a reply's link): the way back
                           first=call.request.path if call.query.get("cursor") else None,
                           title=title or call.t(f"posts.kind_{post['kind']}"),
                           description=description, og_type="article", section=section,
                           noindex=post.get("state") != "published")

    @staticmethod
    def _deleted_page(call: PageCall, post: dict[str, Any], section: str):
        """A deleted post: 410, it existed and is gone for good (search engines drop it),
        with nothing of it left to show (posts keeps only its kind)."""
        return call.render("posts/deleted.html", status=410, kind=post.get("kind"),
                           section=section, noindex=True, title=call.t("posts.deleted_title"))

    def _hidden_for_review(self, call: PageCall, target_type: str, target_id: str) -> str | None:
        """The thread of a text public once and under review now, else None — also while an
        older posts pod, without this call, still runs (a roll-out): the plain 404 then."""
        try:
            return self.posts.contribution_hidden_for_review(call.actor, target_type, target_id)
        except RemoteError:
            return None

    @staticmethod
    def _hidden_page(call: PageCall, thread: str | None = None):
        """A post that was public, out of public view while the team reviews it, to a reader
        who may not read it (a follower's notice leads here): said so, with nothing of it —
        its title, text or author may be why it was taken back (confidential data). 404, as
        its API's GET answers: not there now, and not gone for good (410) either, since it may
        be published again; not indexed meanwhile. `thread`: the hidden text is a reply, in
        this thread (its id) — linked, nothing of the reply shown either."""
        key = "posts.reply_hidden_title" if thread else "posts.hidden_title"
        return call.render("posts/hidden.html", status=404, noindex=True, thread=thread,
                           title=call.t(key))

    @page("GET", REPLY_PAGE, path_params=REPLY_PATH)
    def reply_page(self, call: PageCall):
        """A reply by its own address (notifications link here): the page of its thread that
        shows it, at the reply. A thread shows its replies REPLIES_PAGE at a time, so
        `/posts/{id}#reply-…` alone misses every reply past the first page."""
        try:
            reply = self.posts.get_reply(call.actor, call.path["id"])
        except RemoteError as error:
            post_id = error.exc_type == "NotFound" and self._hidden_for_review(
                call, "reply", call.path["id"])
            if post_id:  # public once, under review now: said so, its thread linked
                return self._hidden_page(call, thread=post_id)
            raise
        thread = f"/posts/{reply['post_id']}"
        if reply.get("deleted"):  # nothing of it to show: its thread
            return call.redirect(thread)
        try:
            cursor = self._replies_page_holding(call.actor, reply["post_id"], reply["id"])
        except RemoteError as error:
            if error.exc_type != "NotFound":
                raise
            # its thread is out of this reader's reach (out of public view for review): the
            # thread's page says what it may about it (`_hidden_page`), or 404
            return call.redirect(thread)
        query = f"?{urlencode({'cursor': cursor})}" if cursor else ""
        return call.redirect(f"{thread}{query}#reply-{reply['id']}")

    def _replies_page_holding(self, actor, post_id: str, reply_id: str) -> str | None:
        """The cursor of the thread's page of replies, as this reader sees them, that holds
        `reply_id` (None: the first page, or not among them): the pages are read in turn as
        the thread's "more" link reads them — posts' cursors stay opaque — one read per page
        before it."""
        cursor = None
        while True:
            replies = self.posts.list_replies(actor, post_id,
                                              {"limit": REPLIES_PAGE, "cursor": cursor})
            if any(item["id"] == reply_id for item in replies["items"]):
                return cursor
            cursor = replies.get("next_cursor")
            if not cursor:
                return None

    @page("GET", "/members/{id}", query=FeedQuerySchema(only=("cursor",)))
    def member_page(self, call: PageCall):
        """A member's public profile (badges) and activity journal."""
        user_id = call.path["id"]
        # Whether the reader follows this member (signed in, someone else): same round trip.
        reader_follows = call.actor and call.actor.get("id") != user_id
        asked = self.identity.get_profile.call_async(user_id)
        reads = dict(
            activity=self.feeds.activity.call_async(call.actor, user_id,
                                                    {"limit": LIST_SIZE,
                                                     "cursor": call.query.get("cursor")}),
            **({"mine": self.feeds.subscriptions.call_async(call.actor)}
               if reader_follows else {}))
        profile, problem = call.attempt(asked.result)
        if problem is not None:
            if problem.status == 410:  # an erased member: said plainly, nothing of them shown
                return call.render("members/erased.html", status=410, noindex=True,
                                   title=call.t("members.erased_title"))
            return render_problem(call, problem.status)
        # sent beside the profile, read after it: an erased member's journal is Gone too
        found = gather(**reads)
        following = user_id in found["mine"]["members"] if reader_follows else None
        return call.render("members/profile.html", profile=profile, following=following,
                           items=found["activity"]["items"],
                           more=next_href(call, found["activity"].get("next_cursor")),
                           title=call.t("members.profile_title", name=profile["display_name"]),
                           description=(profile.get("bio") or "")[:180] or None,
                           og_type="profile")


def thread_authors(actor: dict[str, Any] | None, *items: dict[str, Any]) -> dict[str, str]:
    """The authors of the thread's post and replies on the page (id -> name), whose names the
    page shows anyway — never a search of every member (that would tell whether someone is a
    customer of the bank) — without the reader, erased members, or names no mention can name
    (a handle is written in Latin letters and digits: "Иван Петров" has none)."""
    found: dict[str, str] = {}
    for item in items:
        author = item.get("author") or {}
        name = author.get("display_name")
        if not author.get("id") or author["id"] == (actor or {}).get("id") or \
                not isinstance(name, str) or name == ERASED_DISPLAY_NAME or not handle(name):
            continue
        found.setdefault(author["id"], name)
    return found


def mention_candidates(authors: dict[str, str], owners: dict[str, str]
                       ) -> list[dict[str, str]]:
    """Whom the reply form suggests after "@" (static/js/mentions.js): of the `authors`
    (`thread_authors`), those a mention of their name names (`owners`: handle -> member, posts'
    `mention_owners`) — not one whose namesake held the name first, whom it would notify — each
    with the text that mentions them."""
    return [{"name": name, "mention": mention_of(name)} for member_id, name in authors.items()
            if owners.get(handle(name)) == member_id]
