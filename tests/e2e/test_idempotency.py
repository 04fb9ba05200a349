"""One idempotency key, one effect, through the gateway, for every command a client retries.

Each test sends a command with an `Idempotency-Key`, then makes the gateway forget its own record
of the key — what happens when it gave up on the RPC (504) or died while the service executed —
and sends the same request again: it reaches the service a second time (no replay header), which
finds the effect recorded under the key and answers with the same resource and status.
"""
from __future__ import annotations

import uuid

import pytest

from services.identity.domain import REGISTRATION_ATTEMPTED, account_stream

from ..conftest import wait_for
from .conftest import PASSWORD, new_address
from .steps import customer_with_advisor, ok, queued, reply_visible, staff, visible

pytestmark = pytest.mark.e2e


@pytest.fixture
def retried(platform, mongo_client):
    records = mongo_client[f"{platform.db_prefix}_gateway"]["idempotency_keys"]

    def send_twice(method: str, path: str, user=None, json=None, status: int = 200,
                   headers=None):
        headers = {"Idempotency-Key": f"e2e-{uuid.uuid4().hex}", **(headers or {})}
        first = platform.api.request(method, path, user=user, json=json, headers=headers)
        assert first.status_code == status, first.text
        records.delete_many({"path": path})  # the gateway lost its record of the key
        again = platform.api.request(method, path, user=user, json=json, headers=headers)
        assert again.status_code == status, again.text
        assert "Idempotent-Replayed" not in again.headers  # the service answered again
        return first.json() if first.content else None, again.json() if again.content else None

    return send_twice


@pytest.fixture
def conversations_db(platform, mongo_client):
    return mongo_client[f"{platform.db_prefix}_conversations"]


def search(api, word):
    return [p["id"] for p in ok(api.get("/api/v1/posts", params={"q": word, "limit": 50}))["items"]]


def test_a_post_and_a_reply_retried_after_the_gateway_gave_up_exist_once(api, retried):
    author = api.new_user()
    word = "idem" + uuid.uuid4().hex[:8]
    post, again = retried("POST", "/api/v1/posts", user=author, status=201, json={
        "kind": "question", "title": f"Plafond {word}", "body": "Comment faire ?",
        "category": "cards"})
    assert again["id"] == post["id"]
    visible(api, post["id"])
    reply, again = retried("POST", f"/api/v1/posts/{post['id']}/replies", user=api.new_user(),
                           json={"body": "Dans l'application."}, status=201)
    assert again["id"] == reply["id"]
    reply_visible(api, reply["id"])
    assert search(api, word) == [post["id"]]
    replies = ok(api.get(f"/api/v1/posts/{post['id']}/replies"))["items"]
    assert [r["id"] for r in replies] == [reply["id"]]

    voter = api.new_user()
    first, again = retried("PUT", f"/api/v1/posts/{post['id']}/vote", user=voter)
    assert first["votes"] == again["votes"] == 1
    first, again = retried("POST", f"/api/v1/posts/{post['id']}/flags", user=voter,
                           json={"reason": "spam"}, status=201)
    assert again == first


def test_a_registration_retried_is_one_account_and_no_notice_to_its_owner(
        platform, api, retried, mongo_client):
    email, address = api.unique_email("idem"), new_address()
    body = {"email": email, "password": PASSWORD, "display_name": "Idem Potent"}
    first, again = retried("POST", "/api/v1/auth/register", status=202, json=body,
                           headers={"X-Forwarded-For": address})
    assert again == first
    login = api.post("/api/v1/auth/login", headers={"X-Forwarded-For": address},
                     json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    # a retry is not "someone registering your address": the owner is not told about it
    events = mongo_client[f"{platform.db_prefix}_identity"]["events"]
    stream = account_stream(login.json()["user_id"])
    types = [event["type"] for commit in events.find({"stream_id": stream})
             for event in commit["events"]]
    assert types and REGISTRATION_ATTEMPTED not in types, types


def test_a_request_refused_as_invalid_leaves_its_key_to_the_corrected_one(api):
    """A 400 decided nothing: the client fixes the body and resends it under the same key
    (not "this key was used with a different body"); the answer to that one is kept."""
    address, key = new_address(), {"Idempotency-Key": f"e2e-{uuid.uuid4().hex}"}
    headers = {**key, "X-Forwarded-For": address}
    body = {"email": api.unique_email("fixed"), "password": PASSWORD, "display_name": "Idem Fix"}
    weak = api.post("/api/v1/auth/register", headers=headers, json={**body, "password": "1234"})
    assert weak.status_code == 400, weak.text
    fixed = api.post("/api/v1/auth/register", headers=headers, json=body)
    assert fixed.status_code == 202, fixed.text
    replayed = api.post("/api/v1/auth/register", headers=headers, json=body)
    assert replayed.status_code == 202 and replayed.headers.get("Idempotent-Replayed") == "true"

    author = api.new_user()
    post = {"kind": "question", "title": "Plafond de retrait", "body": "Comment l'augmenter ?",
            "category": "cards"}
    untitled = api.post("/api/v1/posts", user=author, headers=key, json={**post, "title": ""})
    assert untitled.status_code == 400, untitled.text
    created = api.post("/api/v1/posts", user=author, headers=key, json=post)
    assert created.status_code == 201, created.text


def test_a_moderation_decision_retried_answers_as_the_first(platform, api, retried):
    manager, author = staff(platform), api.new_user()
    post = ok(api.post("/api/v1/posts", user=author, json={
        "kind": "question", "title": "Mon IBAN", "category": "cards",
        "body": "Mon IBAN est FR76 3000 6000 0112 3456 7890 189, virement refusé ?"}), 201)
    item = queued(api, manager, post["id"])
    first, again = retried("POST", f"/api/v1/moderation/items/{item['id']}/decision",
                           user=manager, json={"decision": "reject", "reason_code": "abusive"})
    assert again["state"] == first["state"] == "rejected"  # not 409 "already decided"


def test_a_conversation_and_a_message_retried_exist_once(platform, api, retried,
                                                          conversations_db):
    member, advisor = customer_with_advisor(platform, api, conversations_db)
    started, again = retried("POST", "/api/v1/conversations", user=member, status=201,
                             json={"subject": "Carte", "message": "Bonjour"})
    assert again["id"] == started["id"]
    path = f"/api/v1/conversations/{started['id']}/messages"
    message, again = retried("POST", path, user=advisor, json={"body": "Je regarde."},
                             status=201)
    assert again["id"] == message["id"]
    seen = ok(api.get(f"/api/v1/conversations/{started['id']}", user=member))
    assert [m["body"] for m in seen["messages"]] == ["Bonjour", "Je regarde."]
    listed = ok(api.get("/api/v1/conversations", user=member))["items"]
    assert [c["id"] for c in listed] == [started["id"]]


def test_a_follow_and_a_watch_retried_are_one_subscription(api, retried):
    author, reader = api.new_user(), api.new_user()
    first, again = retried("PUT", f"/api/v1/me/following/{author.id}", user=reader)
    assert again == first
    post = ok(api.post("/api/v1/posts", user=author, json={
        "kind": "discussion", "title": "Épargne", "body": "Livret ?", "category": "savings"}),
        201)
    visible(api, post["id"])
    wait_for(lambda: api.put(f"/api/v1/me/watching/{post['id']}", user=reader)
             .status_code == 200, timeout=20, message="feeds knows the post")
    first, again = retried("PUT", f"/api/v1/me/watching/{post['id']}", user=reader)
    assert again == first
