"""Private dialogue through the gateway against the running processes: a member and their
advisor talk privately, outsiders get 404, the bank systems' exchange never carries a body,
staff escalate a public question, and the social-listening intake opens (and reuses) cases."""
from __future__ import annotations

import json
import uuid

import pytest

from ..conftest import wait_for
from .clients import Subscriber
from .conftest import PASSWORD
from .steps import customer_with_advisor, ok, problem, staff, submit, visible


@pytest.fixture
def bank_system(platform):
    """A bank system's queue bound to everything on the public conversations exchange."""
    subscriber = Subscriber(platform.amqp_uri, "conversations.events", "#")
    yield subscriber
    subscriber.close()


def test_member_and_advisor_talk_privately_and_nothing_leaks(platform, api, bank_system,
                                                             conversations_db):
    member, advisor = customer_with_advisor(platform, api, conversations_db)
    outsider = api.new_user()
    secret = f"my IBAN is FR76 3000 6000 0112 3456 7890 189 {uuid.uuid4().hex}"
    answer = f"I have updated your card limit {uuid.uuid4().hex}"

    conversation = ok(api.post("/api/v1/conversations", user=member,
                               json={"subject": "Card limit abroad", "message": secret}), 201)
    cid = conversation["id"]
    assert conversation["participant_ids"] == [member.id, advisor.id]
    assert not conversation["queue"]
    assert [m["body"] for m in conversation["messages"]] == [secret]

    listed = ok(api.get("/api/v1/conversations", user=advisor))
    assert [c["id"] for c in listed["items"]] == [cid]
    assert listed["items"][0]["subject"] == "Card limit abroad"
    assert listed["items"][0]["waiting_for_staff"]  # the member wrote last: staff owe an answer
    seen = ok(api.get(f"/api/v1/conversations/{cid}", user=advisor))
    assert [m["body"] for m in seen["messages"]] == [secret]
    reply = ok(api.post(f"/api/v1/conversations/{cid}/messages", user=advisor,
                        json={"body": answer}), 201)
    assert reply["author_id"] == advisor.id
    wait_for(lambda: not ok(api.get("/api/v1/conversations", user=advisor))["items"][0][
        "waiting_for_staff"], timeout=10, message="answered: no longer waiting for staff")

    mine = ok(api.get(f"/api/v1/conversations/{cid}", user=member, params={"limit": 1}))
    assert [m["body"] for m in mine["messages"]] == [secret] and mine["next_cursor"]
    rest = ok(api.get(f"/api/v1/conversations/{cid}", user=member,
                      params={"cursor": mine["next_cursor"]}))
    assert [(m["author_id"], m["body"]) for m in rest["messages"]] == [(advisor.id, answer)]

    # someone else: the conversation does not exist for them (404, not 403)
    problem(api.get(f"/api/v1/conversations/{cid}", user=outsider), 404)
    problem(api.post(f"/api/v1/conversations/{cid}/messages", user=outsider,
                     json={"body": "let me in"}), 404)
    problem(api.get(f"/api/v1/conversations/{uuid.uuid4().hex}", user=outsider), 404)
    assert ok(api.get("/api/v1/conversations", user=outsider))["items"] == []
    problem(api.get(f"/api/v1/conversations/{cid}"), 401)

    # what other bank systems can bind to: references, never a body or the subject
    def both_posted():
        posted = [body for key, _, body in bank_system.drain()
                  if key == "conversations.message_posted"
                  and body["payload"]["conversation_id"] == cid]
        return len(posted) == 2 and posted
    posted = wait_for(both_posted, timeout=20, message="message_posted events")
    assert {p["payload"]["author_id"] for p in posted} == {member.id, advisor.id}
    wire = json.dumps([body for _, _, body in bank_system.received])
    for text in (secret, answer, "Card limit abroad", "FR76"):
        assert text not in wire

    # every read of private content is audited, and every refused attempt
    readers = {(a["user_id"], a["action"]) for a in conversations_db["access_audit"].find(
        {"conversation_id": cid})}
    assert {(member.id, "read"), (advisor.id, "read"), (advisor.id, "list")} <= readers
    # the outsider read nothing; their attempts are recorded as refused
    assert {action for reader, action in readers if reader == outsider.id} == {"denied"}


