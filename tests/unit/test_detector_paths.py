"""The detector's fast paths decide exactly what its patterns decide (speed only, same findings)."""
import pytest

from services.moderation.detector import detect

pytestmark = pytest.mark.unit


def spans(text):
    return [(f.kind, text[f.start:f.end]) for f in detect(text)]


@pytest.mark.parametrize("odd", ["İ", "ı", "ſ", "\u212a"])
def test_account_words_are_found_the_same_when_lower_casing_cannot_be_trusted(odd):
    # these characters make the detector look for "compte", "client"... with the regex itself
    text = "Mon numéro client est le 12345678901, merci. CUSTOMER id 1A2B3C4D5E6"
    assert spans(f"{odd} {text}") == spans(text) == [
        ("account_number", "12345678901"), ("account_number", "1A2B3C4D5E6")]


def test_a_case_insensitive_spelling_only_the_regex_knows_still_counts():
    assert spans("cuſtomer number 12345678901") == [("account_number", "12345678901")]


def test_two_letter_words_before_a_long_number_are_not_taken_for_an_iban_country():
    assert spans("Livré in 75001 yesterday; IBAN fr14 2004 1010 0505 0001 3m02 606") == [
        ("iban", "fr14 2004 1010 0505 0001 3m02 606")]
