"""Moderation: pure rules — review (detector whatever the policy, policy rules), CM decisions,
flags and rounds, policy changes."""
from datetime import UTC, datetime, timedelta

import pytest

from services.moderation import detector, domain
from services.moderation.schemas import PolicySchema
from services.shared.envelope import CommandContext, Envelope, NewEvent
from services.shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from services.shared.payloads import REGISTRY

from .streams import stored

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
    return stored(new_events, stream_id, start)


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


def test_a_text_refused_then_sent_again_by_its_author_is_held_for_a_person_clean_as_it_is():
    """A person refused it: what the detector cannot read (an insult, spam reworded) must not
    go public on the detector's word. Staff correcting it are trusted, as with the policy."""
    resent = {**content(revision=2), "sent_again": True}
    [event] = domain.review(domain.Item(), resent, POLICY, 10, domain.scan("t", "b"))
    assert event.type == "moderation.item_held"
    assert event.payload["reasons"] == ["sent_again"] and event.payload["detector_kinds"] == []
    REGISTRY.serialize("moderation.item_held", event.payload)  # a reason the contract allows
    by_staff = {**resent, "submitted_by": "cm1", "submitter_roles": ["member", "community_manager"]}
    [approved] = domain.review(domain.Item(), by_staff, POLICY, 10, domain.scan("t", "b"))
    assert approved.type == "moderation.item_approved"


def test_an_item_is_reviewed_once():
    item = held_item()
    assert item.state == "held" and item.detector_kinds == ["iban"]
    assert domain.review(item, content(), POLICY, 0, domain.scan("t", "b")) == []


def test_an_edit_reviewed_after_a_later_one_was_published_or_its_text_deleted_opens_no_item():
    """Its review came late (retried, re-driven): nothing is left to decide on it."""
    late = content(body=f"IBAN {IBAN}", revision=2)
    found = domain.scan(late["title"], late["body"])
    assert domain.review(domain.Item(), late, POLICY, 0, found,
                         published={"revision": 3, "state": "published"}) == []
    assert domain.review(domain.Item(), late, POLICY, 0, found,
                         published={"revision": 1, "state": "deleted"}) == []
    assert domain.review(domain.Item(), late, POLICY, 0, found,
                         published={"revision": 1, "state": "rejected"}) == []  # taken down
    first = content(body=f"IBAN {IBAN}")  # a first text, deleted while it was being checked
    assert domain.review(domain.Item(), first, POLICY, 0, found, published={"state": "deleted"}) \
        == []
    # refused before publication, corrected and sent again: reviewed
    [again] = domain.review(domain.Item(), {**first, "revision": 2}, POLICY, 0, found,
                            published={"state": "rejected"})
    assert again.type == "moderation.item_held"
    [held] = domain.review(domain.Item(), late, POLICY, 0, found,
                           published={"revision": 1, "state": "hidden"})
    assert held.type == "moderation.item_held"


def test_an_item_says_who_submitted_its_revision_in_every_decision():
    c = {**content(body="écrivez à litiges@banque.example", revision=2), "submitted_by": "cm"}
    [held] = domain.review(domain.Item(), c, POLICY, 10, domain.scan(c["title"], c["body"]))
    assert (held.payload["author_id"], held.payload["submitted_by"]) == ("m1", "cm")
    item = domain.fold_item(envelopes("p1.r2", [held]))
    [approved] = domain.decide(CM, item, {"decision": "approve", "not_confidential": ["email"]},
                               found=domain.scan(c["title"], c["body"]))
    assert approved.payload["submitted_by"] == "cm"
    assert REGISTRY.serialize(approved.type, approved.payload)[1]["submitted_by"] == "cm"
    # a flags item (the visible text, whoever wrote it last) names nobody
    assert "submitted_by" not in domain.Item(id="p1.flags", review="flags").ref()


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


CARD = "4970 1012 3456 7893"


