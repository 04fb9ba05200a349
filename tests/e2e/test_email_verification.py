"""Addresses proved before anything trusts them (attacker review s25, F1 and F8), through the
gateway and the e-mails the platform sends.

A squatter registering a customer's address is never matched: the staff's and the bank
systems' lookups by address and the social intake's `matched_email` answer as for an unknown
address (audited as finding nobody) until the owner follows the confirmation link e-mailed at
sign-up, or resets the password by e-mail. The link works once, only the latest, for 48 hours;
the member may ask for it again a few times an hour. Look-alike addresses are refused."""
from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

from services.identity.tokens import reset_token_hash

from ..conftest import wait_for
from .steps import ok, problem

LINK = re.compile(r"https?://[^\s]+/verify-email\?token=([A-Za-z0-9_%-]+)")
RESET_LINK = re.compile(r"/password/reset\?token=([A-Za-z0-9_%-]+)")
MENTIONS = "/api/v1/channels/social/mentions"


def _links(platform, user) -> list[str]:
    return [unquote(found.group(1)) for message in platform.mailsink.messages(to=user.email)
            if (found := LINK.search(message.get_content()))]


def _link(platform, user, count=1) -> str:
    return wait_for(lambda: (links := _links(platform, user))[count - 1:] and links,
                    timeout=20, message=f"confirmation link {count} for {user.email}")[-1]


def _live_link(platform, user, verifications) -> str:
    """The e-mailed link that still works: the one identity keeps the hash of."""
    live = {doc["_id"] for doc in verifications.find({"user_id": user.id})}
    assert len(live) == 1, live
    return wait_for(lambda: [token for token in _links(platform, user)
                             if reset_token_hash(token) in live], timeout=20,
                    message=f"the latest confirmation link for {user.email}")[0]


def _confirm(api, token):
    return api.post("/api/v1/auth/email-verification/confirm", json={"token": token})


def _lookup(platform, api, user):
    return ok(api.get("/api/v1/users", params={"email": user.email},
                      headers=platform.service_key))["items"]


def _mention(platform, api, user):
    return ok(api.post(MENTIONS, headers=platform.service_key, json={
        "channel": "twitter", "external_id": uuid.uuid4().hex, "handle": "@jeanne",
        "text": "virement de 2 300 € bloqué, dossier 88412",
        "matched_email": user.email.upper()}), 201)


def test_only_an_address_its_owner_confirmed_names_a_member(platform, api, mongo_client,
                                                             conversations_db):
    squatter = api.new_user(customer=True)
    assert ok(api.get("/api/v1/me", user=squatter))["email_verified"] is False
    # the bank's systems and staff find nobody, and the lookup is audited as finding nobody
    assert _lookup(platform, api, squatter) == []
    assert ok(api.get("/api/v1/users", params={"email": squatter.email},
                      user=platform.admin))["items"] == []
    reads = mongo_client[f"{platform.db_prefix}_identity"]["privileged_reads"]
    assert [r["found_user_id"] for r in reads.find({"action": "user_by_email"})
            .sort("at", -1).limit(2)] == [None, None]
    # the social intake leaves the case unmatched, in the staff queue
    unmatched = _mention(platform, api, squatter)
    assert not unmatched["matched"] and unmatched["queue"]
    problem(api.get(f"/api/v1/conversations/{unmatched['conversation_id']}", user=squatter),
            404)

    # the owner follows the e-mailed link: sent in both languages (no language chosen yet)
    message = wait_for(lambda: [m for m in platform.mailsink.messages(to=squatter.email)
                                if LINK.search(m.get_content())], timeout=20,
                       message="the confirmation e-mail")[0]
    assert "Confirmez votre adresse e-mail" in message["Subject"]
    assert "pendant 48 heures" in message.get_content()
    assert "for 48 hours" in message.get_content()
    token = _link(platform, squatter)
    assert ok(_confirm(api, token)) == {"user_id": squatter.id, "email_verified": True}
    assert ok(api.get("/api/v1/me", user=squatter))["email_verified"] is True
    assert [m["id"] for m in _lookup(platform, api, squatter)] == [squatter.id]
    wait_for(lambda: (conversations_db["members"].find_one({"_id": squatter.id}) or {})
             .get("email_verified"), timeout=20, message="conversations knows it is verified")
    matched = _mention(platform, api, squatter)
    assert matched["matched"]
    ok(api.get(f"/api/v1/conversations/{matched['conversation_id']}", user=squatter))
    # used: refused on the field, in French by default
    used = problem(_confirm(api, token), 400)
    assert set(used["errors"]) == {"token"}
    assert "lien de confirmation est inconnu, déjà utilisé ou expiré" in used["detail"]


