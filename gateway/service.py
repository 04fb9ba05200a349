"""The gateway process (`agora run gateway`): REST under /api/v1 for web and mobile clients.

`GatewayService` is composed of one mixin per API resource, each in `gateway/routes/<resource>.py`
declaring its own `RpcProxy("<service>")` and its `@route` methods; `GatewayCore` brings what every
route needs (credentials, settings, idempotency store). Auth, validation, problem+json errors,
idempotency, request ids, CORS and metrics are done by `@route` (gateway/http.py, running
gateway/pipeline.py), the OpenAPI document is generated from the routes (gateway/openapi.py) —
a new route needs nothing else.

Adding a resource: a mixin in gateway/routes/<resource>.py, shaped like gateway/routes/posts.py::

    from nameko.rpc import RpcProxy
    from services.posts.schemas import PostCreateSchema   # the service's input schema, reused
    from ..calls import Call, Reply
    from ..http import route

    class PostsRoutes:
        posts = RpcProxy("posts")

        @route("POST", "/api/v1/posts", auth="member", body=PostCreateSchema, response=Post,
               status=201, tags=["posts"], errors=[403])
        def create_post(self, call: Call):
            '''Submit a post'''
            post = self.posts.create_post(call.actor, call.body)   # ONE RPC per request
            return Reply(post, headers={"Location": f"/api/v1/posts/{post['id']}"})

then add `PostsRoutes` to the bases of `GatewayService` below and write its e2e tests
(tests/unit/test_gateway_core.py checks that every route is in the OpenAPI document).
"""
from __future__ import annotations

from .auth import Authenticator
from .idempotency import IdempotencyProvider, RpcContextProvider
from .routes.community import CommunityRoutes
from .routes.conversations import ConversationsRoutes
from .routes.export import ExportRoutes
from .routes.feeds import FeedsRoutes
from .routes.health import HealthRoutes
from .routes.identity import IdentityRoutes
from .routes.live import LiveRoutes
from .routes.moderation import ModerationRoutes
from .routes.notifications import NotificationsRoutes
from .routes.posts import PostsRoutes
from .settings import SettingsProvider
from .web.pages.account import AccountPages
from .web.pages.app import AppPages
from .web.pages.compose import ComposePages
from .web.pages.console import ConsolePages
from .web.pages.console_absence import ConsoleAbsencePages
from .web.pages.console_categories import ConsoleCategoryPages
from .web.pages.console_health import ConsoleHealthPages
from .web.pages.console_members import ConsoleMemberPages
from .web.pages.console_notes import ConsoleNotePages
from .web.pages.console_outreach import ConsoleOutreachPages
from .web.pages.console_oversight import ConsoleOversightPages
from .web.pages.console_participants import ConsoleParticipantPages
from .web.pages.console_policy import ConsolePolicyPages
from .web.pages.console_publishing import ConsolePublishingPages
from .web.pages.console_saved_replies import ConsoleSavedReplyPages
from .web.pages.console_staff import StaffConsolePages
from .web.pages.me import MePages
from .web.pages.messages import MessagePages
from .web.pages.notifications import NotificationPages
from .web.pages.public import PublicPages
from .web.pages.security import SecurityPages
from .web.pages.thread_actions import ThreadActionPages
from .web.pages.thread_moderation import ThreadModerationPages


class GatewayCore:
    name = "gateway"
    auth = Authenticator()
    settings = SettingsProvider()
    idempotency = IdempotencyProvider()
    rpc_context = RpcContextProvider()


class GatewayService(GatewayCore, HealthRoutes, IdentityRoutes, PostsRoutes, ModerationRoutes,
                     CommunityRoutes,
                     FeedsRoutes, NotificationsRoutes, ConversationsRoutes, ExportRoutes,
                     LiveRoutes,
                     # the site (gateway/web/): one mixin per area of screens
                     AppPages, AccountPages, PublicPages, ComposePages,
                     ThreadActionPages, ThreadModerationPages, ConsolePages, NotificationPages,
                     MessagePages,
                     StaffConsolePages, ConsoleParticipantPages, ConsoleNotePages,
                     ConsoleSavedReplyPages,
                     ConsoleOutreachPages, ConsoleAbsencePages,
                     ConsoleOversightPages, ConsoleMemberPages,
                     ConsolePublishingPages, ConsolePolicyPages, ConsoleHealthPages,
                     ConsoleCategoryPages, MePages,
                     SecurityPages):
    """The public API (one mixin per resource, gateway/routes/) and the site (gateway/web/)."""
