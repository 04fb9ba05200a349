"""Tags and category slugs: words a French community writes (`épargne`), and the ASCII slugs
URLs, filters and subscriptions use (`epargne`).

A tag is what a member typed, normalised (NFC, lower-cased, spaces to hyphens): letters of any
alphabet with their accents, digits, hyphens. Its *slug* folds accents away, so "Épargne",
"épargne" and "epargne" are one tag everywhere it is looked up (filter, follow, counts), while
posts keep the word as written. Categories are identified by a slug derived the same way from
their French name, unless the admin gives one.

A tag reads as it looks: a word whose letters all read as Latin ones is written in Latin letters
(a Cyrillic "е" in "еpargne" makes it "epargne", the same tag), and a word mixing a Cyrillic or
Greek letter of its own with Latin ones ("бank") is refused when written — a link or a filter
naming a tag stored before is read as its slug (`services/shared/look_alikes.py`). Slugs
read the same way, so a tag stored before this rule counts and is followed as the tag it looks like.

At most 4 digits in a tag: no account, card or phone number (9 digits and more) fits in one,
while years ("pel-2026") and product codes do. What keeps a number typed over several tags out of
sight is moderation, not this rule: the tags travel privately with the text and the detector
reads them joined (`services.moderation.detector.tags_text`; docs/architecture.md, "Tags are
reviewed with the text").

    >>> normalize_tag("  Épargne Logement ")
    'épargne-logement'
    >>> slugify("Épargne logement")
    'epargne-logement'
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from .look_alikes import mixed_words, read_as_latin

TAG_MAX = 40
CATEGORY_SLUG_MAX = 60
MAX_DIGITS = 4

_SEPARATORS = re.compile(r"[\s_]+")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")


class InvalidTag(ValueError):
    """Why a tag is refused (a sentence for the member)."""


def fold(text: str) -> str:
    """Lower-case, accents removed (é -> e, ç -> c, œ -> oe).

    >>> fold("Œuvre Échéance")
    'oeuvre echeance'
    """
    text = unicodedata.normalize("NFKD", text.replace("œ", "oe").replace("Œ", "oe")
                                 .replace("æ", "ae").replace("Æ", "ae").replace("ß", "ss"))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower()


# a community's tags and categories are few, and a post's events slugify them again and again
# (a replay of posts: each tag three times per post, folding it each time)
@lru_cache(maxsize=4096)
def slugify(text: str, max_length: int = CATEGORY_SLUG_MAX) -> str:
    """ASCII, lower-case, hyphen-separated; "" when nothing is left."""
    return _NOT_SLUG.sub("-", fold(read_as_latin(text))).strip("-")[:max_length].strip("-")


def normalize_tag(text: str, written: bool = True) -> str:
    """The tag as it is stored and shown; raises `InvalidTag` with the rule it breaks.
    `written` False: a tag looked up (a link, a filter), which may be one stored before the
    mixed-alphabet rule — read as its slug, never refused for it."""
    tag = read_as_latin(_SEPARATORS.sub("-", unicodedata.normalize("NFC", text).strip().lower()))
    if not tag:
        raise InvalidTag("a tag cannot be empty")
    if len(tag) > TAG_MAX:
        raise InvalidTag(f"a tag has at most {TAG_MAX} characters")
    if not all(ch.isalnum() or ch == "-" for ch in tag) or not tag[0].isalnum():
        raise InvalidTag("a tag is made of letters (accents welcome), digits and hyphens, "
                         "and starts with a letter or a digit")
    if written and mixed_words(tag):
        raise InvalidTag("a word of a tag mixes alphabets (for example Latin and Cyrillic "
                         "letters)")
    if sum(ch.isdigit() for ch in tag) > MAX_DIGITS:
        raise InvalidTag(f"a tag has at most {MAX_DIGITS} digits (no account, card or phone "
                         "number can be published before moderation)")
    if not slugify(tag, TAG_MAX):
        raise InvalidTag("a tag needs at least one letter or digit of the Latin alphabet")
    return tag


def tag_slug(tag: str) -> str:
    """The slug of a tag (accepts a raw or a normalised one).

    >>> tag_slug("Épargne Logement")
    'epargne-logement'
    """
    return slugify(normalize_tag(tag, written=False), TAG_MAX)


def category_slug(text: str) -> str:
    """A category as a client may name it ("Épargne", "epargne") -> its slug."""
    return slugify(unicodedata.normalize("NFC", text), CATEGORY_SLUG_MAX)
