"""Keyword search without `$text`: a normalised token array per post, indexed (multikey).

A post's `tokens` are the distinct words of its published title, body and tags, lower-cased with
accents folded ("Prêt immobilier" -> ["pret", "immobilier"]); a query matches the posts holding
all of its tokens (`$all`), newest first. Works the same on MongoDB and on the test stand-in,
which has no text index.

>>> tokens("Prêt immobilier : taux à 3,5 % ?")
['pret', 'immobilier', 'taux', '3', '5']
"""
from __future__ import annotations

import re
import unicodedata

MAX_TOKENS = 1000  # per post; a very long body is still found by its first thousand words
MAX_QUERY_TOKENS = 8
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset({"a", "l", "d", "s", "n", "j", "c", "m", "t", "y", "qu"})


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def tokens(*texts: str) -> list[str]:
    """Distinct normalised words in order of first appearance (at most MAX_TOKENS)."""
    seen: dict[str, None] = {}
    for text in texts:
        for word in _WORD.findall(fold(text or "")):
            if word not in _STOP and word not in seen:
                seen[word] = None
                if len(seen) >= MAX_TOKENS:
                    return list(seen)
    return list(seen)


def query_tokens(query: str) -> list[str]:
    return tokens(query)[:MAX_QUERY_TOKENS]
