"""Unit tests of the confidential-data detector (services/moderation/detector.py).

The labelled corpus lives in detector_corpus.py; these tests check it case by case, then the
masking, the API contract and the behaviour on hostile input.
"""

from __future__ import annotations

import dataclasses
import doctest
import itertools
import random
import re

import pytest

from bench.detector import build_corpus
from services.moderation import detector
from services.moderation.detector import KINDS, MASK_CHAR, Finding, detect, mask, summary
from tests.unit import detector_corpus as corpus

pytestmark = pytest.mark.unit


def _spans(text: str) -> list[tuple[str, str]]:
    return [(f.kind, text[f.start : f.end]) for f in detect(text)]


# --- the corpus -----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", corpus.CASES, ids=lambda case: case.id)
def test_corpus_case(case: corpus.Case) -> None:
    found = corpus.found_spans(case, detect(case.text))
    assert found == corpus.expected_spans(case), _spans(case.text)


def test_corpus_scores_have_no_false_positive_or_negative() -> None:
    table = corpus.score(detect)
    assert set(table) == set(KINDS)  # every kind is exercised
    assert all(row["fp"] == 0 and row["fn"] == 0 for row in table.values()), table


def test_corpus_helpers_reproduce_published_check_digits() -> None:
    # Anchors the independent helpers to the published examples, so a generated "valid" number
    # really is valid and the negatives really are invalid.
    for published in corpus.PUBLISHED_IBANS:
        compact = published.replace(" ", "")
        assert corpus.iban_check_digits(compact[:2], compact[4:]) == compact[2:4], published
    for published in corpus.PUBLISHED_CARDS:
        assert corpus.luhn_valid(re.sub(r"\D", "", published)), published


# --- a few readable examples (the corpus has the systematic ones) ---------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("IBAN GB82 WEST 1234 5698 7654 32", [("iban", "GB82 WEST 1234 5698 7654 32")]),
        ("de89370400440532013000", [("iban", "de89370400440532013000")]),
        # a typo: printed as an IBAN, it is one; compact, a string like any other
        ("GB82 WEST 1234 5698 7654 33", [("iban", "GB82 WEST 1234 5698 7654 33")]),
        ("GB82WEST12345698765433", []),
        ("RIB 30002 00550 0000157845Z 03", [("rib", "30002 00550 0000157845Z 03")]),
        ("numéro client : 98765432", [("customer_number", "98765432")]),
        ("carte ４９７０ １０１２ ３４５６ ７８９３",
         [("card_number", "４９７０ １０１２ ３４５６ ７８９３")]),
        ("4111-1111-1111-1111", [("card_number", "4111-1111-1111-1111")]),
        ("4111-1111-1111-1112", []),  # Luhn fails
        ("mon n° de compte est le 12345678901", [("account_number", "12345678901")]),
        ("le colis 12345678901 est arrivé", []),
        ("06 12 34 56 78", [("phone", "06 12 34 56 78")]),
        ("12/03/2024, 2024-03-12, 1 234,56 €, 12.500,00", []),
    ],
)
def test_examples(text: str, expected: list[tuple[str, str]]) -> None:
    assert _spans(text) == expected


def test_checksummed_kind_wins_over_context_and_format() -> None:
    # The RIB is also an 11-character account number next to "compte": reported once, as a RIB.
    text = "Mon compte : 30002 00550 0000157845Z 02"
    assert _spans(text) == [("rib", "30002 00550 0000157845Z 02")]
    # A French IBAN written RIB-style contains a RIB: reported once, as the IBAN.
    assert [kind for kind, _ in _spans("FR76 30006 00001 12345678901 89")] == ["iban"]


def test_findings_are_sorted_and_do_not_overlap() -> None:
    case = next(case for case in corpus.CASES if case.id == "mixed-all")
    findings = detect(case.text)
    assert [f.kind for f in findings] == ["iban", "card_number", "email", "phone"]
    for before, after in itertools.pairwise(findings):
        assert before.end <= after.start


# --- masking --------------------------------------------------------------------------------------


