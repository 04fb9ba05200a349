"""Addresses as identity keys and proves them (attacker review s25, F1 and F8): look-alikes of an
address are the same key or refused with a field error in French and English; a confirmation
link's events; the reset's limits are settings; demo verification is refused in production."""
from datetime import timedelta

import pytest

from services.identity import domain, limits
from services.identity.admin import verify_locally
from services.identity.dependencies import _reset_policies
from services.notifications import domain as notifications
from services.shared import i18n
from services.shared.errors import InvalidInput

from .streams import NOW

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("raw", [
    "attacker-a1@example.org\u200b",  # a trailing zero-width space
    "attacker-a1@ex\u00adample.org",  # a soft hyphen in the domain
    "\ufeffattacker-a1@example.org",  # a byte-order mark
    "attacker\u200d-a1@example.org",  # a zero-width joiner
    "attacker-a1\ufe0f@example.org",  # a variation selector
])
def test_invisible_characters_make_no_second_address(raw):
    assert domain.normalize_email(raw) == "attacker-a1@example.org"


@pytest.mark.parametrize("raw, reason, french", [
    ('"attacker-a1"@example.org', "quoted", "Écrivez l’adresse sans guillemets."),
    ("attacker-a1@[127.0.0.1]", "ip_literal", "Utilisez une adresse avec un nom de domaine"),
    ("attacker-a1@[IPv6:::1]", "ip_literal", "Utilisez une adresse avec un nom de domaine"),
    ("attacker-a1@127.0.0.1", "ip_literal", "Utilisez une adresse avec un nom de domaine"),
    ("attacker-a1@ex\u0430mple.org", "mixed_script", "Le domaine mélange des alphabets"),
    ("attacker-a1@example.\u043erg", "mixed_script", "Le domaine mélange des alphabets"),
])
def test_look_alike_addresses_are_refused_on_the_field_in_both_languages(raw, reason, french):
    with pytest.raises(InvalidInput) as refused:
        domain.normalize_email(raw)
    [message] = refused.value.details["fields"]["email"]
    assert message == domain.EMAIL_REFUSALS[reason]
    assert i18n.field_text("en", message) == message  # a catalogue text, not a stray string
    assert i18n.field_text("fr", message).startswith(french)


@pytest.mark.parametrize("raw", ["ada@пример.рф", "ada@例え.jp", "ada@exa-mple2.org",
                                 "ada@bücher.de"])
def test_a_domain_in_one_script_is_accepted(raw):
    assert domain.normalize_email(raw) == raw


def test_the_confirmation_link_and_the_verification_are_private_events():
    [requested] = domain.email_verification_requested("u1", "t" * 43, NOW + timedelta(hours=48))
    assert requested.type == "identity.email_verification_requested"
    assert requested.payload == {"user_id": "u1", "token": "t" * 43,
                                 "expires_at": (NOW + timedelta(hours=48)).isoformat()}
    [verified] = domain.email_verified("u1", domain.VERIFIED_BY_RESET)
    assert (verified.type, verified.payload) == ("identity.email_verified",
                                                 {"user_id": "u1", "method": "reset"})


@pytest.mark.parametrize("language, words", [
    ("fr", ["Confirmez votre adresse e-mail", "pendant 48 heures", "/verify-email?token=a%2Fb"]),
    ("en", ["Confirm your Agora e-mail address", "for 48 hours", "/verify-email?token=a%2Fb"]),
])
def test_the_confirmation_e_mail_is_in_the_members_language(language, words):
    message = notifications.email_verification_email("a/b", "https://agora.example/", 2880,
                                                     language)
    assert all(word in message.subject + message.text for word in words)


def test_the_reset_limits_are_settings_with_the_former_constants_as_defaults():
    assert _reset_policies({}) == {"pair": limits.RESET_PAIR_POLICY,
                                   "address": limits.RESET_ADDRESS_POLICY,
                                   "account": limits.RESET_ACCOUNT_POLICY}
    policies = _reset_policies({"password_reset_pair_limit": "2",
                                "password_reset_window_seconds": "600"})
    assert (policies["pair"].limit, policies["pair"].window) == (2, timedelta(minutes=10))
    assert policies["account"].limit == limits.RESET_ACCOUNT_POLICY.limit


def test_demo_addresses_are_never_verified_without_their_mailbox_in_production(monkeypatch):
    monkeypatch.setenv("AGORA_ENVIRONMENT", "production")
    with pytest.raises(RuntimeError, match="production"):
        verify_locally("member1@demo.agora", {})
