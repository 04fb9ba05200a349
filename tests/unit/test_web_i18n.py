"""The site's catalogues: both languages have the same keys in every area, and templates and
pages use no key that is missing."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from gateway.web import i18n

WEB = Path(i18n.__file__).parent
KEY_IN_CODE = re.compile(r"""\bt\(\s*["']([a-z_]+\.[a-z0-9_]+)["']""")


def areas(language: str) -> dict[str, set[str]]:
    return {path.stem: set(json.loads(path.read_text(encoding="utf-8")))
            for path in (i18n.LOCALES / language).glob("*.json")}


def test_both_languages_have_the_same_areas_and_keys():
    french, english = areas("fr"), areas("en")
    assert set(french) == set(english)
    for area in french:
        assert french[area] == english[area], (
            f"{area}: only in fr {sorted(french[area] - english[area])}, "
            f"only in en {sorted(english[area] - french[area])}")


def test_plural_values_have_the_same_forms_in_both_languages():
    for area in areas("fr"):
        fr = json.loads((i18n.LOCALES / "fr" / f"{area}.json").read_text(encoding="utf-8"))
        en = json.loads((i18n.LOCALES / "en" / f"{area}.json").read_text(encoding="utf-8"))
        for key, value in fr.items():
            assert type(value) is type(en[key]), f"{area}.{key}"
            if isinstance(value, dict):
                assert set(value) == set(en[key]) == {"one", "other"}, f"{area}.{key}"


def test_templates_and_pages_use_only_existing_keys():
    known = set(i18n.catalogue("fr"))
    used = set()
    for path in [*WEB.glob("templates/**/*.html"), *WEB.glob("**/*.py")]:
        used |= set(KEY_IN_CODE.findall(path.read_text(encoding="utf-8")))
    assert used, "no t('area.key') found: the pattern is out of date"
    # t("posts.kind_" ~ kind): a prefix completed at run time must start some keys
    prefixes = {key for key in used if key.endswith("_")}
    missing = sorted(used - prefixes - known) + sorted(
        prefix for prefix in prefixes if not any(key.startswith(prefix) for key in known))
    assert not missing, f"keys missing from the catalogues: {missing}"


@pytest.mark.parametrize(("cookie", "header", "expected"), [
    ("en", "fr-FR", "en"), (None, "en-GB,en;q=0.9,fr;q=0.8", "en"),
    (None, "de-DE,fr;q=0.5,en;q=0.4", "fr"), (None, None, "fr"), ("xx", "en", "en"),
    (None, "fr;q=0.2,en;q=0.9", "en"),
])
def test_the_readers_language(cookie, header, expected):
    assert i18n.negotiate(cookie, header) == expected


def test_dates_numbers_and_plurals_follow_the_language():
    assert i18n.format_date("fr", "2026-03-01T10:05:00+00:00", with_time=True) == \
        "1er mars 2026 à 11:05"
    assert i18n.format_date("en", "2026-07-14T10:05:00Z") == "July 14, 2026"
    # "PM" never starts a line of its own (a reply's date on a phone)
    assert i18n.format_date("en", "2026-07-14T14:05:00Z", with_time=True) == \
        "July 14, 2026, 4:05\u202fPM"
    assert i18n.format_number("fr", 1234567) == "1\u202f234\u202f567"
    assert i18n.format_number("en", 1234567) == "1,234,567"
    assert i18n.translate("fr", "posts.answers", count=0) == "0 réponse"
    assert i18n.translate("en", "posts.answers", count=0) == "0 answers"
    assert i18n.translate("en", "no.such_key") == "no.such_key"


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_title_length_said_is_the_one_posts_accepts(language):
    """The compose page's hint and refusal quote posts' own limit (they said 300 for 200)."""
    from services.posts.schemas import TITLE_MAX

    compose = json.loads((i18n.LOCALES / language / "compose.json").read_text(encoding="utf-8"))
    for key in ("title_hint", "invalid_title"):
        assert re.search(rf"\b3\b\D+\b{TITLE_MAX}\b", compose[key]), (key, compose[key])
    template = (WEB / "templates" / "posts" / "compose.html").read_text(encoding="utf-8")
    assert 'maxlength="{{ title_max }}"' in template


@pytest.mark.parametrize(("language", "label"), [("fr", "Ancien membre"), ("en", "Former member")])
def test_an_erased_members_name_is_read_in_the_pages_language(language, label):
    """The read models keep one bilingual label ("Ancien membre · Former member"); a page prints
    it in its own language, wherever it appears (a value, a text's parameter, the author)."""
    from gateway.web.render import _author_name, environment, in_language
    from services.shared.shredding import ERASED_DISPLAY_NAME

    printed = environment().from_string("{{ name }}|{{ other }}").render(
        lang=language, name=ERASED_DISPLAY_NAME, other="Ada")
    assert printed == f"{label}|Ada"
    assert _author_name(language)({"author": {"display_name": ERASED_DISPLAY_NAME}}) == label
    assert in_language(language, f"{ERASED_DISPLAY_NAME}!") == f"{ERASED_DISPLAY_NAME}!"
