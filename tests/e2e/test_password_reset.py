"""A forgotten password through the gateway, read from the e-mails the platform sends (member
review s25, F2), and the security e-mails of a password or second-factor change (F8).

The reset: the same answer for every address, a link e-mailed to an account's owner that works
once, for a while, and only while it is the latest; using it revokes every session and never
bypasses the second factor; its token is in no log line. The security e-mails: a password
changed or reset, a second factor turned on or off, a recovery code used — each says what and
when, and what to do if it was not the owner; they cannot be turned off."""
from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

from services.devtools.gateway_client import TotpDevice
from services.shared.envelope import Envelope
from services.shared.shredding import SubjectKeys, is_sealed, unseal_envelope

from ..conftest import wait_for
from .clients import Subscriber
from .steps import mail, ok, problem

LINK = re.compile(r"(https?://[^\s]+)/password/reset\?token=([A-Za-z0-9_%-]+)")
NEW_PASSWORD = "a brand new passphrase for Agora"


def _ask(api, email, address):
    return api.post("/api/v1/auth/password-reset", json={"email": email},
                    headers={"X-Forwarded-For": address})


def _confirm(api, token, password=NEW_PASSWORD):
    return api.post("/api/v1/auth/password-reset/confirm",
                    json={"token": token, "password": password})


def _reset_mails(platform, user):
    return [m for m in platform.mailsink.messages(to=user.email) if LINK.search(m.get_content())]


def _link(platform, api, user, address=None):
    """Ask for a reset link for `user` and read its token from the e-mail that brings it."""
    before = len(_reset_mails(platform, user))
    assert _ask(api, user.email, address or user.address).status_code == 202
    message = wait_for(lambda: _reset_mails(platform, user)[before:], timeout=20,
                       message=f"a reset link for {user.email}")[0]
    return unquote(LINK.search(message.get_content()).group(2)), message


def test_a_forgotten_password_is_reset_once_by_the_e_mailed_link(platform, api):
    ada = api.new_user()
    elsewhere = ok(api.post("/api/v1/auth/login", json={"email": ada.email,
                                                        "password": ada.password}))
    nobody = api.unique_email("nobody")
    # the same answer for an account's address and for an address without one
    for_ada, for_nobody = _ask(api, ada.email, ada.address), _ask(api, nobody, ada.address)
    assert for_ada.status_code == for_nobody.status_code == 202
    assert for_ada.json() == for_nobody.json()
    assert for_ada.json()["message"]["fr"].startswith("Si un compte existe pour cette adresse")
    message = wait_for(lambda: _reset_mails(platform, ada), timeout=20, message="the link")[0]
    token = unquote(LINK.search(message.get_content()).group(2))
    # an owner who never chose a language reads it in French and English
    text = message.get_content()
    assert "Choisissez un nouveau mot de passe" in message["Subject"]
    assert "pendant 30 minutes" in text and "for 30 minutes" in text
    assert "ignorez cet e-mail : votre mot de passe n’a pas changé" in text
    assert message["List-Unsubscribe"] is None
    assert not platform.mailsink.messages(to=nobody)

    # a password the rules refuse: said on the field, the link still works
    weak = problem(_confirm(api, token, "azertyuiop12"), 400)
    assert set(weak["errors"]) == {"password"}
    assert api.post("/api/v1/auth/password-reset/confirm", json={"token": token}).status_code \
        == 400
    assert _confirm(api, token).status_code == 204
    # every session revoked, the old password refused, the new one signs in
    problem(api.post("/api/v1/auth/refresh", json={"refresh_token": elsewhere["refresh_token"]}),
            401)
    wait_for(lambda: api.get("/api/v1/me", token=elsewhere["access_token"]).status_code == 401,
             message="the sessions revoked by the reset")
    problem(api.post("/api/v1/auth/login", json={"email": ada.email, "password": ada.password}),
            401)
    ada.password = NEW_PASSWORD
    api.login(ada)
    # a link works once
    used = problem(_confirm(api, token, "yet another long passphrase"), 400)
    assert set(used["errors"]) == {"token"}
    assert "demandez-en un nouveau" in used["detail"]
    # the owner is told the password was reset, with what to do if it was not them
    told = mail(platform, ada, "Votre mot de passe a été réinitialisé")
    assert "Date : le " in told.get_content() and "/password/forgot" in told.get_content()
    assert told["List-Unsubscribe"] is None  # account security cannot be turned off
    # the token is in no log line of any process (the access log, the services' logs)
    for log in platform.log_dir.glob("*.log"):
        assert token not in log.read_text(errors="replace"), log.name


def test_the_token_travels_sealed_on_the_private_exchange_only(platform, api, mongo_client):
    public = Subscriber(platform.amqp_uri, "identity.events")
    private = Subscriber(platform.amqp_uri, "identity.private")
    try:
        ada = api.new_user()
        token, _ = _link(platform, api, ada)
        [(_, _, envelope)] = [item for item in private.drain() if item[0] ==
                              "identity.password_reset_requested"
                              and item[2]["payload"]["user_id"] == ada.id]
        assert is_sealed(envelope["payload"]["token"]) and token not in json.dumps(envelope)
        keys = SubjectKeys.in_database(mongo_client[f"{platform.db_prefix}_keys"])
        assert unseal_envelope(keys, Envelope.from_dict(envelope)).payload["token"] == token
        assert not [item for item in public.drain() if "password_reset" in item[0]
                    or token in json.dumps(item[2])]
    finally:
        public.close()
        private.close()


