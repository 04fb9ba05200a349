"""Through the gateway: control characters refused in single-line fields, and confidential data
refused in texts that are published as typed (profiles, idea-status notes) — never on the public
exchanges other bank systems read (pika subscribers, as those systems would)."""
from __future__ import annotations

import json
from contextlib import closing

from services.shared.envelope import Envelope
from services.shared.shredding import SubjectKeys, is_sealed, unseal_envelope

from ..conftest import wait_for
from ..integration.posts.fixtures import public_subscriber
from .clients import Subscriber
from .steps import ok, problem, queued, staff, submit, visible

IBAN = "FR76 3000 6000 0112 3456 7890 189"
# The IBAN's digits as text or run together, each piece long enough that a random id, a
# hash or a millisecond timestamp elsewhere in an event cannot contain it by chance (a bare
# "7890" did, now and then).
IBAN_DIGITS = ("3000 6000", "300060000112", "3456 7890", "34567890189")


def _carries_the_iban(received):
    return [key for key, _, envelope in received
            if any(digits in json.dumps(envelope) for digits in IBAN_DIGITS)]


def test_the_leak_check_finds_the_iban_in_any_spacing():
    for written in (IBAN, IBAN.replace(" ", ""), IBAN.lower()):
        event = ("posts.idea_status_changed", None, {"payload": {"note": written}})
        assert _carries_the_iban([event]) == ["posts.idea_status_changed"], written


def test_a_title_with_cr_lf_is_refused_with_a_field_error(api):
    author = api.new_user()
    body = {"kind": "question", "title": "Card\r\nBcc: everyone@bank.example",
            "body": "How do I raise my limit?", "category": "cards"}
    refused = problem(api.post("/api/v1/posts", user=author, json=body), 400)
    assert "U+000D" in refused["errors"]["title"][0], refused
    refused = problem(api.post("/api/v1/posts", user=author, json={**body, "title": "Card",
                                                                    "tags": ["app\n"]}), 400)
    assert "tags" in refused["errors"], refused
    refused = problem(api.patch("/api/v1/me", user=author,
                                json={"display_name": "Ada\u202enimda"}), 400)
    assert "U+202E" in refused["errors"]["display_name"][0], refused
    post = ok(api.post("/api/v1/posts", user=author, json={**body, "title": "Card limit"}), 201)
    refused = problem(api.patch(f"/api/v1/posts/{post['id']}", user=author,
                                json={"title": "Card\nlimit"}), 400)
    assert "title" in refused["errors"]


def test_an_iban_in_a_bio_is_refused_and_never_published(platform, api, mongo_client):
    keys = SubjectKeys.in_database(mongo_client[f"{platform.db_prefix}_keys"])
    with closing(Subscriber(platform.amqp_uri, "identity.events")) as identity_events:
        _iban_in_a_bio(api, identity_events, keys)


def _iban_in_a_bio(api, identity_events, keys):
    member = api.new_user()
    refused = problem(api.patch("/api/v1/me", user=member,
                                json={"bio": f"Pour me rembourser : {IBAN}"}), 422)
    assert refused["errors_i18n"]["en"]["bio"] == [
        "contains an IBAN: remove it, it would be public"]
    assert refused["errors"]["bio"] == refused["errors_i18n"]["fr"]["bio"] == [
        "contient un IBAN : retirez-le, il serait public"]  # the member's language
    assert not any(digits in json.dumps(refused) for digits in IBAN_DIGITS)
    refused = problem(api.patch("/api/v1/me", user=member,
                                json={"display_name": "Ada 06 12 34 56 78"}), 422)
    assert "a phone number" in refused["errors_i18n"]["en"]["display_name"][0]
    assert ok(api.get(f"/api/v1/users/{member.id}"))["bio"] == ""

    # A clean update afterwards reaches the bank systems: everything before it has too.
    ok(api.patch("/api/v1/me", user=member, json={"bio": "Client depuis 2004"}))
    wait_for(lambda: identity_events.find(
        lambda item: item[0] == "identity.profile_updated"
        and item[2]["payload"]["user_id"] == member.id), message="the clean profile update")
    updates = [envelope for key, _, envelope in identity_events.received
               if key == "identity.profile_updated" and envelope["payload"]["user_id"] == member.id]
    assert [sorted(envelope["payload"]) for envelope in updates] == [["bio", "user_id"]]
    assert is_sealed(updates[0]["payload"]["bio"])  # personal: sealed with the member's key
    assert unseal_envelope(keys, Envelope.from_dict(updates[0])).payload == {
        "user_id": member.id, "bio": "Client depuis 2004"}
    assert _carries_the_iban(identity_events.received) == []


