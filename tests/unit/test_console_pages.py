"""The console's presentation helpers: highlighted pieces, urgency, clocks order, chart."""
from __future__ import annotations

from gateway.web.pages.console import highlighted, urgency
from gateway.web.pages.console_oversight import (
    CHART_BAR_AREA,
    CHART_LABEL_WIDTH,
    CHART_SMALLEST_BAR,
    answer_time_chart,
    breached_first,
)


def test_findings_become_marked_pieces_of_their_own_field_only():
    text = "mon IBAN FR76 3000 et mon mail a@b.fr merci"
    findings = [{"field": "body", "kind": "email", "start": 31, "end": 37},
                {"field": "body", "kind": "iban", "start": 9, "end": 18},
                {"field": "title", "kind": "phone", "start": 0, "end": 4}]
    pieces = highlighted(text, findings, "body")
    assert "".join(piece["text"] for piece in pieces) == text
    assert [(p["text"], p["kind"]) for p in pieces if p["kind"]] == [
        ("FR76 3000", "iban"), ("a@b.fr", "email")]
    assert highlighted(None, findings, "other") == [{"text": "", "kind": None}]


def test_overlapping_or_out_of_range_findings_never_repeat_or_lose_text():
    pieces = highlighted("abcdef", [{"field": "body", "kind": "x", "start": 1, "end": 4},
                                    {"field": "body", "kind": "y", "start": 2, "end": 9}], "body")
    assert "".join(piece["text"] for piece in pieces) == "abcdef"


def test_urgency_is_close_from_three_quarters_of_the_target_and_past_when_breached():
    assert urgency({"waiting_seconds": 10, "target_seconds": 100}) == "ok"
    assert urgency({"waiting_seconds": 75, "target_seconds": 100}) == "close"
    assert urgency({"waiting_seconds": 75, "target_seconds": 100, "breached": True}) == "past"


# -- the oversight screens: flags and response times -----------------------------------------

def test_waiting_clocks_list_breached_first_then_soonest_due():
    clocks = [{"clock_id": "late-due", "breached": False, "due_at": "2026-12-02T10:00:00+00:00"},
              {"clock_id": "never", "breached": False, "due_at": None},
              {"clock_id": "past-b", "breached": True, "due_at": "2026-12-01T09:00:00+00:00"},
              {"clock_id": "soon", "breached": False, "due_at": "2026-12-01T12:00:00+00:00"},
              {"clock_id": "past-a", "breached": True, "due_at": "2026-12-01T08:00:00+00:00"}]
    assert [c["clock_id"] for c in breached_first(clocks)] == [
        "past-a", "past-b", "soon", "late-due", "never"]


def test_the_answer_time_chart_puts_every_bar_and_target_on_one_scale():
    def windows(*pairs):
        return [{"days": days, "answered": 1, "p50_seconds": p50, "p90_seconds": p90}
                for days, (p50, p90) in zip((7, 30), pairs, strict=True)]
    chart = answer_time_chart({"by_channel": {
        "site": {"target_seconds": 3600, "windows": windows((1800, 7200), (0.2, 3600))},
        "social": {"target_seconds": 600, "windows": windows((None, None), (None, None))}}})
    site, social = chart["groups"]
    assert [bar["width"] for bar in site["bars"]] == [
        CHART_BAR_AREA / 4, CHART_BAR_AREA, CHART_SMALLEST_BAR, CHART_BAR_AREA / 2]
    assert site["target_x"] == CHART_LABEL_WIDTH + CHART_BAR_AREA / 2
    assert [bar["width"] for bar in social["bars"]] == [0, 0, 0, 0]  # nothing answered
    assert [(bar["measure"], bar["days"]) for bar in site["bars"]] == [
        ("p50", 7), ("p90", 7), ("p50", 30), ("p90", 30)]
    tops = [bar["y"] for group in chart["groups"] for bar in group["bars"]]
    assert tops == sorted(set(tops)) and chart["height"] > tops[-1]  # no two bars overlap
