"""The conversations list by id (`ids`): only those asked for among those the reader may open
(another advisor's customer's left out, as if it did not exist), read by `_id`, and the access
audit's `list` entries name those returned only. The response-time board asks for exactly the
conversations it shows: one far down its reader's inbox is named too (it read the first 200)."""
import uuid

import pytest
from nameko.exceptions import RemoteError
from werkzeug.test import EnvironBuilder

from gateway.openapi import build_spec
from gateway.service import GatewayService
from gateway.web.page import PageCall
from gateway.web.pages.console_oversight import readable_conversations
from services.conversations.projections import WAITING_TOP
from services.conversations.schemas import IDS_MAX

from ..feeds.fixtures import actor
from .steps import advised

pytestmark = pytest.mark.integration

SECOND = 1_000_000  # in the read model's microseconds


def audit_mark(conversations_db, reader) -> set:
    """The reader's audit entries so far (each test's readers are its own)."""
    return {entry["_id"] for entry in conversations_db.access_audit.find(
        {"user_id": reader["id"]}, {"_id": 1})}


def audit_since(conversations_db, reader, mark) -> list[tuple[str, str]]:
    return sorted((entry["action"], entry["conversation_id"])
                  for entry in conversations_db.access_audit.find({"user_id": reader["id"]})
                  if entry["_id"] not in mark)


def start(rpc, member, subject):
    return rpc.conversations.start_conversation(actor(member), {
        "subject": subject, "message": f"Bonjour {uuid.uuid4().hex[:6]}"})["id"]


def test_ids_lists_only_those_the_reader_may_open_and_audits_those(rpc, conversations_db):
    member, advisor = advised(rpc, conversations_db)
    other_member, other_advisor = advised(rpc, conversations_db)
    mine = [start(rpc, member, f"Carte {n}") for n in range(3)]
    theirs = start(rpc, other_member, "Prêt immobilier")

    mark = audit_mark(conversations_db, advisor)
    found = rpc.conversations.list_conversations(actor(advisor), {
        "ids": [mine[0], mine[2], theirs, uuid.uuid4().hex], "side": "staff"})
    assert sorted(item["id"] for item in found["items"]) == sorted([mine[0], mine[2]])
    assert {item["subject"] for item in found["items"]} == {"Carte 0", "Carte 2"}
    # the others silently left out: listed, audited and refused nowhere
    assert audit_since(conversations_db, advisor, mark) == sorted(
        [("list", mine[0]), ("list", mine[2])])

    mark = audit_mark(conversations_db, other_advisor)
    assert rpc.conversations.list_conversations(actor(other_advisor), {
        "ids": mine})["items"] == []
    assert audit_since(conversations_db, other_advisor, mark) == []
    assert [item["id"] for item in rpc.conversations.list_conversations(
        actor(other_advisor), {"ids": [*mine, theirs]})["items"]] == [theirs]

    for refused in ([], [uuid.uuid4().hex for _ in range(IDS_MAX + 1)], ["not-an-id"]):
        with pytest.raises(RemoteError, match="InvalidInput"):
            rpc.conversations.list_conversations(actor(advisor), {"ids": refused})


def test_the_board_names_a_conversation_beyond_its_readers_first_200(rpc, conversations_db):
    """205 conversations of the advisor wait longer than the one the board shows (written to
    the read model: only their order matters); the board names it, by id, and the audit says
    it listed that one alone — not another advisor's customer's, shown unnamed beside it."""
    member, advisor = advised(rpc, conversations_db)
    other_member, _ = advised(rpc, conversations_db)
    shown = start(rpc, member, "Virement bloqué")
    unnamed = start(rpc, other_member, "Succession")
    target = conversations_db.conversations.find_one({"_id": shown})
    rank = target["inbox_rank"]
    assert rank > WAITING_TOP // 2  # waiting: the filler below waits longer
    # each a second longer (ranks near 2**62: a server keeping doubles tells seconds apart)
    longer = [rank + SECOND * (n + 1) for n in range(205)]
    conversations_db.conversations.insert_many([{
        "_id": uuid.uuid4().hex, "member_id": uuid.uuid4().hex,
        "participant_ids": [advisor["id"]], "pool": None, "origin": "member",
        "last_ts": target["last_ts"], "inbox_rank": filler,
        "waiting_since_ts": WAITING_TOP - filler, "message_count": 1} for filler in longer])
    assert list(conversations_db.conversations.find(
        {"participant_ids": advisor["id"]}, {"_id": 1}).sort(
        [("inbox_rank", -1), ("_id", -1)]).limit(206))[-1]["_id"] == shown  # the 206th

    request = EnvironBuilder(path="/console/response-times").get_request()
    call = PageCall(request=request, spec=None, language="fr", cookies=None,
                    request_id=uuid.uuid4().hex, client="test", actor=actor(advisor))
    boards = [{"channel": "private", "clocks": [
        {"conversation_id": shown}, {"conversation_id": unnamed}, {"conversation_id": None}]}]
    mark = audit_mark(conversations_db, advisor)
    named = readable_conversations(call, rpc.conversations, boards)
    assert list(named) == [shown]
    assert named[shown]["subject"] == "Virement bloqué"
    assert audit_since(conversations_db, advisor, mark) == [("list", shown)]


def test_the_api_documents_ids_as_a_repeated_query_parameter():
    """`GET /api/v1/conversations?ids=…&ids=…`: the same schema, so OpenAPI says it."""
    operation = build_spec(GatewayService)["paths"]["/api/v1/conversations"]["get"]
    parameter = next(p for p in operation["parameters"] if p["name"] == "ids")
    assert parameter["in"] == "query" and parameter["schema"]["type"] == "array"
    assert parameter["schema"]["maxItems"] == IDS_MAX
    assert "pattern" in parameter["schema"]["items"]
    assert "access audit" in parameter["description"]