def test_an_iban_in_an_idea_status_note_is_refused_and_never_published(platform, api):
    with closing(Subscriber(platform.amqp_uri, "posts.events")) as posts_events:
        _iban_in_a_status_note(platform, api, posts_events)


def _iban_in_a_status_note(platform, api, posts_events):
    manager = staff(platform)
    idea = submit(api, api.new_user(), kind="idea", title="Instant transfers at weekends")
    visible(api, idea["id"])
    refused = problem(api.put(f"/api/v1/posts/{idea['id']}/status", user=manager, json={
        "status": "under_review", "note": f"Refund sent to {IBAN}"}), 422)
    assert refused["errors_i18n"]["en"]["note"] == [
        "contains an IBAN: remove it, it would be public"]
    assert ok(api.get(f"/api/v1/posts/{idea['id']}"))["status"] == "submitted"

    ok(api.put(f"/api/v1/posts/{idea['id']}/status", user=manager, json={
        "status": "under_review", "note": "Our payments team is studying it."}))
    wait_for(lambda: posts_events.find(
        lambda item: item[0] == "posts.idea_status_changed"
        and item[2]["payload"]["post_id"] == idea["id"]), message="the clean status change")
    changes = [envelope["payload"]["note"] for key, _, envelope in posts_events.received
               if key == "posts.idea_status_changed"
               and envelope["payload"]["post_id"] == idea["id"]]
    assert changes == ["Our payments team is studying it."]
    assert _carries_the_iban(posts_events.received) == []


CARD_POST = ("Je tape bien ma carte 4970 1012 3456 7893, date d'expiration 09/28, "
             "cryptogramme 731… Le paiement est refusé.")
CARD_MASKED = ("Je tape bien ma carte •••• •••• •••• ••••, date d'expiration ••/••, "
               "cryptogramme •••… Le paiement est refusé.")
# What no public text may hold: the card's digits in any spacing, its expiry, its code.
CARD_SECRETS = ("4970 1012", "49701012", "3456 7893", "34567893", "09/28", "cryptogramme 731")


def test_a_card_with_its_expiry_and_code_is_held_and_published_with_all_three_masked(
        platform, api):
    """CM review #1: the proposed masked text kept the card's last 4 digits, its expiry and
    its security code — together, enough to pay online."""
    received, close = public_subscriber(platform.amqp_uri)
    try:
        manager, author = staff(platform), api.new_user()
        post = submit(api, author, title="Paiement refusé", body=CARD_POST)
        held = queued(api, manager, post["id"])
        assert held["reasons"] == ["detector"]
        assert held["detector_kinds"] == ["card_number", "card_expiry", "card_security_code"]
        problem(api.get(f"/api/v1/posts/{post['id']}"), 404)
        assert held["proposal"]["body"] == CARD_MASKED
        ok(api.post(f"/api/v1/moderation/items/{held['id']}/decision", user=manager,
                    json={"decision": "redact", "body": held["proposal"]["body"]}))
        assert visible(api, post["id"])["body"] == CARD_MASKED
        for path in (f"/api/v1/posts/{post['id']}", "/api/v1/feeds/public?limit=100"):
            text = api.get(path).text
            assert not [secret for secret in CARD_SECRETS if secret in text], path
        seen: list[str] = []
        wait_for(lambda: seen.extend(received()) or any(
            post["id"] in body and "posts.post_published" in body for body in seen),
            message="the post's publication on the public exchanges")
        assert not [body for body in seen if any(secret in body for secret in CARD_SECRETS)]
    finally:
        close()