def test_without_an_advisor_the_staff_queue_picks_it_up(platform, api):
    member = api.new_user()
    cm, advisor = staff(platform), staff(platform, "advisor")
    conversation = ok(api.post("/api/v1/conversations", user=member,
                               json={"subject": "A question", "message": "Hello?"}), 201)
    assert conversation["queue"] and conversation["participant_ids"] == [member.id]
    problem(api.get(f"/api/v1/conversations/{conversation['id']}", user=advisor), 404)
    queue = ok(api.get("/api/v1/conversations", user=cm, params={"limit": 200}))
    assert conversation["id"] in [c["id"] for c in queue["items"]]
    ok(api.post(f"/api/v1/conversations/{conversation['id']}/messages", user=cm,
                json={"body": "Hello, I am on it."}), 201)
    picked = ok(api.get(f"/api/v1/conversations/{conversation['id']}", user=member))
    assert picked["participant_ids"] == [member.id, cm.id] and not picked["queue"]
    problem(api.get(f"/api/v1/conversations/{conversation['id']}", user=staff(platform)),
            404)  # picked up: out of the queue, participants only

    def added():  # conversations learns staff roles from identity's public events
        response = api.post(f"/api/v1/conversations/{conversation['id']}/participants",
                            user=cm, json={"user_id": advisor.id})
        return response.status_code == 201 and response.json()
    added = wait_for(added, timeout=20, message="advisor role known")
    assert advisor.id in added["participant_ids"]
    ok(api.get(f"/api/v1/conversations/{conversation['id']}", user=advisor))


def test_staff_escalate_a_public_question(platform, api, bank_system):
    asker, other = api.new_user(), api.new_user()
    cm = staff(platform)
    post = submit(api, asker, title="Why was my transfer blocked?",
                  body="My transfer to my landlord was blocked yesterday.")
    visible(api, post["id"])

    problem(api.post(f"/api/v1/posts/{post['id']}/escalate", user=other, json={}), 403)
    problem(api.post(f"/api/v1/posts/{post['id']}/escalate", json={}), 401)

    def escalated():  # conversations learns the post from posts' public events
        response = api.post(f"/api/v1/posts/{post['id']}/escalate", user=cm,
                            json={"message": "Let us look at your account together."})
        return response.status_code == 201 and response.json()
    conversation = wait_for(escalated, timeout=20, message="post known to conversations")
    assert conversation["post_id"] == post["id"] and conversation["origin"] == "escalation"
    assert set(conversation["participant_ids"]) == {asker.id, cm.id}
    again = ok(api.post(f"/api/v1/posts/{post['id']}/escalate", user=cm, json={}), 201)
    assert again["id"] == conversation["id"] and again["message_count"] == 1

    mine = ok(api.get(f"/api/v1/conversations/{conversation['id']}", user=asker))
    assert mine["messages"][0]["body"] == "Let us look at your account together."
    problem(api.get(f"/api/v1/conversations/{conversation['id']}", user=other), 404)

    event = wait_for(lambda: bank_system.find(
        lambda item: item[0] == "conversations.escalated"
        and item[2]["payload"]["post_id"] == post["id"]), timeout=20, message="escalated event")
    assert event[2]["payload"] == {"post_id": post["id"], "conversation_id": conversation["id"],
                                   "escalated_by": cm.id}
    # the public thread shows it is being handled privately, to everyone, and nothing more
    shown = wait_for(lambda: (p := ok(api.get(f"/api/v1/posts/{post['id']}", user=other)))
                     ["handled_privately"] and p, timeout=20, message="thread marked")
    assert conversation["id"] not in str(shown)


