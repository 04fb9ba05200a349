"""The audit log's action filter lists every action moderation's trail writes (projections.py):
an action missing from it could not be found by its name. A member lookup is not one of them —
identity keeps those apart (`privileged_reads`), which the page's introduction says."""
from __future__ import annotations

import json
import re
from pathlib import Path

from gateway.web.pages.console_policy import AUDIT_ACTIONS
from services.moderation import projections

ROOT = Path(__file__).resolve().parents[2]


def written_actions() -> set[str]:
    """Every action the trail's projection writes: its tables, and the names spelled in its
    `_audit(...)` calls (a reply's or a post's for `f"edit_{target_type}"`)."""
    source = (ROOT / "services" / "moderation" / "projections.py").read_text(encoding="utf-8")
    literal = set(re.findall(r'action="([a-z_]+)"', source))
    per_target = {f"{prefix}_{target}" for prefix in
                  re.findall(r'action=f"([a-z_]+)_\{target_type\}"', source)
                  for target in ("post", "reply")}
    decisions = {"approve", "reject", "redact", "republish"}  # `_decided`'s own table
    return (literal | per_target | decisions | set(projections.STAFF_HOLDS.values())
            | set(projections.STAFF_POST_ACTIONS.values())
            | set(projections.IDENTITY_PRIVILEGED.values()))


def test_every_action_the_trail_writes_is_one_to_filter_by():
    assert written_actions() - set(AUDIT_ACTIONS) == set()
    assert "approve" in AUDIT_ACTIONS and "republish" in AUDIT_ACTIONS


def test_every_action_to_filter_by_is_said_in_both_languages():
    for language in ("fr", "en"):
        words = json.loads((ROOT / "gateway" / "web" / "locales" / language / "audit.json")
                           .read_text(encoding="utf-8"))
        missing = [action for action in AUDIT_ACTIONS
                   if f"action_{action}" not in words
                   and f"filter_{action}" not in words]
        assert missing == [], (language, missing)
