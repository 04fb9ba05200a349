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

from services.posts.schemas import CATEGORY_RE, TAG_RE, CategorySlug, TagSlug
from services.shared.payloads import REGISTRY

REASONS = ("member", "authored", "replied", "merged")


def _ident(**kwargs):
    return fields.String(validate=validate.Length(min=1, max=120), **kwargs)


class _Subscription(Schema):
    member_id = _ident(required=True)
    # member: the member's own choice; authored / replied: watching a thread one wrote in;
    # merged: the watched idea was merged into this one
    reason = fields.String(required=True, validate=validate.OneOf(REASONS))


# One payload schema serves both events of a pair (on / off).

@REGISTRY.register("feeds.member_followed", version=1)
@REGISTRY.register("feeds.member_unfollowed", version=1)
class FollowV1(_Subscription):
    """`member_id` follows (stops following) `user_id`: their new contributions reach the
    member's home feed."""

    user_id = _ident(required=True)


@REGISTRY.register("feeds.post_watched", version=1)
@REGISTRY.register("feeds.post_unwatched", version=1)
@REGISTRY.register("feeds.thread_muted", version=1)
@REGISTRY.register("feeds.thread_unmuted", version=1)
class ThreadV1(_Subscription):
    """Watching a thread: its replies reach the member's home feed and notify them. Muting it:
    it leaves the home feed and notifies them of nothing but mentions."""

    post_id = _ident(required=True)


@REGISTRY.register("feeds.tag_followed", version=1)
@REGISTRY.register("feeds.tag_unfollowed", version=1)
class TagV1(_Subscription):
    tag = fields.String(required=True, validate=validate.Regexp(TAG_RE))


@REGISTRY.register("feeds.category_followed", version=1)
@REGISTRY.register("feeds.category_unfollowed", version=1)
class CategoryV1(_Subscription):
    category = fields.String(required=True, validate=validate.Regexp(CATEGORY_RE))


# --- RPC / HTTP arguments ----------------------------------------------------------------------

class FeedQuerySchema(Schema):
    cursor = fields.String(allow_none=True, validate=validate.Length(max=500))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


# Normalised to slugs (services/shared/slugs.py): a line break or control character cannot
# survive into what is stored.
class TagPath(Schema):
    """A tag as a member writes it ("Épargne Logement"), followed by its slug
    ("epargne-logement")."""

    tag = TagSlug(required=True)


class CategoryPath(Schema):
    """A category by its slug, or by a name that folds to it ("Épargne" -> "epargne")."""

    category = CategorySlug(required=True)
