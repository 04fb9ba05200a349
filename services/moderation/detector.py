"""Confidential-data detector: finds bank and personal identifiers in free text and masks them.

A contribution in which this module finds anything is held for the community managers even when
pre-moderation is off, and :func:`mask` proposes the redacted version (PRODUCT.md, "Moderation").
Pure Python, no I/O, stdlib ``re`` only, so the domain layer and the tests can call it directly —
and so can other services' domain code for texts published without moderation (profiles, idea
status notes): :func:`refuse_confidential` turns findings into field errors. One detector.

Kinds, strongest first (the order decides which of two overlapping candidates is kept):

``iban``            country code + 2 check digits + BBAN; ISO 13616 mod-97 and the SWIFT registry
                    length of the country must both hold — or, a typo, the registry length holds
                    and the IBAN is printed as IBANs are ("FR76 3000 6000 ...": groups of four,
                    one separator, the same throughout) while mod-97 fails.
``rib``             French RIB: bank (5) + branch (5) + account (11 alphanumerics) + key (2);
                    the key must match ``97 - (89*bank + 15*branch + 3*account) mod 97`` — or, a
                    typo, the RIB is printed in its four parts and its account holds six digits.
``card_number``     13-19 digits, compact or in the usual groups (4-4-4-4[-3], Amex 4-6-5, 4-6-4),
                    Luhn-valid, with an issuer prefix and a length that issuer uses.
``email``           an e-mail address.
``account_number``  an 11-character account / client number written next to a word that says so
                    ("compte", "numéro client", "account number", "identifiant", ...).
``phone``           French numbers (0X XX XX XX XX, +33 / 0033 forms) and E.164 (+ and 8-15 digits).
``customer_number`` a client, contract or account number of 6 to 20 letters or digits (four digits
                    at least) right after the words that name one ("numéro client", "n° de
                    contrat", "identifiant client", "account number", "customer number", ...).
``card_expiry``     a card's expiry, MM/AA or MM/AAAA: after a word that says so ("date
                    d'expiration", "exp", "expiry", "valid thru"; the vaguer "expire", "valable
                    jusqu'au", "valid until" only in a text with a card number or security code), or
                    written right after a card number ("4970 ... 7893 09/28").
``card_security_code``  3 or 4 digits after "cryptogramme", "CVV", "CVC", "code de sécurité",
                    "security code", "code au dos" ("crypto" only in a text with a card number: it
                    is also a currency), or right after a card's expiry ("7893 09/28 123").
``pin_code``        4 to 6 digits right after "code PIN", "code secret", "code confidentiel",
                    "code personnel", "PIN (code|number)", "passcode", "secret code" (a colon,
                    "=", "est", "is" or a space between), or after "mon code", "le code", "my
                    code", "the code" with a colon, "=", "est", "c’est" or "is" ("code postal
                    75001", "le code promo est 2024", "code de la porte 1234", "PIN oublié" are
                    none); not before a currency or "%" ("le code est 1234 euros": an amount).
``password``        the run of non-space characters after "mot de passe", "mdp", "password",
                    "passwd", "pwd", "passcode" and a colon, "=", "est" or "is", when it looks like
                    one: 4 to 128 characters with a digit or a symbol, the apostrophe, hyphen, dot
                    and slash that join words set aside ("mot de passe oublié", "mon mot de passe
                    est bloqué", "c’est quoi", "mise-à-jour", "oublié/bloqué", "abc.def", "(voir",
                    "iPhone" are none), and no link ("https://…", "www.…", "banque.fr/…"). Letters
                    only are never one: "mdp : Azerty" is missed so that "Mot de passe : Urgent"
                    is never masked (precision first). A passcode of 4 to 6 digits is a
                    ``pin_code``. Masked whole, with a fixed number of mask characters, without
                    the sentence's punctuation around it ("Azerty12)." keeps its ")."; a glued "!"
                    or "?" is masked with it: passwords often end so).

A card's last digits, its expiry and its security code together are enough to pay online: in a
text where an expiry or a security code is found, a card number is masked whole, not to its last 4.

The three checksummed kinds win over the others on overlap: a checksum is stronger evidence than a
context word or a format. An IBAN or RIB typo is reported as an IBAN or a RIB, not as a kind of its
own: a number one digit away from the member's is theirs all the same (the right one is a guess
away), and it calls for the same hold and the same mask; it ranks just below a checksum that holds.

Decimal digits of other scripts (full-width ``０``-``９``, Arabic-Indic, Devanagari, ...) are read
as their ASCII digits, and an ideographic space between them as a space; the finding's span, and
its mask, cover the digits as written.

How it stays fast on long posts: one combined pattern pass finds the numeric candidates. Every
numeric kind starts with a digit that starts a run of digits (or with "+"), so that pass is a
character-class scan the regex engine does in C, stopping only at those characters and reporting
only the positions where the shape of at least one kind holds; each kind's own pattern and its
checksum then run at those positions only. The "token start" conditions are look-behinds placed
*after* the first character so they do not hide it from the scan. Every repetition is bounded or
possessive, so there is no catastrophic backtracking. E-mails are found from each ``@``
(``str.find``) outwards, and the context words of account numbers with ``str.find`` on the
lower-cased text; the numbers next to such a word are looked for only when six digits are near.

Separators accepted inside a number: space, no-break spaces (U+00A0, U+2007, U+202F), thin space,
dot, hyphen and the Unicode hyphens/en dash; one between two characters, never two in a row.

Numbers split by what a reader does not see as part of them are read in a *joined view*. A
joiner is a short run of separators between two parts of a number holding an invisible character
(zero-width space, non-joiner and joiner, word joiner, BOM, soft hyphen, LRM/RLM), a Markdown
marker (``*``, ``_``, ``~``, ``|``, the backtick) or a line break, tab or slash: the first two are
dropped, the last read as a space, the run collapsed to one separator (``**FR76** 3000``,
``| FR76 | 3000 |``, ``FR76/3000``, groups typed over two lines). A joiner follows a token of three
letters or digits (one for an invisible character) and has a digit on one side, so dates
(``12/03/2026``), fractions, phone pairs and line breaks or emphasis between words are no
joiners; a table's next row or a list's next item ends a number. A blank line joins only when the
next paragraph starts with a digit, and only an IBAN, a RIB or a card whose checksum holds. Texts
without a joiner cost one literal scan per joiner character they hold (``in`` first, at C speed).
With joiners, the numeric kinds and account numbers are scanned again in the view, around the
joiners only, and a finding of the view is kept only if it crosses a joiner (what it finds
elsewhere the plain scan finds alike); its offsets map back to the original text, so its span, and
the mask, cover the markers inside it. Both scans' findings are resolved together, without overlaps.

Known limits (detection is a safety net for honest mistakes, not a defence against evasion):
numbers split by joiners after groups of one or two characters, by two blank lines, spelled out in
words, or with letters standing for digits are not found; nor is an IBAN typo written compact or a
RIB typo written compact (23 characters that could be anything).

>>> [f.kind for f in detect("Mon IBAN : FR76 3000 6000 0112 3456 7890 189, merci !")]
['iban']
>>> mask("Mon IBAN : FR76 3000 6000 0112 3456 7890 189, merci !")
'Mon IBAN : FR76 •••• •••• •••• •••• •••0 189, merci !'
>>> mask("IBAN **FR76** 3000/6000/0112/3456/7890/189")
'IBAN **FR76** ••••/••••/••••/••••/•••0/189'
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import chain

from services.shared.errors import Unprocessable

__all__ = ["IBAN_LENGTHS", "KINDS", "KIND_LABELS", "MASK_CHAR", "PASSWORD", "PIN_CODE", "Finding",
           "confidential_fields", "detect", "kind_names", "mask", "mask_tags",
           "refuse_confidential", "summary", "tags_text"]

#: The one character used to hide a confidential character, everywhere.
MASK_CHAR = "•"

#: The secrets' kinds, spelt once: services/shared/card_masking.py and the gateway's notice import
#: them from here (this module imports neither).
PIN_CODE = "pin_code"
PASSWORD = "password"
#: Every ``Finding.kind``, strongest first.
KINDS: tuple[str, ...] = ("iban", "rib", "card_number", "email", "account_number", "phone",
                          "customer_number", "card_expiry", "card_security_code", PIN_CODE,
                          PASSWORD)

# An IBAN or a RIB whose checksum fails (a one-digit typo) is found under an internal kind, reported
# as the kind it is written as, and ranked just below it: a checksum that holds is stronger
# evidence. The joined view's blank lines join only numbers whose checksum holds (`_VALID_ONLY`).
_TYPOS = {"iban_typo": "iban", "rib_typo": "rib"}
_RANKED = ("iban", "iban_typo", "rib", "rib_typo", *KINDS[2:])
_PRIORITY = {kind: len(_RANKED) - rank for rank, kind in enumerate(_RANKED)}
_VALID_ONLY = ("iban", "rib", "card_number")

#: IBAN length per country: the SWIFT IBAN registry (ISO 13616), all 89 countries and territories
#: it lists. Territories that use their parent's code (French overseas departments use FR, Jersey
#: and Guernsey GB, ...) are covered by that code.
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28,
    "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28,
    "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22,
    "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23,
    "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24,
    "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Finding:
    """One piece of confidential data found in a text.

    ``start``/``end`` are offsets into the original text (``text[start:end]`` is the match);
    ``masked`` is what :func:`mask` puts in its place. The matched value itself is deliberately not
    stored, so a finding can be logged or put in an event without leaking what it points at.

    >>> detect("écrivez à jean.dupont@exemple.fr")[0]
    Finding(kind='email', start=10, end=32, masked='j•••@exemple.fr')
    """

    kind: str
    start: int
    end: int
    masked: str


# --- patterns -------------------------------------------------------------------------------------

# One separator between the characters of a number (see the module docstring).
_SEP_CHARS = " \u00a0\u2007\u2009\u202f.-\u2010\u2011\u2012\u2013"
_S = "[" + re.escape(_SEP_CHARS) + "]"

# Plausible IBAN start: the first check digit, preceded by two letters at a token start ("FR76",
# or "FR 76") and followed by the second check digit and at least the 11 BBAN characters of the
# shortest IBAN (Norway). The exact end is found in Python from the country's registered length.
# (The look-behinds are ordered cheapest-rejection first: most digits follow a digit or a space.)
#
# Each numeric kind is written as its first character plus the rest *as seen right after that
# character* (`_*_AFTER`, which starts with look-behinds over it), so that the same text serves
# both the kind's own pattern and the one combined pass, `_CANDIDATE_RE`, below.
_IBAN_AFTER = (
    rf"(?<=[A-Za-z][0-9]|{_S}[0-9])"
    rf"(?:(?<=[A-Za-z]{{2}}[0-9])(?<![^\W_][A-Za-z]{{2}}[0-9])"
    rf"|(?<=[A-Za-z]{{2}}{_S}[0-9])(?<![^\W_][A-Za-z]{{2}}{_S}[0-9]))"
    rf"(?=[0-9](?:{_S}?[A-Za-z0-9]){{11}})"
)
_IBAN_RE = re.compile("[0-9]" + _IBAN_AFTER)
# How IBANs are printed: country and check digits, then groups of four, one separator between,
# the same throughout. An IBAN written so is one even when its checksum fails (a typo).
_IBAN_PRINTED_RE = re.compile(
    rf"[A-Za-z]{{2}}[0-9]{{2}}(?P<sep>{_S})[0-9A-Za-z]{{4}}(?:(?P=sep)[0-9A-Za-z]{{4}})*+"
    r"(?:(?P=sep)[0-9A-Za-z]{1,4})?")

# Plausible card start: a digit starting a token (not after "+", that is a phone) and either 13+
# compact digits or a first group of 4 in one of the layouts card numbers are printed in.
_CARD_AFTER = (
    r"(?<![^\W_+][0-9])"
    rf"(?=[0-9]{{12}}|[0-9]{{3}}{_S}(?:[0-9]{{4}}{_S}[0-9]{{4}}{_S}[0-9]|[0-9]{{6}}{_S}[0-9]{{4}}))"
)
_CARD_RE = re.compile("[0-9]" + _CARD_AFTER)
_DIGITS_RE = re.compile(r"[0-9]{1,20}")

# French RIB, compact or with a separator between its four parts.
_RIB_AFTER = (
    rf"(?=(?P<rib_bank>[0-9]{{4}}){_S}?(?P<rib_branch>[0-9]{{5}}){_S}?"
    rf"(?P<rib_account>[0-9A-Za-z]{{11}}){_S}?(?P<rib_key>[0-9]{{2}})(?![^\W_]))"
    r"(?<![^\W_+][0-9])"
)
_RIB_RE = re.compile("[0-9]" + _RIB_AFTER)

# French phone numbers: 0X XX XX XX XX (one separator, used consistently, which keeps dates like
# 01.02.2024 out) or 0033 X XX XX XX XX; not when the digits before continue a longer number.
_PHONE_FR_AFTER = (
    rf"(?<![^\W_+]0)(?<![0-9]{_S}0)"
    rf"(?:033{_S}?(?:\(0\){_S}?)?)?"
    rf"[1-9](?P<fr_sep>{_S}?)[0-9]{{2}}(?:(?P=fr_sep)[0-9]{{2}}){{3}}"
    r"(?![^\W_])(?!(?P=fr_sep)[0-9]{2})"
)
_PHONE_FR_RE = re.compile("0" + _PHONE_FR_AFTER)

# International E.164: "+", 8 to 15 digits, separators, an optional "(0)" trunk prefix and a ")"
# closing "(+33)". Greedy but bounded, and never stopping inside a run of digits.
_PHONE_INTL_AFTER = (
    r"(?<![^\W_]\+)"
    rf"(?=(?P<intl>[1-9](?:\)?{_S}?(?:\(0\){_S}?)?[0-9]){{7,14}})(?![0-9]))"
)
_PHONE_INTL_RE = re.compile(r"\+" + _PHONE_INTL_AFTER)

# The one pass over the text for every numeric kind: each of them starts with a digit that starts
# a run of digits (or with "+"), so the engine's scan jumps between those characters and stops
# only where at least one kind's shape holds; the kind's own pattern and checksum then run there
# only. (A look-behind after the first character, not before it, keeps the fast scan.) Every
# numeric kind has at least 8 more letters or digits after its first digit, single separators
# allowed ("0033 (0)..." aside): that cheap test rejects dates, amounts and years first.
_CANDIDATE_RE = re.compile(
    r"[0-9+](?<![0-9][0-9])"
    rf"(?=(?<=[0-9])(?=(?<=0)033|(?:{_S}?[0-9A-Za-z]){{8}})"
    rf"(?:{_IBAN_AFTER}|{_CARD_AFTER}|{_RIB_AFTER}|(?<=0){_PHONE_FR_AFTER})"
    rf"|(?<=\+){_PHONE_INTL_AFTER})"
)

# A number directly followed by a currency or a percent sign is an amount, not a phone/account,
# nor a PIN ("le code est 1234 euros": a price).
_AMOUNT_AFTER_RE = re.compile(
    r"[ \u00a0\u202f]?(?:[€$£%]|[kK]€|(?i:eur(?:os?)?|usd|chf|gbp|dollars?)(?![^\W_]))")

# Words that make an 11-character token an account or client number. Covers "compte",
# "n° de compte", "numéro client", "account number", "client number", "identifiant", ...
# Written as "first letter, then the rest" so the engine's character-class scan can skip the text
# between candidates, which a leading look-behind or a case-insensitive alternation would prevent.
_ACCOUNT_WORD_RE = re.compile(
    r"[ACIaci](?<![^\W_].)"
    r"(?:(?<=[Cc])(?i:ompte|lient|ustomer)|(?<=[Aa])(?i:ccount|cct)|(?<=[Ii])(?i:dentifi(?:ant|er)))"
    r"(?i:s?)(?![^\W_])"
)
# What the context word starts with, lower-cased (each match is confirmed by the regex above),
# and "contra", which starts the nouns "contrat" and "contract" of `_CUSTOMER_NOUN_RE`.
_ACCOUNT_KEYWORDS = ("compte", "client", "customer", "account", "acct", "identifi", "contra")
_CASE_FOLDED_ELSEWHERE = "\u0130\u0131\u017f\u212a"  # İ ı ſ K: the regex folds them to i, s, k
# The token itself: 11 alphanumerics, or 11 digits written in groups.
_ACCOUNT_TOKEN_RE = re.compile(
    rf"(?<![^\W_])(?<![0-9]{_S})(?<!\+)"
    rf"(?:[0-9A-Za-z]{{11}}|[0-9](?:{_S}?[0-9]){{10}})"
    r"(?![^\W_])"
)
# A token holds six digits (below) with only letters, or one separator, between two of them: a
# window without such digits holds no token (dates, amounts and years near "client" are common).
_TOKEN_DIGITS_RE = re.compile(rf"[0-9](?:(?:[A-Za-z]*+|{_S})[0-9]){{5}}")
# How far from the context word the number may be ("n° de compte client : ", "est le ", ...).
_ACCOUNT_CONTEXT_CHARS = 48
_ACCOUNT_MAX_TOKEN = 21  # 11 digits with a separator between each

# A client, contract or account number of 6 to 20 letters or digits (at least four digits): right
# after the words that name one ("numéro client", "n° de contrat", "account number", ...), a colon
# or "est le" / "is" between; compact, or digits in groups of 2 to 6. Looked for only where one of
# `_ACCOUNT_KEYWORDS` occurs (`str.find` on the lower-cased text), then confirmed there: the French
# words before the noun ("numéro de compte"), the English ones after it ("account number").
_WORD = r"(?<![^\W_])"  # a word starts here
_WORD_START_RE = re.compile(_WORD)
_GAP = r"[ \u00a0\u202f]"
_CUSTOMER_FR_RE = re.compile(
    _WORD + r"(?:num[ée]ro|n[°º]|no\.?|identifiant|id)" + _GAP + r"?(?:d[eu] |d['’])?\Z")
_CUSTOMER_FR_BEFORE = 16  # the longest of those words, "identifiant de "
_CUSTOMER_NOUN_RE = re.compile(
    r"(?i:(?:account|customer|client|contract)" + _GAP + r"?(?:number|no\.?|n[°º]|id|#)"
    r"|(?P<fr>client|contrat|compte)(?: client| bancaire)?)"
    r"(?![^\W_])")
_CUSTOMER_TOKEN_RE = re.compile(
    _GAP + r"*+(?:[:=#]" + _GAP + r"*+|(?i:est|is)(?: le)?" + _GAP + r"++)?"
    r"(?P<token>[0-9]{2,6}(?:[ \u00a0][0-9]{2,6}){1,9}(?![^\W_])"
    r"|(?=(?:[A-Za-z]*+[0-9]){4})[0-9A-Za-z]{6,20}(?![^\W_]))")

# A card's expiry and security code (module docstring): the words that announce them. Each is
# looked for only where one of `_DETAIL_STEMS` occurs in the lower-cased text (`str.find`, C speed),
# then confirmed there; "strong" words are enough alone, the others need a card number or a code.
_DETAIL_STEMS = ("exp", "valid", "valable", "good thru", "fin de", "crypto", "cvv", "cvc", "code",
                 "security")
_EXPIRY_WORD_RE = re.compile(
    _WORD + r"(?i:date d['’]expiration|expiration|expiry|exp(?![^\W_])\.?"
    r"|valid(?:e|ity)? thru|fin de validit[ée])")
_EXPIRY_WORD_NEAR_CARD_RE = re.compile(
    _WORD + r"(?i:expire[sd]?|expir[ée]e?|valable jusqu|valid until|good thru|validit[ée])")
_CODE_WORD_RE = re.compile(
    _WORD + r"(?i:cryptogramme|cvv2?|cvc2?|code de s[ée]curit[ée]|security code"
    r"|code (?:au|du) dos|code on the back)(?![^\W_])")
_CODE_WORD_NEAR_CARD_RE = re.compile(_WORD + r"(?i:crypto)(?![^\W_])")
# How far after its word the value may be ("date d'expiration de ma carte : 09/28").
_DETAIL_CONTEXT_CHARS = 32
_EXPIRY_RE = re.compile(r"(?<![0-9/.,])(?:0?[1-9]|1[0-2])/(?:20)?[0-9]{2}(?![0-9/]|[.,][0-9])")
_CODE_RE = re.compile(r"(?<![0-9/.,])[0-9]{3,4}(?![0-9]|[.,/][0-9])")
# Between a card number and the expiry written right after it, and between that expiry and the
# code: spaces and light punctuation only ("7893, 09/28 - 123").
_DETAIL_GAP_RE = re.compile(r"[\s,;:\-–()]{1,6}")

# A PIN and a password (module docstring): one pattern reads the phrase that names them and the
# value after it, matched only where one of `_SECRET_STEMS` starts a word (`str.find` on the
# lower-cased text, C speed: a regex scan stopping at every c, m, p of a long text costs more than
# the benchmark's plain scan). The pattern starts at the stem; the words before it ("mon code",
# "mot de passe") are look-behinds. The strong PIN phrases take a bare space before the digits
# ("code PIN 4821"), "mon code" and the password words a colon, "=", "est" or "is" ("mot de passe
# oublié", "code postal 75001": none).
_SECRET_STEMS = ("code", "pin", "pass", "mdp", "pwd")
# The longest run read as a password, its sentence's punctuation included: password managers
# generate up to 100 (1Password) or 128 (Bitwarden) characters; a longer run is a key or a token.
_PASSWORD_MAX = 128
_SECRET_GAP = r"[ \u00a0\u202f]"
_SECRET_SAYS = (_SECRET_GAP + r"*+(?:[:=]" + _SECRET_GAP + r"*+|(?:est|is|c['’]est)(?: le)?"
                + r"(?:" + _SECRET_GAP + r"*+:)?" + _SECRET_GAP + r"++)")
_SECRET_OR_SPACE = r"(?:" + _SECRET_SAYS + "|" + _SECRET_GAP + r"++)"
_SECRET_PHRASE = (
    _WORD + r"(?:"
    r"(?:code" + _SECRET_GAP + r"(?:pin|secret|confidentiel|personnel)(?:" + _SECRET_GAP
    + r"d[eu]" + _SECRET_GAP + r"(?:(?:ma|la|votre)" + _SECRET_GAP + r")?carte)?"
    r"|(?<=\bsecret" + _SECRET_GAP + r")code"
    r"|pin(?:" + _SECRET_GAP + r"?code|" + _SECRET_GAP + r"number)?|passcode)"
    + _SECRET_OR_SPACE + r"(?P<pin>[0-9]{4,6})"
    r"|(?:(?<=\bmon" + _SECRET_GAP + r")|(?<=\bmy" + _SECRET_GAP + r")|(?<=\ble" + _SECRET_GAP
    + r")|(?<=\bthe" + _SECRET_GAP + r"))code" + _SECRET_SAYS
    + r"(?P<weak>[0-9]{4,6})"
    r"|(?:(?<=\bmot" + _SECRET_GAP + r"de" + _SECRET_GAP + r")passe|(?<=\bmot-de-)passe"
    r"|mdp|pass(?:word|wd|code)|pwd)" + _SECRET_SAYS
    + r"(?P<password>\S{4," + str(_PASSWORD_MAX) + r"}+)"
    r")(?![^\W_]|[.,/-][0-9])"
)
_SECRET_RE = re.compile(_SECRET_PHRASE)
_SECRET_ANY_CASE_RE = re.compile(_SECRET_PHRASE, re.IGNORECASE)  # when lower() changes lengths
# Around a password, the sentence's punctuation: set aside before judging the value
# (`_SECRET_TRAILING`: "est incorrect !" is words) and left out of the masked span, except a glued
# "!" or "?" (`_SECRET_CLOSING`), which is as likely the password's own last character.
_SECRET_OPENING = "([«\"'‘“"
_SECRET_TRAILING = ".,;:!?…)]»\"'’”"
_SECRET_CLOSING = ".,;:…)]»\"'’”"
# What joins the letters of one word ("c’est", "aujourd'hui", "mise-à-jour", "e-mail"): no symbol.
_SECRET_JOINERS = frozenset("’'-\u2010\u2011\u02bc")
# Nor are a dot and a slash signs: they join words too ("oublié/bloqué", "abc.def", "bloqué.").
_SECRET_NO_SIGNS = _SECRET_JOINERS | frozenset("./")
# A link is no password: a scheme ("https://", "ftp://"), "www." or a host name and its path
# ("banque.fr/aide", "espace-client.banque.fr/reset?id=12").
_SECRET_LINK_RE = re.compile(r"[a-z][a-z0-9+.-]*://|www\.|(?:[a-z0-9-]+\.)+[a-z]{2,}/",
                             re.ASCII | re.IGNORECASE)

_EMAIL_LOCAL_PUNCT = "._%+-"
_EMAIL_LOCAL_MAX = 64  # RFC 5321 limit; also bounds the backwards walk from each "@"
_EMAIL_DOMAIN_RE = re.compile(r"[^\W_][\w-]*+(?:\.[^\W_][\w-]*+)++")

# The joined view (module docstring). What a joiner may hold besides the separators above:
# invisible and format characters that copy-pasting from apps and PDFs leaves between groups
# (dropped), Markdown emphasis, code and table markers (dropped: "**FR76** 3000", "| FR76 | 3000"),
# and line breaks, tabs and slashes (read as a space).
_INVISIBLE = "\u00ad\u200b\u200c\u200d\u200e\u200f\u2060\ufeff"
_MARKERS = "*_`~|"
_BREAKS = "\n\r\t/"
_SPACES = " \u00a0\u2007\u2009\u202f"
_READ_AS = str.maketrans(dict.fromkeys(_INVISIBLE + _MARKERS) | dict.fromkeys(_BREAKS, " "))
_JOINER_MAX = 8  # "3000 ** | ** 6000": a longer run is layout, not a number's separator
_RUN = "[" + re.escape(_SEP_CHARS + _INVISIBLE + _MARKERS + _BREAKS) + f"]{{0,{_JOINER_MAX - 1}}}+"


def _joiner_re(first: str) -> re.Pattern[str]:
    r"""The joiners whose first character is `first`.

    A joiner follows a token of three or more letters or digits and up to three separators (a
    padded table cell): the groups of IBANs, cards and RIBs are that long, those of dates,
    fractions and phones ("12/03", "1/2", "06\n12") are not. An invisible character, which
    nobody types by hand, may follow a single letter or digit and one separator ("30\u200b00").
    Either way a digit is right before or right after the joiner: a line break or emphasis
    between two words joins nothing. (The one-character look-behinds first reject what most
    line breaks and slashes follow: punctuation, another break.)
    """
    size, most = (1, 1) if first in _INVISIBLE else (3, 3)

    def after(seps: int) -> str:
        before = _S * seps
        return rf"(?<=[0-9A-Za-z]{{{size}}}{before}.)(?:(?<=[0-9]{before}.)|(?={_RUN}[0-9]))"

    after_seps = "|".join(after(seps) for seps in range(1, most + 1))
    return re.compile(
        re.escape(first) + rf"(?:(?<=[0-9A-Za-z].){after(0)}|(?<={_S}.)(?:{after_seps}))"
        + _RUN + "(?=[0-9A-Za-z])",
        re.DOTALL,  # the look-behinds' "." is the joiner's first character, a line break included
    )


# One pattern per character a joiner can start with, run only when the text holds that character
# (`in`: C speed): a literal first character is the engine's fastest scan, where a character class
# costs as much as a third of the plain `re.findall` of the benchmark on every text.
_JOINER_RES = {first: _joiner_re(first) for first in _INVISIBLE + _MARKERS + _BREAKS}
_LINE_BREAK_RE = re.compile(r"\r\n?|\n")
_BULLET_RE = re.compile(r"[ \t]*+[-*+][ \t]")  # "\n- 2300": the next item of a list
# How much text around the joiners the joined view covers: more than a finding and its context
# on either side of a joiner (an IBAN of 34 characters with a separator after each, 68; an account
# number, 21, with its context word up to 48 characters away).
_VIEW_MARGIN = 96


# Decimal digits of other scripts (full-width ０-９, Arabic-Indic ٣, Devanagari ७, ...) and the
# ideographic space written between them: the scanners read them as ASCII digits and a space.
# Each is one code point, as what it reads as, so offsets hold in the text as written, and the
# mask covers it. Found in the text's non-ASCII characters only (encoding, then dropping the ASCII
# bytes, runs at C speed on the bytes; a character class would scan the whole text).
_OTHER_DIGIT_RE = re.compile(r"[^\D0-9]")
_ASCII_BYTES = bytes(range(128))
_IDEOGRAPHIC_SPACE = {0x3000: " "}


def _ascii_digits(text: str) -> str:
    """`text` as the scanners read it: other scripts' digits as ASCII ones, same length."""
    if text.isascii():
        return text
    rest = text.encode("utf-8", "surrogatepass").translate(None, _ASCII_BYTES)
    others = set(_OTHER_DIGIT_RE.findall(rest.decode("utf-8", "surrogatepass")))
    if not others:
        return text
    return text.translate({ord(ch): str(int(ch)) for ch in others} | _IDEOGRAPHIC_SPACE)


