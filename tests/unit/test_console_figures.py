"""The pure rules behind the console's member lookup and community health: how a name is
looked up, what a period may be, and the figures of a period's contributions."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from marshmallow import ValidationError

from gateway.web.pages.console_oversight import CHART_BAR_AREA, CHART_LABEL_WIDTH, bar_chart
from services.identity.domain import name_key
from services.posts.domain import TOP_CONTRIBUTORS, community_figures
from services.shared.periods import PeriodArgs, check_period


def test_a_name_is_looked_up_without_accents_case_or_extra_spaces():
    assert name_key("  Chloé   DUPONT-Lévy ") == "chloe dupont-levy"
    assert name_key("Œuvre Ærts") == name_key("oeuvre aerts")
    assert name_key(None) == "" and name_key("   ") == ""


def test_a_period_ends_after_it_starts_and_lasts_at_most_400_days():
    start = datetime(2026, 11, 1, tzinfo=UTC)
    check_period(start, start + timedelta(days=400))
    for end in (start, start - timedelta(seconds=1), start + timedelta(days=401)):
        with pytest.raises(ValidationError):
            check_period(start, end)
    with pytest.raises(ValidationError):  # a moment without its offset is refused
        PeriodArgs().load({"since": "2026-11-01T00:00:00", "until": "2026-11-02T00:00:00"})


def test_the_figures_of_a_period_count_kinds_statuses_answers_and_top_contributors():
    posts = [{"kind": "question", "author_id": "a", "reply_count": 2},
             {"kind": "question", "author_id": "a", "reply_count": 0},
             {"kind": "question", "author_id": "b"},
             {"kind": "idea", "author_id": "c", "idea_status": "planned"},
             {"kind": "idea", "author_id": "c", "idea_status": None}]
    replies = [{"author_id": f"r{n}"} for n in range(7)]
    figures = community_figures(posts, replies, ("question", "idea", "article"),
                                ("submitted", "planned", "declined"))
    assert figures["posts_by_kind"] == {"question": 3, "idea": 2, "article": 0}
    assert figures["ideas_by_status"] == {"submitted": 1, "planned": 1, "declined": 0}
    assert (figures["questions"], figures["answered_questions"]) == (3, 1)
    assert figures["answer_rate"] == pytest.approx(1 / 3)
    assert figures["contributions"] == 12 and figures["replies"] == 7
    top = figures["top_contributors"]
    assert len(top) == TOP_CONTRIBUTORS
    assert top[:2] == [{"member_id": "a", "contributions": 2},
                       {"member_id": "c", "contributions": 2}]  # ties in id order
    assert community_figures([], [], ("question",), ("submitted",))["answer_rate"] is None


def test_one_bar_chart_layout_scales_every_bar_and_marks_no_target_without_one():
    chart = bar_chart([{"title": "t", "marker": None, "bars": [
        {"label": "x", "value": 10}, {"label": "y", "value": 40}, {"label": "z", "value": None}]}])
    (group,) = chart["groups"]
    assert [bar["width"] for bar in group["bars"]] == [CHART_BAR_AREA / 4, CHART_BAR_AREA, 0]
    assert group["target_x"] is None and group["title"] == "t"
    assert chart["width"] > CHART_LABEL_WIDTH + CHART_BAR_AREA