def _alnum(value: str) -> str:
    """The letters, digits and mask characters of ``value``: what is left once separators go."""
    return "".join(ch for ch in value if ch.isalnum() or ch == MASK_CHAR)


KEPT = {"iban": (4, 4), "card_number": (0, 4), "rib": (0, 4), "account_number": (0, 4),
        "card_expiry": (0, 0), "card_security_code": (0, 0)}
CARD_DETAILS = {"card_expiry", "card_security_code"}


@pytest.mark.parametrize("kind", sorted(KEPT))
def test_masked_numbers_keep_only_the_allowed_characters(kind: str) -> None:
    head, tail = KEPT[kind]
    cases = [case for case in corpus.CASES if any(k == kind for k, _ in case.expected)]
    assert cases
    for case in cases:
        findings = detect(case.text)
        # Next to its expiry or security code, a card is masked whole (its last 4 would complete
        # them if one escaped detection).
        whole = kind == "card_number" and {f.kind for f in findings} & CARD_DETAILS
        tail = 0 if whole else KEPT[kind][1]
        for finding in (f for f in findings if f.kind == kind):
            original = case.text[finding.start : finding.end]
            plain, hidden = _alnum(original), _alnum(finding.masked)
            assert len(finding.masked) == len(original)  # same shape, separators kept
            kept = plain[len(plain) - tail:]
            assert hidden == plain[:head] + MASK_CHAR * (len(plain) - head - tail) + kept
            assert [ch for ch in finding.masked if not ch.isalnum() and ch != MASK_CHAR] == [
                ch for ch in original if not ch.isalnum()
            ]


def test_mask_formats() -> None:
    assert mask("FR76 3000 6000 0112 3456 7890 189") == "FR76 •••• •••• •••• •••• •••0 189"
    assert mask("5555 5555 5555 4444") == "•••• •••• •••• 4444"
    assert mask("3782 822463 10005") == "•••• •••••• •0005"
    assert mask("jean.dupont@exemple.fr") == "j•••@exemple.fr"
    assert mask("06 12 34 56 78") == "06 •• •• •• 78"
    assert mask("0033 6 12 34 56 78") == "0033 • •• •• •• 78"
    assert mask("+44 20 7946 0958") == "+44 •• •••• ••58"
    assert mask("numéro client 12345678901") == "numéro client •••••••8901"


def test_a_card_with_its_expiry_and_code_is_masked_whole_with_them() -> None:
    """CM review #1: the proposed masked text used to keep the last 4 digits, the expiry and
    the CVV — together, enough to pay online."""
    text = "Je tape bien ma carte 4970 1012 3456 7893, date d'expiration 09/28, cryptogramme 123…"
    assert mask(text) == (
        "Je tape bien ma carte •••• •••• •••• ••••, date d'expiration ••/••, cryptogramme •••…")
    assert mask("Carte 4970101234567893.\nExp 09/2028 et le code au dos : 4567") == (
        "Carte ••••••••••••••••.\nExp ••/•••• et le code au dos : ••••")
    # Alone, a card keeps its last 4 (as on a receipt); without a card, a vague word is no clue.
    assert mask("Carte 4970 1012 3456 7893 bloquée, offre valable jusqu'au 09/28") == (
        "Carte •••• •••• •••• •••• bloquée, offre valable jusqu'au ••/••")
    assert mask("Carte 4970 1012 3456 7893 bloquée") == "Carte •••• •••• •••• 7893 bloquée"
    assert mask("offre valable jusqu'au 09/28, crypto 2024") == (
        "offre valable jusqu'au 09/28, crypto 2024")


