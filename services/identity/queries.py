"""Identity's reads over its `users` read model: one member, a page of members by name, several
at once. The entrypoints in service.py call these and return; the shapes are presenters.py's."""
from __future__ import annotations

from typing import Any

from services.shared import ids, pagination
from services.shared.actors import STAFF_ROLES
from services.shared.errors import InvalidInput, NotFound
from services.shared.members import summary
from services.shared.periods import between, micros
from services.shared.projections import ReadModels

from . import domain
from .presenters import private_profile


class Users:
    """The `users` read model, read (writes go through events and projections.py)."""

    def __init__(self, views: ReadModels):
        self.users = views["users"]

    def get(self, user_id: str) -> dict[str, Any]:
        """The member's document; 404 for an unknown id or an erased member's blank row."""
        user = self.users.find_one({"_id": user_id}) if ids.USER.matches(user_id) else None
        if user is None or "display_name" not in user:
            raise NotFound("no such user", {"id": user_id})
        return user

    def private(self, user_id: str) -> dict[str, Any]:
        user = self.get(user_id)
        advisor = None
        if user.get("advisor"):
            advisor = self.users.find_one({"_id": user["advisor"]["advisor_id"]})
        return private_profile(user, advisor)

    def live(self, user_id: str | None) -> bool:
        """Whether `user_id` names a registered member who is not erased."""
        user = self.users.find_one({"_id": user_id}) if user_id else None
        return user is not None and "display_name" in user and not user.get("erased")

    def verified(self, user_id: str | None) -> str | None:
        """`user_id` when it names a live member whose address is verified, else None: what a
        lookup by address may answer (verification.py)."""
        user = self.users.find_one({"_id": user_id}) if user_id else None
        return user_id if user and self.live(user_id) and user.get("email_verified") else None

    def by_name(self, query: dict[str, Any]) -> dict[str, Any]:
        """Public summaries of the members whose name starts with `query["name"]` (accents and
        case ignored), in name order, a page at a time."""
        prefix = domain.name_key(query["name"])
        if not prefix:
            raise InvalidInput("give a name", {"fields": {"name": ["a name"]}})
        wanted = {"name_key": {"$gte": prefix, "$lt": prefix + "\uffff"}}
        after = pagination.after_cursor("name_key", 1, query.get("cursor"), str)
        documents = list(self.users.find({"$and": [wanted, after]} if after else wanted)
                         .sort([("name_key", 1), ("_id", 1)]).limit(query["limit"] + 1))
        found, cursor = pagination.page(documents, "name_key", query["limit"])
        return {"items": [summary(doc["_id"], doc) for doc in found], "next_cursor": cursor}

    def joined(self, period: dict[str, Any]) -> dict[str, int]:
        """Members at the end of a loaded period and those who joined within it (erased
        accounts left out)."""
        alive = {"erased": {"$ne": True}}
        return {"members": self.users.count_documents(
                    {"joined_ts": {"$lt": micros(period["until"])}, **alive}),
                "new_members": self.users.count_documents(
                    {"joined_ts": between(period), **alive})}

    def staff_names(self, exclude: str | None = None) -> list[str]:
        """The names of the current staff (but `exclude`'s): a name a member picks may not
        look like one of them (names.py). Staff are few: one indexed read."""
        return [doc["display_name"] for doc in self.users.find(
            {"roles": {"$in": sorted(STAFF_ROLES)}, "erased": {"$ne": True},
             "_id": {"$ne": exclude}}, {"display_name": 1}) if doc.get("display_name")]

    def summaries(self, user_ids: list[str]) -> dict[str, Any]:
        """Public summaries in the order asked; unknown ids are left out."""
        found = {doc["_id"]: doc for doc in self.users.find(
            {"_id": {"$in": user_ids}, "display_name": {"$exists": True}})}
        return {"items": [summary(user_id, found[user_id]) for user_id in
                          dict.fromkeys(user_ids) if user_id in found]}
