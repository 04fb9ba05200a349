"""Validating input with marshmallow: field errors become `InvalidInput` (400), and the
characters no text field accepts.

RPC is an entrypoint like HTTP: the gateway validates request bodies, and each service validates
its RPC arguments again with the same schemas.

Example::

    data = load_input(PostCreateSchema, data)   # InvalidInput {"fields": {...}} when invalid

    class PostCreateSchema(Schema):
        title = fields.String(validate=[validate.Length(max=200), single_line])
        body = fields.String(validate=[validate.Length(max=20000), multi_line])
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from zoneinfo import available_timezones

from marshmallow import Schema, ValidationError, fields

from . import i18n
from .errors import InvalidInput

# Characters that change how a text is laid out or read rather than what it says. A single-line
# value (title, name, tag, category, note, reason, subject, address) goes into e-mail headers,
# log lines, page titles and lists: a line break there forges a header or a log entry (CR/LF in
# a title made every notification e-mail about it impossible to build), and a bidirectional
# override makes a name read as another one. Multi-line texts (bodies, bios) keep their line
# breaks and tabs, and the bidi marks, embeddings and isolates right-to-left writing uses — but
# not the two overrides (U+202D, U+202E), which only force characters into the other order: in a
# body they make an amount, a phone number or an address read reversed ("lecture inversée").
_C0_C1 = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"  # C0 and C1 controls, DEL, except \t \n \r
_LINE_BREAKS = "\t\n\r\u2028\u2029"  # with U+0085 (NEL), which is in C1
_BIDI_CONTROLS = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_BIDI_OVERRIDES = "\u202d\u202e"
NOT_IN_SINGLE_LINE = re.compile(f"[{_C0_C1}{_LINE_BREAKS}{_BIDI_CONTROLS}]")
NOT_IN_MULTI_LINE = re.compile(f"[{_C0_C1}{_BIDI_OVERRIDES}]")


class _RefusedCharacters:
    """A marshmallow validator refusing the characters `pattern` matches, naming the first;
    `json_pattern` says the same to OpenAPI readers (the gateway documents it)."""

    def __init__(self, pattern: re.Pattern[str], message_key: str):
        self.pattern, self.message_key = pattern, message_key
        refused = pattern.pattern[1:-1].encode("unicode_escape").decode("ascii")
        self.json_pattern = "^[^" + re.sub(r"\\x([0-9a-f]{2})", r"\\u00\1", refused) + "]*$"

    def __call__(self, value: str) -> str:
        found = self.pattern.search(value) if isinstance(value, str) else None
        if found is not None:
            # English, as every field message: the gateway answers in the reader's language
            raise ValidationError(i18n.text("en", self.message_key,
                                            code=f"{ord(found.group()):04X}",
                                            position=found.start() + 1))
        return value


single_line = _RefusedCharacters(NOT_IN_SINGLE_LINE, "field.control_character_single_line")
multi_line = _RefusedCharacters(NOT_IN_MULTI_LINE, "field.control_character_text")


# A lone UTF-16 surrogate (U+D800-U+DFFF) is half of a character: JSON may write one as an
# escape ("\\ud800") and Python decodes it, but no UTF-8 encoder takes it, so the text failed
# only when it reached the database (pymongo: a 502 on any free-text field), a page or an e-mail.
# Two escapes of a pair are decoded into their one character: what is left here is unpaired.
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


def has_lone_surrogate(text: str) -> bool:
    return _LONE_SURROGATE.search(text) is not None


def surrogate_errors(document: dict[str, Any] | list[Any]) -> dict[Any, Any]:
    """The field errors of every text of a decoded JSON document (nested objects and lists, and
    keys) holding a lone surrogate, in marshmallow's shape: field -> messages, a nested object
    for a nested one, list items by index, a key at its object's `_schema` (not echoed back).
    Empty when there is none.

    >>> surrogate_errors({"title": "ok", "tags": ["a", "\\ud800"], "to": {"\\udfff": 1}})
    ... # doctest: +NORMALIZE_WHITESPACE
    {'tags': {1: ['Invalid text: an unpaired UTF-16 surrogate.']},
     'to': {'_schema': ['Invalid text: an unpaired UTF-16 surrogate.']}}
    """
    errors: dict[Any, Any] = {}
    # English, as every field message: the gateway answers in the reader's language
    refused = i18n.text("en", "field.unpaired_surrogate")
    items = document.items() if isinstance(document, dict) else enumerate(document)
    for name, value in items:
        if isinstance(name, str) and has_lone_surrogate(name):
            errors["_schema"] = [refused]
        elif isinstance(value, str) and has_lone_surrogate(value):
            errors[name] = [refused]
        elif isinstance(value, dict | list) and (nested := surrogate_errors(value)):
            errors[name] = nested
    return errors


def time_zone(value: str) -> None:
    """A marshmallow validator: an IANA time zone name this machine knows.

    >>> time_zone("Europe/Paris")
    >>> time_zone("Mars/Olympus")
    Traceback (most recent call last):
    marshmallow.exceptions.ValidationError: unknown time zone (IANA name, e.g. Europe/Paris)
    """
    if value not in known_time_zones():  # not a file path to try: "localtime", 300 characters
        raise ValidationError("unknown time zone (IANA name, e.g. Europe/Paris)")


@lru_cache(maxsize=1)
def known_time_zones() -> frozenset[str]:
    """The IANA names this machine's tz database lists. `ZoneInfo(name)` alone opens any file
    under the zoneinfo directory: a 300-character name was an OSError (a 500), and `localtime`,
    `posixrules` or `Factory`, which are no time zones, were accepted."""
    return frozenset(name for name in available_timezones()
                     if name not in _NOT_TIME_ZONES and not name.startswith(("posix/", "right/")))


# Files of the tz database that are no zone a member lives in
_NOT_TIME_ZONES = frozenset({"localtime", "posixrules", "Factory"})


def as_single_line(text: str) -> str:
    """`text` with every character a single-line field refuses replaced by a space: for values
    stored before they were validated (an e-mail subject must never carry a line break).

    >>> as_single_line("Hello\\r\\nBcc: x")
    'Hello  Bcc: x'
    """
    return NOT_IN_SINGLE_LINE.sub(" ", text)


def load_input(schema: type[Schema], data: Any) -> dict[str, Any]:
    try:
        return schema().load(data if data is not None else {})
    except ValidationError as error:
        raise InvalidInput("invalid input", {"fields": error.normalized_messages()}) from None


class FilledString(fields.String):
    """A text a person writes (a post, a reply, a private message, a note), which spaces alone
    leave empty, so that its length rule refuses it: a note of "   " was published and sent to
    an idea's supporters, and posts, replies and messages of spaces were accepted. A text with
    words is kept as written (a line break where `single_line` refuses one stays refused, not
    quietly stripped)."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        return text if text.strip() else ""
