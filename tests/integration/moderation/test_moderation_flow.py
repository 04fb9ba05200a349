"""Moderation in nameko containers: detector holds, policy, decisions, flags, audit, SLA."""
import json

import pytest
from nameko.exceptions import RemoteError

from ...conftest import wait_for
from ..posts.fixtures import (
    IBAN,
    advisor,
    cm,
    held_item,
    member,
    new_post,
    public_subscriber,
    published,
    reply_published,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def wiretap(platform):
    received, close = public_subscriber(platform["AMQP_URI"])
    yield received
    close()


def test_an_iban_is_held_redacted_and_the_original_stays_in_the_audit_only(
        posts, moderation, wiretap):
    author, manager = member(), cm()
    post = new_post(posts, author, title="Virement bloqué",
                    body=f"Bonjour, mon IBAN est {IBAN}, pourquoi ce blocage ?")
    item = held_item(moderation, post["id"])
    assert item["reasons"] == ["detector"] and item["detector_kinds"] == ["iban"]
    assert IBAN not in item["proposal"]["body"] and "•" in item["proposal"]["body"]
    mine = wait_for(lambda: (p := posts.get_post(author, post["id"]))["review"]["state"] == "held"
                    and p, message="the author sees it held")
    assert mine["review"] == {"state": "held", "reasons": ["detector"]}
    with pytest.raises(RemoteError):
        posts.get_post(member(), post["id"])

    with pytest.raises(RemoteError) as error:  # still confidential: refused
        moderation.decide(manager, item["id"], {"decision": "redact", "body": f"IBAN {IBAN}"})
    assert error.value.exc_type == "Unprocessable"
    moderation.decide(manager, item["id"], {"decision": "redact",
                                            "body": item["proposal"]["body"]})
    shown = published(posts, post["id"])
    assert shown["redacted"] is True
    assert shown["redaction_mark"] == "edited by the community team"
    assert shown["body"] == item["proposal"]["body"]
    assert shown["title"] == "Virement bloqué"
    assert IBAN not in json.dumps(posts.get_post(author, post["id"]))
    assert IBAN not in json.dumps(posts.history(None, post["id"]))
    assert IBAN not in json.dumps(moderation.get_item(manager, item["id"]))
    audit = moderation.audit(manager, {"target_id": post["id"]})["items"]
    assert [entry["action"] for entry in audit] == ["redact"]
    assert IBAN in audit[0]["before"]["body"] and IBAN not in audit[0]["after"]["body"]
    assert audit[0]["actor_id"] == manager["id"]
    tapped = wiretap()
    assert any("posts.post_published" in body for body in tapped)
    assert not [body for body in tapped if "3000 6000 0112" in body]


CARD = "4970 1012 3456 7893"


def test_an_approval_is_refused_while_an_iban_or_a_card_number_is_in_the_text(
        posts, moderation, wiretap):
    """A CM's approval publishes the text as written: with an IBAN or a card number the
    detector still finds, it is refused (422), nothing is published, and the CM redacts."""
    author, manager = member(), cm()
    question = new_post(posts, author)["id"]
    published(posts, question)
    reply = posts.add_reply(member(), question, {"body": f"IBAN {IBAN} carte {CARD}"})
    item = held_item(moderation, reply["id"])
    assert item["detector_kinds"] == ["iban", "card_number"]
    with pytest.raises(RemoteError) as error:
        moderation.decide(manager, item["id"], {"decision": "approve"})
    assert error.value.exc_type == "Unprocessable"
    refusal = json.loads(error.value.value)
    assert refusal["details"]["kinds"] == ["iban", "card_number"]
    assert list(refusal["details"]["fields"]) == ["decision"]
    assert moderation.get_item(manager, item["id"])["state"] == "held"  # nothing decided
    assert moderation.audit(manager, {"target_id": reply["id"]})["items"] == []
    with pytest.raises(RemoteError) as error:  # a reason code: the CM may have meant to reject
        moderation.decide(manager, item["id"], {"decision": "approve", "reason_code": "spam"})
    assert list(json.loads(error.value.value)["details"]["fields"]) == ["reason_code"]

    moderation.decide(manager, item["id"], {"decision": "redact",
                                            "body": item["proposal"]["body"]})
    shown = reply_published(posts, reply["id"])
    assert shown["redacted"] and "3000 6000" not in shown["body"] and "1012" not in shown["body"]
    assert not [body for body in wiretap() if "3000 6000 0112" in body or CARD in body]


def test_approving_a_phone_number_takes_the_cms_statement_kept_in_the_audit(posts, moderation):
    """Contact details may be public (the bank's customer service): the CM approves them by
    saying so, and the trail keeps who said it of which kinds."""
    manager = cm()
    post = new_post(posts, advisor(), title="Carte perdue",  # staff: the detector holds them too
                    body="Faites opposition au 09 69 39 99 98, jour et nuit.")
    item = held_item(moderation, post["id"])
    assert item["detector_kinds"] == ["phone"]
    with pytest.raises(RemoteError) as error:
        moderation.decide(manager, item["id"], {"decision": "approve"})
    assert list(json.loads(error.value.value)["details"]["fields"]) == ["not_confidential"]
    moderation.decide(manager, item["id"], {"decision": "approve",
                                            "not_confidential": ["phone"]})
    assert "09 69 39 99 98" in published(posts, post["id"])["body"]
    [entry] = moderation.audit(manager, {"target_id": post["id"]})["items"]
    assert entry["action"] == "approve" and entry["actor_id"] == manager["id"]
    assert entry["details"]["not_confidential"] == ["phone"]


def test_premoderation_holds_everything_until_approved(posts, moderation):
    manager = cm()
    with pytest.raises(RemoteError) as error:
        moderation.set_policy(member(), {"premoderation": True})
    assert error.value.exc_type == "Forbidden"
    assert moderation.set_policy(manager, {"premoderation": True})["premoderation"] is True
    post = new_post(posts, member())
    item = held_item(moderation, post["id"])
    assert item["reasons"] == ["policy"] and item["policy_rules"] == ["global"]
    assert item["content"]["body"] == "How do I raise my card's payment limit?"
    staff_post = new_post(posts, advisor())  # staff are not pre-moderated
    published(posts, staff_post["id"])
    moderation.decide(manager, item["id"], {"decision": "approve"})
    published(posts, post["id"])
    with pytest.raises(RemoteError) as error:  # decided already
        moderation.decide(manager, item["id"], {"decision": "reject", "reason_code": "spam"})
    assert error.value.exc_type == "Conflict"
    audit = moderation.audit(manager, {})["items"]
    assert [entry["action"] for entry in audit][:2] == ["approve", "change_policy"]


def test_a_rejection_shows_its_reason_to_the_author_only(posts, moderation):
    author, manager = member(), cm()
    moderation.set_policy(manager, {"premoderated_categories": ["loans"]})
    post = new_post(posts, author, category="loans")
    item = held_item(moderation, post["id"])
    assert item["policy_rules"] == ["category"]
    moderation.decide(manager, item["id"], {"decision": "reject", "reason_code": "off_topic"})
    seen = wait_for(lambda: (p := posts.get_post(author, post["id"]))["state"] == "rejected"
                    and p, message="rejected")
    assert seen["review"] == {"state": "rejected", "reason_code": "off_topic",
                              "reason": "Off topic for this community"}
    with pytest.raises(RemoteError):
        posts.get_post(member(), post["id"])


def test_new_members_are_premoderated_until_enough_approved_contributions(posts, moderation):
    author, manager = member(), cm()
    moderation.set_policy(manager, {"new_member_threshold": 1})
    first = new_post(posts, author)
    item = held_item(moderation, first["id"])
    assert item["policy_rules"] == ["new_member"]
    moderation.decide(manager, item["id"], {"decision": "approve"})
    published(posts, first["id"])
    wait_for(lambda: moderation.member_notes(manager, author["id"])[
        "approved_contributions"] == 1, message="approval counted")
    second = new_post(posts, author)
    published(posts, second["id"])


def test_replies_and_edits_are_scanned_too(posts, moderation):
    author, manager = member(), cm()
    question = new_post(posts, author)["id"]
    published(posts, question)
    reply = posts.add_reply(member(), question, {"body": "Call me on 06 12 34 56 78"})
    item = held_item(moderation, reply["id"])
    assert item["detector_kinds"] == ["phone"] and item["target_type"] == "reply"
    moderation.decide(manager, item["id"], {"decision": "reject",
                                            "reason_code": "confidential_data"})
    posts.edit_post(author, question, {"body": "Write to jean.dupont@exemple.fr"})
    edit = held_item(moderation, question)
    assert edit["revision"] == 2 and edit["detector_kinds"] == ["email"]
    assert posts.get_post(None, question)["body"] == "How do I raise my card's payment limit?"
    moderation.decide(manager, edit["id"], {"decision": "redact",
                                            "body": edit["proposal"]["body"]})
    post = wait_for(lambda: (p := posts.get_post(None, question))["revision"] == 2 and p,
                    message="redacted edit")
    assert post["redacted"] and "jean.dupont" not in post["body"]
    revisions = posts.history(None, question)["revisions"]
    assert [r["redacted"] for r in revisions] == [False, True]


def test_trusted_flags_hide_a_post_until_a_cm_restores_it(posts, moderation):
    manager = cm()
    moderation.set_policy(manager, {"flags_to_hide": 2, "trusted_min_approved": 0,
                                    "trusted_min_age_days": 0})
    post_id = new_post(posts, member())["id"]
    published(posts, post_id)
    flaggers = [member(), member()]
    assert moderation.flag(flaggers[0], "post", post_id, {"reason": "spam"})["held"] is False
    assert moderation.flag(flaggers[0], "post", post_id, {"reason": "spam"})["held"] is False
    assert moderation.flag(flaggers[1], "post", post_id, {"reason": "abusive"})["held"] is True
    wait_for(lambda: posts.get_post(manager, post_id)["state"] == "hidden", message="hidden")
    with pytest.raises(RemoteError):
        posts.get_post(member(), post_id)
    item = held_item(moderation, post_id)
    assert item["review"] == "flags" and item["flags"] == {"spam": 1, "abusive": 1}
    moderation.decide(manager, item["id"], {"decision": "approve"})
    published(posts, post_id)


def test_cm_notes_on_members_are_staff_only(moderation):
    manager, someone = cm(), member()
    with pytest.raises(RemoteError) as error:
        moderation.note_member(member(), someone["id"], {"note": "careful"})
    assert error.value.exc_type == "Forbidden"
    moderation.note_member(manager, someone["id"], {"note": "Asked twice for a refund"})
    notes = moderation.member_notes(manager, someone["id"])["notes"]
    assert [note["note"] for note in notes] == ["Asked twice for a refund"]


def test_a_note_whose_writer_died_before_applying_it_is_applied_from_the_bus(
        moderation, platform, mongo_client):
    """A note is a private event: `project`'s `moderation.*` binding on the public exchange
    does not bring it back; `project_private` does (tests/unit/test_bindings.py)."""
    from services.moderation import domain
    from services.shared.envelope import CommandContext
    from services.shared.event_store import EventStore

    manager, someone = cm(), member()
    store = EventStore(mongo_client[f"{platform['MONGO_DB_PREFIX']}_moderation"], "moderation")
    # committed, never applied inline: what a writer killed right after its append leaves
    store.append(domain.member_stream(someone["id"]), 0,
                 domain.note_member(manager, someone["id"], "Noted before a crash"),
                 CommandContext())
    wait_for(lambda: moderation.member_notes(manager, someone["id"])["notes"], timeout=30,
             message="the note applied from moderation.private")


def test_questions_without_a_staff_answer_breach_their_sla(posts, moderation):
    manager = cm()
    question = new_post(posts, member())["id"]
    published(posts, question)
    wait_for(lambda: moderation.sla(manager)["unanswered"] == 1, message="clock started")
    answered = new_post(posts, member())["id"]
    published(posts, answered)
    reply = posts.add_reply(advisor(), answered, {"body": "Here is how."})
    reply_published(posts, reply["id"])
    report = wait_for(lambda: (r := moderation.sla(manager))["answered"] == 1 and r,
                      message="first staff answer recorded")
    assert report["unanswered"] == 1 and report["within_target_ratio"] == 1.0
    assert moderation.raise_sla_breaches() == 0  # within the hour target of this test
    from prometheus_client import REGISTRY

    assert REGISTRY.get_sample_value("agora_sla_questions_unanswered") == 1
    assert REGISTRY.get_sample_value("agora_moderation_queue_waiting") == 0


def _differences(before: dict, after: dict) -> list:
    """The fields that differ, document by document (a readable failure instead of a dict dump)."""
    return [(name, old.get("_id"), {key: (old.get(key), new.get(key))
                                    for key in set(old) | set(new) if old.get(key) != new.get(key)})
            for name in before for old, new in zip(before[name], after.get(name, []), strict=False)
            if old != new]


def test_read_models_rebuild_identically_from_the_logs(posts, moderation, platform,
                                                       mongo_client):
    import io

    from services.moderation.projections import VIEWS as MODERATION_VIEWS
    from services.posts.projections import VIEWS as POSTS_VIEWS
    from services.shared.event_store import EventStore
    from services.shared.projections import replay

    manager, author = cm(), member()
    held = new_post(posts, author, kind="idea", body=f"IBAN {IBAN}")
    item = held_item(moderation, held["id"])
    moderation.decide(manager, item["id"], {"decision": "redact",
                                            "body": item["proposal"]["body"]})
    published(posts, held["id"])
    for voter in (member(), member()):
        posts.vote(voter, "post", held["id"], True)
    posts.set_idea_status(manager, held["id"], {"status": "under_review", "note": "ok"})
    reply = posts.add_reply(member(), held["id"], {"body": "+1"})
    reply_published(posts, reply["id"])
    wait_for(lambda: moderation.audit(manager, {"target_id": held["id"]})["items"][0][
        "action"] == "change_idea_status", message="moderation saw the status change")
    # the reply is the last fact: once moderation's copy of it is published, every earlier posts
    # event has been applied too (one queue per source service keeps their order)
    moderation_db = mongo_client[f"{platform['MONGO_DB_PREFIX']}_moderation"]
    wait_for(lambda: (moderation_db["targets"].find_one({"_id": reply["id"]}) or {}).get(
        "state") == "published", message="moderation saw the reply published")

    def snapshot(db, collections):
        return {name: sorted(({k: v for k, v in doc.items() if k != "_applied"}
                              for doc in db[name].find()), key=lambda d: str(d["_id"]))
                for name in collections}

    for service, views in (("posts", POSTS_VIEWS), ("moderation", MODERATION_VIEWS)):
        db = mongo_client[f"{platform['MONGO_DB_PREFIX']}_{service}"]
        before = snapshot(db, views.collections)
        replay(EventStore(db, service), views, out=io.StringIO(), quiesce_seconds=0.1)
        after = snapshot(db, views.collections)
        assert after == before, (service, _differences(before, after))


@pytest.mark.parametrize("platform", [{"sla_site_seconds": 0}], indirect=True)
def test_a_question_past_its_target_raises_one_breach_alert(posts, moderation, wiretap):
    manager = cm()
    question = new_post(posts, member())["id"]
    published(posts, question)
    wait_for(lambda: moderation.sla(manager)["unanswered"] == 1, message="clock started")
    assert moderation.raise_sla_breaches() == 1
    assert moderation.raise_sla_breaches() == 0  # once per question, whoever runs the check
    assert moderation.sla(manager)["breached_unanswered"] == 1
    alerts = wait_for(lambda: [b for b in wiretap() if "moderation.sla_breached" in b],
                      message="the alert on the public exchange")
    assert len(alerts) == 1 and question in alerts[0]
