"""An undone approval tells every party the same story (exploratory test s37): the author sees
their post hidden again while the team reviews it (anonymous readers get 404), and the CM who
then approves it again leaves « republished after an undo » in the trail, not « flags
dismissed » (no member flagged it)."""
from __future__ import annotations

from ..conftest import wait_for
from .steps import ok, redacted_then_undone, staff, visible


def test_an_undone_redaction_is_held_for_its_author_then_republished_in_the_trail(platform, api):
    manager, author = staff(platform), api.new_user()
    question, item, reopened = redacted_then_undone(api, manager, author)

    # its author: held again, and why (not « published » with no word of it)
    path = f"/api/v1/posts/{question['id']}"
    mine = wait_for(lambda: (r := api.get(path, user=author)).status_code == 200
                    and r.json()["state"] == "hidden" and r.json(), timeout=20,
                    message="the post hidden for its author")
    assert mine["review"] == {"state": "held", "reasons": ["undo"]}, mine.get("review")
    assert api.get(path).status_code == 404
    # a CM reading the thread gets the item where it is decided
    assert ok(api.get(path, user=manager))["review"]["item_id"] == reopened["id"]

    # approved again: republished after the undo, in the trail's own words
    ok(api.post(f"/api/v1/moderation/items/{reopened['id']}/decision", user=manager,
                json={"decision": "approve"}))
    visible(api, question["id"])

    def trail():
        entries = ok(api.get("/api/v1/moderation/audit", user=manager,
                             params={"target_id": question["id"]}))["items"]
        return entries if len(entries) == 3 else None
    entries = wait_for(trail, timeout=20, message="the approval in the trail")
    assert [entry["action"] for entry in entries] == ["republish", "undo", "redact"]
    assert entries[0]["details"]["undoes"] == item["id"]
    found = ok(api.get("/api/v1/moderation/audit", user=manager,
                       params={"action": "republish", "target_id": question["id"]}))["items"]
    assert [entry["id"] for entry in found] == [entries[0]["id"]]
    # public again: its author's box is gone with the hold
    assert "review" not in ok(api.get(path, user=author))
