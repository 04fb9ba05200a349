"""The display-name rule: a name a member picks must be visible, must not pass for a staff
member's, and must not sound like the bank's staff (attacker review F2: a member renamed
"Camille (сommunauté)" — a Cyrillic "с" — asked for a card number under the CM's name).

Run when a name is picked (registration, `PATCH /me`), never on names already held (they are
not rewritten: docs/runbook.md). Staff are who holds a role of `STAFF_ROLES`; the demo and the
tests register staff with a plain name, grant the role, then pick the staff name.

    >>> display_name_problems("Camille (сommunauté) ✔", staff_names=["Camille (communauté)"])
    ["this name is too close to a staff member's name: choose another"]
    >>> display_name_problems("Zoé N'Diaye"), display_name_problems("Équipe Agora", staff=True)
    ([], [])

Why a small table and not a package: the well-kept PyPI projects do not fit — confusable_homoglyphs
(3.3.1) answers "is this text mixed-script or dangerous", not "do these two texts look alike",
and `confusable` (UTS #39's skeleton) is an alpha pre-release. The skeleton below is UTS #39's
idea on what matters here (names compared with a handful of staff names): compatibility forms,
invisible characters and accents dropped, the Cyrillic and Greek letters that look Latin mapped
to it, punctuation, spaces and symbols ignored.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from services.shared import i18n
from services.shared.errors import InvalidInput
from services.shared.look_alikes import LATIN_OF_LOOK_ALIKES

MAX_MARKS_PER_LETTER = 2  # Vietnamese needs two ("ệ"); Zalgo text stacks dozens

# Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt): drawn as nothing, so a
# name of them only, or a staff name with some inside, looks blank or like the staff name.
_IGNORABLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0000-\U000e0fff"
    "\u2800]")  # + the blank Braille pattern: not ignorable, but drawn as a blank

# Then, once lower-cased, in skeletons: what reads as another Latin letter in a name
# (sans-serif fonts draw "I", "l" and "|" alike, so all are "i" here; "0" is "o").
_READ_ALIKE = str.maketrans({"l": "i", "1": "i", "0": "o"})
_DIGITS_READ = str.maketrans({"1": "i", "0": "o"})  # "Adm1n", "Ag0ra": for reserved words

# Words only the bank's staff may have in their name, in French and English, as they read once
# folded (accents and case dropped, look-alikes mapped): whole words, or word starts where "*".
RESERVED_WORDS = ("admin*", "agora", "advisor", "adviser", "bank", "banque", "community manager",
                  "conseiller", "conseillere", "conseillers", "conseilleres", "equipe",
                  "moderat*", "officiel", "officielle", "official", "staff", "support")
_RESERVED = re.compile(r"\b(?:" + "|".join(
    re.escape(word[:-1]) + r"\w*" if word.endswith("*") else re.escape(word).replace(r"\ ", " ?")
    for word in RESERVED_WORDS) + r")\b")

# the English field messages (the catalogue's `field.display_name_*`, read back into French)
BLANK = "a name needs visible letters or digits (invisible or blank characters do not count)"
MARKS = "at most 2 accents or marks on one letter"
STAFF_NAME = "this name is too close to a staff member's name: choose another"
RESERVED = "“{word}” is kept for the bank's staff: choose another name"


def visible(name: str) -> str:
    """`name` without what is drawn as nothing (NFKC first: compatibility fillers fold)."""
    return _IGNORABLE.sub("", unicodedata.normalize("NFKC", name or ""))


def _unmarked(name: str) -> str:
    decomposed = unicodedata.normalize("NFD", visible(name))
    return "".join(ch for ch in decomposed if not unicodedata.category(ch).startswith("M"))


def _folded_words(name: str) -> str:
    """The name's words as the reserved words are written: look-alikes mapped, accents and
    case dropped, a capital inside a word starting a new one ("AgoraAdmin"), the rest spaces."""
    text = _unmarked(name).translate(LATIN_OF_LOOK_ALIKES)
    text = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text).casefold().replace("|", "l")
    return " ".join("".join(ch if ch.isalnum() else " " for ch in text).split())


def skeleton(name: str) -> str:
    """What a name looks like, for comparing two: equal skeletons read alike.

    >>> skeleton("Camille (сommunauté) ✔") == skeleton("camille communaute")
    True
    """
    text = "".join(ch for ch in _folded_words(name) if ch.isalnum())
    return text.translate(_READ_ALIKE).replace("rn", "m")


def _too_many_marks(name: str) -> bool:
    run = 0
    for ch in unicodedata.normalize("NFD", visible(name)):  # "ệ" is e + 2 marks, "Ź" Z + 1
        run = run + 1 if unicodedata.category(ch).startswith("M") else 0
        if run > MAX_MARKS_PER_LETTER:
            return True
    return False


def display_name_problems(name: str, staff: bool = False, staff_names: Iterable[str] = ()
                          ) -> list[str]:
    """Why `name` may not be picked (English field messages), [] when it may. `staff`: the one
    picking it holds a staff role; `staff_names`: the names of the *other* current staff."""
    if not any(ch.isalnum() for ch in visible(name)):
        return [BLANK]
    if _too_many_marks(name):
        return [MARKS]
    mine = skeleton(name)
    if any(skeleton(other) == mine for other in staff_names):
        return [STAFF_NAME]
    reserved = None if staff else _RESERVED.search(_folded_words(name).translate(_DIGITS_READ))
    return [RESERVED.format(word=reserved.group(0))] if reserved else []


def check_display_name(name: str, staff: bool = False, staff_names: Iterable[str] = ()) -> None:
    """Raise InvalidInput (400, a `display_name` field error) when `name` may not be picked:
    in English (`fields`) and in every language (`fields_i18n`: the problem's `errors_i18n`,
    which the site's forms show instead of their generic "2 to 60 characters")."""
    problems = display_name_problems(name, staff, staff_names)
    if problems:
        raise InvalidInput("invalid display name", {
            "fields": {"display_name": problems},
            "fields_i18n": {language: {"display_name": [i18n.field_text(language, problem)
                                                        for problem in problems]}
                            for language in i18n.LANGUAGES}})
