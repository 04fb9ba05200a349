"""The one card-masking rule (services/shared/card_masking.py): what the conversations service
stores and reports as `masked`, and what the pages' `mask_cards` filter shows — the same mask."""
from __future__ import annotations

from gateway.web import masking
from services.shared import card_masking
from services.shared.card_masking import mask_card_data, mask_card_texts, mask_cards

CARD = "4970 1012 3456 7893"  # Luhn-valid
IBAN = "FR76 3000 6000 0112 3456 7890 189"


def test_the_pages_filter_is_the_shared_rule() -> None:
    assert masking.mask_cards is card_masking.mask_cards


def test_card_numbers_are_masked_for_storage_as_the_pages_mask_them() -> None:
    text = f"Ma carte {CARD}, mon IBAN {IBAN}, appelez le 06 12 34 56 78"
    stored, kinds = mask_card_data(text)
    assert stored == mask_cards(text) == (
        f"Ma carte •••• •••• •••• 7893, mon IBAN {IBAN}, appelez le 06 12 34 56 78")
    assert kinds == ["card_number"]


def test_a_security_code_beside_a_card_is_masked_too_alone_it_stays() -> None:
    assert mask_card_data(f"{CARD} exp 09/28 cryptogramme 123") == (
        "•••• •••• •••• •••• exp 09/28 cryptogramme •••", ["card_number", "card_security_code"])
    for untouched in ("mon CVV est 123", f"IBAN {IBAN}", "4970 1012 3456 7890", "", None):
        assert mask_card_data(untouched) == (untouched, [])


def test_several_texts_report_what_was_masked_in_any() -> None:
    assert mask_card_texts(f"Carte {CARD}", "Bonjour") == (
        ["Carte •••• •••• •••• 7893", "Bonjour"], ["card_number"])
    assert mask_card_texts("Bonjour", None) == (["Bonjour", None], [])