def test_an_approval_never_publishes_a_bank_identifier_the_detector_finds():
    """The product's point: CMs redact account numbers before anything is published. An
    approval publishes the text as written, so with an IBAN or a card number still in it it
    is refused (there is no override: redact or reject), naming the kinds in both languages."""
    text = f"IBAN {IBAN} carte {CARD}"
    item = held_item(text)
    with pytest.raises(Unprocessable) as error:
        domain.decide(CM, item, {"decision": "approve"}, found=domain.scan(None, text))
    details = error.value.details
    assert error.value.catalogue["key"] == "approve_never_public"
    assert details["kinds"] == ["iban", "card_number"]
    assert details["fields"] == {"decision": [
        "contains an IBAN and a card number, never to be published: redact or reject the text"]}
    assert details["fields_i18n"]["fr"] == {"decision": [
        "contient un IBAN et un numéro de carte, à ne jamais publier : masquez ou refusez le "
        "texte"]}
    assert "6000" not in str(details) and "1012" not in str(details)
    with pytest.raises(Unprocessable):  # not even with a statement: only contacts take one
        domain.decide(CM, item, {"decision": "approve", "not_confidential": ["email", "phone"]},
                      found=domain.scan(None, text))
    for kind, kind_text in (("rib", "RIB 30006 00001 12345678901 89"),
                            ("account_number", "mon numéro client est 12345678901")):
        with pytest.raises(Unprocessable) as error:
            domain.decide(CM, held_item(kind_text), {"decision": "approve"},
                          found=domain.scan(None, kind_text))
        assert error.value.details["kinds"] == [kind]


def test_approving_contact_details_takes_the_cms_statement_which_the_event_keeps():
    text = "Appelez le service client au 09 69 39 99 98 ou écrivez à contact@mabanque.fr"
    found = domain.scan(None, text)
    assert found.kinds == ["email", "phone"]
    item = held_item(text)
    with pytest.raises(Unprocessable) as error:
        domain.decide(CM, item, {"decision": "approve", "not_confidential": ["phone"]}, found=found)
    assert error.value.details["kinds"] == ["email"]
    assert list(error.value.details["fields"]) == ["not_confidential"]
    assert "une adresse e-mail" in error.value.details["fields_i18n"]["fr"]["not_confidential"][0]
    [event] = domain.decide(CM, item, {"decision": "approve",
                                       "not_confidential": ["phone", "email"]}, found=found)
    assert event.payload["not_confidential"] == ["email", "phone"]
    REGISTRY.serialize(event.type, event.payload)  # the registered schema (v2) takes it
    [clean] = domain.decide(CM, held_item(), {"decision": "approve"}, found=domain.scan(None, "ok"))
    assert clean.payload["not_confidential"] == []


@pytest.mark.parametrize("data, field", [
    ({"decision": "approve", "reason_code": "spam"}, "reason_code"),
    ({"decision": "approve", "body": "the redacted text"}, "body"),
    ({"decision": "reject", "reason_code": "spam", "title": "A title"}, "title"),
    ({"decision": "redact", "body": "ok", "reason_code": "spam"}, "reason_code"),
    ({"decision": "reject", "reason_code": "spam", "not_confidential": ["phone"]},
     "not_confidential"),
])
def test_a_decision_refuses_the_fields_of_another_decision(data, field):
    """A reason code sent with an approval means the CM may have meant to reject: publishing
    it and dropping the reason would do the opposite of what they meant."""
    with pytest.raises(Unprocessable) as error:
        domain.decide(CM, held_item(), data, found=domain.scan(None, "clean"))
    owner = next(decision for decision, names in domain.DECISION_FIELDS.items()
                 if field in names)
    assert error.value.details["fields"] == {field: [f"only with the decision {owner}"]}


def test_an_approved_event_of_version_1_reads_as_stating_nothing():
    version, payload = REGISTRY.upcast("moderation.item_approved", 1, {"auto": True})
    assert version == 2 and payload["not_confidential"] == []


