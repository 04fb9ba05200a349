"""Notifications' reads over its read models (projections.py): the member's inbox, what is
unread, preferences. The entrypoints in service.py call these and return; the shapes are
presenters.py's."""
from __future__ import annotations

from typing import Any

from services.shared import members, pagination
from services.shared.projections import ReadModels

from . import domain
from .presenters import present
from .projections import member_language, member_names, unread_count

CONVERSATION_READ = 200  # a `marked_read`'s ids at once, as many as `MarkReadSchema` takes


class NotificationsQueries:
    """`settings`: the delivery settings (the site's address, digest defaults)."""

    def __init__(self, views: ReadModels, settings):
        self.views, self.settings = views, settings

    def unread(self, member_id: str) -> int:
        """How many of the member's notifications are unread: their count, kept by the
        projection (one read, however many there are)."""
        return unread_count(self.views.rm, member_id)

    def unread_ids(self, member_id: str, ids: list[str]) -> list[str]:
        """Which of `ids` are the member's unread notifications."""
        return [doc["_id"] for doc in self.views["inbox"].find(
            {"member_id": member_id, "read": False, "_id": {"$in": ids}}, {"_id": 1})]

    def unread_of_conversation(self, member_id: str, conversation_id: str) -> list[str]:
        """The member's unread notifications about a private conversation (at most
        `CONVERSATION_READ`: more are read the next time it is opened)."""
        return [doc["_id"] for doc in self.views["inbox"].find(
            {"member_id": member_id, "read": False, "conversation_id": conversation_id},
            {"_id": 1}).limit(CONVERSATION_READ)]

    def any_unread(self, member_id: str) -> bool:
        return self.views["inbox"].find_one({"member_id": member_id, "read": False},
                                            {"_id": 1}) is not None

    def inbox(self, member_id: str, query: dict[str, Any], staff: bool) -> dict[str, Any]:
        """The member's notifications, newest first (only the unread or the read ones when
        asked), and how many are unread. `staff`: whether they hold a staff role now — a
        conversation's link follows their roles when read, not when notified."""
        conditions: list[dict[str, Any]] = [{"member_id": member_id}]
        if query.get("unread") is not None:
            conditions.append({"read": not query["unread"]})
        after = pagination.after_cursor("ts", -1, query.get("cursor"))
        if after:
            conditions.append(after)
        limit = query["limit"]
        documents = list(self.views["inbox"].find({"$and": conditions})
                         .sort([("ts", -1), ("_id", -1)]).limit(limit + 1))
        items, cursor = pagination.page(documents, "ts", limit)
        return {"items": self._presented(items, member_id, query.get("language"), staff),
                "next_cursor": cursor, "unread": self.unread(member_id)}

    def _presented(self, items: list[dict[str, Any]], member_id: str,
                   language: str | None, staff: bool) -> list[dict[str, Any]]:
        base = self.settings.web_base_url
        actor_ids = [doc.get("actor_id") for doc in items if not doc.get("by_team")]
        names = member_names(self.views.rm, actor_ids)
        authors = members.summaries(self.views.rm, actor_ids)
        language = language or member_language(self.views.rm, member_id)
        return [present(domain.with_actor_name(doc, names, language), base, language, authors,
                        staff) for doc in items]

    def preferences(self, member_id: str) -> dict[str, Any]:
        doc = self.views["prefs"].find_one({"_id": member_id}) or {}
        settings = self.settings
        return {"types": domain.preferences(doc.get("types")),
                "digest": domain.digest_settings(doc.get("digest"), settings.digest_hour,
                                                 settings.default_timezone)}

    def export(self, member_id: str, staff: bool) -> dict[str, Any]:
        """Their preferences and every notification in their inbox, newest first, as the inbox
        shows them."""
        items = list(self.views["inbox"].find({"member_id": member_id})
                     .sort([("ts", -1), ("_id", -1)]))
        return {"preferences": self.preferences(member_id),
                "notifications": self._presented(items, member_id, None, staff)}
