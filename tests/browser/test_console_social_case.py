"""A social-media case in the staff console, as an outside tester found it (session 35): a plain
« Votre réponse » box that said nothing of where the answer goes (publicly on Twitter? to the
member?), and a subject stored by the intake in French with the network's code, « Mention sur
les réseaux sociaux (twitter) », shown as such in the English console.

What a reply does (services/conversations): it is a message of the case, like any other; nothing
is ever posted back on the network. A member's case has that member as a participant, who reads
the reply in their Agora inbox; an unmatched author's case reaches no one outside the staff."""
from __future__ import annotations

import uuid

from ..e2e.steps import ok, staff
from .conftest import Site


def mention(platform, channel: str, text: str, member_id: str | None = None) -> dict:
    body = {"channel": channel, "external_id": uuid.uuid4().hex,
            "handle": f"@client_{uuid.uuid4().hex[:6]}", "text": text}
    if member_id:
        body["member_id"] = member_id
    return ok(platform.api.post("/api/v1/channels/social/mentions",
                                headers=platform.service_key, json=body), 201)


def reply_where(site: Site) -> str:
    return site.find("#staff-reply-where").text


def described_by(site: Site) -> list[str]:
    return (site.find("#field-body").get_attribute("aria-describedby") or "").split()


def test_a_members_social_case_says_the_reply_goes_to_their_agora_inbox(
        site, platform, advisor_and_customer):
    advisor, member = advisor_and_customer
    said = f"@MaBanque ma carte a été avalée par le distributeur {uuid.uuid4().hex[:6]}"
    case = mention(platform, "twitter", said, member_id=member.id)
    assert case["matched"] and not case["queue"]
    page = f"/console/conversations/{case['conversation_id']}"
    site.sign_in(advisor.email, advisor.password, device=advisor.device, next_path=page)
    site.wait_for_path(page)
    site.wait_for(lambda: said in site.find("#staff-messages").text, "the mention")

    # French: the network by its name, and where the reply goes, above the box
    assert site.heading("Mention sur Twitter", 1)
    assert site.driver.title.startswith("Mention sur Twitter")
    assert site.find("#staff-messages .badge").text == "Twitter"
    where = reply_where(site)
    assert "en privé, dans sa messagerie Agora" in where
    assert "n’est pas publiée sur Twitter" in where
    assert "staff-reply-where" in described_by(site)
    site.check()
    site.no_horizontal_scroll()
    site.screenshot("console-social-case-fr")

    # what the words promise: the member reads the reply in their Agora conversation
    answer = f"Bonjour, votre carte est bloquée, passez en agence. {uuid.uuid4().hex[:6]}"
    site.fill("Votre réponse", answer)
    site.click_button("Envoyer")
    site.wait_for(lambda: answer in site.find("#staff-messages").text, "the answer")
    theirs = ok(platform.api.get(f"/api/v1/conversations/{case['conversation_id']}",
                                 user=member))
    assert answer in [m["body"] for m in theirs["messages"]]

    # the list names it the same way (one function: social_cases.shown_subject)
    site.visit("/console/conversations")
    row = f'[data-conversation="{case["conversation_id"]}"] .staff-row-subject'
    assert site.text_of(row) == "Mention sur Twitter"

    # English: the subject in the reader's language, whatever the intake stored
    site.visit(f"/lang/en?next={page}")
    site.wait_for(lambda: site.heading("Twitter mention", 1), "the English subject")
    assert site.driver.title.startswith("Twitter mention")
    assert reply_where(site) == ("Your reply goes to them privately, in their Agora inbox: "
                                 "it is not posted on Twitter.")
    assert "réseaux sociaux" not in site.text()
    site.check()
    site.no_horizontal_scroll()
    site.screenshot("console-social-case-en")
    site.visit("/console/conversations")
    assert site.text_of(row) == "Twitter mention"
    site.screenshot("console-social-list-en")


def test_an_unmatched_authors_case_says_the_reply_reaches_nobody(site, platform):
    manager = staff(platform)
    said = f"@MaBanque votre appli plante encore {uuid.uuid4().hex[:6]}"
    case = mention(platform, "linkedin", said)
    assert not case["matched"] and case["queue"]
    page = f"/console/conversations/{case['conversation_id']}"
    site.sign_in(manager.email, manager.password, device=manager.device, next_path=page)
    site.wait_for_path(page)
    site.wait_for(lambda: said in site.find("#staff-messages").text, "the mention")

    assert site.heading("Mention sur LinkedIn", 1)
    assert site.find("#staff-messages .badge").text == "LinkedIn"
    where = reply_where(site)
    assert where.startswith("Votre réponse est seulement enregistrée ici")
    assert "n’est pas publiée sur LinkedIn" in where and "ne la reçoit pas" in where
    assert "callout-warning" in site.find("#staff-reply-where").get_attribute("class")
    site.check()
    site.no_horizontal_scroll()
    site.screenshot("console-social-unmatched-fr")

    site.visit(f"/lang/en?next={page}")
    site.wait_for(lambda: site.heading("LinkedIn mention", 1), "the English subject")
    assert reply_where(site) == (
        "Your reply is only recorded here: it is not posted on LinkedIn, and its author, who "
        "has no known Agora account, does not receive it.")
    site.check()
    site.no_horizontal_scroll()
    site.screenshot("console-social-unmatched-en")