def test_social_mentions_become_one_case_per_member(platform, api, conversations_db):
    member, advisor = customer_with_advisor(platform, api, conversations_db)
    mention = {"channel": "twitter", "external_id": uuid.uuid4().hex, "handle": "@marie",
               "text": "@MyBank my card was swallowed by the ATM", "member_id": member.id}
    url = "/api/v1/channels/social/mentions"

    problem(api.post(url, json=mention), 401)
    problem(api.post(url, json=mention, headers={"X-Agora-Service-Key": "crm:wrong"}), 401)
    problem(api.post(url, json=mention, user=member), 403)

    first = ok(api.post(url, json=mention, headers=platform.service_key), 201)
    assert first["matched"] and first["created"] and not first["queue"]
    again = ok(api.post(url, json=mention, headers=platform.service_key), 201)
    assert again["duplicate"] and again["conversation_id"] == first["conversation_id"]
    other_channel = ok(api.post(url, headers=platform.service_key, json={
        **mention, "channel": "facebook", "external_id": uuid.uuid4().hex,
        "text": "Still no card!"}), 201)
    assert other_channel["conversation_id"] == first["conversation_id"]
    assert not other_channel["created"]
    platform.verify_email(member)  # only a verified address names a member
    wait_for(lambda: (conversations_db["members"].find_one({"_id": member.id}) or {})
             .get("email_verified"), timeout=20, message="e-mail known (hashed), verified")
    by_email = ok(api.post(url, headers=platform.service_key, json={
        "channel": "instagram", "external_id": uuid.uuid4().hex, "handle": "marie.d",
        "text": "Any news?", "matched_email": member.email.upper()}), 201)
    assert by_email["matched"] and by_email["conversation_id"] == first["conversation_id"]

    case = ok(api.get(f"/api/v1/conversations/{first['conversation_id']}", user=advisor))
    assert case["origin"] == "social" and case["participant_ids"] == [member.id, advisor.id]
    assert [(m["channel"], m["body"]) for m in case["messages"]] == [
        ("twitter", mention["text"]), ("facebook", "Still no card!"), ("instagram", "Any news?")]
    ok(api.get(f"/api/v1/conversations/{first['conversation_id']}", user=member))

    stranger = ok(api.post(url, headers=platform.service_key, json={
        "channel": "twitter", "external_id": uuid.uuid4().hex, "handle": "@nobody",
        "text": "hello bank"}), 201)
    assert not stranger["matched"] and stranger["queue"]
    problem(api.get(f"/api/v1/conversations/{stranger['conversation_id']}", user=advisor), 404)
    ok(api.get(f"/api/v1/conversations/{stranger['conversation_id']}", user=staff(platform)))


def test_a_mention_sent_again_is_a_duplicate_whatever_else_differs(platform, api,
                                                                  conversations_db):
    """What was observed: mention E accepted for a member, then E again with
    `member_id: "nonexistent"` opened a second case (201, created). The same external id from
    the same bank system is now always the first mention (`duplicate: true`), and a member_id
    that names nobody is refused on its own (422 on member_id), never an unmatched case."""
    member, advisor = customer_with_advisor(platform, api, conversations_db)
    url, key = "/api/v1/channels/social/mentions", platform.service_key
    mention = {"channel": "twitter", "external_id": uuid.uuid4().hex, "handle": "@karim_b",
               "text": "@MaBanque ma carte a été avalée", "member_id": member.id}
    first = ok(api.post(url, headers=key, json=mention), 201)
    assert first["matched"] and first["created"] and not first["duplicate"]
    for variant in ({"member_id": "nonexistent"}, {"member_id": None, "handle": "@other"},
                    {"channel": "facebook", "text": "autre texte"}):
        again = ok(api.post(url, headers=key, json={**mention, **variant}), 201)
        assert again == {**first, "created": False, "duplicate": True}, variant
    case = ok(api.get(f"/api/v1/conversations/{first['conversation_id']}", user=advisor))
    assert [m["body"] for m in case["messages"]] == [mention["text"]]

    unknown = problem(api.post(url, headers={**key, "Accept-Language": "en"}, json={
        **mention, "external_id": uuid.uuid4().hex, "member_id": "nonexistent"}), 422)
    assert unknown["detail"] == "no member has this id"
    assert list(unknown["errors"]) == ["member_id"]
    french = problem(api.post(url, headers={**key, "Accept-Language": "fr"}, json={
        **mention, "external_id": uuid.uuid4().hex, "member_id": "nonexistent"}), 422)
    assert french["errors"]["member_id"][0].startswith("aucun membre n’a cet identifiant")


