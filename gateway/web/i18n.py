"""The site's languages: French by default, English available.

Catalogues are JSON files split per area, `gateway/web/locales/<lang>/<area>.json`, so that
engineers adding screens in parallel never edit the same file. A key is `<area>.<name>`: the
file name is its first part, so two areas cannot collide. A value is a string with `{named}`
placeholders, or a plural dict `{"one": ..., "other": ...}` chosen by the `count` argument::

    >>> translate("fr", "common.site_name")
    'Agora'
    >>> translate("en", "posts.replies", count=2)
    '2 replies'

Both languages must have exactly the same keys in every area, and templates may only use keys
that exist (tests/unit/test_web_i18n.py). A missing key shows the key itself (never a crash).

The reader's language: the `agora_lang` cookie (the switch in the header), else the best match of
`Accept-Language`, else French. Dates are shown in the bank's time zone (Europe/Paris) with
month names from the `dates` area; numbers with the locale's separators.
"""
from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from services.shared import i18n as shared_i18n

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
LANGUAGE_COOKIE = "agora_lang"
LOCALES = Path(__file__).with_name("locales")
# Names the site shares with the services' catalogue (services/shared/locales): a concept is
# named once, so a badge and a notification say the same. Site key prefix -> catalogue section.
SHARED = {"posts.status_": "idea_status."}

try:
    from zoneinfo import ZoneInfo

    DISPLAY_ZONE: Any = ZoneInfo("Europe/Paris")
except Exception:  # no time zone database at all: show UTC rather than fail
    DISPLAY_ZONE = UTC


@cache
def catalogue(language: str) -> dict[str, Any]:
    """Every key of a language: {"<area>.<name>": value}, read once per process."""
    merged: dict[str, Any] = {}
    for path in sorted((LOCALES / language).glob("*.json")):
        area = path.stem
        for name, value in json.loads(path.read_text(encoding="utf-8")).items():
            merged[f"{area}.{name}"] = value
    for prefix, section in SHARED.items():
        merged.update({prefix + key.removeprefix(section): text for key, text
                       in shared_i18n.catalogue(language).items() if key.startswith(section)})
    return merged


def translate(language: str, key: str, **params: Any) -> str:
    value = catalogue(language).get(key)
    if value is None:
        return key
    if isinstance(value, dict):
        count = params.get("count", 0)
        value = value.get("one" if _is_singular(language, count) else "other", key)
    if params:
        try:
            return value.format(**{k: format_number(language, v) if isinstance(v, int)
                                   and not isinstance(v, bool) else v
                                   for k, v in params.items()})
        except (KeyError, IndexError, ValueError):
            return value
    return value


def _is_singular(language: str, count: Any) -> bool:
    try:
        number = abs(int(count))
    except (TypeError, ValueError):
        return False
    # French: 0 and 1 are singular ("0 réponse"); English: only 1.
    return number <= 1 if language == "fr" else number == 1


def negotiate(cookie: str | None, accept_language: str | None,
              profile_language: str | None = None) -> str:
    """The reader's language: the switch's cookie, else the member's profile setting, else
    Accept-Language (services/shared/i18n.py, as for the API's messages), else French."""
    for choice in (cookie, profile_language):
        if choice in LANGUAGES:
            return choice
    return shared_i18n.negotiate(accept_language)


def format_number(language: str, value: int | float) -> str:
    """1234567 -> '1 234 567' (fr, narrow no-break spaces) or '1,234,567' (en)."""
    text = f"{value:,}"
    return text.replace(",", "\u202f") if language == "fr" else text


def parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def format_date(language: str, value: Any, with_time: bool = False) -> str:
    """'1 décembre 2026' / 'December 1, 2026' (with ', 16:05' / ', 4:05 PM' when asked; "PM"
    kept to its time by a narrow no-break space, as CLDR writes it, never alone on a line)."""
    moment = parse_time(value)
    if moment is None:
        return ""
    local = moment.astimezone(DISPLAY_ZONE)
    month = translate(language, f"dates.month_{local.month}")
    if language == "fr":
        day = "1er" if local.day == 1 else str(local.day)
        text = f"{day} {month} {local.year}"
        return f"{text} à {local:%H:%M}" if with_time else text
    text = f"{month} {local.day}, {local.year}"
    if with_time:
        hour = local.hour % 12 or 12
        text += f", {hour}:{local:%M}\u202f{'AM' if local.hour < 12 else 'PM'}"
    return text