def test_only_the_latest_link_works_and_only_until_it_expires(platform, api, mongo_client):
    ada = api.new_user()
    first, _ = _link(platform, api, ada)
    second, _ = _link(platform, api, ada)
    problem(_confirm(api, first), 400)  # a newer link replaced it
    # a password change ends the pending link too
    ok(api.post("/api/v1/me/password", user=ada, json={
        "current_password": ada.password, "new_password": NEW_PASSWORD}), 204)
    ada.password = NEW_PASSWORD
    problem(_confirm(api, second, "yet another long passphrase"), 400)
    # expired: the link's moment has passed (its record is identity's, as a clock would age it)
    third, _ = _link(platform, api, ada)
    resets = mongo_client[f"{platform.db_prefix}_identity"]["password_resets"]
    assert resets.update_many({"user_id": ada.id}, {"$set": {
        "expires_at": datetime.now(UTC) - timedelta(seconds=1)}}).modified_count == 1
    assert set(problem(_confirm(api, third, "yet another long passphrase"), 400)["errors"]) \
        == {"token"}
    # identity keeps the token's hash, never the token
    assert not resets.find_one({"_id": third}) and third not in str(list(resets.find()))
    api.login(ada)


def test_a_reset_never_bypasses_the_second_factor_and_every_change_is_told(platform, api):
    ada = api.new_user()
    ok(api.patch("/api/v1/me", user=ada, json={"language": "en"}))
    enrolment = ok(api.post("/api/v1/me/mfa", user=ada), 201)
    device = TotpDevice(enrolment["secret"], list(enrolment["recovery_codes"]))
    ok(api.post("/api/v1/me/mfa/confirm", user=ada, json={"code": device.next_code()}))
    ada.device = device
    on = mail(platform, ada, "Second factor turned on")
    # an owner who chose English reads only English; security mails cannot be unsubscribed
    assert "Agora sends these security e-mails" in on.get_content()
    assert "Quelqu’un" not in on.get_content() and on["List-Unsubscribe"] is None

    token, message = _link(platform, api, ada)
    assert message["Subject"] == "[Agora] Choose a new Agora password"
    assert _confirm(api, token).status_code == 204
    ada.password = NEW_PASSWORD
    answer = ok(api.post("/api/v1/auth/login", headers={"X-Forwarded-For": ada.address},
                         json={"email": ada.email, "password": NEW_PASSWORD}))
    assert answer.get("mfa_required") is True and "access_token" not in answer
    recovery = device.recovery_codes.pop(0)
    ok(api.post("/api/v1/auth/login/mfa", headers={"X-Forwarded-For": ada.address},
                json={"challenge": answer["challenge"], "code": recovery}))
    used = mail(platform, ada, "A recovery code was used").get_content()
    assert "recovery codes left: 9" in used and recovery not in used
    api.login(ada)
    assert api.delete("/api/v1/me/mfa", user=ada, json={
        "password": NEW_PASSWORD, "code": device.current_code()}).status_code == 204
    off = mail(platform, ada, "Second factor turned off").get_content()
    assert "If it was not you, choose a new password now" in off
    assert "When: " in off and ada.address not in off


def test_security_e_mails_are_sent_whoever_changed_and_cannot_be_turned_off(platform, api):
    ada = api.new_user()
    refused = problem(api.put("/api/v1/me/notification-preferences", user=ada, json={
        "types": {"account_security": {"email": "off"}}}), 400)
    assert "types" in refused["errors"]
    prefs = ok(api.put("/api/v1/me/notification-preferences", user=ada, json={
        "types": {"account_security": {"email": "immediate", "push": True}}}))
    assert prefs["types"]["account_security"]["email"] == "immediate"
    ok(api.post("/api/v1/me/password", user=ada, json={
        "current_password": ada.password, "new_password": NEW_PASSWORD}), 204)
    changed = mail(platform, ada, "Votre mot de passe a été changé").get_content()
    assert "Si ce n’était pas vous, choisissez tout de suite un nouveau mot de passe" in changed
    assert "The password of your Agora account was changed." in changed  # French and English
    ada.password = NEW_PASSWORD
    api.login(ada)
    notices = wait_for(lambda: [n for n in ok(api.get("/api/v1/me/notifications", user=ada))[
        "items"] if n["type"] == "account_security"], timeout=20, message="the notice")
    assert notices[0]["text"] == "Le mot de passe de votre compte Agora a été changé."
    assert notices[0]["link"].endswith("/me/security")


def test_reset_requests_are_limited_alike_whether_or_not_the_address_has_an_account(api):
    ada = api.new_user()
    client = f"198.51.100.{uuid.uuid4().int % 200 + 20}"
    for email in (ada.email, api.unique_email("nobody")):
        for _ in range(5):  # per (client, address) pair: 5 an hour
            assert _ask(api, email, client).status_code == 202
        throttled = _ask(api, email, client)
        assert problem(throttled, 429)["retry_after"] > 0
        assert int(throttled.headers["Retry-After"]) > 0
    # another client is not refused for it; a malformed address is a field error
    assert _ask(api, ada.email, "198.51.100.250").status_code == 202
    assert set(problem(_ask(api, "not-an-address", client), 400)["errors"]) == {"email"}
