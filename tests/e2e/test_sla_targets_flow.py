"""Response-time targets as community managers drive them: edited per channel and per category,
counted in business hours from a calendar, clocks that run for site questions, private
conversations and social cases, and breach alerts to the CMs (and a conversation's staff).

The e2e platform checks clocks every second (AGORA_SLA_CHECK_SECONDS=1); every target changed
here is put back at the end, since the session's other tests share the moderation service."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from ..conftest import wait_for
from .steps import customer_with_advisor, notified, ok, problem, staff, submit, visible

TARGETS = "/api/v1/moderation/sla/targets"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def clock(api, manager, scope, **match):
    """The waiting clock matching `match`, listed among the oldest of `scope` (a channel or a
    category: the session's other tests leave clocks waiting too)."""
    def find():
        report = ok(api.get("/api/v1/moderation/sla", user=manager,
                            params={**scope, "limit": 200}))
        return next((c for c in report["oldest_unanswered"]
                     if all(c.get(k) == v for k, v in match.items())), None)
    return wait_for(find, timeout=20, message=f"a clock {match}")


def test_cms_set_targets_and_every_channel_runs_a_clock_that_alerts(platform, api,
                                                                    conversations_db):
    manager, member = staff(platform), api.new_user()
    customer, advisor = customer_with_advisor(platform, api, conversations_db)
    category = "sla-" + "".join(chr(97 + int(c, 16)) for c in uuid.uuid4().hex[:8])  # no digits
    platform.create_categories(category)  # posts name an existing category
    original = ok(api.get(TARGETS, user=manager))
    assert original["channels"]["site"] == {"target_seconds": 43200, "business_hours": False}
    assert set(original["channels"]) == {"site", "social", "private"}
    problem(api.get(TARGETS, user=member), 403)
    problem(api.put(TARGETS, user=member, json={"categories": {}}), 403)
    bad = problem(api.put(TARGETS, user=manager, json={
        "channels": {"phone": {"target_seconds": 60}},
        "calendar": {"timezone": "Mars/Olympus", "week": {}}}), 400)
    assert set(bad["errors"]) == {"channels", "calendar"}

    try:
        changed = ok(api.put(TARGETS, user=manager, json={
            "channels": {"private": {"target_seconds": 1}, "social": {"target_seconds": 1}},
            "categories": {category: {"target_seconds": 1}}}))
        assert changed["channels"]["private"]["target_seconds"] == 1
        assert changed["channels"]["site"]["target_seconds"] == 43200  # untouched
        audit = ok(api.get("/api/v1/moderation/audit", user=manager,
                           params={"action": "change_sla_targets"}))
        assert audit["items"][0]["after"]["categories"] == {
            category: {"target_seconds": 1, "business_hours": None}}

        # site: a question of that category; private: a customer writes to their advisor;
        # social: a mention of a known member arrives from the bank's listening tool
        question = submit(api, member, title="Plafond de carte à l'étranger", category=category)
        visible(api, question["id"])
        conversation = ok(api.post("/api/v1/conversations", user=customer, json={
            "subject": "Virement bloqué", "message": "Mon virement est bloqué"}), 201)
        mention = ok(api.post("/api/v1/channels/social/mentions", headers=platform.service_key,
                              json={"channel": "twitter", "external_id": uuid.uuid4().hex,
                                    "handle": "@client", "text": "@MaBanque toujours rien",
                                    "member_id": member.id}), 201)

        site = clock(api, manager, {"category": category}, post_id=question["id"],
                     breached=True)
        assert site["channel"] == "site" and site["target_seconds"] == 1
        private = clock(api, manager, {"channel": "private"},
                        conversation_id=conversation["id"], breached=True)
        assert private["channel"] == "private" and private["post_id"] is None
        social = clock(api, manager, {"channel": "social"},
                       conversation_id=mention["conversation_id"], breached=True)
        assert social["channel"] == "social"

        alert = notified(api, manager, "sla_breach", post_id=question["id"])
        assert alert["text"] == ("Une question « Plafond de carte à l'étranger » attend une "
                                 "réponse de l’équipe depuis plus de 1 s")
        private_alert = notified(api, advisor, "sla_breach",
                                 conversation_id=conversation["id"])
        assert private_alert["text"] == ("Une conversation privée attend une réponse de "
                                         "l’équipe depuis plus de 1 s")
        assert private_alert["title"] is None  # the subject stays private
        assert notified(api, manager, "sla_breach", conversation_id=mention[
            "conversation_id"])["text"] == ("Un cas venu des réseaux sociaux attend une réponse "
                                            "de l’équipe depuis plus de 1 s")

        # staff answer: the private clock stops and counts as answered (late)
        def private_report():
            return ok(api.get("/api/v1/moderation/sla", user=manager,
                              params={"channel": "private", "limit": 200}))
        answered_before = private_report()["by_channel"]["private"]["answered"]
        ok(api.post(f"/api/v1/conversations/{conversation['id']}/messages", user=advisor,
                    json={"body": "Je regarde tout de suite."}), 201)
        report = wait_for(lambda: (r := private_report())
                          and conversation["id"] not in [c["conversation_id"]
                                                         for c in r["oldest_unanswered"]]
                          and r["by_channel"]["private"]["answered"] > answered_before
                          and r, timeout=20, message="the private clock stopped")
        assert report["by_channel"]["private"]["within_target_ratio"] < 1
        assert report["by_channel"]["social"]["breached_unanswered"] >= 1

        # business hours: a private target counted in opening hours only, the bank open one
        # day a week (the day after tomorrow, 09:00-10:00 UTC): due then, not breached now
        open_day = datetime.now(UTC).date() + timedelta(days=2)
        ok(api.put(TARGETS, user=manager, json={
            "channels": {"private": {"target_seconds": 60, "business_hours": True}},
            "calendar": {"timezone": "UTC", "week": {
                WEEKDAYS[open_day.weekday()]: {"open": "09:00", "close": "10:00"}}}}))
        later = ok(api.post("/api/v1/conversations", user=customer, json={
            "subject": "Carte", "message": "Une autre question"}), 201)
        waiting = clock(api, manager, {"channel": "private"}, conversation_id=later["id"])
        assert waiting["business_hours"] and not waiting["breached"]
        assert waiting["due_at"] == f"{open_day.isoformat()}T09:01:00+00:00"
        assert waiting["waiting_seconds"] == 0
    finally:
        ok(api.put(TARGETS, user=manager, json=original))
    assert ok(api.get(TARGETS, user=manager)) == original
