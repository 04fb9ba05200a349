"""Card numbers, PINs and passwords in private messages: the one masking rule, used where a
message is stored (the conversations service) and where a page shows one (gateway/web/masking.py,
the templates' `mask_cards` filter; static/js/confidential.js `maskCards` does the same in the
browser).

A full card number (PAN) kept in the stored text, the API's answers and the exports would put
Agora in PCI DSS scope, so the conversations service stores the text masked (`mask_card_data`);
the pages keep masking on display (`mask_cards`) for the messages stored whole before that.
Only card numbers whose checksum holds (the detector's `card_number`: Luhn, issuer and length)
are masked, the detector's way: the last four digits kept, or none when the text also holds the
card's expiry or security code. A security code found in the same text as a card number (the
detector's `card_security_code`: after "CVV", "cryptogramme", ... or right after the expiry) is
masked too when stored: it must never be kept (PCI DSS 3.3). A PIN or a password (the detector's
`pin_code` and `password`: after "code PIN", "mot de passe : ", ...) is masked when stored
wherever it is: the bank never asks for either, and nobody may read it in a message, the advisor
included. IBANs, account numbers and the rest stay as written: a customer may well send their own
IBAN to their advisor.

Pure: no I/O, the detector's functions only.
"""
from __future__ import annotations

from typing import Any

from services.moderation.detector import PASSWORD, PIN_CODE, detect, mask

CARD_NUMBER = "card_number"
CARD_SECURITY_CODE = "card_security_code"
#: What is masked wherever it is found, card number or not: secrets only their holder knows.
SECRET_KINDS = (PIN_CODE, PASSWORD)
#: What the service masks when it stores a text (and reports as `masked`), in this order.
MASKED_KINDS = (CARD_NUMBER, CARD_SECURITY_CODE, *SECRET_KINDS)
#: The card's data only: what `agora mask-at-rest` masks in texts stored before write-time masking
#: (documented as card numbers; a PIN or "password" guessed in old history is not rewritten).
CARD_KINDS = (CARD_NUMBER, CARD_SECURITY_CODE)


def mask_cards(text: Any) -> Any:
    """`text` with each card number masked ("•••• •••• •••• 7893"); anything else as it is.

    >>> mask_cards("Ma carte c’est 4970 1012 3456 7893, code 1234")
    'Ma carte c’est •••• •••• •••• 7893, code 1234'
    >>> mask_cards("IBAN FR76 3000 6000 0112 3456 7890 189")
    'IBAN FR76 3000 6000 0112 3456 7890 189'
    """
    if not isinstance(text, str) or not text:
        return text
    cards = [finding for finding in detect(text) if finding.kind == CARD_NUMBER]
    return mask(text, cards) if cards else text


def mask_card_data(text: str | None, kinds: tuple[str, ...] = MASKED_KINDS,
                   ) -> tuple[str | None, list[str]]:
    """(`text` as it is to be stored, the kinds masked in it, in the detector's order): card
    numbers as `mask_cards` masks them, and, beside a card number, its security code (alone,
    "CVV 123" is no card: left as written); a PIN and a password wherever they are. Only the
    `kinds` asked for (`CARD_KINDS`: the card's data, nothing else).

    >>> mask_card_data("Carte 4970 1012 3456 7893 09/28 CVV 123")
    ('Carte •••• •••• •••• •••• 09/28 CVV •••', ['card_number', 'card_security_code'])
    >>> mask_card_data("Mon IBAN FR76 3000 6000 0112 3456 7890 189, CVV 123")
    ('Mon IBAN FR76 3000 6000 0112 3456 7890 189, CVV 123', [])
    >>> mask_card_data("mon code PIN est 4821, mot de passe : Soleil2024!")
    ('mon code PIN est ••••, mot de passe : ••••••••', ['pin_code', 'password'])
    >>> mask_card_data("mon code PIN est 4821", kinds=CARD_KINDS)
    ('mon code PIN est 4821', [])
    """
    if not text:
        return text, []
    findings = [finding for finding in detect(text) if finding.kind in kinds]
    card = any(finding.kind == CARD_NUMBER for finding in findings)
    masked = [finding for finding in findings
              if finding.kind in SECRET_KINDS or (card and finding.kind in MASKED_KINDS)]
    if not masked:
        return text, []
    found = {finding.kind for finding in masked}
    return mask(text, masked), [kind for kind in MASKED_KINDS if kind in found]


def mask_card_texts(*texts: str | None) -> tuple[list[str | None], list[str]]:
    """Each of `texts` as `mask_card_data` stores it, and the kinds masked in any of them (a
    conversation's subject and first message).

    >>> mask_card_texts("Carte 4970101234567893", "Bonjour")
    (['Carte ••••••••••••7893', 'Bonjour'], ['card_number'])
    """
    results = [mask_card_data(text) for text in texts]
    found = {kind for _, kinds in results for kind in kinds}
    return [text for text, _ in results], [kind for kind in MASKED_KINDS if kind in found]
