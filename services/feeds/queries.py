"""Feeds' reads of subscriptions over its read models (projections.py): whether a target can be
followed, who watches a thread, what a member follows. The journals and the home feed are read
in timeline.py. The entrypoints in service.py call these and return."""
from __future__ import annotations

from typing import Any

from services.shared.projections import ReadModels

from . import domain, timeline

# a subscription's source kind (`author:u1`) -> the list it is shown in
SUBSCRIPTION_LISTS = {"author": "members", "thread": "threads", "tag": "tags",
                      "category": "categories"}


class Subscriptions:
    def __init__(self, views: ReadModels):
        self.views = views

    def target_exists(self, kind: domain.Kind, target: str) -> bool:
        if kind is domain.FOLLOW:
            return self.views["members"].find_one({"_id": target}, {"_id": 1}) is not None
        if kind in (domain.WATCH, domain.MUTE):
            item = self.views["items"].find_one({"_id": target, "type": "post"}, {"state": 1})
            return item is not None and item.get("state") == "published"
        if kind is domain.CATEGORY:  # the list admins manage (posts' categories)
            return self.views["categories"].find_one({"_id": target}, {"_id": 1}) is not None
        return True  # any valid tag can be followed before its first post

    def watchers(self, post_id: str) -> list[str]:
        """The members watching the thread."""
        return [doc["member"] for doc in self.views["subs"].find(
            {"source": domain.source_of(domain.WATCH, post_id)}, {"member": 1})]

    def merge_watchers(self, post_id: str, into_id: str) -> dict[str, int]:
        """How many members watch `post_id` and how many of them would start watching
        `into_id` (those already there stay as they are)."""
        watchers, already = self.watchers(post_id), set(self.watchers(into_id))
        return {"watchers": len(watchers),
                "watchers_moving": len([member for member in watchers if member not in already])}

    def of(self, member_id: str) -> dict[str, list[str]]:
        """What the member follows, watches and mutes (at most MAX_SUBSCRIPTIONS)."""
        out: dict[str, list[str]] = {name: [] for name in SUBSCRIPTION_LISTS.values()}
        for doc in self.views["subs"].find({"member": member_id}, {"source": 1}).limit(
                timeline.MAX_SUBSCRIPTIONS):
            kind, _, value = doc["source"].partition(":")
            out[SUBSCRIPTION_LISTS[kind]].append(value)
        out["muted"] = [doc["post_id"] for doc in self.views["mutes"].find({"member": member_id})]
        return {key: sorted(values) for key, values in out.items()}

    def export(self, member_id: str) -> dict[str, Any]:
        """Every subscription with since when (no cap), and the threads muted."""
        subscriptions = [{"list": SUBSCRIPTION_LISTS[kind], "target": value,
                          "since": doc.get("since")}
                         for doc in self.views["subs"].find({"member": member_id})
                         for kind, _, value in [doc["source"].partition(":")]]
        return {"subscriptions": sorted(subscriptions,
                                        key=lambda s: (s["list"], s["target"])),
                "muted": sorted(doc["post_id"]
                                for doc in self.views["mutes"].find({"member": member_id}))}
