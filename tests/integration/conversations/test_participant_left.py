"""A colleague brought into a conversation (covering for an absent advisor, asked for help)
leaves it: they read it no more (404, out of their lists), moderation stops counting them as
its staff (a breach no longer alerts them), one event however often they leave. Neither its
customer nor the customer's advisor may leave; a CM who picked a conversation up from the
queue and leaves it puts it back in the queue. A replay gives the same state."""
import uuid

import pytest

from services.conversations import domain
from services.conversations.projections import PROJECTION
from services.shared.event_store import EventStore
from services.shared.projections import replay

from ...conftest import wait_for
from ..feeds.fixtures import actor, admin_actor, register
from ..posts.fixtures import cm
from .steps import advised

pytestmark = pytest.mark.integration


def left_events(conversations_db, cid):
    return [event for commit in conversations_db.events.find({"stream_id": domain.stream(cid)})
            for event in commit["events"] if event["type"] == domain.PARTICIPANT_LEFT]


def colleague_added(rpc, conversations_db, by, cid):
    """An advisor colleague, added by `by` once conversations knows their role."""
    colleague = register(rpc, roles=("advisor",))
    rpc.identity.set_roles(admin_actor(rpc.config), colleague["id"], ["member", "advisor"])
    wait_for(lambda: "advisor" in ((conversations_db.members.find_one({"_id": colleague["id"]})
                                    or {}).get("roles") or ()), message="role received")
    rpc.conversations.add_participant(actor(by), cid, {"user_id": colleague["id"]})
    return colleague


def test_a_colleague_who_leaves_reads_it_no_more_and_is_no_longer_its_staff(
        rpc, conversations_db, mongo_client, stack_config):
    member, advisor = advised(rpc, conversations_db)
    staff_of = mongo_client[f"{stack_config['MONGO_DB_PREFIX']}_moderation"]["conversations"]
    cid = rpc.conversations.start_conversation(
        actor(member), {"subject": "Card", "message": "My card is blocked"})["id"]
    colleague = colleague_added(rpc, conversations_db, advisor, cid)
    seen = rpc.conversations.get_conversation(actor(colleague), cid, None)
    assert seen["participant_ids"] == [member["id"], advisor["id"], colleague["id"]]
    assert seen["advisor_id"] == advisor["id"]
    wait_for(lambda: sorted((staff_of.find_one({"_id": cid}) or {}).get("staff_ids") or ())
             == sorted([advisor["id"], colleague["id"]]), message="moderation: two staff")

    # the dialogue is its customer's and their advisor's: they never leave it (403)
    for stays in (member, advisor):
        with pytest.raises(Exception, match="Forbidden"):
            rpc.conversations.leave_conversation(actor(stays), cid)
    # someone not in it: nothing happens, and no error tells whether it exists
    outsider = register(rpc, roles=("advisor",))
    assert rpc.conversations.leave_conversation(actor(outsider), cid) is None
    assert rpc.conversations.leave_conversation(actor(colleague), uuid.uuid4().hex) is None
    assert left_events(conversations_db, cid) == []

    assert rpc.conversations.leave_conversation(actor(colleague), cid) is None
    assert rpc.conversations.leave_conversation(actor(colleague), cid) is None  # no 2nd fact
    assert [e["payload"] for e in left_events(conversations_db, cid)] == [{
        "conversation_id": cid, "participant_id": colleague["id"],
        "participant_ids": [member["id"], advisor["id"]], "staff_ids": [advisor["id"]]}]

    with pytest.raises(Exception, match="NotFound"):
        rpc.conversations.get_conversation(actor(colleague), cid, None)
    with pytest.raises(Exception, match="NotFound"):
        rpc.conversations.post_message(actor(colleague), cid, {"body": "Still here?"})
    assert cid not in [c["id"] for c in rpc.conversations.list_conversations(
        actor(colleague), {})["items"]]
    assert rpc.conversations.get_conversation(actor(advisor), cid, None)[
        "participant_ids"] == [member["id"], advisor["id"]]
    # moderation follows: a breach alerts the advisor only
    wait_for(lambda: (staff_of.find_one({"_id": cid}) or {}).get("staff_ids")
             == [advisor["id"]], message="moderation: the colleague is no longer its staff")

    replay(EventStore(conversations_db, "conversations"), PROJECTION, quiesce_seconds=0.6)
    with pytest.raises(Exception, match="NotFound"):
        rpc.conversations.get_conversation(actor(colleague), cid, None)

    # brought in again later: they read it again
    rpc.conversations.add_participant(actor(advisor), cid, {"user_id": colleague["id"]})
    assert rpc.conversations.get_conversation(actor(colleague), cid, None)["id"] == cid


def test_a_cm_who_leaves_a_picked_up_conversation_puts_it_back_in_the_queue(
        rpc, conversations_db):
    member = register(rpc)
    cid = rpc.conversations.start_conversation(
        actor(member), {"subject": "Hello", "message": "Nobody answers me"})["id"]
    picking = cm(f"cm-{uuid.uuid4().hex[:6]}")
    rpc.conversations.post_message(picking, cid, {"body": "Let me see."})  # joins it
    other = cm(f"cm-{uuid.uuid4().hex[:6]}")
    with pytest.raises(Exception, match="NotFound"):  # picked up: out of the queue
        rpc.conversations.get_conversation(other, cid, None)

    rpc.conversations.leave_conversation(picking, cid)
    back = rpc.conversations.get_conversation(other, cid, None)  # in the queue again
    # (the CM who left sees it in the queue again, as every CM does: no seat of theirs)
    assert back["queue"] and back["participant_ids"] == [member["id"]]