# --- checksums ------------------------------------------------------------------------------------

_IBAN_LETTERS = {chr(c): str(c - 55) for c in range(ord("A"), ord("Z") + 1)}  # A=10 ... Z=35


def _iban_ok(iban: str) -> bool:
    """ISO 13616 mod-97 on an upper-case compact IBAN (length already checked)."""
    if iban[2:4] in ("00", "01", "99"):  # check digits are 02..98 by construction
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(_IBAN_LETTERS.get(c, c) for c in rearranged)) % 97 == 1


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        value = ord(ch) - 48
        if i % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _card_issuer_ok(digits: str) -> bool:
    """Whether the prefix belongs to a card scheme that issues numbers of this length.

    Random 16-digit strings pass Luhn one time in ten; the issuer table removes most of those.
    French CB cards are co-branded Visa or Mastercard, so they are covered by 4 and 51-55/2221-2720.
    """
    n = len(digits)
    p1, p2, p3, p4 = digits[0], int(digits[:2]), int(digits[:3]), int(digits[:4])
    if p1 == "4":  # Visa
        return n in (13, 16, 19)
    if 51 <= p2 <= 55 or 2221 <= p4 <= 2720:  # Mastercard
        return n == 16
    if p2 in (34, 37):  # American Express
        return n == 15
    if 300 <= p3 <= 305 or p2 in (36, 38, 39):  # Diners Club
        return 14 <= n <= 19
    if 3528 <= p4 <= 3589 or 2200 <= p4 <= 2204:  # JCB, Mir
        return 16 <= n <= 19
    if p1 == "6" or p2 == 50 or 56 <= p2 <= 58:  # Discover, UnionPay, Maestro, RuPay
        return 13 <= n <= 19
    return False