def test_mask_replaces_every_finding_at_the_right_offsets_and_nothing_else() -> None:
    case = next(case for case in corpus.CASES if case.id == "mixed-all")
    text = case.text
    findings = detect(text)
    masked = mask(text, findings)
    # Rebuild the expected text from the offsets; the untouched parts must be byte-for-byte equal.
    expected, pos = [], 0
    for finding in findings:
        expected += [text[pos : finding.start], finding.masked]
        pos = finding.end
    expected.append(text[pos:])
    assert masked == "".join(expected)
    card_tail = text[findings[1].end - 4 : findings[1].end]
    assert masked.startswith("Bonjour, IBAN FR")
    assert masked.endswith(
        f", carte •••• •••• •••• {card_tail}, mail j•••@exemple.fr et tél. 06 •• •• •• 78. "
        "Le 12/03/2024 j'ai payé 1 234,56 €."
    )
    for finding in findings:
        assert text[finding.start : finding.end] not in masked


def test_mask_detects_when_no_findings_given_and_accepts_an_empty_list() -> None:
    text = "appelez le 06 12 34 56 78"
    assert mask(text) == mask(text, detect(text)) == "appelez le 06 •• •• •• 78"
    assert mask(text, []) == text
    assert mask("rien à cacher") == "rien à cacher"


def test_mask_rejects_overlapping_findings() -> None:
    with pytest.raises(ValueError):
        mask("0123456789", [Finding("phone", 0, 6, "x"), Finding("phone", 4, 8, "y")])


# --- the joined view: numbers split by Markdown, line breaks, invisible characters, slashes ------


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("IBAN **FR76** 3000 6000 0112 3456 7890 189",
         "IBAN **FR76** •••• •••• •••• •••• •••0 189"),
        ("IBAN FR76 3000 6000\n0112 3456 7890 189", "IBAN FR76 •••• ••••\n•••• •••• •••0 189"),
        ("| FR76 | 3000 | 6000 | 0112 | 3456 | 7890 | 189 |",
         "| FR76 | •••• | •••• | •••• | •••• | •••0 | 189 |"),
        ("FR76/3000/6000/0112/3456/7890/189", "FR76/••••/••••/••••/••••/•••0/189"),
        ("carte 4970\u200b1012\u200b3456\u200b7893.", "carte ••••\u200b••••\u200b••••\u200b7893."),
        ("carte `4970 1012` 3456\r\n7893", "carte `•••• ••••` ••••\r\n7893"),
        ("RIB 30002 00550\t0000157845Z ~~02~~", "RIB ••••• •••••\t•••••••••5Z ~~02~~"),
    ],
)
def test_a_split_number_is_masked_over_its_whole_original_span(text: str, masked: str) -> None:
    # The span runs over the text as written: markers, line breaks and invisible characters
    # inside it stay in place (the shape is kept), every digit but the allowed ones is hidden.
    assert mask(text) == masked
    (finding,) = detect(text)
    assert finding.masked == masked[finding.start : finding.end]


def test_plain_and_joined_findings_merge_without_overlap() -> None:
    # The plain scan finds a card inside the IBAN the joined view finds across the line break:
    # one finding, the stronger kind, over the whole span.
    iban = corpus.group(corpus.make_iban("DE", "497010123456789300"))
    text = f"IBAN {iban[:24]}\n00, tél. 06 12 34 56 78"
    assert _spans(text) == [("iban", f"{iban[:24]}\n00"), ("phone", "06 12 34 56 78")]


def test_only_joiners_next_to_a_long_enough_token_and_a_digit_make_a_view() -> None:
    # What most texts hold — dates, fractions, prose line breaks, paragraphs, emphasis on
    # words — is no joiner: nothing more is built or scanned for them.
    for text in ("Le 12/03/2026, 1/2 ou 24/7.\n\nMerci !", "Client depuis 2004.\nMerci",
                 "**Attention** : _lisez_ ceci\r\nBonjour", "Bon\u200bjour", "06\n12 34 56 78",
                 "Factures :\n1 500,00 €\n- 2 300,00 €"):
        assert detector._joiners(text) == [], text
    split = "4970\n1012 **3456** 7893"
    assert [(split[s:e], reads_as) for s, e, reads_as, _ in detector._joiners(split)] == [
        ("\n", " "), (" **", " "), ("** ", " ")]
    # a blank line joins only when the next paragraph starts with digits
    assert detector._joiners("FR76 3000\n\nMerci 6000") == []
    assert [blank for *_, blank in detector._joiners("4970 1012\n\n3456 7893")] == [True]


