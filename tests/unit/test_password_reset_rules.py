"""A forgotten password and the account-security e-mails, without infrastructure (member review
s25, F2 and F8): reset tokens, the answer that tells nothing, the security notices of every
change of access to an account (told to its owner even when they did it), their e-mails (what,
when, what to do), the reset link's e-mail, and why neither can be turned off."""
from datetime import UTC, datetime, timedelta

import pytest
from marshmallow import ValidationError
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.security import loggable_target
from services.identity import domain as identity
from services.identity import schemas as _identity_schemas  # noqa: F401 - registers payloads
from services.identity import tokens
from services.notifications import domain
from services.notifications.domain import Facts
from services.notifications.schemas import PreferencesSchema
from services.shared.envelope import CommandContext, Envelope, NewEvent
from services.shared.payloads import REGISTRY
from services.shared.shredding import PERSONAL_FIELDS

pytestmark = pytest.mark.unit
NOW = datetime(2026, 3, 3, 13, 5, tzinfo=UTC)


def test_a_reset_token_is_random_stored_as_a_hash_and_usable_until_it_expires():
    token, digest = tokens.new_reset_token()
    assert tokens.RESET_TOKEN.fullmatch(token) and token not in digest
    assert digest == tokens.reset_token_hash(token) != tokens.reset_token_hash(token + "x")
    assert tokens.new_reset_token()[0] != token
    reset = {"user_id": "u1", "expires_at": NOW + timedelta(minutes=30)}
    assert tokens.reset_usable(reset, NOW)
    assert not tokens.reset_usable(reset, NOW + timedelta(minutes=30))
    assert not tokens.reset_usable({**reset, "user_id": None}, NOW)  # a decoy opens nothing
    assert not tokens.reset_usable(None, NOW)


def test_the_answer_is_one_and_the_token_travels_sealed_and_private():
    answer = identity.password_reset_received(30)
    assert answer["message"]["fr"].startswith("Si un compte existe pour cette adresse, un "
                                              "e-mail vient de lui être envoyé")
    assert "30 minutes" in answer["message"]["en"] and set(answer) == {"status", "message"}
    [event] = identity.password_reset_requested("u1", "t" * 43, NOW)
    assert REGISTRY.is_private(event.type)
    assert set(PERSONAL_FIELDS[event.type].fields) == {"token"}  # sealed with the member's key
    assert REGISTRY.serialize(event.type, event.payload)[0] == 1
    # a password change says how; version 1 (before resets) was always the member's change
    assert REGISTRY.upcast(identity.PASSWORD_CHANGED, 1, {"user_id": "u1"}) == (
        2, {"user_id": "u1", "method": "change"})


def _event(event_type, payload, actor="u1", at="2026-03-03T13:05:00+00:00"):
    envelope = Envelope.new(NewEvent(event_type, {"user_id": "u1", **payload}),
                            stream_id="account-u1", stream_version=2,
                            context=CommandContext(actor=actor))
    return Envelope.from_dict({**envelope.to_dict(), "occurred_at": at})


SECURITY = [
    ("identity.password_changed", {"method": "change"}, "password_changed",
     "Your password was changed"),
    ("identity.password_changed", {"method": "reset"}, "password_reset",
     "Your password was reset"),
    ("identity.mfa_enabled", {"method": "totp"}, "mfa_enabled", "Second factor turned on"),
    ("identity.mfa_disabled", {"reason": "self"}, "mfa_disabled", "Second factor turned off"),
    ("identity.mfa_disabled", {"reason": "admin_reset"}, "mfa_reset",
     "Second factor reset by an administrator"),
    ("identity.recovery_code_used", {"remaining": 7}, "recovery_code_used",
     "A recovery code was used"),
]


@pytest.mark.parametrize(("event_type", "payload", "change", "subject"), SECURITY)
def test_every_change_of_access_is_told_to_the_owner_with_what_when_and_what_to_do(
        event_type, payload, change, subject):
    event = _event(event_type, payload)  # the owner's own action: told all the same
    [notice] = domain.notices_for(event, Facts())
    assert (notice.recipient, notice.type) == ("u1", "account_security")
    shown = {**domain.details(event, {}), "type": "account_security",
             "ts": int(datetime.fromisoformat(event.occurred_at).timestamp() * 1_000_000)}
    assert shown["security"] == change and shown["post_id"] is None
    english = domain.email(shown, "https://agora.test", "en")
    assert english.subject == f"[Agora] {subject}"
    assert "When: 2026-03-03 at 14:05 (Europe/Paris)." in english.text  # the member's clock
    assert "If it was not you, choose a new password now: https://agora.test/password/forgot" \
        in english.text
    assert english.text.endswith("they cannot be turned off.")
    assert "Choose what you receive" not in english.text and "Quelqu’un" not in english.text
    both = domain.email(shown, "https://agora.test")  # no language chosen: French, then English
    assert both.text.index("Date : le 03/03/2026 à 14:05") < both.text.index("When:")
    assert " / " in both.subject
    assert domain.link("https://agora.test", shown) == "https://agora.test/me/security"
    if change == "recovery_code_used":
        assert "recovery codes left: 7" in domain.render(shown, "en")


def test_the_reset_link_e_mail_says_who_asked_how_long_and_to_ignore_it_otherwise():
    token = "Ab-_" + "x" * 39
    message = domain.password_reset_email(token, "https://agora.test/", 30, "fr")
    assert message.subject == "[Agora] Choisissez un nouveau mot de passe Agora"
    assert f"https://agora.test/password/reset?token={token}\n" in message.text
    assert "Il ne sert qu’une fois, pendant 30 minutes." in message.text
    assert "ignorez cet e-mail : votre mot de passe n’a pas changé" in message.text
    both = domain.password_reset_email(token, "https://agora.test", 30)
    assert both.text.index("Quelqu’un") < both.text.index("Someone")
    assert "If it was not you, ignore this e-mail" in both.text


def test_account_security_e_mails_cannot_be_turned_off():
    chosen = {"account_security": {"email": "off", "push": True}}
    assert domain.preferences(chosen)["account_security"] == {
        "in_app": True, "email": "immediate", "push": True}
    schema = PreferencesSchema()
    for mode in ("off", "daily"):
        with pytest.raises(ValidationError) as refused:
            schema.load({"types": {"account_security": {"email": mode}}})
        assert refused.value.messages == {
            "types": ["account security e-mails cannot be turned off"]}
    assert schema.load({"types": {"account_security": {"email": "immediate", "push": True}}})


def test_a_reset_token_is_redacted_from_log_lines_even_inside_a_next_address():
    def target(path, query):
        return loggable_target(Request(EnvironBuilder(path=path, query_string=query)
                                       .get_environ()))

    assert target("/password/reset", "token=s3cret") == "/password/reset?token=[redacted]"
    logged = target("/session/refresh", "next=%2Fpassword%2Freset%3Ftoken%3Ds3cret&x=1")
    assert "s3cret" not in logged and logged.startswith("/session/refresh?next=/password/reset")


def test_the_e_mails_links_are_pages_the_site_serves():
    from gateway.service import GatewayService
    from gateway.web.page import pages_of

    served = {(spec.method, spec.path) for spec in pages_of(GatewayService)}
    for page in (domain.FORGOTTEN_PASSWORD_PAGE, domain.PASSWORD_RESET_PAGE):
        assert {("GET", page), ("POST", page)} <= served
    assert ("GET", domain.SECURITY_PAGE) in served