# The official RIB table: A/J=1, B/K/S=2, C/L/T=3, ... I/R/Z=9 (S starts at 2, not 1).
_RIB_LETTERS = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "12345678912345678923456789")


def _rib_ok(bank: str, branch: str, account: str, key: str) -> bool:
    account_digits = account.upper().translate(_RIB_LETTERS)
    expected = 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account_digits)) % 97
    return int(key) == expected


# --- scanners: each yields (start, end, kind) candidates ----------------------------------------

_Candidate = tuple[int, int, str]


def _is_alnum_at(text: str, i: int) -> bool:
    return i < len(text) and text[i].isalnum()


def _amount_follows(text: str, end: int) -> bool:
    return _AMOUNT_AFTER_RE.match(text, end) is not None


def _iban_country_before(text: str, at: int) -> bool:
    """Whether the two letters before the check digit at `at` ("FR76", "FR 76") are a registered
    country: most look-alikes are a two-letter word before a number ("in 75001 yesterday")."""
    start = at - (3 if text[at - 1] in _SEP_CHARS else 2)
    return text[start : start + 2].upper() in IBAN_LENGTHS


def _iban_at(text: str, m: re.Match) -> Iterator[_Candidate]:
    """The IBAN whose first check digit `m` found, if its length and mod-97 hold."""
    n = len(text)
    # "FR 76": one separator between the country code and the check digits.
    start = m.start() - (3 if text[m.start() - 1] in _SEP_CHARS else 2)
    country = text[start : start + 2].upper()
    length = IBAN_LENGTHS.get(country)
    if length is None:
        return
    # Collect exactly the registered number of BBAN characters, skipping single separators:
    # the greedy shape alone cannot know where the IBAN ends when a word or number follows.
    need = length - 4
    bban: list[str] = []
    i = m.start() + 2
    previous_was_sep = False
    while len(bban) < need and i < n:
        ch = text[i]
        if ch in _SEP_CHARS and not previous_was_sep:
            previous_was_sep = True
        elif ch.isascii() and ch.isalnum():
            bban.append(ch)
            previous_was_sep = False
        else:
            break
        i += 1
    if len(bban) != need:
        return
    # The IBAN must end where a token ends: a longer string is something else. A word glued
    # after a final digit ("...7890 189Merci") is a copy-paste slip, not a longer number.
    if i < n and text[i].isalnum() and (text[i].isdigit() or not bban[-1].isdigit()):
        return
    # Registered BBANs are mostly digits; prose words after "FR76" would be mostly letters and
    # then pass mod-97 once in 97 tries.
    if 2 * sum(ch.isdigit() for ch in bban) < need:
        return
    iban = country + text[m.start() : m.start() + 2] + "".join(bban).upper()
    if _iban_ok(iban):
        yield start, i, "iban"
    elif _IBAN_PRINTED_RE.fullmatch(text, start, i):
        yield start, i, "iban_typo"

