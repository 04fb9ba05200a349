"""Moderation: pure rules — review (detector whatever the policy, policy rules), CM decisions,
flags and rounds, policy changes."""
import pytest

from services.moderation import domain
from services.moderation.schemas import PolicySchema
from services.shared.envelope import CommandContext, Envelope, NewEvent
from services.shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from services.shared.payloads import REGISTRY

pytestmark = pytest.mark.unit

CM = {"id": "cm", "roles": ["member", "community_manager"]}
ADMIN = {"id": "adm", "roles": ["member", "admin"]}
MEMBER = {"id": "m1", "roles": ["member"]}
IBAN = "FR76 3000 6000 0112 3456 7890 189"
POLICY = dict(domain.DEFAULT_POLICY)


def content(body="How do I raise my card limit?", title="Card limit", roles=("member",),
            category="cards", revision=1, target_type="post"):
    return {"target_type": target_type, "target_id": "p1", "post_id": "p1",
            "revision": revision, "author_id": "m1", "submitted_by": "m1",
            "submitter_roles": list(roles), "kind": "question", "category": category,
            "title": title if target_type == "post" else None, "body": body}


def envelopes(stream_id, new_events: list[NewEvent], start=1) -> list[Envelope]:
    out = []
    for offset, event in enumerate(new_events):
        version, payload = REGISTRY.serialize(event.type, event.payload)
        out.append(Envelope.new(NewEvent(event.type, payload), stream_id=stream_id,
                                stream_version=start + offset, context=CommandContext(),
                                schema_version=version))
    return out


def reviewed(text=None, policy=POLICY, approved=10, **kwargs):
    c = content(**kwargs) if text is None else content(body=text, **kwargs)
    found = domain.scan(c["title"], c["body"])
    return domain.review(domain.Item(), c, policy, approved, found)


def held_item(text=f"My IBAN is {IBAN}"):
    return domain.fold_item(envelopes("p1.r1", reviewed(text)))


# -- review ------------------------------------------------------------------------------------

def test_clean_text_without_policy_is_approved_automatically():
    [event] = reviewed()
    assert event.type == "moderation.item_approved" and event.payload["auto"] is True
    assert event.payload["item_id"] == "p1.r1"


@pytest.mark.parametrize("text, kind", [
    (f"Mon IBAN : {IBAN}", "iban"),
    ("Carte 4970 1012 3456 7893 bloquée", "card_number"),
    ("écrivez-moi : jean.dupont@exemple.fr", "email"),
    ("appelez le 06 12 34 56 78", "phone"),
])
def test_the_detector_holds_whatever_the_policy(text, kind):
    [event] = reviewed(text)
    assert event.type == "moderation.item_held"
    assert event.payload["reasons"] == ["detector"]
    assert event.payload["detector_kinds"] == [kind]
    assert "6000" not in str(event.payload) and "dupont" not in str(event.payload)


def test_a_hit_in_the_title_holds_too_and_staff_are_not_exempt_from_the_detector():
    [event] = reviewed(title=f"IBAN {IBAN}", roles=("member", "advisor"))
    assert event.payload["reasons"] == ["detector"]


def test_policy_rules_global_category_new_member_and_staff_exemption():
    policy = {**POLICY, "premoderation": True, "premoderated_categories": ["loans"],
              "new_member_threshold": 3}
    [event] = reviewed(policy=policy, category="loans", approved=1)
    assert event.payload["reasons"] == ["policy"]
    assert event.payload["policy_rules"] == ["global", "category", "new_member"]
    [staff] = reviewed(policy=policy, category="loans", approved=0, roles=("member", "advisor"))
    assert staff.type == "moderation.item_approved"
    [both] = reviewed(f"IBAN {IBAN}", policy={**POLICY, "new_member_threshold": 1}, approved=0)
    assert both.payload["reasons"] == ["policy", "detector"]
    assert reviewed(policy={**POLICY, "new_member_threshold": 1}, approved=1)[0].type == \
        "moderation.item_approved"


def test_an_item_is_reviewed_once():
    item = held_item()
    assert item.state == "held" and item.detector_kinds == ["iban"]
    assert domain.review(item, content(), POLICY, 0, domain.scan("t", "b")) == []


def test_scan_proposes_a_masked_version():
    found = domain.scan(f"IBAN {IBAN}", f"Send to {IBAN} please")
    assert found.kinds == ["iban"]
    assert "3000" not in found.masked_title and "3000" not in found.masked_body
    assert found.masked_body.startswith("Send to FR76") and found.masked_body.endswith("please")


# -- decisions ---------------------------------------------------------------------------------

def test_only_moderators_decide():
    for actor in (None, MEMBER, {"id": "adv", "roles": ["member", "advisor"]}):
        with pytest.raises(Forbidden):
            domain.decide(actor, held_item(), {"decision": "approve"})
    assert domain.decide(ADMIN, held_item(), {"decision": "approve"})[0].payload["auto"] is False


def test_a_decision_needs_a_held_item():
    with pytest.raises(NotFound):
        domain.decide(CM, domain.Item(id="nope"), {"decision": "approve"})
    item = held_item()
    events = envelopes("p1.r1", reviewed(f"x {IBAN}")) + envelopes(
        "p1.r1", domain.decide(CM, item, {"decision": "approve"}), start=2)
    with pytest.raises(Conflict):
        domain.decide(CM, domain.fold_item(events), {"decision": "reject",
                                                     "reason_code": "spam"})


