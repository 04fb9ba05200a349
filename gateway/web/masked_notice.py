"""The notice shown to the author of a private message the conversations service stored masked
(its answer's `masked`: detector kinds), naming what it masked: « nous avons masqué le numéro
de carte et le mot de passe de votre message. »

The detector's kinds are grouped into the three things a reader knows: the card number (its
security code is only ever masked beside one, services/shared/card_masking.py: it is the
card's data, named with it), the PIN code, the password. Without JavaScript the send's
redirect carries the groups (`?masked=card,password`), read back against the fixed list (an
unknown value is dropped, never shown); `?masked=1` from before, or no known group: the generic
text. With JavaScript (static/js/masked_notice.js) the page holds every text, composed here in
the reader's language, and the script picks the one for the answer's kinds: one wording, made
in one place.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import combinations
from typing import Any

from marshmallow import fields

from services.shared.card_masking import CARD_NUMBER, CARD_SECURITY_CODE, PIN_CODE
from services.shared.card_masking import PASSWORD as PASSWORD_KIND  # PASSWORD: the group below

from .typography import glue_punctuation

CARD, CODE, PASSWORD = "card", "code", "password"
#: What a notice names, in the order it names them.
GROUPS = (CARD, CODE, PASSWORD)
#: The service's masked kinds (card_masking.MASKED_KINDS), as a reader knows them.
KIND_GROUPS = {CARD_NUMBER: CARD, CARD_SECURITY_CODE: CARD, PIN_CODE: CODE,
               PASSWORD_KIND: PASSWORD}
#: The query's separator between groups (`?masked=card,password`).
SEPARATOR = ","


def groups_of(kinds: Iterable[str] | None) -> list[str]:
    """The groups of the service's `masked` kinds, each once, in `GROUPS` order; an unknown
    kind is none.

    >>> groups_of(["card_number", "card_security_code", "password"])
    ['card', 'password']
    >>> groups_of(["pin_code", "iban"])
    ['code']
    """
    found = {KIND_GROUPS.get(kind) for kind in kinds or ()}
    return [group for group in GROUPS if group in found]


def masked_query(kinds: Iterable[str] | None) -> str:
    """The redirect's query after a send without JavaScript: `?masked=<groups>`, or "" when
    nothing was masked.

    >>> masked_query(["card_number", "pin_code"])
    '?masked=card,code'
    >>> masked_query([])
    ''
    """
    groups = groups_of(kinds)
    return f"?masked={SEPARATOR.join(groups)}" if groups else ""


def query_groups(value: str | None) -> list[str] | None:
    """The groups a page's `masked` query names, against the fixed list: None when there is no
    notice (absent, or a false value as the former boolean read it), else the known groups
    ([]: the generic text, as for `?masked=1`).

    >>> query_groups("password,card,evil")
    ['card', 'password']
    >>> query_groups("1"), query_groups("0"), query_groups(None)
    ([], None, None)
    """
    if not value or value.strip().lower() in fields.Boolean.falsy:
        return None
    named = set(value.split(SEPARATOR))
    return [group for group in GROUPS if group in named]


def notice_text(t: Callable[..., str], groups: list[str]) -> str:
    """The notice in the reader's language (`t`), naming `groups` (none: the generic text)."""
    if not groups:
        return glue_punctuation(t("messages.card_masked"))
    things = [t(f"messages.masked_{group}") for group in groups]
    what = things[0] if len(things) == 1 else t(
        "messages.masked_and", first=", ".join(things[:-1]), last=things[-1])
    return glue_punctuation(t("messages.card_masked_named", what=what))


def notice_view(t: Callable[..., str], query_value: str | None) -> dict[str, Any]:
    """What a conversation's page renders for its notice: `shown` after a send that masked
    something (the redirect's `query_value`), its `text`, and for the script every text by
    its groups ("card,password"; "": the generic one) with the kinds' groups."""
    groups = query_groups(query_value)
    texts = {SEPARATOR.join(chosen): notice_text(t, list(chosen))
             for size in range(len(GROUPS) + 1) for chosen in combinations(GROUPS, size)}
    return {"shown": groups is not None, "text": notice_text(t, groups or []),
            "script": {"groups": list(GROUPS), "kinds": KIND_GROUPS, "texts": texts}}