def _card_layout_ok(sizes: list[int]) -> bool:
    if len(sizes) == 1:
        return True  # compact
    if all(size == 4 for size in sizes[:-1]) and 1 <= sizes[-1] <= 4:
        return True  # 4-4-4-4, 4-4-4-4-3, 4-4-4-1 (13-digit Visa)
    return sizes in ([4, 6, 5], [4, 6, 4])  # Amex, Diners


def _card_at(text: str, m: re.Match) -> Iterator[_Candidate]:
    """The card number starting where `m` matched, if a layout, an issuer and Luhn agree."""
    n = len(text)
    # Read up to 19 digits in groups separated by single separators.
    groups: list[tuple[int, int]] = []
    total = 0
    i = m.start()
    while total <= 19:
        run = _DIGITS_RE.match(text, i)
        if run is None:
            break
        groups.append(run.span())
        total += run.end() - run.start()
        j = run.end()
        if j + 1 < n and text[j] in _SEP_CHARS and "0" <= text[j + 1] <= "9":
            i = j + 1
        else:
            break
    # The card may be followed by something else in digits ("... 7894 12/26"): try the longest
    # run of whole groups first, down to the shortest that can still be a card.
    for k in range(len(groups), 0, -1):
        kept = groups[:k]
        sizes = [b - a for a, b in kept]
        if not 13 <= sum(sizes) <= 19 or not _card_layout_ok(sizes):
            continue
        end = kept[-1][1]
        if _is_alnum_at(text, end):
            continue  # a longer digit string or a word glued to it
        digits = "".join(text[a:b] for a, b in kept)
        if _card_issuer_ok(digits) and _luhn_ok(digits):
            yield m.start(), end, "card_number"
            break

