"""An advisor writes first to one of their customers (`reach_out`, origin "advisor"): only the
customer's own advisor may (another advisor, a CM, the customer: `NotFound`, as the timeline);
one conversation per idempotency key; the advisor wrote last, so nobody waits for staff and
moderation starts no response-time clock; card numbers are stored masked."""
import time

import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from services.conversations import domain
from services.shared import commands

from ...conftest import wait_for
from ..feeds.fixtures import actor, register
from ..posts.fixtures import cm
from .steps import advised

pytestmark = pytest.mark.integration

CARD = "4970 1012 3456 7893"  # Luhn-valid


def started_events(conversations_db, member_id):
    return [event for commit in conversations_db.events.find()
            for event in commit["events"] if event["type"] == domain.STARTED
            and event["payload"]["member_id"] == member_id]


def test_only_the_customer_s_advisor_writes_first_once_per_key(
        rpc, conversations_db, mongo_client, stack_config):
    member, advisor = advised(rpc, conversations_db)
    words = {"subject": "Votre carte arrive", "message": f"Votre nouvelle carte {CARD} est prête."}

    # anyone but their advisor: 404, as for their timeline — and nothing is started
    outsider = register(rpc, roles=("advisor",))
    for who in (actor(outsider), cm(), actor(member)):
        with pytest.raises(Exception, match="NotFound"):
            rpc.conversations.reach_out(who, member["id"], words)
    with pytest.raises(Exception, match="NotFound"):  # the timeline's answer alike
        rpc.conversations.customer_timeline(actor(outsider), member["id"], None)
    with pytest.raises(Exception, match="NotFound"):  # no such customer: the same
        rpc.conversations.reach_out(actor(advisor), "0" * 32, words)
    assert started_events(conversations_db, member["id"]) == []

    context = commands.rpc_context(f"user:{advisor['id']}", "outreach-1", time.time() + 30)
    with ServiceRpcProxy("conversations", stack_config, context_data=context,
                         timeout=20) as keyed:
        first = keyed.reach_out(actor(advisor), member["id"], words)
        again = keyed.reach_out(actor(advisor), member["id"], words)  # a retry: one effect
    assert first["id"] == again["id"]
    events = started_events(conversations_db, member["id"])
    assert [e["payload"] for e in events] == [{
        "conversation_id": first["id"], "member_id": member["id"],
        "participant_ids": [member["id"], advisor["id"]], "pool": None, "origin": "advisor",
        "advisor_id": advisor["id"]}]

    # the advisor wrote last: nobody waits; the card number was stored masked
    assert first["origin"] == "advisor" and first["masked"] == ["card_number"]
    assert not first["waiting_for_staff"] and first["waiting_since"] is None
    assert [m["author_id"] for m in first["messages"]] == [advisor["id"]]
    theirs = rpc.conversations.get_conversation(actor(member), first["id"], None)
    assert theirs["messages"][0]["body"] == "Votre nouvelle carte •••• •••• •••• 7893 est prête."
    assert not theirs["waiting_for_staff"]
    inbox = rpc.conversations.list_conversations(actor(advisor), {"sort": "waiting"})["items"]
    assert [(c["id"], c["waiting_for_staff"]) for c in inbox] == [(first["id"], False)]

    # moderation: no clock for it; the customer's answer starts one, as ever
    clocks = mongo_client[f"{stack_config['MONGO_DB_PREFIX']}_moderation"]["sla"]
    answer = rpc.conversations.post_message(actor(member), first["id"], {"body": "Merci !"})
    wait_for(lambda: clocks.find_one({"_id": f"conv.{first['id']}.{answer['id']}"}),
             message="the customer's answer starts a clock")
    assert clocks.count_documents({"conversation_id": first["id"]}) == 1
    assert rpc.conversations.get_conversation(actor(advisor), first["id"],
                                              None)["waiting_for_staff"]
