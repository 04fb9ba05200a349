"""Internal notes (« Note interne — jamais montrée au client »): staff who may read a
conversation leave notes for their colleagues; its member gets 404 as for a conversation that
does not exist, the notes are never among its messages, nobody's wait changes, the body is
sealed with the member's key, one key gives one note, and the member's export holds them."""
import time

import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from services.conversations import domain
from services.shared import commands

from ...conftest import wait_for
from ..feeds.fixtures import actor, admin_actor, register
from .steps import advised

pytestmark = pytest.mark.integration

UNKNOWN = "0" * 32


def note_events(conversations_db, cid):
    return [event for commit in conversations_db.events.find({"stream_id": domain.stream(cid)})
            for event in commit["events"] if event["type"] == domain.NOTE_ADDED]


def test_staff_note_a_conversation_its_member_never_sees_them(rpc, conversations_db,
                                                               stack_config):
    member, advisor = advised(rpc, conversations_db)
    cid = rpc.conversations.start_conversation(
        actor(member), {"subject": "Prêt", "message": "Où en est mon dossier ?"})["id"]
    before = rpc.conversations.get_conversation(actor(advisor), cid, None)

    body = "Rappelé le 3 : attend son avis d’imposition."
    context = commands.rpc_context(f"user:{advisor['id']}", "note-1", time.time() + 30)
    with ServiceRpcProxy("conversations", stack_config, context_data=context,
                         timeout=20) as keyed:
        first = keyed.add_note(actor(advisor), cid, {"body": body})
        again = keyed.add_note(actor(advisor), cid, {"body": body})  # a retry: one effect
    assert first["id"] == again["id"] and first["body"] == body
    assert first["author"]["display_name"] == advisor["name"]
    events = note_events(conversations_db, cid)
    assert [e["payload"] for e in events] == [{
        "conversation_id": cid, "note_id": first["id"], "author_id": advisor["id"],
        "staff_ids": [advisor["id"]]}]

    # a colleague covering, brought in by the advisor, reads and adds notes; newest last
    helper = register(rpc, roles=("advisor",))
    rpc.identity.set_roles(admin_actor(rpc.config), helper["id"], ["member", "advisor"])
    wait_for(lambda: "advisor" in ((conversations_db.members.find_one({"_id": helper["id"]})
                                    or {}).get("roles") or ()), message="colleague's role known")
    rpc.conversations.add_participant(actor(advisor), cid, {"user_id": helper["id"]})
    second = rpc.conversations.add_note(actor(helper), cid, {"body": "Je prends le relais."})
    listed = rpc.conversations.list_notes(actor(advisor), cid)["items"]
    assert [(n["id"], n["body"], n["author_id"]) for n in listed] == [
        (first["id"], body, advisor["id"]), (second["id"], "Je prends le relais.", helper["id"])]

    # its member, and staff who may not read it: 404, exactly as for an unknown conversation
    outsider = register(rpc, roles=("advisor",))
    for reader in (member, outsider):
        for call in (lambda r: rpc.conversations.list_notes(actor(r), cid),
                     lambda r: rpc.conversations.add_note(actor(r), cid, {"body": "x"})):
            with pytest.raises(Exception, match="NotFound") as found:
                call(reader)
            with pytest.raises(Exception, match="NotFound") as unknown:
                rpc.conversations.list_notes(actor(reader), UNKNOWN)
            assert str(found.value).replace(cid, UNKNOWN) == str(unknown.value)
    assert len(note_events(conversations_db, cid)) == 2

    # never among the messages; nobody's wait changed; not in the member's list either
    for reader in (member, advisor):
        seen = rpc.conversations.get_conversation(actor(reader), cid, None)
        assert [m["body"] for m in seen["messages"]] == ["Où en est mon dossier ?"]
        assert seen["message_count"] == 1
    after = rpc.conversations.get_conversation(actor(advisor), cid, None)
    assert (after["waiting_for_staff"], after["waiting_since"], after["last_message_at"]) == (
        before["waiting_for_staff"], before["waiting_since"], before["last_message_at"])
    listing = rpc.conversations.list_conversations(actor(member), {})["items"]
    assert body not in str(listing) and "notes" not in listing[0]

    # at rest: sealed with the member's key (no plain body in the database)
    stored = conversations_db.notes.find_one({"_id": first["id"]})
    assert stored["conversation_id"] == cid and body not in str(stored)

    # the member's export (GDPR right of access) holds what the bank wrote about them
    [exported] = rpc.conversations.export_member(actor(member))["conversations"]
    assert [n["body"] for n in exported["notes"]] == [body, "Je prends le relais."]


def test_a_card_number_in_a_note_is_stored_masked(rpc, conversations_db):
    """Messages were masked at write time and notes were not: a card number typed into a note
    stayed whole in its API answer, the notes' list and the member's export (PCI DSS)."""
    member, advisor = advised(rpc, conversations_db)
    cid = rpc.conversations.start_conversation(
        actor(member), {"subject": "Carte", "message": "Paiement refusé hier."})["id"]
    note = rpc.conversations.add_note(
        actor(advisor), cid, {"body": "Carte 4970 1012 3456 7893 à refaire."})
    [listed] = rpc.conversations.list_notes(actor(advisor), cid)["items"]
    [exported] = rpc.conversations.export_member(actor(member))["conversations"]
    for body in (note["body"], listed["body"], exported["notes"][0]["body"]):
        assert "4970" not in body and "7893" in body, body