def _rib_at(text: str, m: re.Match) -> Iterator[_Candidate]:
    """A RIB whose key holds, or one printed in its four parts whose key does not (a typo: still
    someone's bank details) when its account holds at least six digits."""
    bank, account = text[m.start() : m.end("rib_bank")], m.group("rib_account")
    if _rib_ok(bank, m.group("rib_branch"), account, m.group("rib_key")):
        yield m.start(), m.end("rib_key"), "rib"
    elif m.end("rib_bank") < m.start("rib_branch") and m.end("rib_branch") < m.start(
            "rib_account") < m.end("rib_account") < m.start("rib_key") \
            and sum(ch.isdigit() for ch in account) >= 6:
        yield m.start(), m.end("rib_key"), "rib_typo"


def _french_phone_at(text: str, m: re.Match) -> Iterator[_Candidate]:
    if not _amount_follows(text, m.end()):
        yield m.start(), m.end(), "phone"


def _international_phone_at(text: str, m: re.Match) -> Iterator[_Candidate]:
    start, end = m.start(), m.end("intl")
    if start and text[start - 1] == "(" and ")" in text[start:end]:
        start -= 1  # "(+33) 1 23 45 67 89": mask the parenthesis pair whole
    if text.startswith("33", m.start() + 1):
        end = _french_intl_end(text, m.start() + 1, end)
    if not _amount_follows(text, end):
        yield start, end, "phone"


def _scan_numbers(text: str) -> Iterator[_Candidate]:
    """Every numeric kind in one pass: each kind's pattern and checks run only at the positions
    where the combined pattern saw the start of at least one of them."""
    for candidate in _CANDIDATE_RE.finditer(text):
        at = candidate.start()
        if text[at] == "+":
            if m := _PHONE_INTL_RE.match(text, at):
                yield from _international_phone_at(text, m)
            continue
        if _iban_country_before(text, at) and (m := _IBAN_RE.match(text, at)):
            yield from _iban_at(text, m)
        if m := _RIB_RE.match(text, at):
            yield from _rib_at(text, m)
        if m := _CARD_RE.match(text, at):
            yield from _card_at(text, m)
        if text[at] == "0" and (m := _PHONE_FR_RE.match(text, at)):
            yield from _french_phone_at(text, m)


def _french_intl_end(text: str, begin: int, end: int) -> int:
    """A +33 number has exactly 9 digits after the country code: stop there when a group ends.

    Keeps "+33 6 12 34 56 78 9h-18h" from swallowing the "9".
    """
    count = 0
    i = begin
    while i < end:
        if text.startswith("(0)", i):
            i += 3
            continue
        if "0" <= text[i] <= "9":
            count += 1
            if count == 11:
                return i + 1 if not ("0" <= text[i + 1 : i + 2] <= "9") else end
        i += 1
    return end