def test_demo_conversations(platform, api, demo_api, conversations_db,
                            monkeypatch):
    from services.conversations import demo

    member1, member2 = demo_api.user_id(demo.MEMBER), demo_api.user_id("member2@demo.agora")
    advisor = demo_api.user_id(demo.ADVISOR)
    for member in (member1, member2):
        ok(api.put(f"/api/v1/users/{member}/verification", user=platform.admin,
                   json={"verified_customer": True}))
        ok(api.put(f"/api/v1/users/{member}/advisor", user=platform.admin,
                   json={"advisor_id": advisor, "branch": "Paris Opéra"}))
        wait_for(lambda member=member: (conversations_db["members"].find_one(
            {"_id": member}) or {}).get("advisor_id") == advisor, message="advisor known")
    monkeypatch.setenv("AGORA_DEMO_SERVICE_KEY", platform.service_key["X-Agora-Service-Key"])
    demo.seed(demo_api)
    demo.seed(demo_api)  # re-running it changes nothing

    mine = demo_api.get("/api/v1/conversations", as_=demo.MEMBER)["items"]
    assert [(c["subject"], c["message_count"]) for c in mine] == [
        (demo.SUBJECT, 2)]
    cases = demo_api.get("/api/v1/conversations", as_="member2@demo.agora")["items"]
    assert [(c["origin"], c["message_count"]) for c in cases] == [("social", 1)]
    assert len(demo_api.get("/api/v1/conversations", as_=demo.UNADVISED)["items"]) == 1


def test_a_second_escalation_reveals_nothing_to_other_staff(platform, api, conversations_db):
    asker, advisor = customer_with_advisor(platform, api, conversations_db)
    cm, other_advisor = staff(platform), staff(platform, "advisor")
    secret = f"Let us check your overdraft {uuid.uuid4().hex}"
    post = submit(api, asker, title="Why was my overdraft refused?",
                  body="My overdraft request was refused without a reason.")
    visible(api, post["id"])

    def escalated():
        response = api.post(f"/api/v1/posts/{post['id']}/escalate", user=cm,
                            json={"message": secret})
        return response.status_code == 201 and response.json()
    conversation = wait_for(escalated, timeout=20, message="post known to conversations")
    cid = conversation["id"]

    # another advisor (or CM) escalating the same question gets nothing and joins nothing
    for outsider in (other_advisor, staff(platform)):
        refused = problem(api.post(f"/api/v1/posts/{post['id']}/escalate", user=outsider,
                                   json={"message": "me too"}), 404)
        assert secret not in json.dumps(refused) and cid not in json.dumps(refused)
        problem(api.get(f"/api/v1/conversations/{cid}", user=outsider), 404)
        assert cid not in [c["id"] for c in ok(api.get("/api/v1/conversations",
                                                       user=outsider))["items"]]
    mine = ok(api.get(f"/api/v1/conversations/{cid}", user=asker))
    assert set(mine["participant_ids"]) == {asker.id, cm.id, advisor.id}
    assert [m["body"] for m in mine["messages"]] == [secret]
    # the staff in it get the same conversation back
    assert ok(api.post(f"/api/v1/posts/{post['id']}/escalate", user=advisor, json={}),
              201)["id"] == cid
    denied = {a["user_id"] for a in conversations_db["access_audit"].find(
        {"conversation_id": cid, "action": "denied"})}
    assert other_advisor.id in denied


