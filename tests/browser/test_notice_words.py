"""The words of the notifications page (outside try s35, findings 5 and 8), as its readers see
them at a phone's and a desktop's size, in French and in English: the advisor reads a
customer's public mention as a mention on its network, not a private message; the customer
reads their advisor's answer under the advisor's name, and a refusal of their question names
it and ends with a period. Everything is arranged through the API; the readers only look."""
from __future__ import annotations

import uuid

from ..conftest import wait_for
from ..e2e.steps import ok, staff
from ..platform import PASSWORD
from .accounts import ADVISOR1, MEMBER2
from .console_steps import sign_in_staff


def in_english(site, path: str) -> None:
    site.visit(f"/lang/en?next={path}")
    site.wait_for_path(path)


def notices(site) -> list[str]:
    """The lines as typed (the page glues French punctuation with narrow no-break spaces)."""
    return [item.text.replace("\u202f", " ") for item in site.find_all("[data-notification]")]


def shown(site, line: str) -> None:
    assert any(line in text for text in notices(site)), (line, notices(site))


def test_the_advisor_reads_a_social_mention_as_a_mention(site, platform):
    mention = ok(platform.api.post("/api/v1/channels/social/mentions",
                                   headers=platform.service_key, json={
        "channel": "twitter", "external_id": uuid.uuid4().hex, "handle": "@karimb",
        "text": "@MaBanque toujours pas de carte", "matched_email": MEMBER2}), 201)
    assert mention["matched"], mention
    sign_in_staff(site, ADVISOR1, next_path="/notifications")
    site.wait_for_path("/notifications")
    site.check()
    shown(site, "Karim Benali a mentionné la banque sur Twitter.")
    assert "toujours pas de carte" not in site.text()
    site.no_horizontal_scroll()
    site.screenshot("notice-words-advisor-fr")
    in_english(site, "/notifications")
    site.check()
    shown(site, "Karim Benali mentioned the bank on Twitter.")
    site.screenshot("notice-words-advisor-en")


def test_the_customer_reads_their_advisor_s_name_and_what_was_refused(
        site, platform, advisor_and_customer):
    api = platform.api
    advisor, member = advisor_and_customer
    conversation = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": "Opposition sur ma carte", "message": "Ma carte est perdue."}), 201)["id"]
    ok(api.post(f"/api/v1/conversations/{conversation}/messages", user=advisor,
                json={"body": "C'est fait, votre carte est bloquée."}), 201)
    title = f"Virement refusé vers mon compte joint {uuid.uuid4().hex[:4]}"
    question = ok(api.post("/api/v1/posts", user=member, json={
        "kind": "question", "title": title, "body": "Pourquoi mon virement est-il refusé ?",
        "category": "cards"}), 201)["id"]
    wait_for(lambda: api.get(f"/api/v1/posts/{question}").status_code == 200, timeout=30,
             message="the question published")
    ok(api.post(f"/api/v1/posts/{question}/removal", user=staff(platform),
                json={"reason_code": "off_topic"}))
    wait_for(lambda: len(ok(api.get("/api/v1/me/notifications", user=member,
                                    params={"unread": "true"}))["items"]) >= 2,
             timeout=30, message="the member notified of both")
    site.sign_in(member.email, PASSWORD, next_path="/notifications")
    site.wait_for_path("/notifications")
    site.check()
    shown(site, f"{advisor.display_name}, votre conseiller·ère, vous a écrit.")
    shown(site, f"L’équipe de la communauté n’a pas publié votre question « {title} » : "
                "hors sujet pour cette communauté.")
    # « and » stay with the title, the colon with the word before it, at every width
    glued = site.find_all("[data-notification] a")[0].text
    assert "«\u202fVirement" in glued and "\u202f»\u202f:" in glued, glued
    site.no_horizontal_scroll()
    site.screenshot("notice-words-customer-fr")
    in_english(site, "/notifications")
    site.check()
    shown(site, f"{advisor.display_name}, your advisor, wrote to you.")
    shown(site, f"The community team did not publish your question “{title}”: off topic for "
                "this community.")
    site.screenshot("notice-words-customer-en")