# -- tags: read as the member typed them -------------------------------------------------------

IBAN_TAGS = ["fr76", "3000", "6000", "0112", "3456", "7890", "189"]  # 4 digits at most each


def test_a_number_typed_over_several_tags_holds_the_post_and_the_cm_sees_where():
    submitted = {**content(), "tags": ["plafond", *IBAN_TAGS]}
    [event] = domain.review(domain.Item(), submitted, POLICY, 10, domain.scan(
        submitted["title"], submitted["body"], submitted["tags"]))
    assert event.type == "moderation.item_held"
    assert event.payload["reasons"] == ["detector"] and event.payload["detector_kinds"] == ["iban"]
    assert "3456" not in str(event.payload)
    [finding] = domain.findings({"title": "Card limit", "body": "How?", "tags": submitted["tags"]})
    assert finding == {"field": "tags", "kind": "iban", "start": 8, "end": 41}
    assert detector.tags_text(submitted["tags"])[8:41] == " ".join(IBAN_TAGS)
    assert domain.scan("t", "b", ["pel-2026", "0112", "3456"]).kinds == []  # years, codes


def test_redacting_removes_the_tags_that_make_up_a_finding_and_approving_them_is_refused():
    """A masked tag ("••••") would be a tag of its own, with a page and a count: the tags that
    make up what the detector found are removed, the others published."""
    tags = ["carte", *IBAN_TAGS, "4970", "1012", "3456", "7893", "voyage"]
    found = domain.scan("Card limit", "How do I raise it?", tags)
    assert found.kinds == ["iban", "card_number"]
    assert found.masked_tags == ["carte", "voyage"]
    assert found.proposal()["tags"] == ["carte", "voyage"]
    item = held_item()
    with pytest.raises(Unprocessable) as error:
        domain.decide(CM, item, {"decision": "approve"}, found=found)
    assert error.value.details["kinds"] == ["iban", "card_number"]
    [event] = domain.decide(CM, item, {"decision": "redact", "body": "How do I raise it?"},
                            found)
    assert event.payload["tags"] == ["carte", "voyage"]
    assert event.payload["title"] == "Card limit"
    REGISTRY.serialize(event.type, event.payload)  # the registered schema (v2) takes it
    # tags the decision does not know are not published; a reply has none
    [blind] = domain.decide(CM, item, {"decision": "redact", "title": "T", "body": "B"})
    assert blind.payload["tags"] == []
    reply = domain.fold_item(envelopes("r1.r1", reviewed(f"IBAN {IBAN}", target_type="reply")))
    [redacted] = domain.decide(CM, reply, {"decision": "redact", "body": "IBAN •••"})
    assert redacted.payload["tags"] is None


def test_a_redacted_event_of_version_1_kept_the_tags_as_submitted():
    version, payload = REGISTRY.upcast("moderation.item_redacted", 1, {"body": "b"})
    assert version == 2 and payload["tags"] is None


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


def test_flags_that_hide_nothing_still_wait_for_a_cm_and_a_new_round_opens_again():
    events = flag_stream(["a"], trusted=False)
    item = domain.fold_item(events)
    assert item.state == "open"
    dismissed = domain.decide(CM, item, {"decision": "approve"})
    assert [e.type for e in dismissed] == ["moderation.item_approved"]
    events += envelopes("p1.flags", dismissed, start=len(events) + 1)
    again = domain.flag({"id": "b", "roles": ["member"]}, domain.fold_item(events), TARGET,
                        "spam", False, POLICY)
    events += envelopes("p1.flags", again, start=len(events) + 1)
    reopened = domain.fold_item(events)
    assert reopened.state == "open" and reopened.round == 2 and reopened.flaggers == {"b"}
    # rejecting a contribution still visible hides it in the same commit (posts removes it)
    rejected = domain.decide(CM, reopened, {"decision": "reject", "reason_code": "spam"})
    assert [e.type for e in rejected] == ["moderation.item_held", "moderation.item_rejected"]


