"""What the community managers' console reads from the moderation queue: filters by why an
item waits, the detector's findings to highlight, each item's target, and an ETag so that a
console polling the queue is answered 304 until the queue changes."""
from __future__ import annotations

from .steps import IBAN, ok, problem, queued, staff, submit


def test_the_queue_filters_by_reason_locates_findings_and_answers_304_until_it_changes(
        platform, api):
    manager, author = staff(platform), api.new_user()
    body = f"Bonjour, mon IBAN est {IBAN}. Merci"
    question = submit(api, author, title="Prélèvement rejeté", body=body)
    item = queued(api, manager, question["id"])

    detected = ok(api.get("/api/v1/moderation/queue", user=manager,
                          params={"reason": "detector", "limit": 200}))["items"]
    held = next(entry for entry in detected if entry["id"] == item["id"])
    assert held["findings"] == [{"field": "body", "kind": "iban", "start": body.index(IBAN),
                                 "end": body.index(IBAN) + len(IBAN)}]
    assert held["target_seconds"] > 0 and held["breached"] is False and held["due_at"]
    for other in ("policy", "flags", "edit"):
        listed = ok(api.get("/api/v1/moderation/queue", user=manager,
                            params={"reason": other, "limit": 200}))["items"]
        assert item["id"] not in [entry["id"] for entry in listed], other
    problem(api.get("/api/v1/moderation/queue", user=manager, params={"reason": "x"}), 400)

    first = api.get("/api/v1/moderation/queue", user=manager, params={"limit": 200})
    etag = first.headers["ETag"]
    unchanged = api.get("/api/v1/moderation/queue", user=manager, params={"limit": 200},
                        headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.headers["ETag"] == etag

    ok(api.post(f"/api/v1/moderation/items/{item['id']}/decision", user=manager,
                json={"decision": "redact", "body": held["proposal"]["body"]}))
    changed = api.get("/api/v1/moderation/queue", user=manager, params={"limit": 200},
                      headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert item["id"] not in [entry["id"] for entry in changed.json()["items"]]
