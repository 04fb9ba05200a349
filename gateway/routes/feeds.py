"""Feeds routes: following members, watching threads, following tags and categories, muting
threads; the public, featured and home feeds and a member's activity (RPC to feeds)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate
from nameko.rpc import RpcProxy

from services.feeds.schemas import FeedQuerySchema
from services.shared import ids
from services.shared.ids import path_schema

from ..calls import Call, ReaderText
from ..http import route
from .identity import MemberSummary

# path parameters: each id checked for its exact shape (404 otherwise)
FOLLOWED_USER_PATH = path_schema(user_id=ids.USER)
THREAD_PATH = path_schema(post_id=ids.POST)
USER_PATH = path_schema(id=ids.USER)

TAGS = ["feeds"]


# Tags and categories in paths are checked by feeds, which explains the rule a tag breaks
# (400 with the field) or that a category does not exist (404), rather than a bare 404 here.
# no slash, dot or control character (nothing a tag or category could hold): the rest is
# feeds' to judge, with the rule it breaks
_WORDS = validate.Regexp(r"^[^./\x00-\x1f\x7f]{1,200}$", error="not a tag or category")


class TagPath(Schema):
    tag = fields.String(required=True, validate=_WORDS, metadata={
        "description": "a tag as written (\"Épargne Logement\"), followed by its slug"})


class CategoryPath(Schema):
    category = fields.String(required=True, validate=_WORDS,
                             metadata={"description": "a category's slug (or its name)"})


# -- responses --------------------------------------------------------------------------------


class FeedItem(Schema):
    id = fields.String(required=True)
    type = fields.String(metadata={"description": "post | reply"})
    post_id = fields.String(metadata={"description": "the post, or the reply's post"})
    kind = fields.String(metadata={"description": "post: question | idea | discussion | "
                                   "article; reply: answer | comment"})
    author_id = fields.String()
    author = fields.Nested(MemberSummary, allow_none=True, metadata={
        "description": "the author's public summary (name, badges, avatar)"})
    published_at = fields.String(allow_none=True)
    title = fields.String(allow_none=True, metadata={"description": "posts"})
    post_title = fields.String(allow_none=True, metadata={"description": "replies: the post's"})
    post_kind = fields.String(allow_none=True)
    post_author_id = fields.String(allow_none=True)
    excerpt = fields.String(metadata={"description": "the start of the text, plain"})
    redacted = fields.Boolean(metadata={"description": "edited by the community team"})
    redaction_mark = ReaderText("mark.redacted")
    official = fields.Boolean()
    category = fields.String()
    tags = fields.List(fields.String())
    featured = fields.Boolean()
    status = fields.String(allow_none=True, metadata={"description": "ideas"})
    reasons = fields.List(fields.String(), metadata={
        "description": "home feed: why it is there — following:<user>, watching:<post>, "
                       "tag:<tag>, category:<category>"})


class FeedPage(Schema):
    items = fields.List(fields.Nested(FeedItem), required=True)
    next_cursor = fields.String(allow_none=True)


def _toggle(name: str, key: str, state: str) -> type[Schema]:
    """The answer of a PUT / DELETE subscription route: the target and whether it is on."""
    return Schema.from_dict({key: fields.String(required=True),
                             state: fields.Boolean(required=True)}, name=name)


Following = _toggle("Following", "user_id", "following")
Watching = _toggle("Watching", "post_id", "watching")
Muted = _toggle("Muted", "post_id", "muted")
TagFollowing = _toggle("TagFollowing", "tag", "following")
CategoryFollowing = _toggle("CategoryFollowing", "category", "following")


class Subscriptions(Schema):
    members = fields.List(fields.String(), required=True)
    threads = fields.List(fields.String(), required=True)
    tags = fields.List(fields.String(), required=True)
    categories = fields.List(fields.String(), required=True)
    muted = fields.List(fields.String(), required=True)


class FeedsRoutes:
    feeds = RpcProxy("feeds")

    # -- subscriptions (PUT subscribes, DELETE unsubscribes; both idempotent)

    @route("PUT", "/api/v1/me/following/{user_id}", path_params=FOLLOWED_USER_PATH, auth="member",
           response=Following, tags=TAGS, errors=[409, 422])
    def follow(self, call: Call):
        """Follow a member: their new contributions reach my home feed"""
        return self.feeds.follow(call.actor, call.path["user_id"], True)

    @route("DELETE", "/api/v1/me/following/{user_id}", path_params=FOLLOWED_USER_PATH,
           auth="member", response=Following, tags=TAGS, errors=[409])
    def unfollow(self, call: Call):
        """Stop following a member"""
        return self.feeds.follow(call.actor, call.path["user_id"], False)

    @route("PUT", "/api/v1/me/watching/{post_id}", path_params=THREAD_PATH, auth="member",
           response=Watching, tags=TAGS, errors=[409])
    def watch(self, call: Call):
        """Watch a thread: its replies reach my home feed and notify me

        Authors and repliers watch their threads automatically, unless they unwatched them.
        """
        return self.feeds.watch(call.actor, call.path["post_id"], True)

    @route("DELETE", "/api/v1/me/watching/{post_id}", path_params=THREAD_PATH, auth="member",
           response=Watching, tags=TAGS, errors=[409])
    def unwatch(self, call: Call):
        """Stop watching a thread (replying again does not watch it again)"""
        return self.feeds.watch(call.actor, call.path["post_id"], False)

    @route("PUT", "/api/v1/me/following-tags/{tag}", auth="member", path_params=TagPath,
           response=TagFollowing, tags=TAGS, errors=[409])
    def follow_tag(self, call: Call):
        """Follow a tag: new posts with it reach my home feed"""
        return self.feeds.follow_tag(call.actor, call.path["tag"], True)

    @route("DELETE", "/api/v1/me/following-tags/{tag}", auth="member", path_params=TagPath,
           response=TagFollowing, tags=TAGS, errors=[409])
    def unfollow_tag(self, call: Call):
        """Stop following a tag"""
        return self.feeds.follow_tag(call.actor, call.path["tag"], False)

    @route("PUT", "/api/v1/me/following-categories/{category}", auth="member",
           path_params=CategoryPath, response=CategoryFollowing, tags=TAGS, errors=[409])
    def follow_category(self, call: Call):
        """Follow a category: new posts in it reach my home feed"""
        return self.feeds.follow_category(call.actor, call.path["category"], True)

    @route("DELETE", "/api/v1/me/following-categories/{category}", auth="member",
           path_params=CategoryPath, response=CategoryFollowing, tags=TAGS, errors=[409])
    def unfollow_category(self, call: Call):
        """Stop following a category"""
        return self.feeds.follow_category(call.actor, call.path["category"], False)

    @route("PUT", "/api/v1/me/muted/{post_id}", path_params=THREAD_PATH, auth="member",
           response=Muted, tags=TAGS, errors=[409])
    def mute(self, call: Call):
        """Mute a thread: it leaves my home feed and stops notifying me (mentions still do)"""
        return self.feeds.mute(call.actor, call.path["post_id"], True)

    @route("DELETE", "/api/v1/me/muted/{post_id}", path_params=THREAD_PATH, auth="member",
           response=Muted, tags=TAGS, errors=[409])
    def unmute(self, call: Call):
        """Unmute a thread"""
        return self.feeds.mute(call.actor, call.path["post_id"], False)

    @route("GET", "/api/v1/me/subscriptions", auth="member", response=Subscriptions, tags=TAGS)
    def subscriptions(self, call: Call):
        """Whom and what I follow, watch and mute"""
        return self.feeds.subscriptions(call.actor)

    # -- feeds (newest first; follow next_cursor)

    @route("GET", "/api/v1/feeds/home", auth="member", query=FeedQuerySchema, response=FeedPage,
           tags=TAGS)
    def home_feed(self, call: Call):
        """My home feed: followed members, watched threads, followed tags and categories

        Only published items, redacted ones in their redacted form; muted threads and my own
        items are left out. Each item says why it is there (`reasons`).
        """
        return self.feeds.home(call.actor, call.query)

    @route("GET", "/api/v1/feeds/public", auth="public", query=FeedQuerySchema,
           response=FeedPage, tags=TAGS)
    def public_feed(self, call: Call):
        """Everything published: posts and replies, newest first"""
        return self.feeds.public(call.actor, call.query)

    @route("GET", "/api/v1/feeds/featured", auth="public", query=FeedQuerySchema,
           response=FeedPage, tags=TAGS)
    def featured_feed(self, call: Call):
        """Posts featured by the community managers, most recently featured first"""
        return self.feeds.featured(call.actor, call.query)

    @route("GET", "/api/v1/users/{id}/activity", path_params=USER_PATH, auth="public",
           query=FeedQuerySchema, response=FeedPage, tags=TAGS, errors=[410])
    def user_activity(self, call: Call):
        """A member's published posts and replies, newest first (410 once they deleted their
        account, as their profile: each contribution stays, signed "former member", but
        nothing lists them together any more)"""
        return self.feeds.activity(call.actor, call.path["id"], call.query)
