"""Whom a member writes to privately: their advisor (a customer's), else the bank's team. The
private pages (messages.py) and a refused text's way out (thread_actions.py) word it alike."""
from __future__ import annotations

from typing import Any

from ..page import PageCall


def my_advisor(identity, call: PageCall) -> dict[str, Any] | None:
    """The member's advisor, None for a member without one: the pages then say "Écrire à
    l'équipe de la banque" rather than "Écrire à votre conseiller"."""
    advisor, problem = call.attempt(identity.get_my_advisor, call.actor)
    return None if problem is not None else advisor
