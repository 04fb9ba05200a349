"""The proof of erasure (issue 15, "Done when"): a member registers, writes publicly (a
question, a reply, a vote, a follow; a flag in their own words), writes privately to their
advisor, receives e-mails, then erases their account. Afterwards every collection of every
service database (event logs, outboxes, idempotency records, keys included) and every message
still in a RabbitMQ queue of the platform's vhost is searched for their e-mail address, name,
bio, private message and flag's words — in clear,
and inside anything that decodes as base64 — and none is found; `agora replay` of every service
then rebuilds read models that agree (their question is still there, by "Former member").

A backup taken before the erasure is no refuge either: what identity and conversations keep
outside their logs about the member (login audit, sessions, private messages — staff's answer
included) holds no e-mail, client address or text in clear, only values sealed with the member's
key, and the key store no longer has that key.

A bank system's queue, bound to every public exchange before the member registers, keeps the
member's events as such a system would: it is searched too (nothing is consumed from it)."""
from __future__ import annotations

import base64
import binascii
import json
import re
import urllib.parse
import uuid
from typing import Any

import pika
import pytest
import requests
from bson import Binary

from services.shared.config import available_processes
from services.shared.members import ERASED_DISPLAY_NAME, ERASED_MEMBER, ERASED_MENTION
from services.shared.shredding import KEYS_SERVICE, SUBJECT_KEYS, is_sealed

from ..conftest import RABBIT_MANAGEMENT_URI, wait_for
from .conftest import PASSWORD
from .steps import mail, notified, ok, problem, reply_visible, staff, submit, visible

PUBLIC_EXCHANGES = ("identity.events", "posts.events", "feeds.events", "moderation.events",
                    "notifications.events", "conversations.events")
_BASE64_RUN = re.compile(rb"[A-Za-z0-9+/_-]{16,}={0,2}")


class BankQueue:
    """A bank system's durable queue on every public exchange: nothing is taken from it, so it
    still holds every public event when the traces are searched (deleted at the end)."""

    def __init__(self, amqp_uri: str):
        self.connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
        channel = self.connection.channel()
        self.name = f"bank-archive-{uuid.uuid4().hex[:8]}"
        channel.queue_declare(self.name, durable=True)
        for exchange in PUBLIC_EXCHANGES:
            channel.exchange_declare(exchange, "topic", durable=True)
            channel.queue_bind(self.name, exchange, routing_key="#")
        self.channel = channel

    def close(self) -> None:
        self.channel.queue_delete(self.name)
        self.connection.close()


@pytest.fixture
def bank_queue(platform):
    queue = BankQueue(platform.amqp_uri)
    yield queue
    queue.close()


# -- searching for traces ------------------------------------------------------------------------

def _decoded(blob: bytes, depth: int = 0) -> list[bytes]:
    """`blob`, what it says as JSON (whose escapes would hide an accented name) and whatever
    base64 runs inside it decode to (standard and URL-safe alphabets), recursively."""
    found = [blob]
    if depth > 2:
        return found
    try:
        inner = _blobs(json.loads(blob))
    except ValueError:
        inner = []
    for run in _BASE64_RUN.findall(blob):
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            stripped = run.rstrip(b"=")
            try:
                inner.append(decode(stripped + b"=" * (-len(stripped) % 4)))
            except (binascii.Error, ValueError):
                continue
    for text in inner:
        if text != blob:
            found.extend(_decoded(text, depth + 1))
    return found


def _blobs(value: Any) -> list[bytes]:
    """Every string, byte string and key of a document (nested), as bytes."""
    if isinstance(value, dict):
        return [blob for key, item in value.items()
                for blob in (*_blobs(key), *_blobs(item))]
    if isinstance(value, (list, tuple)):
        return [blob for item in value for blob in _blobs(item)]
    if isinstance(value, (bytes, Binary)):
        return [bytes(value)]
    if isinstance(value, str):
        return [value.encode("utf-8")]
    return []


def _contains(value: Any, needles: dict[str, bytes]) -> set[str]:
    """The names of the needles found in `value`, case-insensitively, in clear or encoded."""
    found = set()
    for blob in _blobs(value):
        for text in _decoded(blob):
            lowered = text.lower()
            found |= {label for label, needle in needles.items() if needle in lowered}
    return found