def test_a_password_reset_proves_the_mailbox(platform, api):
    member = api.new_user()
    signup_token = _link(platform, member)
    assert api.post("/api/v1/auth/password-reset", json={"email": member.email},
                    headers={"X-Forwarded-For": member.address}).status_code == 202
    message = wait_for(lambda: [m for m in platform.mailsink.messages(to=member.email)
                                if RESET_LINK.search(m.get_content())], timeout=20,
                       message="the reset link")[0]
    reset = unquote(RESET_LINK.search(message.get_content()).group(1))
    assert api.post("/api/v1/auth/password-reset/confirm", json={
        "token": reset, "password": "a brand new passphrase for Agora"}).status_code == 204
    member.password = "a brand new passphrase for Agora"
    api.login(member)
    assert ok(api.get("/api/v1/me", user=member))["email_verified"] is True
    assert [m["id"] for m in _lookup(platform, api, member)] == [member.id]
    problem(_confirm(api, signup_token), 400)  # nothing left to confirm: the link is gone


def test_links_expire_only_the_latest_works_and_asking_again_is_limited(platform, api,
                                                                        mongo_client):
    member = api.new_user()
    first = _link(platform, member)
    problem(_confirm(api, "x" * 43), 400)  # unknown
    problem(_confirm(api, ""), 400)
    # asked again: a new link, the first one stops working
    assert ok(api.post("/api/v1/me/email-verification", user=member), 202) == {
        "user_id": member.id, "email_verified": False}
    second = _link(platform, member, count=2)
    assert second != first
    problem(_confirm(api, first), 400)
    # expired: the link's moment has passed (its record is identity's, as a clock would age it)
    verifications = mongo_client[f"{platform.db_prefix}_identity"]["email_verifications"]
    assert verifications.update_one({"user_id": member.id}, {"$set": {
        "expires_at": datetime.now(UTC) - timedelta(seconds=1)}}).modified_count == 1
    assert set(problem(_confirm(api, second), 400)["errors"]) == {"token"}
    assert ok(api.get("/api/v1/me", user=member))["email_verified"] is False
    # 5 an hour per account, then 429 with Retry-After
    for _ in range(4):
        ok(api.post("/api/v1/me/email-verification", user=member), 202)
    throttled = api.post("/api/v1/me/email-verification", user=member)
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 0
    # a verified address sends nothing more; of the requests sent in a row, the newest link
    # comes (a pending mail of an older one is replaced before it goes out)
    ok(_confirm(api, _live_link(platform, member, verifications)))
    sent = len(_links(platform, member))
    verified = api.new_user()
    ok(_confirm(api, _link(platform, verified)))
    assert ok(api.post("/api/v1/me/email-verification", user=verified), 202)[
        "email_verified"] is True
    assert len(_links(platform, verified)) == 1 and len(_links(platform, member)) == sent


def test_look_alike_addresses_are_refused_with_a_field_error(api):
    unique = uuid.uuid4().hex[:10]
    for address, french in [(f'"look-{unique}"@example.org', "sans guillemets"),
                            (f"look-{unique}@ex\u0430mple.org", "mélange des alphabets")]:
        refused = problem(api.post("/api/v1/auth/register", json={
            "email": address, "password": "e2e correct horse battery",
            "display_name": "Look Alike"}), 400)
        assert any(french in text for text in refused["errors"]["email"]), refused
    # invisible characters make no second account: the same address, the owner told
    owner = api.new_user(email=f"look-{unique}@example.org")
    again = api.post("/api/v1/auth/register", json={
        "email": f"look-{unique}@example.org\u200b", "password": "e2e correct horse battery",
        "display_name": "Look Alike"})
    assert again.status_code == 202 and again.json()["email"] == owner.email