def test_a_reassigned_customer_s_conversations_follow_the_new_advisor(platform, api,
                                                                      bank_system,
                                                                      conversations_db):
    member, former = customer_with_advisor(platform, api, conversations_db)
    new_advisor = staff(platform, "advisor")
    before = f"before the move {uuid.uuid4().hex}"
    cid = ok(api.post("/api/v1/conversations", user=member,
                      json={"subject": "My mortgage", "message": before}), 201)["id"]
    ok(api.post(f"/api/v1/conversations/{cid}/messages", user=former,
                json={"body": "I am on it."}), 201)
    ok(api.get(f"/api/v1/conversations/{cid}", user=former))
    problem(api.get(f"/api/v1/conversations/{cid}", user=new_advisor), 404)

    ok(api.put(f"/api/v1/users/{member.id}/advisor", user=platform.admin,
               json={"advisor_id": new_advisor.id, "branch": "Nantes Graslin"}))
    moved = wait_for(lambda: (r := api.get(f"/api/v1/conversations/{cid}", user=new_advisor))
                     .status_code == 200 and r.json(), timeout=20, message="new advisor in")
    assert [m["body"] for m in moved["messages"]] == [before, "I am on it."]  # the history
    assert moved["participant_ids"] == [member.id, new_advisor.id]

    # the former advisor reads nothing more, writes nothing more, lists nothing more
    problem(api.get(f"/api/v1/conversations/{cid}", user=former), 404)
    problem(api.post(f"/api/v1/conversations/{cid}/messages", user=former,
                     json={"body": "still here?"}), 404)
    assert cid not in [c["id"] for c in ok(api.get("/api/v1/conversations",
                                                   user=former))["items"]]
    after = f"after the move {uuid.uuid4().hex}"
    posted = ok(api.post(f"/api/v1/conversations/{cid}/messages", user=member,
                         json={"body": after}), 201)
    problem(api.get(f"/api/v1/conversations/{cid}", user=former), 404)
    seen = ok(api.get(f"/api/v1/conversations/{cid}", user=new_advisor))
    assert seen["messages"][-1]["body"] == after
    # a new conversation goes to the new advisor
    fresh = ok(api.post("/api/v1/conversations", user=member,
                        json={"subject": "Another thing", "message": "hello"}), 201)
    assert fresh["participant_ids"] == [member.id, new_advisor.id]

    # the bank systems see the move (references only); the new message notifies the new seat
    change = wait_for(lambda: bank_system.find(
        lambda item: item[0] == "conversations.advisor_changed"
        and item[2]["payload"]["conversation_id"] == cid), timeout=20, message="moved event")
    assert change[2]["payload"] == {"conversation_id": cid, "member_id": member.id,
                                    "advisor_id": new_advisor.id,
                                    "former_advisor_id": former.id,
                                    "participant_ids": [member.id, new_advisor.id]}
    message = wait_for(lambda: bank_system.find(
        lambda item: item[0] == "conversations.message_posted"
        and item[2]["payload"]["message_id"] == posted["id"]), timeout=20, message="posted")
    assert former.id not in message[2]["payload"]["participant_ids"]

    # the access audit: the new advisor's reads, and the former one's refused attempts
    audit = [(a["user_id"], a["action"]) for a in conversations_db["access_audit"].find(
        {"conversation_id": cid}).sort("at", 1)]
    assert (new_advisor.id, "read") in audit and (former.id, "denied") in audit
    assert audit.index((former.id, "denied")) > audit.index((former.id, "read"))


def _waiting_conversations(api, manager) -> list[str]:
    """The conversations of every waiting private clock, oldest first, page after page."""
    found, params = [], {"channel": "private", "limit": 200}
    while True:
        page = ok(api.get("/api/v1/moderation/sla", user=manager, params=params))
        found += [clock["conversation_id"] for clock in page["oldest_unanswered"]]
        if not page["next_cursor"]:
            return found
        params = {**params, "cursor": page["next_cursor"]}


