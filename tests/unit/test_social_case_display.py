"""How the console names a social-media case and says where a reply to it goes
(gateway/web/social_cases.py): made from the case's structured fields in the reader's language,
whatever text the intake stored (French, with the network's lowercase code)."""
from __future__ import annotations

from functools import partial

import pytest

from gateway.web import i18n
from gateway.web.social_cases import network_label, reply_destination, shown_subject

STORED = "Mention sur les réseaux sociaux (twitter)"  # what the intake stores (fr.yaml)


def case(channel="twitter", member_id="usr_0a1b2c3d4e5f", **fields):
    return {"id": "c1", "origin": "social", "channel": channel, "member_id": member_id,
            "subject": STORED, **fields}


def t(language):
    return partial(i18n.translate, language)


@pytest.mark.parametrize(("language", "channel", "subject"), [
    ("fr", "twitter", "Mention sur Twitter"),
    ("en", "twitter", "Twitter mention"),
    ("en", "linkedin", "LinkedIn mention"),
    ("fr", "facebook", "Mention sur Facebook"),
    ("en", "instagram", "Instagram mention"),
    ("fr", "x", "Mention sur X"),
    ("fr", "other", "Mention sur un réseau social"),
    ("en", "other", "Social media mention"),
    ("en", None, "Social media mention"),
])
def test_a_social_case_is_named_by_its_network_in_the_readers_language(language, channel,
                                                                         subject):
    assert shown_subject(t(language), case(channel)) == subject


def test_other_conversations_keep_the_subject_their_member_wrote():
    private = {"origin": "member", "subject": "Plafond de carte", "channel": None}
    assert shown_subject(t("en"), private) == "Plafond de carte"
    assert shown_subject(t("en"), {"origin": "escalation"}) is None


def test_a_message_badge_names_its_network():
    assert network_label(t("fr"), "linkedin") == "LinkedIn"
    assert network_label(t("en"), "other") == "Social network"


def test_a_reply_to_a_members_case_goes_to_their_agora_inbox_not_the_network():
    said = reply_destination(t("fr"), case("twitter"))
    assert not said["nobody"]
    assert "messagerie Agora" in said["text"] and "pas publiée sur Twitter" in said["text"]
    said = reply_destination(t("en"), case("facebook"))
    assert "Agora inbox" in said["text"] and "not posted on Facebook" in said["text"]


def test_a_reply_to_an_unmatched_author_reaches_nobody():
    said = reply_destination(t("en"), case("twitter", member_id="external:twitter"))
    assert said["nobody"]
    assert "only recorded here" in said["text"] and "not posted on Twitter" in said["text"]
    assert "does not receive it" in said["text"]


def test_other_conversations_say_nothing_of_a_network():
    assert reply_destination(t("fr"), {"origin": "member", "member_id": "usr_1"}) is None
