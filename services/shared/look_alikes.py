"""Letters of other alphabets drawn like Latin ones, and the scripts a text's letters belong to:
what makes two texts read alike while they compare different (a Cyrillic "е" in "еpargne").

One table for every place that compares what people read: display names
(`services.identity.names`), tags and category slugs (`services.shared.slugs`), e-mail domains
(`services.identity.domain`).

    >>> read_as_latin("еpargne-logement")   # a Cyrillic "е"
    'epargne-logement'
    >>> read_as_latin("сбережения")          # Russian: "б", "ж", "и", "я" read as nothing Latin
    'сбережения'
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# confusables.txt's common ones: Cyrillic and Greek letters a reader takes for Latin ones
LOOK_ALIKE_LETTERS = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d",
    "ԛ": "q", "ԝ": "w", "ӏ": "l", "һ": "h", "ь": "b",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
    "Т": "T", "У": "Y", "Х": "X", "Ѕ": "S", "І": "I", "Ј": "J", "Ӏ": "I",
    # Greek
    "α": "a", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u",
    "χ": "x", "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M",
    "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
    "ı": "i",
}
LATIN_OF_LOOK_ALIKES = str.maketrans(LOOK_ALIKE_LETTERS)

# scripts written together in one word (Japanese mixes these); any other mix is a look-alike
_ONE_SCRIPT = {"HIRAGANA": "CJK", "KATAKANA": "CJK", "KATAKANA-HIRAGANA": "CJK", "CJK": "CJK",
               "HANGUL": "CJK"}
# the alphabets whose letters pass for Latin ones (LOOK_ALIKE_LETTERS): a word mixing one of
# them with Latin letters is the look-alike a tag must not be
PASSING_FOR_LATIN = frozenset({"CYRILLIC", "GREEK"})
# letters of no alphabet of their own: modifier letters (Lm: "ʼ" of "aujourdʼhui", "ー" of
# "ラーメン") and the micro sign (a unit on French keyboards, not a Greek letter)
_NEUTRAL = frozenset({"\u00b5"})
_WORD = re.compile(r"[^\W_]+")


@lru_cache(maxsize=4096)
def script_of(letter: str) -> str:
    """A letter's script, from its Unicode name (`LATIN SMALL LETTER A` -> LATIN), read through
    its compatibility form: "º" of "nº" is an "o", "ℓ" an "l" (their own names name no
    script: MASCULINE ORDINAL INDICATOR, SCRIPT SMALL L)."""
    plain = unicodedata.normalize("NFKC", letter)[:1] or letter
    script = unicodedata.name(plain, "UNKNOWN").split(" ")[0]
    return _ONE_SCRIPT.get(script, script)


def _letters(text: str) -> list[str]:
    return [char for char in text if char.isalpha() and char not in _NEUTRAL
            and unicodedata.category(char) != "Lm"]


def scripts(text: str) -> set[str]:
    """The scripts of `text`'s letters; digits, hyphens, marks and modifier letters belong to
    none."""
    return {script_of(char) for char in _letters(text)}


def _reads_as_latin(word: str) -> bool:
    return all(char in LOOK_ALIKE_LETTERS or script_of(char) == "LATIN"
               for char in _letters(word))


@lru_cache(maxsize=4096)  # tags are few and slugified again on every event that names them
def read_as_latin(text: str) -> str:
    """`text` with each word whose every letter reads as Latin written in Latin letters; a word
    with a letter of its own alphabet ("б", "ж") stays as it is."""
    return _WORD.sub(lambda word: word.group(0).translate(LATIN_OF_LOOK_ALIKES)
                     if _reads_as_latin(word.group(0)) else word.group(0), text)


def mixed_words(text: str) -> list[str]:
    """The words of `text` mixing Latin letters with an alphabet that passes for Latin ("бank");
    other mixes ("Tシャツ") are how some languages write, not a look-alike."""
    return [word for word in _WORD.findall(text)
            if "LATIN" in (found := scripts(word)) and found & PASSING_FOR_LATIN]