def database_traces(mongo_client, prefix: str, needles: dict[str, bytes]) -> list[str]:
    traces = []
    for database in sorted(name for name in mongo_client.list_database_names()
                           if name.startswith(prefix + "_")):
        db = mongo_client[database]
        for collection in sorted(db.list_collection_names()):
            for document in db[collection].find():
                found = _contains(document, needles)
                if found:
                    traces.append(f"{database}.{collection} _id={document.get('_id')!r}: "
                                  f"{sorted(found)}")
    return traces


def _management(method: str, path: str, **kwargs) -> requests.Response:
    parts = urllib.parse.urlsplit(RABBIT_MANAGEMENT_URI)
    base = f"{parts.scheme}://{parts.hostname}:{parts.port or 15672}{parts.path.rstrip('/')}"
    return requests.request(method, base + path, timeout=30,
                            auth=(parts.username or "guest", parts.password or "guest"), **kwargs)


def queue_traces(vhost: str, needles: dict[str, bytes]) -> list[str]:
    """Every message of every queue of `vhost`, read with requeue (nobody loses a message)."""
    quoted = urllib.parse.quote(vhost, safe="")
    listing = _management("GET", f"/api/queues/{quoted}")
    listing.raise_for_status()
    traces = []
    for queue in listing.json():
        name = urllib.parse.quote(queue["name"], safe="")
        response = _management("POST", f"/api/queues/{quoted}/{name}/get", json={
            "count": 100000, "ackmode": "ack_requeue_true", "encoding": "auto"})
        if response.status_code != 200:
            # an exclusive queue of another connection (the gateway's live channel) cannot be
            # read from here; it is consumed as it fills, so its depth must be nil
            assert queue.get("exclusive") and not queue.get("messages"), (queue, response.text)
            continue
        for message in response.json():
            payload = message["payload"]
            if message.get("payload_encoding") == "base64":
                payload = base64.b64decode(payload)
            found = _contains([payload, message.get("properties") or {}], needles)
            if found:
                traces.append(f"queue {queue['name']} ({message.get('routing_key')}): "
                              f"{sorted(found)}")
    return traces


def backup_of(mongo_client, prefix: str, member_id: str, conversation_id: str
              ) -> dict[str, list[dict[str, Any]]]:
    """The member's documents outside the logs, as a database backup would hold them."""
    identity = mongo_client[f"{prefix}_identity"]
    return {
        "login_audit": list(identity["login_audit"].find({"user_id": member_id})),
        "sessions": list(identity["sessions"].find({"user_id": member_id})),
        "messages": list(mongo_client[f"{prefix}_conversations"]["messages"].find(
            {"conversation_id": conversation_id})),
    }


def sealed_subjects(value: Any) -> set[str]:
    """The subjects whose key sealed the values found in `value`."""
    if is_sealed(value):
        return {value["subject"]}
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return set().union(*(sealed_subjects(item) for item in value)) if value else set()
    return set()


# -- the proof -----------------------------------------------------------------------------------