def test_the_benchmark_text_has_no_joiner() -> None:
    # bench/detector.py's realistic posts (dates with slashes, paragraphs) keep the fast path.
    text, _ = build_corpus(200_000)
    assert "/" in text and "\n" in text and detector._joiners(text) == []


def test_records_stay_apart() -> None:
    # A table's next row and a list's next item end a number, even a valid one; so does a blank
    # line, unless the groups on either side make a number whose checksum holds.
    for text in ("| 4970 | 1012 |\n| 3456 | 7893 |", "4970 1012\n\n\n3456 7893",
                 "* 4970\n* 1012\n* 3456\n* 7893", "- 4970\n- 1012\n- 3456\n- 7893",
                 "4970 1012\n\n3456 7894", "4970 1012\n\n- 3456 7893",
                 "numéro client 1234\n\n5678", "n° de compte 12345\n\n678901"):
        assert detect(text) == [], text
    assert _spans("4970 1012\n3456 7893") == [("card_number", "4970 1012\n3456 7893")]
    assert _spans("4970 1012\n\n3456 7893") == [("card_number", "4970 1012\n\n3456 7893")]
    # a typo's checksum does not hold: not across a blank line
    assert detect("IBAN GB82 WEST 1234\n\n5698 7654 33") == []


# --- API ------------------------------------------------------------------------------------------


def test_finding_is_frozen_and_does_not_carry_the_value() -> None:
    finding = detect("jean@exemple.fr")[0]
    assert finding == Finding("email", 0, 15, "j•••@exemple.fr")
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.kind = "phone"  # type: ignore[misc]
    names = [field.name for field in dataclasses.fields(Finding)]
    assert names == ["kind", "start", "end", "masked"]


def test_summary_counts_every_kind() -> None:
    counts = summary(detect("jean@exemple.fr, 06 12 34 56 78, marie@exemple.fr"))
    assert counts == {
        "iban": 0,
        "rib": 0,
        "card_number": 0,
        "email": 2,
        "account_number": 0,
        "phone": 1,
        "customer_number": 0,
        "card_expiry": 0,
        "card_security_code": 0,
        "pin_code": 0,
        "password": 0,
    }
    assert list(counts) == list(KINDS)


def test_iban_registry_table() -> None:
    assert len(detector.IBAN_LENGTHS) == 89
    assert detector.IBAN_LENGTHS["FR"] == detector.IBAN_LENGTHS["MC"] == 27
    assert min(detector.IBAN_LENGTHS.values()) == 15 and max(detector.IBAN_LENGTHS.values()) == 33