def test_an_item_with_nothing_left_to_decide_is_withdrawn_once_and_never_decided():
    events = flag_stream(["a"], trusted=False)
    withdrawn = domain.withdraw(domain.fold_item(events), "contribution_deleted")
    assert [(e.type, e.payload["cause"]) for e in withdrawn] == [
        ("moderation.item_withdrawn", "contribution_deleted")]
    events += envelopes("p1.flags", withdrawn, start=len(events) + 1)
    item = domain.fold_item(events)
    assert item.state == "withdrawn" and item.flaggers == set()
    assert domain.withdraw(item, "contribution_deleted") == []  # redelivered: nothing more
    with pytest.raises(Conflict):
        domain.decide(CM, item, {"decision": "approve"})


@pytest.mark.parametrize("item, reason", [
    ({"review": "flags", "flags": {"spam": 1, "abusive": 3}}, "abusive"),
    ({"review": "flags", "flags": {"abusive": 2, "spam": 2}}, "spam"),  # a tie: listed first
    ({"review": "flags", "flags": {"misinformation": 1}}, "not_compliant"),
    ({"review": "content", "detector_kinds": ["phone"]}, "confidential_data"),
    ({"review": "content", "detector_kinds": [], "reasons": ["policy"]}, None),
    ({"review": "flags", "flags": {}}, None),
])
def test_the_refusal_offered_first_is_the_one_the_item_calls_for(item, reason):
    assert domain.suggested_rejection(item) == reason


def test_nobody_flags_their_own_or_an_invisible_contribution():
    with pytest.raises(Unprocessable):
        domain.flag({"id": "author", "roles": ["member"]}, domain.Item(), TARGET, "spam",
                    True, POLICY)
    with pytest.raises(NotFound):
        domain.flag(MEMBER, domain.Item(), {**TARGET, "state": "pending"}, "spam", True, POLICY)


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


# -- who is a trusted flagger (issue: sock puppets hid anyone's post) --------------------------

NOW_ = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
OLD = (NOW_ - timedelta(days=60)).isoformat()
FRESH = (NOW_ - timedelta(hours=2)).isoformat()


def trusted(standing, actor=MEMBER, policy=POLICY):
    return domain.is_trusted(actor, standing, policy, NOW_)


def test_staff_flags_are_always_trusted():
    for actor in (CM, ADMIN, {"id": "adv", "roles": ["member", "advisor"]}):
        assert trusted(domain.FlaggerStanding(shares_address=True), actor)


def test_a_fresh_account_with_a_few_approved_replies_is_not_trusted():
    # the attack: three accounts registered minutes ago, a few auto-approved replies each
    assert not trusted(domain.FlaggerStanding(approved=3, member_since=FRESH))
    assert not trusted(domain.FlaggerStanding(approved=50, member_since=FRESH))


def test_an_old_account_needs_approved_contributions_too():
    assert not trusted(domain.FlaggerStanding(approved=2, member_since=OLD))
    assert trusted(domain.FlaggerStanding(approved=5, member_since=OLD))


def test_an_unknown_account_age_is_not_trusted():
    assert not trusted(domain.FlaggerStanding(approved=50, member_since=None))


def test_flaggers_sharing_an_address_are_not_trusted():
    assert not trusted(domain.FlaggerStanding(approved=50, member_since=OLD,
                                              shares_address=True))


def test_the_policy_sets_the_age_and_the_contributions():
    lenient = {**POLICY, "trusted_min_approved": 0, "trusted_min_age_days": 0}
    assert trusted(domain.FlaggerStanding(), policy=lenient)
    assert not trusted(domain.FlaggerStanding(approved=5, member_since=OLD),
                       policy={**POLICY, "trusted_min_age_days": 90})


def test_the_default_policy_validates_with_its_new_fields():
    assert PolicySchema().load(domain.DEFAULT_POLICY)["trusted_min_age_days"] == 14