def _keyword_starts(text: str, lowered: str) -> list[int] | None:
    """Where a word of `_ACCOUNT_KEYWORDS` may start, in order, found with `str.find` on the
    lower-cased text (C speed; a case-insensitive regex stops at every a, c and i), for the
    regexes to confirm. None when lower-casing changes the length, or the text holds a character
    the regexes match case-insensitively and `str.lower` does not (ı, İ, ſ, the Kelvin sign):
    the regexes then scan."""
    if len(lowered) != len(text) or any(ch in text for ch in _CASE_FOLDED_ELSEWHERE):
        return None
    starts = []
    for keyword in _ACCOUNT_KEYWORDS:
        at = lowered.find(keyword)
        while at != -1:
            starts.append(at)
            at = lowered.find(keyword, at + 1)
    return sorted(starts)


def _scan_accounts(text: str, lowered: str | None = None) -> Iterator[_Candidate]:
    """Account numbers and client, contract or account numbers: both next to the same words.
    (`lowered`: ``text.lower()`` when the caller has it already.)"""
    lowered = text.lower() if lowered is None else lowered
    starts = _keyword_starts(text, lowered)
    words = _ACCOUNT_WORD_RE.finditer(text) if starts is None else filter(None, (
        _ACCOUNT_WORD_RE.match(text, at) for at in starts))
    yield from _account_numbers(text, words)
    yield from _customer_numbers(text, lowered, starts)


def _account_numbers(text: str, words: Iterable[re.Match]) -> Iterator[_Candidate]:
    n = len(text)
    for word in words:
        ws, we = word.span()
        # Search a little around the word; the end position is widened so a token crossing the
        # window edge is seen whole, and its end is re-checked below because a regex cannot look
        # past ``endpos``.
        lo = max(0, ws - _ACCOUNT_CONTEXT_CHARS - _ACCOUNT_MAX_TOKEN)
        hi = min(n, we + _ACCOUNT_CONTEXT_CHARS + _ACCOUNT_MAX_TOKEN + 1)
        if not _TOKEN_DIGITS_RE.search(text, lo, hi):
            continue  # the usual case ("espace client", "my account"): no number near the word
        for m in _ACCOUNT_TOKEN_RE.finditer(text, lo, hi):
            start, end = m.span()
            before = end <= ws and ws - end <= _ACCOUNT_CONTEXT_CHARS
            after = start >= we and start - we <= _ACCOUNT_CONTEXT_CHARS
            if not (before or after):
                continue
            if _is_alnum_at(text, end) or (
                end + 1 < n and text[end] in _SEP_CHARS and "0" <= text[end + 1] <= "9"
            ):
                continue  # part of a longer number
            if sum(ch.isdigit() for ch in text[start:end]) < 6 or _amount_follows(text, end):
                continue  # a word, a reference like "ABCDEFGH123", or an amount
            yield start, end, "account_number"


def _customer_tokens(text: str, lowered: str, starts: list[int] | None) -> Iterator[re.Match]:
    """The tokens right after the words of a client, contract or account number, looked for at
    `starts` (every letter that may start a noun when None). The token, anchored, rejects most
    places first ("espace client", "client depuis 2012"); the French words before the noun last."""
    if starts is None:
        starts = [at for at, ch in enumerate(text) if ch in "CcAa"]
    for at in starts:
        noun = _CUSTOMER_NOUN_RE.match(text, at)
        if noun is None or not (token := _CUSTOMER_TOKEN_RE.match(text, noun.end())) \
                or not _WORD_START_RE.match(text, at):
            continue
        if noun["fr"] and not _CUSTOMER_FR_RE.search(lowered, max(0, at - _CUSTOMER_FR_BEFORE),
                                                     at):
            continue
        yield token


def _customer_numbers(text: str, lowered: str, starts: list[int] | None) -> Iterator[_Candidate]:
    n = len(text)
    for m in _customer_tokens(text, lowered, starts):
        start, end = m.span("token")
        token = text[start:end]
        if _is_alnum_at(text, end) or (  # the window's end cut it, or a longer number goes on
            end + 1 < n and text[end] in _SEP_CHARS + ",/" and "0" <= text[end + 1] <= "9"
        ):
            continue
        if not 6 <= sum(ch.isalnum() for ch in token) <= 20 \
                or sum(ch.isdigit() for ch in token) < 4 or _amount_follows(text, end):
            continue  # a word ("numéro client habituel"), or an amount
        yield start, end, "customer_number"


def _scan_emails(text: str) -> Iterator[_Candidate]:
    at = text.find("@")
    while at != -1:
        start = at
        floor = max(0, at - _EMAIL_LOCAL_MAX)
        while start > floor and (
            text[start - 1].isalnum() or text[start - 1] in _EMAIL_LOCAL_PUNCT
        ):
            start -= 1
        while start < at and not text[start].isalnum():
            start += 1  # a local part starts with a letter or digit in practice ("(+jean@...")
        if start < at:
            domain = _EMAIL_DOMAIN_RE.match(text, at + 1)
            if domain is not None:
                end = domain.end()
                tld = text[text.rfind(".", at, end) + 1 : end]
                if len(tld) >= 2 and tld.isalpha():
                    yield start, end, "email"
        at = text.find("@", at + 1)


def _detail_words(text: str, lowered: str) -> Iterator[int]:
    """Where a word of `_DETAIL_STEMS` may start in `text` (cheap: `str.find` on `lowered`, the
    lower-cased text; every candidate first letter when lower-casing changes the length)."""
    if len(lowered) != len(text):
        yield from (at for at, ch in enumerate(text) if ch in "EeVvGgFfCcSs")
        return
    for stem in _DETAIL_STEMS:
        at = lowered.find(stem)
        while at != -1:
            yield at
            at = lowered.find(stem, at + 1)


_DETAIL_WORDS = (  # (word pattern, value pattern, kind, needs a card number or a code in the text)
    (_EXPIRY_WORD_RE, _EXPIRY_RE, "card_expiry", False),
    (_EXPIRY_WORD_NEAR_CARD_RE, _EXPIRY_RE, "card_expiry", True),
    (_CODE_WORD_RE, _CODE_RE, "card_security_code", False),
    (_CODE_WORD_NEAR_CARD_RE, _CODE_RE, "card_security_code", True),
)


def _scan_card_details(text: str, lowered: str, cards: list[_Candidate]) -> Iterator[_Candidate]:
    """A card's expiry and security code: after a word that says so, or written right after the
    card number (`cards`: the card numbers found). Runs once the other kinds are resolved, since
    the vaguer words count only in a text with a card number."""
    found: list[_Candidate] = []
    for at in _detail_words(text, lowered):
        for word_re, value_re, kind, near_card in _DETAIL_WORDS:
            word = word_re.match(text, at)
            if word is None:
                continue
            value = value_re.search(text, word.end(), word.end() + _DETAIL_CONTEXT_CHARS + 7)
            if value and value.start() - word.end() <= _DETAIL_CONTEXT_CHARS \
                    and not _amount_follows(text, value.end()):
                found.append((value.start(), value.end(), kind, near_card))
            break
    strong = any(not near_card for *_, near_card in found)
    for start, end, kind, near_card in found:
        if not near_card or cards or (strong and kind == "card_expiry"):
            yield start, end, kind
    for _, card_end, _ in cards:  # "4970 1012 3456 7893 09/28 123"
        gap = _DETAIL_GAP_RE.match(text, card_end)
        expiry = gap and _EXPIRY_RE.match(text, gap.end())
        if expiry:
            yield expiry.start(), expiry.end(), "card_expiry"
            gap = _DETAIL_GAP_RE.match(text, expiry.end())
            if gap and (code := _CODE_RE.match(text, gap.end())) and \
                    not _amount_follows(text, code.end()):
                yield code.start(), code.end(), "card_security_code"


def _secret_phrases(text: str, lowered: str) -> Iterator[re.Match]:
    """`_SECRET_RE`'s matches at the stems of `lowered` (in any case over `text` when lower-casing
    changes the length); "code PIN 4821" matches at "code" and at "PIN": the value once."""
    if len(lowered) != len(text):
        yield from _SECRET_ANY_CASE_RE.finditer(text)
        return
    values = set()
    for stem in _SECRET_STEMS:
        at = lowered.find(stem)
        while at != -1:
            m = _SECRET_RE.match(lowered, at)
            if m and m.span(m.lastgroup) not in values:
                values.add(m.span(m.lastgroup))
                yield m
            at = lowered.find(stem, at + 1)