def test_docstring_examples() -> None:
    result = doctest.testmod(detector, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_empty_and_whitespace_text() -> None:
    assert detect("") == [] and mask("") == ""
    assert detect(" \n\t ") == []


# --- hostile input: must complete (no catastrophic backtracking); no timing assertion -----------


_MB = 1_000_000


def _repeat(unit: str) -> str:
    return (unit * (_MB // len(unit) + 1))[:_MB]


def _random_digits_and_separators() -> str:
    rng = random.Random(7)
    return "".join(rng.choices("0123456789" * 3 + " .-\u00a0+()/", k=_MB))


ADVERSARIAL = {
    "digits-and-separators": _random_digits_and_separators,
    "digit-groups": lambda: _repeat("4970 1012 3456 "),
    "single-digits": lambda: _repeat("1 "),
    "one-long-number": lambda: "4" * _MB,
    "iban-prefixes": lambda: _repeat("FR76 3000 "),
    "emails": lambda: _repeat("a.b@c."),
    "at-signs": lambda: "@" * _MB,
    "plus-signs": lambda: _repeat("+3 "),
    "account-words": lambda: _repeat("compte 1234 "),
    "markers": lambda: _repeat("*_`~|\n\r\t/"),
    "joiner-runs": lambda: _repeat("4970 ** | ** \n"),
    "short-tokens-slashes": lambda: _repeat("12/03\n"),
    "invisible-between-letters": lambda: _repeat("a\u200b"),
    "table-cells": lambda: _repeat("| 123 "),
}


@pytest.mark.parametrize("name", list(ADVERSARIAL))
def test_adversarial_megabyte_input_completes(name: str) -> None:
    text = ADVERSARIAL[name]()
    findings = detect(text)
    assert all(0 <= f.start < f.end <= len(text) for f in findings)
    assert len(mask(text, findings)) > 0


# --- PINs and passwords ---------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("mon code PIN est 4821", [("pin_code", "4821")]),
    ("Code PIN\u202f: 4821", [("pin_code", "4821")]),
    ("mon code est 4821", [("pin_code", "4821")]),
    ("my PIN is 1234.", [("pin_code", "1234")]),
    ("passcode 1234", [("pin_code", "1234")]),
    ("mot de passe : Soleil2024!", [("password", "Soleil2024!")]),
    ("Password is: Secret99", [("password", "Secret99")]),
    ("Mot-de-passe=abc123", [("password", "abc123")]),
    ("passcode: abc123", [("password", "abc123")]),
    ("le code est 1234", [("pin_code", "1234")]),
    # no value, or no phrase naming one: nothing
    ("code postal 75001", []),
    ("PIN oublié", []),
    ("mot de passe oublié", []),
    ("changer mon mot de passe", []),
    ("Mon mot de passe est bloqué.", []),
    ("le code postal est 75001", []),
    ("mon code client est 123456", []),
    ("PIN 1234 €", []),
    ("le code est 1234 euros", []),  # an amount
    ("the code is 1234 dollars", []),
    ("dépasser 1234", []),
])
def test_pins_and_passwords(text: str, expected: list[tuple[str, str]]) -> None:
    assert _spans(text) == expected


def test_a_pin_is_masked_digit_by_digit_a_password_whole_at_a_fixed_length() -> None:
    assert mask("mon code PIN est 4821") == "mon code PIN est ••••"
    assert mask("mdp : Ab1!x") == "mdp : ••••••••"
    assert mask("password: a-much-longer-secret-1") == "password: ••••••••"


def test_a_password_is_found_up_to_128_characters_its_punctuation_included() -> None:
    assert _spans("mdp : " + "x" * 125 + "9!.") == [("password", "x" * 125 + "9!")]
    assert _spans("mdp : " + "x" * 127 + "9y") == []  # 129: a key or a token
    assert _spans("mdp : " + "x" * 127 + "9") == [("password", "x" * 127 + "9")]


def test_dots_and_slashes_are_no_sign_and_a_link_is_no_password() -> None:
    assert _spans("mot de passe : oublié/bloqué.") == []
    assert _spans("mot de passe : a.b/c#") == [("password", "a.b/c#")]
    assert _spans("mot de passe : Http://x1.fr") == []
    assert _spans("mot de passe : x1.banque.fr/") == []
    assert _spans("mot de passe : banque.fr2/x") == [("password", "banque.fr2/x")]  # no host


@pytest.mark.parametrize("text", [
    "mdp : Azerty",  # a capital then lower-case letters: as "Urgent", "Question", "Bonsoir"
    "mon mot de passe est Soleil.",
    "Mon mdp c’est Papillon !",
    "password: Sunshine\nthanks",
    "mon mot de passe est soleil",  # lower-case: as the words after the phrase
    "mdp : AZERTY",  # capitals: as "OUBLIÉ"
    "mot de passe : Éléphant.",  # accented: as "Oublié", "Bloqué"
    "mdp : jean.dupont",  # a dot joins words ("abc.def")
])
def test_a_letters_only_password_is_missed(text: str) -> None:
    """Precision first (`_scan_secrets`): a letters-only password is never found, since a word
    masked by mistake in a private message is lost for good."""
    assert _spans(text) == []


def test_a_pin_or_a_password_is_named_in_both_languages() -> None:
    assert detector.kind_names(["pin_code", "password"], "fr") == "un code PIN et un mot de passe"
    assert detector.kind_names(["pin_code", "password"], "en") == "a PIN code and a password"
