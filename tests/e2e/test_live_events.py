"""The live channel (`GET /api/v1/me/events`, server-sent events) against the running processes,
with a second gateway replica: each member gets their own events, whichever replica holds their
stream, and never another member's; a revoked session's stream is closed; a member opening more
streams than allowed loses their oldest one, never the new one; a stream whose client left is
released at once."""
from __future__ import annotations

import json

import pytest

from ..conftest import wait_for
from .clients import LiveClient, gateway_replica, metric
from .steps import customer_with_advisor, ok, problem, submit, visible

MAX_PER_MEMBER = 10  # GATEWAY_LIVE_MAX_PER_MEMBER's default (gateway/config.yaml)


@pytest.fixture
def second_gateway(platform):
    """Another `agora run gateway` replica on the same broker and databases."""
    with gateway_replica(platform, "gateway-2") as process:
        yield process


@pytest.fixture
def streams():
    opened: list[LiveClient] = []
    yield opened
    for client in opened:
        client.close()


def test_each_member_gets_only_their_own_events_on_any_replica(
        platform, api, second_gateway, streams, conversations_db):
    member, advisor = customer_with_advisor(platform, api, conversations_db)
    other, helper = api.new_user(), api.new_user()
    question = submit(api, member, title="Plafond de ma carte en voyage")
    theirs = submit(api, other, title="Changer mon adresse postale")
    visible(api, question["id"])
    visible(api, theirs["id"])

    # the member listens on the second replica, the other member on the first one
    mine = LiveClient(second_gateway.url, member)
    streams.append(mine)
    watcher = LiveClient(platform.base_url, other)
    streams.append(watcher)
    assert mine.wait("hello", "hello on replica 2") == {"unread": 0}
    watcher.wait("hello", "hello on replica 1")

    # a reply to the member's question: a notification with the new unread count, live
    ok(api.post(f"/api/v1/posts/{question['id']}/replies", user=helper,
                json={"body": "Dans l'appli, rubrique Cartes."}), 201)
    notice = mine.wait("notification", "the reply notification, live")
    assert notice["unread"] == 1 and [n["type"] for n in notice["new"]] == ["reply"]
    inbox = ok(api.get("/api/v1/me/notifications", user=member))
    assert notice["new"][0]["id"] == inbox["items"][0]["id"]

    # the advisor writes in the member's conversation: a reference, never the text
    conversation = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": "Mon plafond", "message": "Pouvez-vous l'augmenter ?"}), 201)
    secret = "Votre nouveau plafond est de 3000 euros"
    answer = ok(api.post(f"/api/v1/conversations/{conversation['id']}/messages", user=advisor,
                         json={"body": secret}), 201)
    frame = mine.wait("message", "the advisor's message, live", message_id=answer["id"])
    assert frame == {"conversation_id": conversation["id"], "message_id": answer["id"],
                     "author_id": advisor.id}
    # the private-message notification follows on the bell
    mine.wait("notification", "the private message notification", unread=2)

    # the other member gets their own events (so theirs were flowing all along) ...
    ok(api.post(f"/api/v1/posts/{theirs['id']}/replies", user=helper,
                json={"body": "Dans votre espace, rubrique Profil."}), 201)
    watcher.wait("notification", "the other member's own notification")
    # ... and never one of the member's: no id of theirs appears anywhere in the stream
    seen = json.dumps(watcher.frames)
    for private_id in (conversation["id"], answer["id"], notice["new"][0]["id"], member.id):
        assert private_id not in seen
    assert watcher.of("message") == []
    assert secret not in json.dumps(mine.frames)

    # reading elsewhere tells every open page to ask for the count again
    ok(api.post("/api/v1/me/notifications/read", user=member, json={"all": True}))
    mine.wait("read", "read elsewhere")
    assert not watcher.of("read")


