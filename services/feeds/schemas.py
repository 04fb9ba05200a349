"""Feeds: event payload schemas (registered, versioned) and RPC argument schemas.

Feeds' own events are subscriptions, one stream per (member, subscription), so PUT/DELETE are
idempotent and concurrent toggles conflict instead of interleaving (docs/asyncapi.yaml):

- ``follow.<member>.<user>``     ``feeds.member_followed`` / ``feeds.member_unfollowed``
- ``watch.<member>.<post>``      ``feeds.post_watched`` / ``feeds.post_unwatched``
- ``tag.<member>.<tag>``         ``feeds.tag_followed`` / ``feeds.tag_unfollowed``
- ``category.<member>.<cat>``    ``feeds.category_followed`` / ``feeds.category_unfollowed``
- ``mute.<member>.<post>``       ``feeds.thread_muted`` / ``feeds.thread_unmuted``

All PUBLIC (``feeds.events``): who follows whom is what a public profile shows anyway, and the
notifications service needs them. No content travels here.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.posts.schemas import CATEGORY_RE, TAG_RE
from services.shared.payloads import REGISTRY

REASONS = ("member", "authored", "replied", "merged")


def _ident(**kwargs):
    return fields.String(validate=validate.Length(min=1, max=120), **kwargs)


class _Subscription(Schema):
    member_id = _ident(required=True)
    # member: the member's own choice; authored / replied: watching a thread one wrote in;
    # merged: the watched idea was merged into this one
    reason = fields.String(required=True, validate=validate.OneOf(REASONS))


class _Follow(_Subscription):
    user_id = _ident(required=True)


class _Watch(_Subscription):
    post_id = _ident(required=True)


class _Tag(_Subscription):
    tag = fields.String(required=True, validate=validate.Regexp(TAG_RE))


class _Category(_Subscription):
    category = fields.String(required=True, validate=validate.Regexp(CATEGORY_RE))


@REGISTRY.register("feeds.member_followed", version=1)
class MemberFollowedV1(_Follow):
    """`member_id` follows `user_id`: their new contributions reach the member's home feed."""


@REGISTRY.register("feeds.member_unfollowed", version=1)
class MemberUnfollowedV1(_Follow):
    pass


@REGISTRY.register("feeds.post_watched", version=1)
class PostWatchedV1(_Watch):
    """`member_id` watches the thread `post_id` (replies reach their home feed and inbox)."""


@REGISTRY.register("feeds.post_unwatched", version=1)
class PostUnwatchedV1(_Watch):
    pass


@REGISTRY.register("feeds.tag_followed", version=1)
class TagFollowedV1(_Tag):
    pass


@REGISTRY.register("feeds.tag_unfollowed", version=1)
class TagUnfollowedV1(_Tag):
    pass


@REGISTRY.register("feeds.category_followed", version=1)
class CategoryFollowedV1(_Category):
    pass


@REGISTRY.register("feeds.category_unfollowed", version=1)
class CategoryUnfollowedV1(_Category):
    pass


@REGISTRY.register("feeds.thread_muted", version=1)
class ThreadMutedV1(_Watch):
    """The thread leaves the member's home feed and stops notifying them (mentions still do)."""


@REGISTRY.register("feeds.thread_unmuted", version=1)
class ThreadUnmutedV1(_Watch):
    pass


# --- RPC / HTTP arguments ----------------------------------------------------------------------

class FeedQuerySchema(Schema):
    cursor = fields.String(allow_none=True, validate=validate.Length(max=500))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class TagPath(Schema):
    tag = fields.String(required=True, validate=validate.Regexp(TAG_RE))


class CategoryPath(Schema):
    category = fields.String(required=True, validate=validate.Regexp(CATEGORY_RE))
