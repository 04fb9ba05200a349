"""Time to first staff answer as community managers read it: p50 / p90 per channel over 7 and
30 days (`GET /moderation/sla/statistics`). The session's other tests answer questions too, so
the figures checked exactly are those of a category of this test's own."""
from __future__ import annotations

import time
import uuid

from ..conftest import wait_for
from .steps import ok, problem, staff, submit, visible

STATISTICS = "/api/v1/moderation/sla/statistics"


def test_cms_read_p50_and_p90_of_the_first_staff_answer_per_channel(platform, api):
    manager, advisor, member = staff(platform), staff(platform, "advisor"), api.new_user()
    category = "stats-" + "".join(chr(97 + int(c, 16)) for c in uuid.uuid4().hex[:8])
    platform.create_categories(category)
    problem(api.get(STATISTICS, user=member), 403)
    problem(api.get(STATISTICS, params={"category": "Not A Slug"}, user=manager), 400)
    empty = ok(api.get(STATISTICS, params={"category": category}, user=manager))
    assert list(empty["by_channel"]) == ["site"]
    assert [(w["days"], w["answered"], w["p50_seconds"], w["p90_seconds"])
            for w in empty["by_channel"]["site"]["windows"]] == [(7, 0, None, None),
                                                                 (30, 0, None, None)]

    started = time.monotonic()
    questions = [submit(api, member, title=f"Plafond de carte {n} {uuid.uuid4().hex[:4]}",
                        category=category) for n in range(3)]
    for question in questions:
        visible(api, question["id"])
    # a member's answer is not a staff answer: the clock runs on
    ok(api.post(f"/api/v1/posts/{questions[0]['id']}/replies", user=api.new_user(),
                json={"body": "Regardez dans l'appli."}), 201)
    for question in questions:
        ok(api.post(f"/api/v1/posts/{question['id']}/replies", user=advisor,
                    json={"body": "Je m'en occupe, c'est fait."}), 201)

    def answered_all():
        report = ok(api.get(STATISTICS, params={"category": category}, user=manager))
        windows = report["by_channel"]["site"]["windows"]
        return report if all(w["answered"] == len(questions) for w in windows) else None

    report = wait_for(answered_all, timeout=30, message="the three staff answers counted")
    longest = time.monotonic() - started
    site = report["by_channel"]["site"]
    assert site["target_seconds"] == 43200
    for window in site["windows"]:
        assert 0 < window["p50_seconds"] <= window["p90_seconds"] <= longest + 1, window
    assert report["category"] == category

    overall = ok(api.get(STATISTICS, user=manager))
    assert set(overall["by_channel"]) == {"site", "social", "private"}
    for figures in overall["by_channel"].values():
        assert [w["days"] for w in figures["windows"]] == [7, 30]
        week, month = figures["windows"]
        assert month["answered"] >= week["answered"]
    assert overall["by_channel"]["site"]["windows"][0]["answered"] >= len(questions)


def test_the_waiting_clocks_come_in_pages_oldest_first(platform, api):
    manager, member = staff(platform), api.new_user()
    category = "pages-" + "".join(chr(97 + int(c, 16)) for c in uuid.uuid4().hex[:8])
    platform.create_categories(category)
    questions = [submit(api, member, title=f"Carte refusée {n} {uuid.uuid4().hex[:4]}",
                        category=category) for n in range(3)]
    for question in questions:
        visible(api, question["id"])

    def listed(cursor=None):
        params = {"category": category, "limit": 2, **({"cursor": cursor} if cursor else {})}
        return ok(api.get("/api/v1/moderation/sla", params=params, user=manager))

    first = wait_for(lambda: (page := listed()) and page["by_channel"]["site"] and len(
        page["oldest_unanswered"]) == 2 and page["next_cursor"] and page,
        timeout=20, message="two pages of waiting questions")
    second = listed(first["next_cursor"])
    assert second["next_cursor"] is None
    pages = [c["post_id"] for c in first["oldest_unanswered"] + second["oldest_unanswered"]]
    assert sorted(pages) == sorted(q["id"] for q in questions) and len(set(pages)) == 3
    starts = [c["published_at"] for c in first["oldest_unanswered"] +
              second["oldest_unanswered"]]
    assert starts == sorted(starts)  # oldest first across the pages
    problem(api.get("/api/v1/moderation/sla", params={"cursor": "not-ours"}, user=manager), 400)
