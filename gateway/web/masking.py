"""Card numbers in private messages, masked where a page shows them (the templates'
`mask_cards` filter): a customer's conversation, the console's, the customer's journey.

The rule is services/shared/card_masking.py, the one the conversations service applies when it
stores a message: the text stored since then is masked already, and the filter stays for the
messages stored whole before (and costs nothing on a masked one)."""
from __future__ import annotations

from services.shared.card_masking import mask_cards

__all__ = ["mask_cards"]
