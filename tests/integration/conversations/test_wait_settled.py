"""« Marquer comme traitée »: staff who may read a conversation mark its customer's last word as
needing no reply. It stops waiting (inbox order, `waiting_for_staff`), its response-time clock
stops without counting as an answer, the customer is not told, and their next message makes it
wait again. One event, idempotent; a replay gives the same state."""
import pytest

from services.conversations import domain
from services.conversations.projections import PROJECTION
from services.shared.event_store import EventStore
from services.shared.projections import replay

from ...conftest import wait_for
from ..feeds.fixtures import actor, register
from ..posts.fixtures import cm
from .steps import advised

pytestmark = pytest.mark.integration


def settled_events(conversations_db, cid):
    return [event for commit in conversations_db.events.find({"stream_id": domain.stream(cid)})
            for event in commit["events"] if event["type"] == domain.WAIT_SETTLED]


def inbox(rpc, advisor):
    return rpc.conversations.list_conversations(actor(advisor), {"sort": "waiting"})["items"]


def test_marked_handled_it_stops_waiting_and_its_clock_stops_unanswered(
        rpc, conversations_db, mongo_client, stack_config):
    member, advisor = advised(rpc, conversations_db)
    clocks = mongo_client[f"{stack_config['MONGO_DB_PREFIX']}_moderation"]["sla"]
    cid = rpc.conversations.start_conversation(
        actor(member), {"subject": "Card", "message": "My card is blocked"})["id"]
    rpc.conversations.post_message(actor(advisor), cid, {"body": "Unblocked it."})
    thanks = rpc.conversations.post_message(actor(member), cid, {"body": "Merci !"})
    other = rpc.conversations.start_conversation(
        actor(member), {"subject": "Loan", "message": "A question about rates"})["id"]
    # the « Merci » waits, longer than the newer question: on top of the inbox
    assert [(c["id"], c["waiting_for_staff"]) for c in inbox(rpc, advisor)] == [
        (cid, True), (other, True)]
    wait_for(lambda: clocks.find_one({"_id": f"conv.{cid}.{thanks['id']}",
                                      "answered": False}), message="the « Merci » clock runs")

    # not theirs to mark: other staff (404, as for reading it), the customer themselves (403)
    outsider = register(rpc, roles=("advisor",))
    with pytest.raises(Exception, match="NotFound"):
        rpc.conversations.settle_wait(actor(outsider), cid)
    with pytest.raises(Exception, match="Forbidden"):
        rpc.conversations.settle_wait(actor(member), cid)
    assert settled_events(conversations_db, cid) == []

    assert rpc.conversations.settle_wait(actor(advisor), cid) is None
    rpc.conversations.settle_wait(actor(advisor), cid)  # nobody waits now: no second fact
    events = settled_events(conversations_db, cid)
    assert [e["payload"] for e in events] == [{
        "conversation_id": cid, "settled_by": advisor["id"], "up_to_message_id": thanks["id"],
        "staff_ids": [advisor["id"]]}]

    seen = rpc.conversations.get_conversation(actor(advisor), cid, None)
    assert not seen["waiting_for_staff"] and seen["waiting_since"] is None
    assert seen["handled"] == {"by": advisor["id"], "at": seen["handled"]["at"]}
    assert [(c["id"], c["waiting_for_staff"]) for c in inbox(rpc, advisor)] == [
        (other, True), (cid, False)]
    # its customer is not told: to them it waits as before
    theirs = rpc.conversations.get_conversation(actor(member), cid, None)
    assert theirs["handled"] is None and theirs["waiting_for_staff"]
    assert theirs["waiting_since"] is not None

    # moderation: the clock stopped, set aside, not answered (the answer times leave it out)
    clock = wait_for(lambda: (c := clocks.find_one({"_id": f"conv.{cid}.{thanks['id']}"}))
                     and c.get("settled") and c, message="clock settled")
    assert clock["answered"] is None and clock["settled_by"] == advisor["id"]
    assert "first_staff_answer_ts" not in clock
    def figures():
        private = rpc.moderation.sla(cm(), {"channel": "private"})["by_channel"]["private"]
        return private["answered"], private["unanswered"]
    # answered: the first wait only; waiting: `other` only
    wait_for(lambda: figures() == (1, 1), message="not counted as answered nor waiting")

    # replay: the same state
    replay(EventStore(conversations_db, "conversations"), PROJECTION, quiesce_seconds=0.6)
    again = rpc.conversations.get_conversation(actor(advisor), cid, None)
    assert (again["waiting_for_staff"], again["handled"]) == (False, seen["handled"])

    # the customer writes again: it waits again, a new clock runs
    later = rpc.conversations.post_message(actor(member), cid, {"body": "Et aussi…"})
    waits = rpc.conversations.get_conversation(actor(advisor), cid, None)
    assert waits["waiting_for_staff"] and waits["handled"] is None
    assert waits["waiting_since"] == waits["last_message_at"]
    assert next(c["id"] for c in inbox(rpc, advisor)) == other  # the older wait stays on top
    wait_for(lambda: clocks.find_one({"_id": f"conv.{cid}.{later['id']}", "answered": False}),
             message="a new clock")


def test_a_cm_marks_a_queued_conversation_without_joining_it(rpc, conversations_db):
    """The staff queue (no advisor): CMs may read it, so they may mark it; they do not join."""
    member = register(rpc)
    cid = rpc.conversations.start_conversation(
        actor(member), {"subject": "Hello", "message": "Just saying thanks"})["id"]
    manager = cm()
    assert rpc.conversations.get_conversation(manager, cid, None)["waiting_for_staff"]
    rpc.conversations.settle_wait(manager, cid)
    seen = rpc.conversations.get_conversation(manager, cid, None)
    assert not seen["waiting_for_staff"] and seen["queue"]
    assert seen["participant_ids"] == [member["id"]]
    assert len(settled_events(conversations_db, cid)) == 1
