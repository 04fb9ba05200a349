"""The moderation console's presentation helpers: highlighted pieces and urgency."""
from __future__ import annotations

from gateway.web.pages.console import highlighted, urgency


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
