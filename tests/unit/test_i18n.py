"""The French and English catalogues: the same keys, the same placeholders, nothing empty;
language negotiation for anonymous requests and for the `agora` command."""
import re
import string

import pytest

from services.shared import i18n

pytestmark = pytest.mark.unit


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_both_catalogues_have_the_same_keys_and_placeholders():
    french, english = i18n.catalogue("fr"), i18n.catalogue("en")
    assert set(french) == set(english)
    for key in french:
        assert placeholders(french[key]) == placeholders(english[key]), key
        assert french[key].strip() and english[key].strip(), key


def test_every_problem_status_has_a_title_in_both_languages():
    from gateway.errors import STATUS_BY_ERROR

    for status in set(STATUS_BY_ERROR.values()):
        for language in i18n.LANGUAGES:
            assert i18n.text(language, f"problem.title.{status}")


def test_french_texts_use_french_typography():
    for key, value in i18n.catalogue("fr").items():
        # HTTP header names (Authorization:, X-Agora-Service-Key:) keep their own syntax
        prose = re.sub(r"\([^)]*\)|Authorization: ", "", value)
        assert "“" not in value and not re.search(r"\w:\s", prose), key  # « », espace avant :


def test_negotiation():
    assert i18n.negotiate("en-US,en;q=0.9") == "en"
    assert i18n.negotiate("fr-CA, en;q=0.5") == "fr"
    assert i18n.negotiate("de, en;q=0.3, fr;q=0.2") == "en"
    assert i18n.negotiate("en;q=0, fr") == "fr"
    assert i18n.negotiate("*") == "fr" and i18n.negotiate("") == "fr"
    assert i18n.text("xx", "notice.fallback") == i18n.text("fr", "notice.fallback")


def test_the_command_line_language(monkeypatch):
    for name in ("AGORA_LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    assert i18n.cli_language() == "fr"
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    assert i18n.cli_language() == "en"
    monkeypatch.setenv("AGORA_LANGUAGE", "fr")
    assert i18n.cli_language() == "fr"