def test_a_reconnection_starts_with_the_current_count(platform, api, streams):
    member, helper = api.new_user(), api.new_user()
    question = submit(api, member, title="Opposition sur ma carte")
    visible(api, question["id"])
    ok(api.post(f"/api/v1/posts/{question['id']}/replies", user=helper,
                json={"body": "Appelez le numéro au dos de la carte."}), 201)
    wait_for(lambda: ok(api.get("/api/v1/me/notifications/unread-count", user=member))["unread"]
             == 1, timeout=20, message="the reply notification")
    # the inbox speaks the reader's language when asked (the site passes its own)
    english = ok(api.get("/api/v1/me/notifications", user=member, params={"language": "en"}))
    french = ok(api.get("/api/v1/me/notifications", user=member, params={"language": "fr"}))
    assert " answered your question" in english["items"][0]["text"]
    assert " a répondu à votre question" in french["items"][0]["text"]
    problem(api.get("/api/v1/me/notifications", user=member, params={"language": "de"}), 400)
    first = LiveClient(platform.base_url, member)
    streams.append(first)
    hello = first.wait("hello", "hello")
    assert hello == {"unread": 1}
    last_id = first.frames[-1][2]
    first.close()
    again = LiveClient(platform.base_url, member, last_event_id=last_id)
    streams.append(again)
    assert again.wait("hello", "hello after reconnecting") == {"unread": 1}


def test_a_revoked_session_closes_its_stream(platform, api, streams):
    member = api.new_user()
    client = LiveClient(platform.base_url, member)
    streams.append(client)
    client.wait("hello", "hello")
    ok(api.post("/api/v1/auth/logout", user=member,
                json={"refresh_token": member.refresh_token}), 204)
    assert client.wait("closed", "the stream closed at logout") == {"reason": "session_revoked"}
    wait_for(client.ended.is_set, timeout=10, message="the stream ended")
    problem(api.get("/api/v1/me/events", user=member), 401)


def test_the_stream_needs_a_member(api):
    problem(api.get("/api/v1/me/events"), 401)


def test_a_member_beyond_the_limit_loses_their_oldest_stream_not_the_new_one(
        platform, api, streams):
    """A member clicking through pages opens a stream per page: the page on screen must get
    its stream (it used to be refused with 429 once ten were counted)."""
    member, helper = api.new_user(), api.new_user()
    question = submit(api, member, title="Frais de tenue de compte")
    visible(api, question["id"])
    for number in range(1, MAX_PER_MEMBER + 1):
        streams.append(LiveClient(platform.base_url, member))
        streams[-1].wait("hello", f"hello on stream {number}")
    newest = LiveClient(platform.base_url, member)   # one more: accepted (200), says hello
    streams.append(newest)
    assert newest.wait("hello", "hello on the stream beyond the limit") == {"unread": 0}

    oldest = streams[0]
    assert oldest.wait("closed", "the oldest stream ended") == {"reason": "superseded"}
    wait_for(oldest.ended.is_set, timeout=10, message="the oldest stream's response ended")
    assert metric(platform.base_url, "agora_live_streams_superseded_total") >= 1

    # the newest works, and so do the others still within the limit
    ok(api.post(f"/api/v1/posts/{question['id']}/replies", user=helper,
                json={"body": "Ils sont offerts avec le forfait Essentiel."}), 201)
    assert newest.wait("notification", "the notification on the newest stream")["unread"] == 1
    for kept in streams[1:MAX_PER_MEMBER]:
        kept.wait("notification", "the notification on a stream within the limit")
        assert kept.of("closed") == []
    assert oldest.of("notification") == []


def test_a_stream_whose_client_left_is_released_at_once(platform, api):
    """A page left closes its connection: the replica stops counting its stream then, not at
    the next heartbeat (set to a minute here, longer than the wait)."""
    member = api.new_user()
    with gateway_replica(platform, "gateway-quiet", GATEWAY_LIVE_HEARTBEAT_SECONDS="60") as quiet:
        client = LiveClient(quiet.url, member)
        try:
            client.wait("hello", "hello")
            assert metric(quiet.url, "agora_live_connections") == 1
        finally:
            client.close()
        wait_for(lambda: metric(quiet.url, "agora_live_connections") == 0, timeout=20,
                 message="the stream released once its client left")
        again = LiveClient(quiet.url, member)   # and the replica serves the next one
        try:
            again.wait("hello", "hello on the next stream")
        finally:
            again.close()

