"""Every text a person reads, in French and English: one catalogue per language
(`locales/fr.yaml`, `locales/en.yaml`, the same keys — a unit test checks it), the language
chosen per reader: a member's profile setting (`language`), else the request's
`Accept-Language`, else French (the community's language).

    >>> text("en", "notice.fallback")
    'You have a new notification'
    >>> text("fr", "problem.title.404")
    'Introuvable'
    >>> negotiate("en-GB,en;q=0.9,fr;q=0.8"), negotiate("de-DE"), negotiate(None)
    ('en', 'fr', 'fr')

A missing key is a bug (KeyError), never a silent English fallback; `{name}` placeholders are
filled with `str.format`.
"""
from __future__ import annotations

import functools
import os
import re
from pathlib import Path
from typing import Any

import yaml

LANGUAGES = ("fr", "en")
DEFAULT = "fr"
LOCALES = Path(__file__).with_name("locales")


@functools.cache
def catalogue(language: str) -> dict[str, str]:
    """The flattened catalogue of `language` (nested YAML keys joined with dots)."""
    raw = yaml.safe_load((LOCALES / f"{language}.yaml").read_text(encoding="utf-8"))
    flat: dict[str, str] = {}

    def walk(prefix: str, node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(f"{prefix}.{key}" if prefix else str(key), value)
        else:
            flat[prefix] = str(node)

    walk("", raw)
    return flat


def language_or_default(language: str | None) -> str:
    return language if language in LANGUAGES else DEFAULT


def text(language: str | None, key: str, **params: Any) -> str:
    """The text of `key` in `language` (French when unknown), placeholders filled."""
    template = catalogue(language_or_default(language))[key]
    return template.format(**params) if params else template


def error_text(language: str | None, key: str, params: dict[str, Any] | None = None,
               terms: dict[str, str] | None = None) -> str:
    """The message of error `key` (section `error`) in `language`: `params` as given, `terms`
    replaced by their catalogue text in that language (`{"thing": "noun.reply"}`).

        >>> error_text("fr", "no_such_target", terms={"thing": "noun.reply"})
        'réponse introuvable'
    """
    words = {name: text(language, term) for name, term in (terms or {}).items()}
    return text(language, f"error.{key}", **{**(params or {}), **words})


def has(key: str) -> bool:
    return key in catalogue(DEFAULT)


_RANGE = re.compile(r"^\s*([A-Za-z]{1,8})(?:-[A-Za-z0-9]{1,8})*\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*$")


def negotiate(accept_language: str | None) -> str:
    """The best of our languages for an `Accept-Language` header (RFC 9110), else French."""
    best, best_q = DEFAULT, -1.0
    for position, part in enumerate((accept_language or "").split(",")[:20]):
        match = _RANGE.match(part)
        if not match:
            continue
        primary, quality = match.group(1).lower(), match.group(2)
        try:
            q = float(quality) if quality is not None else 1.0
        except ValueError:
            continue
        if primary in LANGUAGES and q > 0 and (q > best_q):
            best, best_q = primary, q - position * 1e-6  # equal q: the first listed wins
    return best


def cli_language() -> str:
    """The language of `agora`'s messages: AGORA_LANGUAGE, else the locale (LC_ALL, LANG)."""
    for name in ("AGORA_LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = (os.environ.get(name) or "").split("_")[0].split(".")[0].lower()
        if value in LANGUAGES:
            return value
        if value and value not in ("c", "posix"):
            return DEFAULT
    return DEFAULT
