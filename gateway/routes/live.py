"""The live channel route: my events as server-sent events (gateway/live.py does the work)."""
from __future__ import annotations

from marshmallow import Schema, fields
from nameko.rpc import RpcProxy
from werkzeug.wrappers import Response

from ..calls import Call
from ..http import route
from ..live import LiveHub, client_socket

# eventlet's WSGI server gathers 4 kB before writing a chunk unless told otherwise: an SSE
# frame of a hundred bytes would wait for the next twenty.
EVENTLET_MIN_CHUNK = "eventlet.minimum_write_chunk_size"


class LiveEventFrame(Schema):
    """One frame of the stream (`id:`, `event:`, `data:` lines); `data` is JSON."""

    event = fields.String(required=True, metadata={
        "description": "hello {unread} (first frame: refresh what the page shows) | "
                       "notification {unread, new: [{id, type}]} | read {} (notifications "
                       "were read elsewhere: ask for the count) | message {conversation_id, "
                       "message_id, author_id} | conversation {conversation_id} | note "
                       "{conversation_id, note_id, author_id}, participants {conversation_id, "
                       "participant_id, change: added|left}, handled {conversation_id, "
                       "settled_by} (staff of the conversation only: a note, someone joining "
                       "or leaving, marked handled) | resync {} "
                       "(events were dropped: refresh everything) | closed {reason} "
                       "(session_revoked: do not reconnect with this session; "
                       "server_stopping: reconnect after a pause; superseded: the member "
                       "opened more streams than allowed and this was the oldest, reconnect "
                       "only when the page is looked at again)"})
    id = fields.String(metadata={"description": "opaque; sent back as Last-Event-ID"})
    data = fields.Dict()


class LiveRoutes:
    live = LiveHub()
    notifications = RpcProxy("notifications")

    @route("GET", "/api/v1/me/events", auth="member", response=LiveEventFrame,
           media_type="text/event-stream", tags=["notifications"], errors=[503])
    def my_events(self, call: Call):
        """My live events (server-sent events): unread count, new notifications and messages

        One stream per signed-in browser (`EventSource` with the session cookie, or
        `Authorization: Bearer`). Frames carry references and counts, never content: the page
        reads what changed through the API. Comments (`: keep-alive`) are sent every 15 s. A
        reconnection (`Last-Event-ID`) starts again with `hello` and the current count — no
        replay: the page refreshes what it shows. The stream ends with `closed` when the
        session is revoked (log out, password change). Several gateway replicas: each holds
        its own streams and receives every member's events from RabbitMQ on its own queue.
        At most `GATEWAY_LIVE_MAX_CONNECTIONS` streams per replica (503 with Retry-After
        beyond). At most `GATEWAY_LIVE_MAX_PER_MEMBER` (10) per member and replica: a new
        stream beyond it is accepted and ends that member's oldest one (`closed` with reason
        `superseded`), so pages opened one after another never find the stream refused.
        """
        stream = self.live.open(call.actor, self.auth)
        try:
            unread = self.notifications.unread_count(call.actor)["unread"]
        except BaseException:
            self.live.release(stream)
            raise
        call.request.environ[EVENTLET_MIN_CHUNK] = 0
        stream_body = self.live.frames(stream, unread, client_socket(call.request.environ))
        return Response(stream_body, status=200, headers={
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",   # nginx-style proxies: do not buffer the stream
        })
