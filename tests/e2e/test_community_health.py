"""Community health as community managers read it (issue 13, item 9; `GET /community/health`):
members, new members, contributions by kind, ideas by status, the answer rate, time to first
staff answer and the top contributors of one period. The figures checked exactly are those of a
period that starts when this test does and ends when it is done: only what it created is in it
(the session's tests run one after the other), and nothing is asserted of the whole platform."""
from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

from ..conftest import wait_for
from .steps import ok, problem, reply_visible, staff, submit, visible

HEALTH = "/api/v1/community/health"


def test_cms_read_the_figures_of_a_period_with_what_happened_in_it(platform, api):
    since = datetime.now(UTC) - timedelta(milliseconds=1)
    started = time.monotonic()
    tag = uuid.uuid4().hex[:6]
    manager, advisor = staff(platform), staff(platform, "advisor")
    author = api.new_user(display_name=f"Auteur prolifique {tag}")
    member = api.new_user(display_name=f"Membre discret {tag}")
    joined = 4  # manager, advisor, author, member

    answered = submit(api, author, title=f"Plafond de retrait {tag}")
    unanswered = submit(api, author, title=f"Virement instantané {tag}")
    idea = submit(api, author, kind="idea", title=f"Un mode sombre {tag}")
    discussion = submit(api, member, kind="discussion", title=f"Mon expérience {tag}")
    for post in (answered, unanswered, idea, discussion):
        visible(api, post["id"])
    reply = ok(api.post(f"/api/v1/posts/{answered['id']}/replies", user=advisor,
                        json={"body": "Vous pouvez le relever dans l'application."}), 201)
    reply_visible(api, reply["id"])
    ok(api.put(f"/api/v1/posts/{idea['id']}/status", user=manager,
               json={"status": "under_review", "note": "Nous étudions la question."}))

    def health(until):
        return ok(api.get(HEALTH, user=manager, params={
            "from": since.isoformat(), "to": until.isoformat()}))

    def complete():
        until = datetime.now(UTC) + timedelta(seconds=1)
        figures = health(until)
        site = figures["response_times"]["site"]["windows"][0]
        ready = figures["replies"] == 1 and figures["answered_questions"] == 1 and \
            figures["ideas_by_status"]["under_review"] == 1 and site["answered"] == 1
        return ready and figures
    figures = wait_for(complete, timeout=30, message="the period's figures complete")
    longest = time.monotonic() - started

    assert figures["new_members"] == joined
    assert figures["members"] >= joined
    assert figures["posts_by_kind"] == {"question": 2, "idea": 1, "discussion": 1, "article": 0}
    assert figures["contributions"] == 5 and figures["replies"] == 1
    assert figures["ideas_by_status"]["under_review"] == 1
    assert sum(figures["ideas_by_status"].values()) == 1
    assert (figures["questions"], figures["answered_questions"], figures["answer_rate"]) == (
        2, 1, 0.5)
    assert figures["top_contributors"] == [
        {"member_id": author.id, "display_name": author.display_name, "contributions": 3},
        *sorted([{"member_id": advisor.id, "display_name": advisor.display_name,
                  "contributions": 1},
                 {"member_id": member.id, "display_name": member.display_name,
                  "contributions": 1}], key=lambda entry: entry["member_id"])]
    site = figures["response_times"]["site"]
    assert site["target_seconds"] > 0 and len(site["windows"]) == 1
    assert 0 < site["windows"][0]["p50_seconds"] <= longest + 1
    assert set(figures["response_times"]) == {"site", "social", "private"}

    # a period before any of it counts none of it
    earlier = ok(api.get(HEALTH, user=manager, params={
        "from": (since - timedelta(days=1)).isoformat(), "to": since.isoformat()}))
    assert author.id not in [entry["member_id"] for entry in earlier["top_contributors"]]
    assert earlier["members"] <= figures["members"] - joined

    # the last days, up to now
    week = ok(api.get(HEALTH, user=manager, params={"days": 7}))
    assert week["posts_by_kind"]["idea"] >= 1 and week["new_members"] >= joined

    problem(api.get(HEALTH, user=member), 403)
    problem(api.get(HEALTH, user=advisor), 403)
    problem(api.get(HEALTH), 401)
    problem(api.get(HEALTH, user=manager, params={"days": 12}), 400)
    problem(api.get(HEALTH, user=manager, params={"from": since.isoformat()}), 400)
    problem(api.get(HEALTH, user=manager, params={
        "from": since.isoformat(), "to": (since - timedelta(days=2)).isoformat()}), 400)
    problem(api.get(HEALTH, user=manager, params={
        "from": since.isoformat(), "to": (since + timedelta(days=500)).isoformat()}), 400)