def _scan_secrets(text: str, lowered: str) -> Iterator[_Candidate]:
    """PINs and passwords: the value right after the phrase that names it (`_SECRET_RE`). A
    password is a run that looks like one: a digit or a symbol, once the sentence's punctuation
    around it and the apostrophes and hyphens that join words are set aside ("est bloqué",
    "c’est quoi", "(voir ci-dessous)" are words). A capital inside is no sign: "iPhone", "PayPal",
    "OUBLIÉ" are words too, and the bank's passwords hold a digit. Hence no letters-only value
    at all ("mdp : Azerty" is missed): the words there ("Urgent", "Question", "Bloquee",
    "Pourquoi") take every shape a letters-only password could, and a word masked by mistake in a
    private message is lost for good, a letters-only password missed is the rarer harm. A PIN
    followed by a currency is an amount ("le code est 1234 euros")."""
    for m in _secret_phrases(text, lowered):
        if m["password"] is None:
            start, end = m.span("pin" if m["pin"] else "weak")
            if not _amount_follows(text, end):
                yield start, end, PIN_CODE
            continue
        start, end = m.span("password")
        run = text[start:end]
        value = run.lstrip(_SECRET_OPENING).rstrip(_SECRET_TRAILING)
        opening = len(run) - len(run.lstrip(_SECRET_OPENING))
        if (len(value) >= 4 and not _SECRET_LINK_RE.match(value)
                and any(_password_sign(ch) for ch in value)):
            masked = run.lstrip(_SECRET_OPENING).rstrip(_SECRET_CLOSING)
            start += opening
            yield start, start + len(masked), PASSWORD


def _password_sign(ch: str) -> bool:
    """A digit or a symbol: neither a letter, nor an accent written apart (a text in NFD), nor
    what joins words (`_SECRET_NO_SIGNS`)."""
    return not (ch.isalpha() or ch in _SECRET_NO_SIGNS or unicodedata.category(ch).startswith("M"))


def _joiners(text: str) -> list[tuple[int, int, str, bool]]:
    """Each joiner of `text` (module docstring): its span, what it reads as in the joined view and
    whether it is a blank line. Empty for most texts, at the cost of a few C-speed scans."""
    matches = [m for first, pattern in _JOINER_RES.items() if first in text
               for m in pattern.finditer(text)]
    matches.sort(key=lambda m: m.start())  # one pattern per first character: in text order
    found = []
    for m in matches:
        start, end = m.span()
        while text[start - 1] in _SEP_CHARS:
            start -= 1  # at most three: the look-behinds counted them
        run = text[start:end]
        breaks = list(_LINE_BREAK_RE.finditer(run))
        # a blank line joins only a paragraph that starts with the number's next digits
        blank = len(breaks) == 2 and not run[breaks[0].end() : breaks[1].start()].strip(" \t") \
            and "0" <= text[end] <= "9"
        if (len(breaks) > 1 and not blank) or (
            breaks and ("|" in run or _BULLET_RE.match(text, start + breaks[-1].end()))
        ):
            continue  # a table's next row, a list's next item: another record
        reads_as = run.translate(_READ_AS)
        if len(reads_as) > 1:
            if reads_as.strip(_SPACES):
                continue  # two separators, one of them not a space ("7890.\n189"): as in plain text
            reads_as = " "
        found.append((start, end, reads_as, blank))
    return found


def _zones(joiners: list[tuple[int, int, str]], n: int) -> Iterator[tuple[int, int, list]]:
    """The stretches of the text the joined view covers: the joiners, `_VIEW_MARGIN` around
    each, those that touch merged."""
    zone = [joiners[0]]
    for joiner in joiners[1:]:
        if joiner[0] - zone[-1][1] > 2 * _VIEW_MARGIN:
            yield max(0, zone[0][0] - _VIEW_MARGIN), min(n, zone[-1][1] + _VIEW_MARGIN), zone
            zone = []
        zone.append(joiner)
    yield max(0, zone[0][0] - _VIEW_MARGIN), min(n, zone[-1][1] + _VIEW_MARGIN), zone


def _view(text: str, lo: int, hi: int, joiners: list) -> tuple[str, list[int]]:
    """``text[lo:hi]`` with each joiner replaced by what it reads as, and for each character of
    that view its offset in `text`."""
    pieces: list[str] = []
    origin: list[int] = []
    at = lo
    for start, end, reads_as, _ in joiners:
        pieces += (text[at:start], reads_as)
        origin += range(at, start)
        origin += [start] * len(reads_as)
        at = end
    pieces.append(text[at:hi])
    origin += range(at, hi)
    return "".join(pieces), origin


def _scan_joined(text: str) -> Iterator[_Candidate]:
    """The numbers only the joined view shows, at offsets of `text` (the span covers the joiners
    inside it). A finding of the view that crosses no joiner is the plain scan's to find or not:
    its characters are the text's own. One that crosses a blank line is kept only if its checksum
    holds: two paragraphs' numbers make one by chance more often than one paragraph's groups."""
    joiners = _joiners(text)
    if not joiners:
        return
    for lo, hi, inside in _zones(joiners, len(text)):
        view, origin = _view(text, lo, hi, inside)
        blanks = [start for start, _, _, blank in inside if blank]
        for start, end, kind in chain(_scan_numbers(view), _scan_accounts(view)):
            first, last = origin[start], origin[end - 1] + 1
            if text[first:last] != view[start:end] and (
                kind in _VALID_ONLY or not any(first <= at < last for at in blanks)
            ):
                yield first, last, kind


_SCANNERS = (_scan_numbers, _scan_emails, _scan_joined)  # and those that read the lower-cased text


# --- masking --------------------------------------------------------------------------------------


def _mask_chars(span: str, keep_head: int, keep_tail: int) -> str:
    """Hide every letter/digit except the first ``keep_head`` and last ``keep_tail`` ones.

    Separators stay, so the masked number keeps the shape the author typed.
    """
    total = sum(ch.isalnum() for ch in span)
    out = []
    seen = 0
    for ch in span:
        if ch.isalnum():
            out.append(ch if seen < keep_head or seen >= total - keep_tail else MASK_CHAR)
            seen += 1
        else:
            out.append(ch)
    return "".join(out)


_CARD_DETAILS = ("card_expiry", "card_security_code")


def _masked(kind: str, span: str) -> str:
    if kind == "iban":
        return _mask_chars(span, 4, 4)  # country and check digits tell the reader what it was
    if kind == "email":
        local, _, domain = span.partition("@")
        # A fixed number of mask characters, so the length of the local part is not revealed.
        return local[0] + MASK_CHAR * 3 + "@" + domain
    if kind == "phone":
        head = 4 if span.startswith("00") else 2  # "06", "+33", "(+33)", "0033"
        return _mask_chars(span, head, 2)
    if kind in _CARD_DETAILS or kind == PIN_CODE:
        return _mask_chars(span, 0, 0)
    if kind == PASSWORD:
        return MASK_CHAR * 8  # a fixed number, so the password's length is not revealed
    return _mask_chars(span, 0, 4)  # card, RIB, account: last 4 only, as on a receipt


# --- public API -----------------------------------------------------------------------------------


def _resolve(candidates: list[_Candidate]) -> list[_Candidate]:
    """Keep non-overlapping candidates: the strongest kind first, then the longest, the leftmost."""
    candidates.sort(key=lambda c: (-_PRIORITY[c[2]], c[0] - c[1], c[0]))
    starts: list[int] = []
    ends: list[int] = []
    kept: list[_Candidate] = []
    for cand in candidates:
        start, end, _ = cand
        i = bisect_left(starts, start)
        if (i > 0 and ends[i - 1] > start) or (i < len(starts) and starts[i] < end):
            continue
        starts.insert(i, start)
        ends.insert(i, end)
        kept.append(cand)
    kept.sort()
    return kept


