"""The password policy: a length floor, then the zxcvbn strength estimator (pinned package, MIT)
with its own frequency lists (30,000 breached passwords, English words, names, keyboard
patterns) plus French words, names and password bases shipped in `password_lists/` (see
dev/build_password_lists.py for their sources and licences), and the member's own e-mail and
name as context. Everything is loaded from disk at import: nothing is downloaded at run time.

Refusals come with the estimator's feedback in English and in French::

    problems = password_problems("liverpool123", "ada@example.org", "Ada")
    [p.en for p in problems]  # ['this password is too easy to guess', 'This is a very ...']
    [p.fr for p in problems]  # ['ce mot de passe est trop facile à deviner', ...]

Why zxcvbn rather than a list: a list only refuses what it contains ("liverpool123" passed a
hundred-entry list); the estimator counts the guesses an attacker needs for the password built
from common pieces (words, names, years, keyboard rows, l33t, repeats), which is what ASVS
6.2.4/6.2.12 ask for. Score 3 (about 10^8 guesses and more) is required.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from zxcvbn import feedback, matching, scoring, time_estimates

from services.shared.errors import InvalidInput

MIN_LENGTH = 12
MAX_LENGTH = 1024
MIN_SCORE = 3           # zxcvbn: 0 too guessable ... 4 very unguessable
ESTIMATED_PREFIX = 72   # zxcvbn's own limit; a longer password is judged by its first 72
PASSPHRASE_WORDS = 4
PASSPHRASE_WORD_LENGTH = 3
LISTS = Path(__file__).with_name("password_lists")
FRENCH_LISTS = ("fr_common_passwords", "fr_names", "fr_words")


@dataclass(frozen=True)
class Problem:
    en: str
    fr: str


TOO_GUESSABLE = Problem("this password is too easy to guess",
                        "ce mot de passe est trop facile à deviner")
PERSONAL = Problem("do not use your e-mail address or your name in your password",
                   "n'utilisez ni votre adresse e-mail ni votre nom dans votre mot de passe")

# zxcvbn's feedback (English only in the package) and its French translation.
FEEDBACK_FR = {
    "Use a few words, avoid common phrases.":
        "Utilisez quelques mots, évitez les expressions courantes.",
    "No need for symbols, digits, or uppercase letters.":
        "Pas besoin de symboles, de chiffres ni de majuscules.",
    "Add another word or two. Uncommon words are better.":
        "Ajoutez un ou deux mots. Les mots peu courants sont préférables.",
    "Straight rows of keys are easy to guess.":
        "Les rangées de touches du clavier sont faciles à deviner.",
    "Short keyboard patterns are easy to guess.":
        "Les motifs courts sur le clavier sont faciles à deviner.",
    "Use a longer keyboard pattern with more turns.":
        "Utilisez un motif de clavier plus long, avec plus de changements de direction.",
    'Repeats like "aaa" are easy to guess.':
        "Les répétitions comme « aaa » sont faciles à deviner.",
    'Repeats like "abcabcabc" are only slightly harder to guess than "abc".':
        "Les répétitions comme « abcabcabc » sont à peine plus difficiles à deviner que "
        "« abc ».",
    "Avoid repeated words and characters.": "Évitez les mots et caractères répétés.",
    'Sequences like "abc" or "6543" are easy to guess.':
        "Les suites comme « abc » ou « 6543 » sont faciles à deviner.",
    "Avoid sequences.": "Évitez les suites.",
    "Recent years are easy to guess.": "Les années récentes sont faciles à deviner.",
    "Avoid recent years.": "Évitez les années récentes.",
    "Avoid years that are associated with you.": "Évitez les années qui vous sont associées.",
    "Dates are often easy to guess.": "Les dates sont souvent faciles à deviner.",
    "Avoid dates and years that are associated with you.":
        "Évitez les dates et les années qui vous sont associées.",
    "This is a top-10 common password.": "C'est l'un des 10 mots de passe les plus courants.",
    "This is a top-100 common password.": "C'est l'un des 100 mots de passe les plus courants.",
    "This is a very common password.": "C'est un mot de passe très courant.",
    "This is similar to a commonly used password.":
        "Il ressemble à un mot de passe très utilisé.",
    "A word by itself is easy to guess.": "Un mot seul est facile à deviner.",
    "Names and surnames by themselves are easy to guess.":
        "Les prénoms et les noms seuls sont faciles à deviner.",
    "Common names and surnames are easy to guess.":
        "Les prénoms et noms courants sont faciles à deviner.",
    "Capitalization doesn't help very much.": "Les majuscules n'aident pas beaucoup.",
    "All-uppercase is almost as easy to guess as all-lowercase.":
        "Tout en majuscules est presque aussi facile à deviner que tout en minuscules.",
    "Reversed words aren't much harder to guess.":
        "Les mots écrits à l'envers ne sont guère plus difficiles à deviner.",
    "Predictable substitutions like '@' instead of 'a' don't help very much.":
        "Les substitutions prévisibles comme « @ » au lieu de « a » n'aident pas beaucoup.",
}


@lru_cache(maxsize=1)
def load_french_lists() -> tuple[str, ...]:
    """Add the French lists to zxcvbn's ranked dictionaries (once per process)."""
    loaded = {}
    for name in FRENCH_LISTS:
        words = [line.strip().lower() for line in
                 (LISTS / f"{name}.txt").read_text(encoding="utf-8").splitlines()
                 if line.strip() and not line.startswith("#")]
        loaded[name] = words
    matching.add_frequency_lists(loaded)
    return tuple(loaded)