def test_an_erased_member_s_conversation_waits_for_nobody(platform, api, conversations_db,
                                                           mongo_client):
    """The customer writes, is answered, writes again, then erases their account: their
    conversation is closed, so it waits for no staff (list, SLA), its clock stops without
    counting as answered, and they leave their advisor's customers."""
    member, advisor = customer_with_advisor(platform, api, conversations_db)
    manager = staff(platform)
    cid = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": "Virement bloqué", "message": "Mon virement est bloqué."}), 201)["id"]
    ok(api.post(f"/api/v1/conversations/{cid}/messages", user=advisor,
                json={"body": "Je regarde."}), 201)
    ok(api.post(f"/api/v1/conversations/{cid}/messages", user=member,
                json={"body": "Toujours bloqué."}), 201)
    wait_for(lambda: cid in _waiting_conversations(api, manager), timeout=20,
             message="the member's second message waits for staff")
    clocks = mongo_client[f"{platform.db_prefix}_moderation"]["sla"]
    running = clocks.find_one({"conversation_id": cid, "answered": False})
    assigned = conversations_db["members"].find_one({"_id": member.id})

    def customers():
        return {c["customer"]["id"]: c for c in ok(api.get(
            "/api/v1/me/customers", user=advisor, params={"limit": 100}))["items"]}
    listed = customers()[member.id]["open_conversations"]
    assert [(c["id"], c["waiting_for_staff"]) for c in listed] == [(cid, True)]

    erased = api.delete("/api/v1/me", user=member, json={"password": PASSWORD})
    assert erased.status_code == 204, erased.text

    def closed():
        item = next(c for c in ok(api.get("/api/v1/conversations", user=advisor))["items"]
                    if c["id"] == cid)
        return item["closed"] and item
    assert wait_for(closed, timeout=20, message="closed")["waiting_for_staff"] is False
    problem(api.post(f"/api/v1/conversations/{cid}/messages", user=advisor,
                     json={"body": "Encore là ?"}), 409)
    wait_for(lambda: cid not in _waiting_conversations(api, manager), timeout=20,
             message="the erased member's clock stopped")
    # stopped, not answered: only the first wait (answered by the advisor) is counted
    assert [c["answered"] for c in clocks.find({"conversation_id": cid})] == [True]
    wait_for(lambda: member.id not in customers(), timeout=20,
             message="the erased member left their advisor's customers")

    # read models stored before this rule (the clock running, the customer listed): a replay
    # of moderation and conversations applies it to members erased earlier
    clocks.insert_one(running)
    conversations_db["members"].replace_one({"_id": member.id}, assigned)
    assert cid in _waiting_conversations(api, manager) and member.id in customers()
    for service in ("moderation", "conversations"):
        result = platform.agora("replay", service, timeout=300)
        assert result.returncode == 0, f"replay {service}: {result.stdout}\n{result.stderr}"
    assert cid not in _waiting_conversations(api, manager) and member.id not in customers()


