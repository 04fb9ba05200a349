"""The member's data export (GDPR articles 15 and 20): one archive gathered from every service.

Each service answers `export_member(actor)` with its own part — only the actor's data: the RPC
takes no id, so no caller can ask for someone else's — and the gateway sends the calls together
(one round trip: the slowest service, not the sum) and composes one JSON document with a section
per service and `exported_at`. The whole export runs under the gateway's RPC timeout, like any
route: a service that does not answer in time makes it 504, never a partial archive that would
look complete. What each section holds and what stays staff-internal (moderation's queue,
audit trail and notes: moderation's section holds only the member's own flags) is explained in
docs/architecture.md, "Export (GDPR)".
"""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields
from nameko.rpc import RpcProxy

from services.shared.envelope import utc_now

from ..calls import Call
from ..http import route
from ..web.page import gather
from .conversations import Conversation, ConversationNote
from .identity import ExportLogin, ExportSession, PrivateProfile
from .notifications import Notification, NotificationPreferences
from .posts import Post, ReplyOut, Revision

# the services that hold a member's data, in the archive's order
EXPORT_SECTIONS = ("identity", "posts", "feeds", "notifications", "conversations",
                   "moderation")


class IdentityExport(Schema):
    profile = fields.Nested(PrivateProfile, required=True)
    sessions = fields.List(fields.Nested(ExportSession), required=True,
                           metadata={"description": "newest first; no token material"})
    logins = fields.List(fields.Nested(ExportLogin), required=True,
                         metadata={"description": "recent login audit entries, newest first"})


class ExportedPost(Post):
    revisions = fields.List(fields.Nested(Revision), required=True,
                            metadata={"description": "every published revision, oldest first"})


class ExportedReply(ReplyOut):
    revisions = fields.List(fields.Nested(Revision), required=True,
                            metadata={"description": "every published revision, oldest first"})


class ExportedVote(Schema):
    target_type = fields.String(required=True, metadata={"description": "post | reply"})
    target_id = fields.String(required=True)
    at = fields.String(allow_none=True, metadata={"description": "when the vote was cast"})


class PostsExport(Schema):
    posts = fields.List(fields.Nested(ExportedPost), required=True, metadata={
        "description": "every post I wrote, in every state (pending, rejected with the reason, "
                       "published, deleted)"})
    replies = fields.List(fields.Nested(ExportedReply), required=True)
    votes = fields.List(fields.Nested(ExportedVote), required=True,
                        metadata={"description": "my current votes"})


class ExportedSubscription(Schema):
    list = fields.String(required=True, metadata={
        "description": "members | threads | tags | categories (as in GET /me/subscriptions)"})
    target = fields.String(required=True, metadata={"description": "member id, post id, tag "
                                                    "or category"})
    since = fields.String(allow_none=True)


class FeedsExport(Schema):
    subscriptions = fields.List(fields.Nested(ExportedSubscription), required=True, metadata={
        "description": "whom and what I follow and watch (who follows me is theirs)"})
    muted = fields.List(fields.String(), required=True,
                        metadata={"description": "threads I muted (post ids)"})


class NotificationsExport(Schema):
    preferences = fields.Nested(NotificationPreferences, required=True)
    notifications = fields.List(fields.Nested(Notification), required=True,
                                metadata={"description": "my whole inbox, newest first"})


class ExportedConversation(Conversation):
    notes = fields.List(fields.Nested(ConversationNote), metadata={
        "description": "staff's internal notes about this conversation, oldest first: never "
                       "shown in the app, but personal data (GDPR right of access)"})


class ConversationsExport(Schema):
    conversations = fields.List(fields.Nested(ExportedConversation), required=True, metadata={
        "description": "my private conversations with the bank, each with all its messages "
                       "(staff's answers included)"})


class ExportedFlag(Schema):
    target_type = fields.String(required=True, metadata={"description": "post | reply"})
    target_id = fields.String(required=True)
    post_id = fields.String(allow_none=True, metadata={"description": "the thread"})
    reason = fields.String(required=True, metadata={"description": "the reason I chose"})
    details = fields.String(allow_none=True,
                            metadata={"description": "my own words, when I gave some"})
    at = fields.String(required=True, metadata={"description": "when I flagged it"})


class ModerationExport(Schema):
    flags = fields.List(fields.Nested(ExportedFlag), required=True, metadata={
        "description": "every post and reply I flagged, newest first (who else flagged it, "
                       "and the community team's records, are not mine)"})


class MemberExport(Schema):
    member_id = fields.String(required=True)
    exported_at = fields.String(required=True, metadata={"description": "UTC, ISO 8601"})
    identity = fields.Nested(IdentityExport, required=True)
    posts = fields.Nested(PostsExport, required=True)
    feeds = fields.Nested(FeedsExport, required=True)
    notifications = fields.Nested(NotificationsExport, required=True)
    conversations = fields.Nested(ConversationsExport, required=True)
    moderation = fields.Nested(ModerationExport, required=True)


def member_export(gateway: Any, actor: dict[str, Any]) -> dict[str, Any]:
    """Every service's `export_member(actor)`, sent together, as one archive.

    `gateway` is the GatewayService (it has an RpcProxy named after each service); the caller's
    RPC timeout bounds the whole gathering.
    """
    sections = gather(**{name: getattr(gateway, name).export_member.call_async(actor)
                         for name in EXPORT_SECTIONS})
    return {"member_id": actor["id"], "exported_at": utc_now().isoformat(), **sections}


class ExportRoutes:
    identity = RpcProxy("identity")
    posts = RpcProxy("posts")
    feeds = RpcProxy("feeds")
    notifications = RpcProxy("notifications")
    conversations = RpcProxy("conversations")
    moderation = RpcProxy("moderation")

    @route("GET", "/api/v1/me/export", auth="member", response=MemberExport, tags=["me"])
    def export_me(self, call: Call):
        """Export my data (GDPR): one JSON document with a section per service

        `identity` (profile with e-mail, roles, badges, advisor; sessions and login audit, no
        token material), `posts` (every post and reply I wrote in every state, with their
        revisions; my votes), `feeds` (what I follow, watch and mute), `notifications` (my
        preferences and inbox), `conversations` (my private conversations with all their
        messages), `moderation` (the posts and replies I flagged, why, in my own words). The
        services are asked together; one that does not answer within the
        gateway's RPC timeout makes the export 504 (retry), never a partial archive.
        """
        return member_export(self, call.actor)
