"""Card numbers in private messages, masked where a page shows them (the templates'
`mask_cards` filter): a customer's conversation, the console's, the customer's journey.

Display only. The stored text and the API's answers are left whole: nothing is lost (a
message sent by mistake is still the customer's, and a later decision to purge or mask at rest
stays possible), and the API's contract does not change under its clients. What the pages
stop doing is putting a full card number (PAN) on a screen an advisor reads — or a customer's
history, open on a shared computer. Only card numbers whose checksum holds (the detector's
`card_number`: Luhn, issuer and length) are masked, the detector's way: the last four digits
kept, or none when the text also holds the card's expiry or security code. IBANs and the rest
stay as written: a customer may well send their own IBAN to their advisor."""
from __future__ import annotations

from typing import Any

from services.moderation.detector import detect, mask


def mask_cards(text: Any) -> Any:
    """`text` with each card number masked ("•••• •••• •••• 7893"); anything else as it is.

    >>> mask_cards("Ma carte c’est 4970 1012 3456 7893, code 1234")
    'Ma carte c’est •••• •••• •••• 7893, code 1234'
    >>> mask_cards("IBAN FR76 3000 6000 0112 3456 7890 189")
    'IBAN FR76 3000 6000 0112 3456 7890 189'
    """
    if not isinstance(text, str) or not text:
        return text
    cards = [finding for finding in detect(text) if finding.kind == "card_number"]
    return mask(text, cards) if cards else text
