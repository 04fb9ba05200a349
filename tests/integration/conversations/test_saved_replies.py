"""Staff's saved replies (« Réponses enregistrées »): each staff member saves, lists and
removes their own; one key gives one reply; another's is unknown (404); members are refused
(403); the events are private and carry ids only; card numbers are stored masked; 50 at most."""
import time

import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from services.conversations import saved_replies
from services.shared import commands
from services.shared.payloads import REGISTRY

from ...conftest import wait_for
from ..feeds.fixtures import actor, register
from .steps import advised

pytestmark = pytest.mark.integration


def reply_events(conversations_db, user_id):
    return [event for commit in conversations_db.events.find(
        {"stream_id": saved_replies.stream(user_id)}) for event in commit["events"]]


def test_staff_save_list_and_remove_their_own_replies(rpc, conversations_db, stack_config):
    member, advisor = advised(rpc, conversations_db)
    _, colleague = advised(rpc, conversations_db)
    text = {"title": "Délai de virement", "body": "Un virement SEPA arrive en 1 jour ouvré."}

    context = commands.rpc_context(f"user:{advisor['id']}", "saved-1", time.time() + 30)
    with ServiceRpcProxy("conversations", stack_config, context_data=context,
                         timeout=20) as keyed:
        first = keyed.save_reply(actor(advisor), text)
        again = keyed.save_reply(actor(advisor), text)  # a retry: one reply
    assert first["id"] == again["id"]
    assert (first["title"], first["body"]) == (text["title"], text["body"])
    card = rpc.conversations.save_reply(actor(advisor), {
        "title": "Carte", "body": "Votre carte 4970 1012 3456 7893 est commandée."})
    assert "4970 1012 3456 7893" not in card["body"]

    listed = rpc.conversations.list_saved_replies(actor(advisor))["items"]
    assert [(r["id"], r["title"]) for r in listed] == [(first["id"], text["title"]),
                                                      (card["id"], "Carte")]
    # nobody else's: a colleague lists none and cannot remove them (404, as an unknown one)
    assert rpc.conversations.list_saved_replies(actor(colleague)) == {"items": []}
    with pytest.raises(Exception, match="NotFound"):
        rpc.conversations.remove_saved_reply(actor(colleague), first["id"])
    # members are refused outright
    for call in (lambda: rpc.conversations.list_saved_replies(actor(member)),
                 lambda: rpc.conversations.save_reply(actor(member), text)):
        with pytest.raises(Exception, match="Forbidden"):
            call()

    # private events, ids only: no title or body travels
    events = reply_events(conversations_db, advisor["id"])
    assert [e["type"] for e in events] == [saved_replies.SAVED] * 2
    assert all(REGISTRY.is_private(e["type"]) for e in events)
    assert events[0]["payload"] == {"user_id": advisor["id"], "saved_reply_id": first["id"]}

    rpc.conversations.remove_saved_reply(actor(advisor), first["id"])
    assert [r["id"] for r in rpc.conversations.list_saved_replies(actor(advisor))["items"]] \
        == [card["id"]]
    assert conversations_db[saved_replies.TEXTS].find_one({"_id": first["id"]}) is None
    with pytest.raises(Exception, match="NotFound"):  # gone already
        rpc.conversations.remove_saved_reply(actor(advisor), first["id"])


def test_fifty_saved_replies_at_most(rpc, conversations_db):
    advisor = register(rpc, roles=("advisor",))
    for n in range(saved_replies.PER_PERSON_MAX):
        rpc.conversations.save_reply(actor(advisor), {"title": f"R{n}", "body": "Texte."})
    with pytest.raises(Exception, match="Unprocessable") as refused:
        rpc.conversations.save_reply(actor(advisor), {"title": "Une de trop", "body": "x"})
    assert '"title"' in str(refused.value)
    listed = rpc.conversations.list_saved_replies(actor(advisor))["items"]
    assert len(listed) == saved_replies.PER_PERSON_MAX
    rpc.conversations.remove_saved_reply(actor(advisor), listed[0]["id"])
    rpc.conversations.save_reply(actor(advisor), {"title": "Une de plus", "body": "x"})


def test_a_saved_reply_whose_writer_died_before_applying_it_is_applied_from_the_bus(
        rpc, conversations_db):
    """Its events are private: `project`'s `conversations.*` binding on the public exchange
    does not bring them back; `project_private` does (tests/unit/test_bindings.py)."""
    from services.shared.envelope import CommandContext
    from services.shared.event_store import EventStore

    advisor = register(rpc, roles=("advisor",))
    reply_id = saved_replies.new_id()
    # committed, never applied inline: what a writer killed right after its append leaves
    saved_replies.SavedReplies(conversations_db, None).store(
        advisor["id"], reply_id, "Avant la panne", "Texte enregistré avant la panne.")
    EventStore(conversations_db, "conversations").append(
        saved_replies.stream(advisor["id"]), 0, saved_replies.save(advisor["id"], [], reply_id),
        CommandContext())
    wait_for(lambda: rpc.conversations.list_saved_replies(actor(advisor))["items"], timeout=30,
             message="the saved reply applied from conversations.private")
    assert [r["id"] for r in rpc.conversations.list_saved_replies(actor(advisor))["items"]] \
        == [reply_id]