def test_a_long_conversation_reads_from_its_newest_page_back_and_after_a_message(
        platform, api, conversations_db):
    """A chat shows its newest messages first (`order=desc`, its cursor pages back), and a live
    catch-up reads only what came after the last message shown (`after`): never the oldest
    page. The customer's timeline is offered only to who may open it."""
    member, advisor = customer_with_advisor(platform, api, conversations_db)
    cid = ok(api.post("/api/v1/conversations", user=member,
                      json={"subject": "Long exchange", "message": "message 0"}), 201)["id"]
    for n in range(1, 7):
        ok(api.post(f"/api/v1/conversations/{cid}/messages", user=advisor if n % 2 else member,
                    json={"body": f"message {n}"}), 201)
    bodies = lambda page: [m["body"] for m in page["messages"]]  # noqa: E731
    read = lambda **params: ok(api.get(f"/api/v1/conversations/{cid}",  # noqa: E731
                                       user=member, params=params))
    wait_for(lambda: len(bodies(read(limit=50))) == 7, timeout=10, message="all 7 indexed")

    newest = read(limit=3, order="desc")
    assert bodies(newest) == ["message 6", "message 5", "message 4"] and newest["next_cursor"]
    earlier = read(limit=3, order="desc", cursor=newest["next_cursor"])
    assert bodies(earlier) == ["message 3", "message 2", "message 1"]
    oldest = read(limit=3, order="desc", cursor=earlier["next_cursor"])
    assert bodies(oldest) == ["message 0"] and oldest["next_cursor"] is None

    after = read(after=newest["messages"][1]["id"])  # message 5 shown last: only 6 follows
    assert bodies(after) == ["message 6"]
    assert bodies(read(after=newest["messages"][0]["id"])) == []
    problem(api.get(f"/api/v1/conversations/{cid}", user=member,
                    params={"after": uuid.uuid4().hex}), 400)
    problem(api.get(f"/api/v1/conversations/{cid}", user=member, params={"order": "up"}), 400)

    # the timeline: its advisor yes; a colleague brought in, or the member, no
    colleague = staff(platform, "advisor")
    ok(api.post(f"/api/v1/conversations/{cid}/participants", user=advisor,
                json={"user_id": colleague.id}), 201)
    assert ok(api.get(f"/api/v1/conversations/{cid}", user=advisor))["customer_timeline"]
    wait_for(lambda: api.get(f"/api/v1/conversations/{cid}", user=colleague).status_code == 200,
             timeout=10, message="the colleague joined")
    assert not ok(api.get(f"/api/v1/conversations/{cid}", user=colleague))["customer_timeline"]
    problem(api.get(f"/api/v1/customers/{member.id}/timeline", user=colleague), 404)
    assert not read()["customer_timeline"]


def test_the_advisors_inbox_puts_the_longest_waiting_customer_first(platform, api,
                                                                    conversations_db):
    """`sort=waiting`: those waiting for staff first, the longest wait first (since the
    member's first message after staff last wrote, whatever they wrote since), then the others
    by last activity; the cursor pages through that order (a waiting customer is never pushed
    to a later page by answered ones)."""
    member, advisor = customer_with_advisor(platform, api, conversations_db)

    def start(subject):
        return ok(api.post("/api/v1/conversations", user=member,
                           json={"subject": subject, "message": "Bonjour"}), 201)

    def write(conversation, user, body="Alors ?"):
        ok(api.post(f"/api/v1/conversations/{conversation['id']}/messages", user=user,
                    json={"body": body}), 201)
    first = start("Waiting longest")
    answered = start("Answered first")
    write(answered, advisor, "C'est fait.")
    second = start("Waiting since later")
    recent = start("Answered last")
    write(recent, advisor, "C'est fait aussi.")
    write(first, member)  # still waiting since its first message
    names = {c["id"]: c["subject"] for c in (first, answered, second, recent)}

    def listed(**params):
        page = ok(api.get("/api/v1/conversations", user=advisor, params=params))
        return [names[item["id"]] for item in page["items"]], page
    wait_for(lambda: listed(sort="waiting")[0] == ["Waiting longest", "Waiting since later",
                                                   "Answered last", "Answered first"],
             timeout=10, message="waiting first, the longest wait first")
    assert listed()[0] == ["Waiting longest", "Answered last", "Waiting since later",
                           "Answered first"]  # the default: last activity
    shown, page = listed(sort="waiting", limit=3)
    assert shown == ["Waiting longest", "Waiting since later", "Answered last"]
    assert listed(sort="waiting", limit=3, cursor=page["next_cursor"])[0] == ["Answered first"]
    waiting = page["items"][0]
    assert waiting["waiting_since"] == first["messages"][0]["created_at"]
    assert page["items"][2]["waiting_since"] is None

    write(first, advisor, "Voilà.")  # answered: among the others, the most recent
    wait_for(lambda: listed(sort="waiting")[0] == ["Waiting since later", "Waiting longest",
                                                   "Answered last", "Answered first"],
             timeout=10, message="answered: no longer first")
    problem(api.get("/api/v1/conversations", user=advisor, params={"sort": "oldest"}), 400)
