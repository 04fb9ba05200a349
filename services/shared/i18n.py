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
import string
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


def reject_reason(language: str | None, code: str | None, written: str | None = None) -> str:
    """A refusal's reason in the reader's language, from its code (`reject_reason.*`: the
    author's notice, the site's pages and the API's `reason_label` say it alike); what the
    CM's service wrote (English) only for a code this catalogue does not know."""
    key = f"reject_reason.{code}"
    if code and has(key):
        return text(language, key)
    return written or text(language, "reject_reason.other")


def in_sentence(label: str) -> str:
    """A catalogue label ("Spam ou publicité") continuing a sentence after a colon: French
    writes it lower-case there (English too reads well so); a leading acronym ("IBAN …",
    "PEL") keeps its capitals."""
    if len(label) > 1 and label[0].isupper() and label[1].islower():
        return label[0].lower() + label[1:]
    return label


def error_text(language: str | None, key: str, params: dict[str, Any] | None = None,
               terms: dict[str, str | list[str]] | None = None) -> str:
    """The message of error `key` (section `error`) in `language`: `params` as given, `terms`
    replaced by their catalogue text in that language (`{"thing": "noun.reply"}`; a list of
    keys is read as alternatives, "A, B or C").

        >>> error_text("fr", "no_such_target", terms={"thing": "noun.reply"})
        'réponse introuvable'
        >>> error_text("en", "route_for_roles", terms={"roles": ["audience.admin",
        ...                                                     "audience.service"]})
        'this route is for admins or bank systems only'
    """
    words = {name: _words(language, term) for name, term in (terms or {}).items()}
    return text(language, f"error.{key}", **{**(params or {}), **words})


def _words(language: str | None, term: str | list[str]) -> str:
    if isinstance(term, str):
        return text(language, term)
    *rest, last = [text(language, key) for key in term]
    return text(language, "either", rest=", ".join(rest), last=last) if rest else last


def has(key: str) -> bool:
    return key in catalogue(DEFAULT)


# -- messages written in English by code we do not own (marshmallow) or by services ------------

# The sections whose English texts are read back into keys: per-field messages (marshmallow's own
# and the project's validators, section `field`) and error messages (section `error`).
_READ_BACK = ("field.", "error.")


@functools.cache
def _templates(language: str) -> list[tuple[re.Pattern[str], str]]:
    """(regex of a template of `language`, its key), the most literal text first: "Must be
    greater than or equal to {min}." is tried before "Must be greater than {min}.", which would
    read "or equal to 1" as its `min`."""
    found = []
    for key, template in catalogue(language).items():
        if not key.startswith(_READ_BACK):
            continue
        parts = list(string.Formatter().parse(template))
        if any(spec or conversion for _, _, spec, conversion in parts):
            continue  # "{outbox!r}" would read back quoted, then be quoted again
        pattern, literal, seen = [], 0, set()
        for text_part, name, _, _ in parts:
            pattern.append(re.escape(text_part))
            literal += len(text_part)
            if name:
                pattern.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
                seen.add(name)
        found.append((literal, re.compile("".join(pattern), re.DOTALL), key))
    found.sort(key=lambda entry: -entry[0])
    return [(pattern, key) for _, pattern, key in found]


def _read_back(message: str) -> tuple[str, dict[str, str]] | None:
    """(key, parameters) of a message as the code writes it (English), or as it was already
    given to a reader (French: a page reading the API's answer back)."""
    for language in ("en", *(other for other in LANGUAGES if other != "en")):
        for pattern, key in _templates(language):
            match = pattern.fullmatch(message)
            if match:
                return key, match.groupdict()
    return None


def field_key(message: str) -> str | None:
    """The catalogue key of a field message, None when the catalogue has none.

        >>> field_key("Longer than maximum length 200.")
        'field.length_max'
    """
    found = _read_back(message)
    return found[0] if found else None


def field_text(language: str | None, message: str) -> str:
    """An English field message (marshmallow's, a validator's, a service's) in `language`, its
    parameters kept; a message the catalogue does not know stays as written (a value such as
    an unknown role name, or a newer service's text).

        >>> field_text("fr", "Missing data for required field.")
        'Champ obligatoire manquant.'
    """
    found = _read_back(message)
    if found is None:
        return message
    key, params = found
    return text(language, key, **params)


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


CLI_DEFAULT = "en"  # the operators' tools (logs, runbook, replay's figures) speak English


def cli_language() -> str:
    """The language of `agora`'s messages: AGORA_LANGUAGE, else the locale (LC_ALL, LANG),
    else English: a shell or pod without a French locale gets every message in one language."""
    for name in ("AGORA_LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = (os.environ.get(name) or "").split("_")[0].split(".")[0].lower()
        if value in LANGUAGES:
            return value
        if value and value not in ("c", "posix"):
            return CLI_DEFAULT
    return CLI_DEFAULT
