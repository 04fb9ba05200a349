"""How the queue tells a CM that an item was decided elsewhere (`console.decided_elsewhere`):
the decision, who made it and at what time of the Paris day — « Vous avez déjà … (dans un
autre onglet) » when it was the reader — never « un autre community manager »."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from gateway.web import i18n
from gateway.web.pages.console import decided_elsewhere, decided_when

ME = "usr_0123456789abcdef0123456789"


def reader(language: str):
    return SimpleNamespace(language=language, actor={"id": ME},
                           t=lambda key, **params: i18n.translate(language, key, **params))


def today_at(hour: int, minute: int) -> datetime:
    """A moment today at this Paris time (as a decision's `decided_at`, UTC)."""
    now = datetime.now(i18n.DISPLAY_ZONE)
    return now.replace(hour=hour, minute=minute, second=5, microsecond=0).astimezone(UTC)


@pytest.mark.parametrize(("language", "expected"), [
    ("fr", "à 10 h 42"), ("en", "at 10:42\u202fAM")])
def test_a_decision_made_today_says_its_time_of_day_in_paris(language, expected):
    assert decided_when(reader(language), today_at(10, 42)) == expected


def test_an_afternoon_decision_reads_in_each_languages_clock():
    assert decided_when(reader("fr"), today_at(16, 5)) == "à 16 h 05"
    assert decided_when(reader("en"), today_at(16, 5)) == "at 4:05\u202fPM"


def test_a_decision_made_another_day_says_the_day_too():
    moment = datetime(2026, 12, 3, 9, 7, tzinfo=UTC)  # 10:07 in Paris
    assert decided_when(reader("fr"), moment) == "le 3 décembre 2026 à 10 h 07"
    assert decided_when(reader("en"), moment) == "on December 3, 2026 at 10:07\u202fAM"


@pytest.mark.parametrize(("state", "french", "english"), [
    ("approved", "Vous avez déjà approuvé cet élément à 10 h 42 (dans un autre onglet).",
     "You already approved this item at 10:42\u202fAM (in another tab)."),
    ("rejected", "Vous avez déjà refusé cet élément à 10 h 42 (dans un autre onglet).",
     "You already rejected this item at 10:42\u202fAM (in another tab)."),
    ("redacted", "Vous avez déjà publié une version masquée de cet élément à 10 h 42 "
     "(dans un autre onglet).",
     "You already published a masked version of this item at 10:42\u202fAM (in another tab)."),
])
def test_the_readers_own_decision_in_another_tab_says_you(state, french, english):
    item = {"state": state, "decided_by": ME, "decided_at": today_at(10, 42).isoformat()}
    # no identity call: the reader is named "you", never by their own name
    assert decided_elsewhere(reader("fr"), None, item) == {"text": french}
    assert decided_elsewhere(reader("en"), None, item) == {"text": english}


def test_a_decision_nobody_made_says_what_and_when_without_a_name():
    item = {"state": "approved", "decided_by": None,
            "decided_at": (datetime.now(UTC) - timedelta(days=400)).isoformat()}
    text = decided_elsewhere(reader("fr"), None, item)["text"]
    assert text.startswith("Cet élément a été approuvé le ") and " à " in text
    assert decided_elsewhere(reader("fr"), None, {"state": "withdrawn"}) is None


@pytest.mark.parametrize(("state", "french", "english"), [
    ("approved", "Vous avez déjà gardé cet élément en ligne à 9 h 59 (dans un autre onglet).",
     "You already kept this item online at 9:59\u202fAM (in another tab)."),
    ("rejected", "Vous avez déjà retiré cet élément à 9 h 59 (dans un autre onglet).",
     "You already removed this item at 9:59\u202fAM (in another tab)."),
    ("redacted", "Vous avez déjà publié une version modifiée de cet élément à 9 h 59 "
     "(dans un autre onglet).",
     "You already published an edited version of this item at 9:59\u202fAM (in another tab)."),
])
def test_a_flagged_contributions_decision_reads_in_the_flags_words(state, french, english):
    """On an item members' flags opened, the buttons said keep online / remove / publish an
    edited version: the sentence says what was done in those words, not « approuvé »."""
    item = {"state": state, "review": "flags", "reasons": ["flags"], "decided_by": ME,
            "decided_at": today_at(9, 59).isoformat()}
    assert decided_elsewhere(reader("fr"), None, item) == {"text": french}
    assert decided_elsewhere(reader("en"), None, item) == {"text": english}


@pytest.mark.parametrize(("state", "french", "english"), [
    ("approved", "Cet élément a été gardé en ligne à 9 h 59.",
     "This item was kept online at 9:59\u202fAM."),
    ("rejected", "Cet élément a été retiré à 9 h 59.", "This item was removed at 9:59\u202fAM."),
    ("redacted", "Une version modifiée de cet élément a été publiée à 9 h 59.",
     "An edited version of this item was published at 9:59\u202fAM."),
])
def test_a_flagged_contributions_decision_by_nobody_named_too(state, french, english):
    item = {"state": state, "review": "flags", "decided_by": None,
            "decided_at": today_at(9, 59).isoformat()}
    assert decided_elsewhere(reader("fr"), None, item) == {"text": french}
    assert decided_elsewhere(reader("en"), None, item) == {"text": english}


def test_a_flagged_item_the_detector_held_and_a_held_text_keep_their_own_words():
    """Where the detector found something, the buttons were mask / approve as is / refuse;
    a text held before publication (content review): approve / refuse."""
    at = today_at(9, 59).isoformat()
    detected = {"state": "redacted", "review": "flags", "detector_kinds": ["iban"],
                "decided_by": ME, "decided_at": at}
    assert decided_elsewhere(reader("fr"), None, detected)["text"].startswith(
        "Vous avez déjà publié une version masquée de cet élément")
    held = {"state": "approved", "review": "content", "decided_by": None, "decided_at": at}
    assert decided_elsewhere(reader("fr"), None, held) == {
        "text": "Cet élément a été approuvé à 9 h 59."}
    assert decided_elsewhere(reader("en"), None, held) == {
        "text": "This item was approved at 9:59\u202fAM."}