def detect(text: str) -> list[Finding]:
    """Find confidential data in ``text``: non-overlapping findings sorted by ``start``.

    >>> text = "IBAN fr14 2004 1010 0505 0001 3m02 606 ou appelez le 06 12 34 56 78"
    >>> [(f.kind, text[f.start:f.end]) for f in detect(text)]
    [('iban', 'fr14 2004 1010 0505 0001 3m02 606'), ('phone', '06 12 34 56 78')]
    >>> detect("Le 12/03/2024 j'ai payé 1 234,56 € (commande 4970101234567891).")
    []
    """
    read = _ascii_digits(text)  # what the scanners read: offsets are the text's
    candidates: list[_Candidate] = []
    for scan in _SCANNERS:
        candidates.extend(scan(read))
    lowered = read.lower()  # once: lower-casing a long text costs as much as a scan
    candidates.extend(_scan_accounts(read, lowered))
    candidates.extend(_scan_secrets(read, lowered))
    cards = [c for c in candidates if c[2] == "card_number"]
    candidates.extend(_scan_card_details(read, lowered, cards))
    kept = [(start, end, _TYPOS.get(kind, kind)) for start, end, kind in _resolve(candidates)]
    # With its expiry or code in the text, a card's last 4 digits complete what a fraudster needs
    # if one of them escapes detection: the card is then masked whole.
    whole = any(kind in _CARD_DETAILS for _, _, kind in kept)
    return [
        Finding(kind, start, end,
                _mask_chars(text[start:end], 0, 0)
                if whole and kind == "card_number" else _masked(kind, text[start:end]))
        for start, end, kind in kept
    ]


def mask(text: str, findings: Iterable[Finding] | None = None) -> str:
    """Return ``text`` with each finding replaced by its masked form (detects them if not given).

    Everything outside the findings is returned unchanged.

    >>> mask("Carte 4970 1012 3456 7893, mail j.dupont@exemple.fr, tél. +33 6 12 34 56 78")
    'Carte •••• •••• •••• 7893, mail j•••@exemple.fr, tél. +33 • •• •• •• 78'
    """
    if findings is None:
        findings = detect(text)
    out: list[str] = []
    pos = 0
    for finding in sorted(findings, key=lambda f: f.start):
        if finding.start < pos:
            raise ValueError("findings overlap")
        out.append(text[pos : finding.start])
        out.append(finding.masked)
        pos = finding.end
    out.append(text[pos:])
    return "".join(out)


def tags_text(tags: Iterable[str] | None) -> str:
    """A post's tags as the one text the detector reads: in their order, one space between —
    what the member typed, whether the site's field ("FR76 3000, 6000") or the API's list
    (``["fr76", "3000", "6000"]``), so a number typed over several tags is found like one in a
    body (each tag alone has at most 4 digits).

    >>> [f.kind for f in detect(tags_text(["fr76", "3000", "6000", "0112", "3456", "7890", "189"]))]
    ['iban']
    """
    return " ".join(tags or ())


def mask_tags(tags: Iterable[str]) -> list[str]:
    """`tags` without those that make up a finding in :func:`tags_text` — removed, not masked: a
    masked tag ("••••") would be a tag of its own, with a page and a count. Again until nothing
    is found, since removing a tag brings its neighbours together.

    >>> mask_tags(["carte", "4970", "1012", "3456", "7893", "bloquée"])
    ['carte', 'bloquée']
    """
    kept = list(tags)
    while findings := detect(tags_text(kept)):
        spans, at = [], 0
        for tag in kept:
            spans.append((tag, at, at + len(tag)))
            at += len(tag) + 1
        kept = [tag for tag, start, end in spans
                if not any(f.start < end and start < f.end for f in findings)]
    return kept


def summary(findings: Iterable[Finding]) -> dict[str, int]:
    """Count findings per kind; every kind is present, in :data:`KINDS` order.

    >>> summary(detect("jean@exemple.fr, marie@exemple.fr"))["email"]
    2
    """
    counts = dict.fromkeys(KINDS, 0)
    for finding in findings:
        counts[finding.kind] += 1
    return counts


#: How a field error names a kind (never the value found), in English and French.
KIND_LABELS: dict[str, dict[str, str]] = {
    "iban": {"en": "an IBAN", "fr": "un IBAN"},
    "rib": {"en": "a French RIB", "fr": "un RIB"},
    "card_number": {"en": "a card number", "fr": "un numéro de carte"},
    "email": {"en": "an e-mail address", "fr": "une adresse e-mail"},
    "account_number": {"en": "an account or client number",
                       "fr": "un numéro de compte ou de client"},
    "phone": {"en": "a phone number", "fr": "un numéro de téléphone"},
    "customer_number": {"en": "a client, contract or account number",
                        "fr": "un numéro de client, de contrat ou de compte"},
    "card_expiry": {"en": "a card expiry date", "fr": "une date d’expiration de carte"},
    "card_security_code": {"en": "a card security code (CVV)",
                           "fr": "un cryptogramme de carte (CVV)"},
    PIN_CODE: {"en": "a PIN code", "fr": "un code PIN"},
    PASSWORD: {"en": "a password", "fr": "un mot de passe"},
}
_REFUSAL = {"en": "contains {}: remove it, it would be public",
            "fr": "contient {} : retirez-le, il serait public"}
_AND = {"en": " and ", "fr": " et "}


def kind_names(kinds: Iterable[str], language: str) -> str:
    """The kinds found, named in `language` ("en" or "fr"), for a sentence.

    >>> kind_names(["iban", "card_number"], "fr")
    'un IBAN et un numéro de carte'
    """
    return _AND[language].join(KIND_LABELS[kind][language] for kind in kinds)


def confidential_fields(fields: Mapping[str, str | None]) -> dict[str, list[str]]:
    """The kinds found in each of ``fields`` that holds any, strongest first (never the values).

    >>> confidential_fields({"bio": "IBAN FR76 3000 6000 0112 3456 7890 189", "name": "Ada"})
    {'bio': ['iban']}
    """
    found = {}
    for name, text in fields.items():
        kinds = {finding.kind for finding in detect(text or "")}
        if kinds:
            found[name] = [kind for kind in KINDS if kind in kinds]
    return found


def refuse_confidential(fields: Mapping[str, str | None]) -> None:
    """Raise `Unprocessable` (422) with a field error per field holding confidential data, for
    texts published as they are, with no moderation queue to hold them (profiles, notes).

    The error names what was found, never the value (it would travel back in logs and clients),
    in English (``fields``) and in English and French (``fields_i18n``: the problem's
    ``errors_i18n``).

    >>> refuse_confidential({"bio": "Mon IBAN : FR76 3000 6000 0112 3456 7890 189"})
    Traceback (most recent call last):
    ...
    services.shared.errors.Unprocessable: {"message": "confidential data cannot be published", \
"details": {"fields": {"bio": ["contains an IBAN: remove it, it would be public"]}, \
"fields_i18n": {"en": {"bio": ["contains an IBAN: remove it, it would be public"]}, \
"fr": {"bio": ["contient un IBAN : retirez-le, il serait public"]}}, "kinds": ["iban"]}}
    """
    found = confidential_fields(fields)
    if found:
        by_language = {language: {name: [refusal.format(kind_names(kinds, language))]
                                  for name, kinds in found.items()}
                       for language, refusal in _REFUSAL.items()}
        raise Unprocessable("confidential data cannot be published", {
            "fields": by_language["en"], "fields_i18n": by_language,
            "kinds": [kind for kind in KINDS if any(kind in ks for ks in found.values())]})