def test_mass_hiders_send_the_item_to_the_cms_instead_of_hiding_it():
    policy = {**POLICY, "flags_to_hide": 2}
    first = domain.flag({"id": "a", "roles": ["member"]}, domain.Item(), TARGET, "spam", True,
                        policy)
    events = envelopes("p1.flags", first)
    second = domain.flag({"id": "b", "roles": ["member"]}, domain.fold_item(events), TARGET,
                         "spam", True, policy, mass_hiders={"a"})
    assert [e.type for e in second] == ["moderation.item_flagged", "moderation.item_escalated"]
    assert second[1].payload["reasons"] == ["mass_flagging"]
    events += envelopes("p1.flags", second, start=2)
    item = domain.fold_item(events)
    assert item.state == "review"
    # more trusted flags neither hide nor escalate again while the CMs look at it
    third = domain.flag({"id": "c", "roles": ["member"]}, item, TARGET, "spam", True, policy)
    assert [e.type for e in third] == ["moderation.item_flagged"]


def test_an_untrusted_mass_hider_changes_nothing_and_others_still_hide():
    policy = {**POLICY, "flags_to_hide": 1}
    events = domain.flag({"id": "b", "roles": ["member"]}, domain.Item(), TARGET, "spam", True,
                         policy, mass_hiders={"a"})
    assert [e.type for e in events] == ["moderation.item_flagged", "moderation.item_held"]


def test_a_cm_decides_on_an_escalated_item():
    policy = {**POLICY, "flags_to_hide": 1}
    events = envelopes("p1.flags", domain.flag({"id": "a", "roles": ["member"]}, domain.Item(),
                                               TARGET, "spam", True, policy, mass_hiders={"a"}))
    item = domain.fold_item(events)
    approved = domain.decide(CM, item, {"decision": "approve"})
    assert [e.type for e in approved] == ["moderation.item_approved"]  # stays visible
    rejected = domain.decide(CM, item, {"decision": "reject", "reason_code": "abusive"})
    # hidden and rejected in one commit: posts applies it as for any item held by flags
    assert [e.type for e in rejected] == ["moderation.item_held", "moderation.item_rejected"]
    assert rejected[0].payload["reasons"] == ["flags"]
    closed = domain.fold_item(events + envelopes("p1.flags", rejected, start=2))
    assert closed.state == "rejected" and closed.round == 2


# --- a CM's take-down from a thread, and undo (CM review s25, 6) -----------------------------

PUBLIC_REPLY = {"_id": "r1", "target_type": "reply", "post_id": "p1", "author_id": "m1",
          "revision": 1, "state": "published"}


def test_a_take_down_hides_and_refuses_at_once_and_only_once():
    with pytest.raises(Forbidden):
        domain.take_down(MEMBER, domain.Item(), PUBLIC_REPLY, "abusive")
    events = domain.take_down(CM, domain.Item(), PUBLIC_REPLY, "abusive")
    assert [e.type for e in events] == ["moderation.item_held", "moderation.item_rejected"]
    held, rejected = (e.payload for e in events)
    assert held["item_id"] == "r1.flags" and held["review"] == "flags"
    assert held["reasons"] == ["staff"] and rejected["reason_code"] == "abusive"
    item = domain.fold_item(envelopes("r1.flags", events))
    assert item.state == "rejected"
    # the same request again (its read model not updated yet, or already): nothing new
    assert domain.take_down(CM, item, PUBLIC_REPLY, "abusive") == []
    assert domain.take_down(CM, item, {**PUBLIC_REPLY, "state": "rejected"}, "abusive") == []
    with pytest.raises(NotFound):  # nor held again for review once refused
        domain.take_down(CM, item, PUBLIC_REPLY)