def test_reject_needs_a_reason_code_and_carries_its_label():
    with pytest.raises(Unprocessable):
        domain.decide(CM, held_item(), {"decision": "reject"})
    [event] = domain.decide(CM, held_item(), {"decision": "reject", "reason_code": "spam"})
    assert event.payload["reason"] == "Spam or advertising"


def test_redaction_must_be_clean_and_defaults_to_the_proposed_title():
    item = held_item()
    with pytest.raises(Unprocessable) as error:
        domain.decide(CM, item, {"decision": "redact", "title": "Transfer",
                                 "body": f"still {IBAN}"})
    assert error.value.details["kinds"] == ["iban"]
    with pytest.raises(Unprocessable):
        domain.decide(CM, item, {"decision": "redact"})
    proposal = domain.scan(f"About {IBAN}", f"My IBAN is {IBAN}")
    [event] = domain.decide(CM, item, {"decision": "redact", "body": proposal.masked_body},
                            proposal)
    assert event.type == "moderation.item_redacted"
    assert event.payload["title"] == proposal.masked_title
    assert event.payload["body"] == proposal.masked_body
    assert IBAN not in str(event.payload)


# -- flags -------------------------------------------------------------------------------------

TARGET = {"_id": "p1", "target_type": "post", "post_id": "p1", "author_id": "author",
          "state": "published", "revision": 2}


def flag_stream(flaggers, policy=None, trusted=True):
    policy = policy or {**POLICY, "flags_to_hide": 2}
    events: list[Envelope] = []
    for flagger in flaggers:
        new = domain.flag({"id": flagger, "roles": ["member"]}, domain.fold_item(events),
                          TARGET, "spam", trusted, policy)
        events += envelopes("p1.flags", new, start=len(events) + 1)
    return events


def test_flags_are_one_per_member_and_hold_at_the_threshold():
    events = flag_stream(["a", "a"])
    assert [e.type for e in events] == ["moderation.item_flagged"]
    events = flag_stream(["a", "b"])
    assert [e.type for e in events] == ["moderation.item_flagged", "moderation.item_flagged",
                                        "moderation.item_held"]
    held = events[-1].payload
    assert held["review"] == "flags" and held["reasons"] == ["flags"] and held["revision"] == 2
    item = domain.fold_item(events)
    assert item.state == "held" and item.id == "p1.flags"
    more = domain.flag({"id": "c", "roles": ["member"]}, item, TARGET, "spam", True,
                       {**POLICY, "flags_to_hide": 2})
    assert [e.type for e in more] == ["moderation.item_flagged"]  # no second hold


def test_untrusted_flags_do_not_hide():
    assert [e.type for e in flag_stream(["a", "b", "c"], trusted=False)] == \
        ["moderation.item_flagged"] * 3


def test_a_decision_closes_the_round_of_flags():
    events = flag_stream(["a", "b"])
    item = domain.fold_item(events)
    events += envelopes("p1.flags", domain.decide(CM, item, {"decision": "approve"}),
                        start=len(events) + 1)
    item = domain.fold_item(events)
    assert item.state == "approved" and item.round == 2 and item.flaggers == set()
    again = domain.flag({"id": "a", "roles": ["member"]}, item, TARGET, "spam", True,
                        {**POLICY, "flags_to_hide": 1})
    assert [e.type for e in again] == ["moderation.item_flagged", "moderation.item_held"]
    assert again[0].payload["round"] == 2


def test_nobody_flags_their_own_or_an_invisible_contribution():
    with pytest.raises(Unprocessable):
        domain.flag({"id": "author", "roles": ["member"]}, domain.Item(), TARGET, "spam",
                    True, POLICY)
    with pytest.raises(NotFound):
        domain.flag(MEMBER, domain.Item(), {**TARGET, "state": "pending"}, "spam", True, POLICY)
    assert domain.is_trusted({"id": "x", "roles": ["advisor"]}, 0, POLICY)
    assert not domain.is_trusted(MEMBER, 2, POLICY) and domain.is_trusted(MEMBER, 3, POLICY)


# -- policy and notes --------------------------------------------------------------------------

def test_policy_changes_are_for_moderators_and_a_no_op_appends_nothing():
    with pytest.raises(Forbidden):
        domain.change_policy(MEMBER, POLICY, {"premoderation": True})
    [event] = domain.change_policy(CM, POLICY, {"premoderation": True,
                                                "premoderated_categories": ["b", "a", "a"]})
    assert event.payload["previous"] == POLICY
    assert event.payload["policy"]["premoderated_categories"] == ["a", "b"]
    assert PolicySchema().validate(event.payload["policy"]) == {}
    stream = envelopes("policy", [event])
    assert domain.fold_policy(stream)["premoderation"] is True
    assert domain.change_policy(CM, domain.fold_policy(stream), {"premoderation": True}) == []


def test_member_notes_are_private_events():
    [event] = domain.note_member(CM, "m1", "Prefers e-mail")
    assert REGISTRY.is_private(event.type)
    with pytest.raises(Forbidden):
        domain.note_member(MEMBER, "m1", "x")