def test_erasure_leaves_no_trace(platform, api, mongo_client, conversations_db, bank_queue):
    tag = uuid.uuid4().hex[:10]
    name = f"Zéphyrine Quaglia-{tag}"
    handle = f"ZephyrineQuaglia{tag}"
    bio = f"Collectionne les phares du Finistère {tag}"
    secret = f"Mon plafond de carte me bloque à l'étranger {tag}"
    email = f"zephyrine.{tag}@e2e.test"
    note = f"Client inquiète pour son découvert {tag}"
    words = f"Ce texte copie celui de ma voisine {tag}"
    needles = {label: text.lower().encode("utf-8") for label, text in
               {"e-mail": email, "name": name, "bio": bio, "private message": secret,
                "staff note": note, "flag words": words}.items()}

    advisor = staff(platform, "advisor")
    bob = api.new_user(display_name=f"Bob Témoin {tag[:4]}")
    ada = api.new_user(email=email, display_name=name, customer=True)
    ok(api.patch("/api/v1/me", user=ada, json={"bio": bio}))
    # a mistyped password: identity counts failures per (client, address) and audits the attempt
    assert api.post("/api/v1/auth/login", headers={"X-Forwarded-For": ada.address}, json={
        "email": email, "password": "not the password"}).status_code == 401
    ok(api.put(f"/api/v1/users/{ada.id}/advisor", user=platform.admin,
               json={"advisor_id": advisor.id, "branch": "Brest Siam"}))
    wait_for(lambda: (conversations_db["members"].find_one({"_id": ada.id}) or {})
             .get("advisor_id") == advisor.id, timeout=20, message="advisor known")

    # public life: a question (sent with an Idempotency-Key: the gateway keeps its answer), a
    # vote and a reply on someone's idea, a follow; someone answers and mentions them
    idea = submit(api, bob, kind="idea", title=f"Virements instantanés le dimanche {tag}")
    visible(api, idea["id"])
    question = ok(api.post("/api/v1/posts", user=ada, headers={"Idempotency-Key": tag}, json={
        "kind": "question", "title": f"Carte bloquée au Portugal {tag}",
        "body": "Que faire quand la carte est refusée ?", "category": "cards"}), 201)
    visible(api, question["id"])
    ok(api.put(f"/api/v1/posts/{idea['id']}/vote", user=ada))
    mine = ok(api.post(f"/api/v1/posts/{idea['id']}/replies", user=ada,
                       json={"body": "Oui, et aussi les jours fériés."}), 201)
    reply_visible(api, mine["id"])
    ok(api.put(f"/api/v1/me/following/{bob.id}", user=ada))
    # a flag on Bob's idea, in their own words (for the community team only)
    ok(api.post(f"/api/v1/posts/{idea['id']}/flags", user=ada,
                json={"reason": "other", "details": words}), 201)
    answer = ok(api.post(f"/api/v1/posts/{question['id']}/replies", user=bob,
                         json={"body": f"Appelez l'opposition, @{handle} : ça débloque."}), 201)
    reply_visible(api, answer["id"])

    # private life: a conversation with the advisor, who answers; e-mails arrive
    conversation = ok(api.post("/api/v1/conversations", user=ada, json={
        "subject": "Plafond à l'étranger", "message": secret}), 201)
    staff_answer = f"C'est relevé pour trente jours {tag}."
    ok(api.post(f"/api/v1/conversations/{conversation['id']}/messages", user=advisor,
                json={"body": staff_answer}), 201)
    # the community team keeps a note about them (moderation's staff trail)
    manager = staff(platform)
    ok(api.post(f"/api/v1/moderation/members/{ada.id}/notes", user=manager,
                json={"note": note}), 201)
    notified(api, ada, "mention")
    mail(platform, ada, "")  # at least one e-mail reached their address

    # the search sees what it must not find later (it cannot pass by looking at nothing)
    # (the private message is sealed from the start — never in clear in any database — so
    # it shows only through the API, and in the backup below as a sealed value)
    before = database_traces(mongo_client, platform.db_prefix, needles)
    assert set(needles) - {"private message"} <= {
        label for trace in before for label in needles if label in trace}, before
    assert not any("private message" in trace for trace in before), before
    read = ok(api.get(f"/api/v1/conversations/{conversation['id']}", user=advisor))
    assert [m["body"] for m in read["messages"]] == [secret, staff_answer]
    # the bank system's queue holds the member's events (their payloads may be sealed)
    assert queue_traces(platform.vhost, {"member id": ada.id.encode()}), "events queued"

    def bobs_card_names_them():
        cards = ok(api.get(f"/api/v1/users/{bob.id}/activity"))["items"]
        return any(card["id"] == answer["id"] and handle in (card["excerpt"] or "")
                   for card in cards)
    wait_for(bobs_card_names_them, timeout=20, message="Bob's card shows the mention")

    def trail(**query):
        return ok(api.get("/api/v1/moderation/audit", user=manager,
                          params={"limit": 200, **query}))["items"]

    def facts_about_them():
        entries = {entry["action"]: entry["id"] for entry in trail(target_id=ada.id)}
        return {"assign_advisor", "note_member"} <= set(entries) and set(entries.values())
    facts = wait_for(facts_about_them, timeout=20, message="the staff trail names them")

    # a backup taken now holds their login audit, sessions and messages sealed, never in clear
    backup = backup_of(mongo_client, platform.db_prefix, ada.id, conversation["id"])
    assert backup["login_audit"] and backup["sessions"] and len(backup["messages"]) == 2, backup
    in_clear = {**needles, "client address": ada.address.encode(),
                "staff answer": staff_answer.lower().encode("utf-8")}
    assert not _contains(backup, in_clear), _contains(backup, in_clear)
    assert sealed_subjects(backup) == {ada.id}

    erased = api.delete("/api/v1/me", user=ada, json={"password": PASSWORD})
    assert erased.status_code == 204, erased.text

    # every service received the tombstone (recorded in its own log, then applied)
    for service in ("posts", "feeds", "conversations", "moderation", "notifications"):
        log = mongo_client[f"{platform.db_prefix}_{service}"]["events"]
        wait_for(lambda log=log: log.find_one({"stream_id": f"identity:user-{ada.id}",
                                               "events.type": "identity.user_erased"}),
                 timeout=30, message=f"{service} received the tombstone")

    traces: list[str] = []

    def clean() -> bool:
        traces[:] = (database_traces(mongo_client, platform.db_prefix, needles)
                     + queue_traces(platform.vhost, needles))
        return not traces
    if not _eventually(clean):
        pytest.fail("after erasure, still found:\n" + "\n".join(traces))
    # ...and the backup's sealed values have no key left to open them
    tombstone = mongo_client[f"{platform.db_prefix}_{KEYS_SERVICE}"][SUBJECT_KEYS].find_one(
        {"_id": ada.id})
    assert tombstone and "shredded_at" in tombstone and "key" not in tombstone, tombstone

    # the community's answers stay, anonymised; the advisor can no longer read the conversation
    def anonymised(user=None):
        thread = ok(api.get(f"/api/v1/posts/{question['id']}", user=user))
        replies = ok(api.get(f"/api/v1/posts/{question['id']}/replies", user=user))["items"]
        theirs = ok(api.get(f"/api/v1/replies/{mine['id']}", user=user))
        # Bob's cards (feeds) show his answer that mentioned them
        cards = ok(api.get(f"/api/v1/users/{bob.id}/activity", user=user))["items"]
        if answer["id"] not in [card["id"] for card in cards]:
            return False
        text = json.dumps([thread, replies, theirs, cards], ensure_ascii=False)
        return (thread["author"]["display_name"] == ERASED_DISPLAY_NAME
                and theirs["author"]["display_name"] == ERASED_DISPLAY_NAME
                and name.lower() not in text.lower()
                and handle.lower() not in text.lower() and ERASED_MENTION in text)
    wait_for(anonymised, timeout=30, message="the thread shows a former member")
    closed = api.get(f"/api/v1/conversations/{conversation['id']}", user=advisor)
    assert closed.status_code == 200, closed.text
    assert closed.json()["closed"] and closed.json()["messages"] == []
    refused = problem(api.post(f"/api/v1/conversations/{conversation['id']}/messages",
                               user=advisor, json={"body": "Vous êtes là ?"},
                               headers={"Accept-Language": "fr"}), 409)
    assert "close" in refused["detail"], refused

    # the staff trail keeps the facts (the advisor assigned, the note taken), not the person
    wait_for(lambda: not trail(target_id=ada.id), timeout=20, message="the trail drops them")
    kept = {entry["action"]: entry for entry in trail(target_id=ERASED_MEMBER)
            if entry["id"] in facts}
    assert set(kept) == {"assign_advisor", "note_member"}, kept
    assert kept["note_member"]["after"] is None and kept["assign_advisor"]["after"][
        "advisor_id"] == advisor.id
    assert ok(api.get(f"/api/v1/moderation/members/{ada.id}/notes", user=manager))[
        "notes"] == []

    # every read model rebuilt from the logs agrees
    for service in sorted(set(available_processes()) - {"gateway"}):
        result = platform.agora("replay", service, timeout=300)
        assert result.returncode == 0, f"replay {service}: {result.stdout}\n{result.stderr}"
    assert anonymised(), "after replay, the thread shows a former member, mentions unlinked"
    assert api.get(f"/api/v1/users/{ada.id}").status_code == 410  # an erased member's profile
    assert ok(api.get(f"/api/v1/conversations/{conversation['id']}", user=advisor))["closed"]
    after_replay = database_traces(mongo_client, platform.db_prefix, needles)
    assert not after_replay, "after replay, found:\n" + "\n".join(after_replay)


def _eventually(condition, timeout: float = 60) -> bool:
    """`condition` became true within `timeout` (the caller reports what is still wrong)."""
    try:
        wait_for(condition, timeout=timeout, interval=0.5, message="no trace left")
    except pytest.fail.Exception:
        return False
    return True