def test_a_held_contribution_is_refused_as_it_is_and_a_gone_one_is_not_found():
    hold = domain.take_down(CM, domain.Item(), PUBLIC_REPLY)
    held = domain.fold_item(envelopes("r1.flags", hold))
    assert held.state == "held"
    assert domain.take_down(CM, held, {**PUBLIC_REPLY, "state": "hidden"}) == []  # idempotent
    refused = domain.take_down(CM, held, {**PUBLIC_REPLY, "state": "hidden"}, "spam")
    assert [e.type for e in refused] == ["moderation.item_rejected"]
    for state in ("pending", "deleted", "rejected"):
        with pytest.raises(NotFound):
            domain.take_down(CM, domain.Item(), {**PUBLIC_REPLY, "state": state})
    with pytest.raises(NotFound):
        domain.take_down(CM, domain.Item(), None, "spam")


def test_only_a_decision_that_left_it_public_is_undone_by_a_new_hold():
    for state in ("approved", "redacted"):
        domain.undoable(domain.Item(id="p1.r1", state=state))
    for state in ("rejected", "held", "open", "withdrawn"):
        with pytest.raises(Conflict):
            domain.undoable(domain.Item(id="p1.r1", state=state))
    with pytest.raises(NotFound):
        domain.undoable(domain.Item(id="p1.r1"))
    undo = domain.take_down(CM, domain.Item(), PUBLIC_REPLY, why="undo", undoes="r1.r1")
    assert [e.type for e in undo] == ["moderation.item_held"]
    assert undo[0].payload["reasons"] == ["undo"] and undo[0].payload["undoes"] == "r1.r1"
    _version, payload = REGISTRY.serialize("moderation.item_held", undo[0].payload)
    assert payload["undoes"] == "r1.r1"  # the event's schema keeps it


def test_the_posts_events_that_leave_waiting_items_nothing_to_decide():
    def posts_event(kind, payload):
        return Envelope.new(NewEvent(kind, payload), stream_id="p1", stream_version=3,
                            context=CommandContext())

    assert domain.withdrawals(posts_event("posts.reply_deleted", {
        "reply_id": "r1", "post_id": "p1", "by_staff": False})) == [
        ({"target_id": "r1"}, "contribution_deleted")]
    assert domain.withdrawals(posts_event("posts.post_rejected", {"post_id": "p1"})) == [
        ({"target_id": "p1"}, "contribution_rejected")]
    # a published revision: the edits of the same text waiting before it, never flags
    assert domain.withdrawals(posts_event("posts.post_edited", {
        "post_id": "p1", "revision": 3})) == [
        ({"target_id": "p1", "review": "content", "revision": {"$lt": 3}}, "edit_superseded")]
    # events naming no contribution (an erased member's mentions unlinked), or changing nothing
    # to decide, leave every item as it is
    assert domain.withdrawals(posts_event("posts.mentions_unlinked", {
        "member_id": "u1", "texts": []})) == []
    assert domain.withdrawals(posts_event("posts.post_hidden", {"post_id": "p1",
                                                                "reason": "flags"})) == []


def test_a_flaggers_words_are_kept_once_trimmed_and_never_empty():
    flagged = {"item_id": "p1.flags", "target_type": "post", "target_id": "p1",
               "flagger_id": "u2", "round": 3, "reason": "other", "trusted": False}
    [event] = domain.explain_flag(flagged, "  Il copie un autre membre.\n", [])
    assert event.type == "moderation.flag_explained"
    assert event.payload == {"item_id": "p1.flags", "target_type": "post", "target_id": "p1",
                             "flagger_id": "u2", "round": 3,
                             "details": "Il copie un autre membre."}
    assert "reason" not in event.payload  # the public flag says that
    assert domain.explain_flag(flagged, "D'autres mots", [object()]) == []  # the first stay
    assert domain.explain_flag(flagged, "   ", []) == [] and \
        domain.explain_flag(flagged, None, []) == []
    assert domain.flag_words_stream("p1", 3, "u2") == "flag-words.p1.3.u2"
