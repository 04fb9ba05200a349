"""The words of in-app notifications, through the running processes and the real broker
(outside try s35, findings 5 and 8): a social-media mention is announced as a mention on its
network, not a private message; the customer's notice names their own advisor
(`conversations.message_posted`'s `advisor_id`, AsyncAPI 1.3.0) and other staff as the bank's
team; a refused post is named to its author in the site (a refused edit as the edit), and the
line ends with a period. An e-mail says none of it."""
from __future__ import annotations

import uuid

from .steps import (
    IBAN,
    customer_with_advisor,
    mail,
    notified,
    ok,
    queued,
    staff,
    submit,
    visible,
)


def said(platform, user, containing):
    sent = mail(platform, user, containing)
    return sent["Subject"] + sent.get_content()


def test_a_social_mention_is_announced_as_a_mention_on_its_network(platform, api, mongo_client):
    conversations_db = mongo_client[f"{platform.db_prefix}_conversations"]
    member, advisor = customer_with_advisor(platform, api, conversations_db)
    mention = ok(api.post("/api/v1/channels/social/mentions", headers=platform.service_key, json={
        "channel": "linkedin", "external_id": uuid.uuid4().hex, "handle": "marie-d",
        "text": "@MaBanque ma carte est bloquée", "member_id": member.id}), 201)
    notice = notified(api, advisor, "private_message",
                      conversation_id=mention["conversation_id"])
    assert notice["text"] == f"{member.display_name} a mentionné la banque sur LinkedIn."
    assert notice["channel"] == "linkedin" and notice["title"] is None
    english = ok(api.get("/api/v1/me/notifications", user=advisor,
                         params={"language": "en", "limit": 100}))["items"]
    assert f"{member.display_name} mentioned the bank on LinkedIn." in [n["text"] for n in english]
    sent = said(platform, advisor, "nouveau message privé")  # out of the site: neutral
    assert "LinkedIn" not in sent and member.display_name not in sent and "carte" not in sent


def test_the_customer_s_notice_names_their_advisor_and_other_staff_as_the_team(
        platform, api, mongo_client):
    conversations_db = mongo_client[f"{platform.db_prefix}_conversations"]
    member, advisor = customer_with_advisor(platform, api, conversations_db)
    conversation = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": "Opposition sur ma carte ?", "message": "Bonjour"}), 201)
    ok(api.post(f"/api/v1/conversations/{conversation['id']}/messages", user=advisor,
                json={"body": "Je regarde."}), 201)
    answered = notified(api, member, "private_message", conversation_id=conversation["id"])
    assert answered["text"] == f"{advisor.display_name}, votre conseiller·ère, vous a écrit."
    sent = said(platform, member, "nouveau message privé")
    assert advisor.display_name not in sent and "conseill" not in sent

    prospect, manager = api.new_user(), staff(platform)  # not a customer: the staff queue
    asked = ok(api.post("/api/v1/conversations", user=prospect, json={
        "subject": "Ouvrir un compte chez vous", "message": "Bonjour"}), 201)
    ok(api.post(f"/api/v1/conversations/{asked['id']}/messages", user=manager,
                json={"body": "Avec plaisir."}), 201)
    team = notified(api, prospect, "private_message", conversation_id=asked["id"])
    assert team["text"] == "L’équipe de la banque vous a écrit."
    assert manager.display_name not in team["text"]


def test_a_post_refused_is_named_to_its_author_in_the_site_only(platform, api):
    manager, author = staff(platform), api.new_user()
    title = f"Virement refusé vers mon compte joint {uuid.uuid4().hex[:6]}"
    question = submit(api, author, title=title)
    visible(api, question["id"])
    ok(api.post(f"/api/v1/posts/{question['id']}/removal", user=manager,
                json={"reason_code": "off_topic"}))
    told = notified(api, author, "moderation", decision="rejected")
    assert told["text"] == (f"L’équipe de la communauté n’a pas publié votre question « {title} » "
                            ": hors sujet pour cette communauté.")
    assert told["title"] is None
    sent = said(platform, author, "hors sujet pour cette communauté.")
    assert "Virement" not in sent


def test_a_refused_edit_says_the_edit_was_not_published(platform, api):
    manager, author = staff(platform), api.new_user()
    title = f"Plafond de ma carte {uuid.uuid4().hex[:6]}"
    question = submit(api, author, title=title)
    visible(api, question["id"])
    ok(api.patch(f"/api/v1/posts/{question['id']}", user=author,
                 json={"body": f"Mon IBAN est {IBAN}, pouvez-vous regarder ?"}))
    item = queued(api, manager, question["id"])
    ok(api.post(f"/api/v1/moderation/items/{item['id']}/decision", user=manager,
                json={"decision": "reject", "reason_code": "confidential_data"}))
    told = notified(api, author, "moderation", decision="rejected")
    assert told["text"] == (
        f"L’équipe de la communauté n’a pas publié la modification de votre question « {title} » "
        ": contient des données personnelles ou bancaires qui ne peuvent pas être publiées.")