def estimate(password: str, user_inputs: list[str]) -> dict:
    """zxcvbn's estimate (score, sequence, feedback) with `user_inputs` in a dictionary of
    this call's own: `zxcvbn.zxcvbn()` stores them in the module's shared dictionaries, which
    two threads (the service runs this in eventlet's OS-thread pool) would overwrite."""
    load_french_lists()
    dictionaries = {**matching.RANKED_DICTIONARIES,
                    "user_inputs": matching.build_ranked_dict([i.lower() for i in user_inputs])}
    result = scoring.most_guessable_match_sequence(
        password, matching.omnimatch(password, dictionaries))
    result["score"] = time_estimates.guesses_to_score(result["guesses"])
    result["feedback"] = feedback.get_feedback(result["score"], result["sequence"])
    return result


def personal_inputs(email: str | None, display_name: str | None) -> list[str]:
    """The member's own words an attacker knows: the e-mail, its local part and the pieces of
    it, the name and its words."""
    inputs = []
    if email:
        local = email.lower().partition("@")[0]
        inputs += [email.lower(), local]
        inputs += [piece for piece in re.split(r"[._+\-]+", local) if len(piece) >= 3]
    if display_name:
        name = display_name.lower()
        inputs += [name, name.replace(" ", "")]
        inputs += [piece for piece in re.split(r"\W+", name) if len(piece) >= 3]
    return [item for item in dict.fromkeys(inputs) if item]


def is_passphrase(password: str) -> bool:
    words = [w for w in re.split(r"[\s\-_.,;:+/]+", password) if w]
    return len({w.lower() for w in words if len(w) >= PASSPHRASE_WORD_LENGTH}) >= \
        PASSPHRASE_WORDS


def _letters(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def password_problems(password: str, email: str | None = None,
                      display_name: str | None = None) -> list[Problem]:
    """Why `password` is refused, in English and French ([] when it is acceptable)."""
    if not isinstance(password, str) or not password:
        return [Problem("a password is required", "un mot de passe est obligatoire")]
    if len(password) > MAX_LENGTH:
        return [Problem(f"at most {MAX_LENGTH} characters", f"{MAX_LENGTH} caractères au plus")]
    problems = []
    if len(password) < MIN_LENGTH and not is_passphrase(password):
        problems.append(Problem(
            f"use at least {MIN_LENGTH} characters, or a passphrase of {PASSPHRASE_WORDS} "
            "words or more",
            f"utilisez au moins {MIN_LENGTH} caractères, ou une phrase de passe d'au moins "
            f"{PASSPHRASE_WORDS} mots"))
    inputs = personal_inputs(email, display_name)
    context = ["agora", (email or "").lower().partition("@")[2].split(".")[0]]
    result = estimate(password[:ESTIMATED_PREFIX], [*inputs, *context])
    own = {item for item in inputs if len(item) >= 4}
    personal = _letters(password) in {_letters(item) for item in own} or any(
        match.get("dictionary_name") == "user_inputs" and match["matched_word"] in own
        for match in result["sequence"])
    if result["score"] < MIN_SCORE or personal:
        problems.append(TOO_GUESSABLE)
        if personal:
            problems.append(PERSONAL)
        feedback = result["feedback"]
        for text in [feedback.get("warning"), *feedback.get("suggestions", [])]:
            if text:
                problems.append(Problem(text, FEEDBACK_FR.get(text, text)))
    return problems


# -- the policy as identity's rules use it -----------------------------------------------------

def password_problems_en(password: str, email: str | None = None,
                      display_name: str | None = None) -> list[str]:
    """Why `password` is refused, in English ([] when it is acceptable)."""
    return [problem.en for problem in password_problems(password, email,
                                                                   display_name)]


def check_password(password: str, email: str | None = None, display_name: str | None = None,
                   field_name: str = "password") -> None:
    """Raise InvalidInput (400) with the estimator's feedback as the field's errors (English)
    and `fields_i18n` (English and French: the problem's `errors_i18n`)."""
    problems = password_problems(password, email, display_name)
    if problems:
        raise InvalidInput("the password is too weak; see the field errors", {
            "fields": {field_name: [problem.en for problem in problems]},
            "fields_i18n": {"en": {field_name: [problem.en for problem in problems]},
                            "fr": {field_name: [problem.fr for problem in problems]}}})
