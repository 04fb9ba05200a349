"""How the console shows a social-media case (a public mention taken in by the social-listening
intake, conversations' origin ``social``): its subject, its network's name, where a reply goes.

The intake stores a case's subject once, as text, in its member's language and with the
network's code ("Mention sur les réseaux sociaux (twitter)"): read in English, or by anyone, it
said neither the reader's words nor the network's name. The case carries its network as a field
(``channel``, the first mention's), so the subject shown is made from that field in the reader's
language, in the console and on the member's own pages alike (`shown_conversation`); the stored
text is kept as it is (the API still answers it).

Where a staff reply goes (services/conversations: ``post_message`` appends a message like any
other, ``message_posted`` names the participants): nothing is ever posted back on the network. A
case matched to a member has that member as a participant, who is notified and reads the reply in
their Agora inbox; a case nobody matched ("external:<channel>") has no one outside the staff, so
the reply is only recorded in Agora.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.conversations.domain import mention_member
from services.conversations.schemas import NETWORK_NAMES

SOCIAL_ORIGIN = "social"

Translate = Callable[..., str]


def is_social_case(conversation: dict[str, Any]) -> bool:
    return conversation.get("origin") == SOCIAL_ORIGIN


def network_name(t: Translate, channel: str | None) -> str:
    """The network in a sentence: "LinkedIn" for "linkedin"; "other" or no channel: "the
    social network" in `t`'s words."""
    return NETWORK_NAMES.get(channel or "") or t("console.social_network_other")


def network_label(t: Translate, channel: str | None) -> str:
    """The network on a message's badge: "LinkedIn"; "other": "Social network"."""
    return NETWORK_NAMES.get(channel or "") or t("customer_timeline.channel_social")


def shown_subject(t: Translate, conversation: dict[str, Any]) -> str | None:
    """The subject a console page shows: a social case's made from its network in the reader's
    language ("Twitter mention"), any other conversation's as its member wrote it (None: none)."""
    if not is_social_case(conversation):
        return conversation.get("subject")
    channel = conversation.get("channel")
    if channel in NETWORK_NAMES:
        return t("console.social_subject", network=NETWORK_NAMES[channel])
    return t("console.social_subject_other")


def shown_conversation(t: Translate, conversation: dict[str, Any]) -> dict[str, Any]:
    """A conversation as a page shows it (the console's and its member's, list and page alike):
    a social case's subject in the reader's words; the service's data is left as it is."""
    return {**conversation, "subject": shown_subject(t, conversation)}


def reply_destination(t: Translate, conversation: dict[str, Any]) -> dict[str, Any] | None:
    """What the reply box of a social case says of where the reply goes (None: not a social
    case): privately to the member's Agora inbox, or, nobody matched, to nobody (`nobody`) —
    never on the network."""
    if not is_social_case(conversation):
        return None
    network = network_name(t, conversation.get("channel"))
    if not mention_member(conversation.get("member_id") or ""):
        return {"text": t("console.social_reply_unmatched", network=network), "nobody": True}
    return {"text": t("console.social_reply_member", network=network), "nobody": False}
