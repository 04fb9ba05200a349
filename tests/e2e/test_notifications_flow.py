"""Notifications through the gateway against the running processes, with e-mails read from the
platform's local SMTP server (`platform.mailsink`)."""
from __future__ import annotations

import json
import re
import uuid
from urllib.parse import parse_qs, urlsplit

import requests

from ..conftest import wait_for
from .steps import (
    customer_with_advisor,
    follow,
    in_home,
    inbox,
    mail,
    notified,
    ok,
    problem,
    queued,
    reply_visible,
    site_login,
    staff,
    submit,
    visible,
)


def test_follow_approve_answer_accept_notify_in_app_and_by_email(platform, api):
    author, follower, helper, manager = api.new_user(display_name="Alice Auteur"), \
        api.new_user(), api.new_user(display_name="Chloé Conseil"), staff(platform)
    follow(api, follower, author)
    ok(api.put("/api/v1/moderation/policy", user=manager,
               json={"premoderated_categories": ["notif-e2e"]}))
    try:
        question = submit(api, author, title="Carte bloquée en voyage", category="notif-e2e")
        item = queued(api, manager, question["id"])
        ok(api.post(f"/api/v1/moderation/items/{item['id']}/decision", user=manager,
                    json={"decision": "approve"}))
    finally:
        ok(api.put("/api/v1/moderation/policy", user=manager,
                   json={"premoderated_categories": []}))
    visible(api, question["id"])

    # B: in the home feed, an unread notification, an e-mail
    in_home(api, follower, question["id"])
    notice = notified(api, follower, "followed_activity", post_id=question["id"])
    assert notice["read"] is False
    assert notice["text"] == "Alice Auteur a publié une nouvelle question « Carte bloquée en " \
                             "voyage »"  # French: the members chose no language
    assert ok(api.get("/api/v1/me/notifications/unread-count", user=follower))["unread"] >= 1
    sent = mail(platform, follower, "Carte bloquée en voyage")
    assert sent["Subject"].startswith("[Agora] Alice Auteur a publié une nouvelle question")
    # A: told the CMs approved it
    approved = notified(api, author, "moderation", decision="approved")
    assert approved["text"] == "L’équipe de la communauté a approuvé et publié votre question " \
                               "« Carte bloquée en voyage »"

    # C answers -> A is notified
    answer = ok(api.post(f"/api/v1/posts/{question['id']}/replies", user=helper,
                         json={"body": "Appelez le service d'opposition."}), 201)
    reply_visible(api, answer["id"])
    replied = notified(api, author, "reply", reply_id=answer["id"])
    assert replied["text"] == "Chloé Conseil a répondu à votre question « Carte bloquée en " \
                              "voyage »"
    mail(platform, author, "Chloé Conseil a répondu à votre question")

    # A accepts -> C is notified
    ok(api.put(f"/api/v1/posts/{question['id']}/accepted-reply", user=author,
               json={"reply_id": answer["id"]}))
    accepted = notified(api, helper, "answer_accepted")
    assert accepted["text"] == "Alice Auteur a accepté votre réponse à « Carte bloquée en " \
                               "voyage »"
    mail(platform, helper, "a accepté votre réponse")

    # reading
    marked = ok(api.post("/api/v1/me/notifications/read", user=follower,
                         json={"ids": [notice["id"]]}))
    assert notice["id"] not in [n["id"] for n in inbox(api, follower, unread="true")["items"]]
    assert ok(api.post("/api/v1/me/notifications/read", user=follower,
                       json={"all": True})) == {"unread": 0}
    assert marked["unread"] >= 0
    problem(api.post("/api/v1/me/notifications/read", user=follower, json={}), 400)
    problem(api.get("/api/v1/me/notifications"), 401)


def test_voters_are_notified_of_an_idea_status_change(platform, api):
    author, voter, manager = api.new_user(), api.new_user(), staff(platform)
    idea = submit(api, author, kind="idea", title="Paiement mobile sans contact")
    visible(api, idea["id"])
    ok(api.put(f"/api/v1/posts/{idea['id']}/vote", user=voter))
    ok(api.put(f"/api/v1/posts/{idea['id']}/status", user=manager,
               json={"status": "under_review", "note": "Nous étudions la question."}))
    notice = notified(api, voter, "idea_status", post_id=idea["id"])
    assert notice["text"] == ("L’idée « Paiement mobile sans contact » est passée au statut "
                              "« À l’étude » — Nous étudions la question.")
    mail(platform, voter, "au statut « À l’étude »")  # the site's name for it
    notified(api, author, "idea_status", post_id=idea["id"])


def test_preferences_turn_an_email_off(platform, api):
    author, quiet, sentinel = api.new_user(), api.new_user(), api.new_user()
    follow(api, quiet, author)
    follow(api, sentinel, author)
    prefs = ok(api.get("/api/v1/me/notification-preferences", user=quiet))
    assert prefs["types"]["followed_activity"]["email"] == "immediate"
    changed = ok(api.put("/api/v1/me/notification-preferences", user=quiet,
                         json={"types": {"followed_activity": {"email": "off"}}}))
    assert changed["types"]["followed_activity"] == {"in_app": True, "email": "off",
                                                     "push": False}
    problem(api.put("/api/v1/me/notification-preferences", user=quiet,
                    json={"types": {"followed_activity": {"email": "weekly"}}}), 400)
    problem(api.put("/api/v1/me/notification-preferences", user=quiet,
                    json={"types": {"reply": {"in_app": False}}}), 400)
    post = submit(api, author, title="Sans e-mail pour certains")
    notice = notified(api, quiet, "followed_activity", post_id=post["id"])
    assert notice["email"] == "off"
    mail(platform, sentinel, "Sans e-mail pour certains")  # delivered after quiet's was queued
    assert not [m for m in platform.mailsink.messages(to=quiet.email)
                if "Sans e-mail" in m["Subject"]]


def test_a_private_message_is_announced_never_quoted(platform, api, mongo_client):
    conversations_db = mongo_client[f"{platform.db_prefix}_conversations"]
    member, advisor = customer_with_advisor(platform, api, conversations_db)
    secret = f"mon IBAN est FR76 3000 6000 0112 3456 7890 189 ({uuid.uuid4().hex})"
    conversation = ok(api.post("/api/v1/conversations", user=member,
                               json={"subject": "Plafond de ma carte", "message": secret}), 201)
    assert conversation["participant_ids"] == [member.id, advisor.id], conversation
    notice = notified(api, advisor, "private_message")
    assert notice["conversation_id"] == conversation["id"] and notice["title"] is None
    # staff answer in the console; the member reads their own page
    console = f"/console/conversations/{conversation['id']}"
    assert notice["link"].endswith(console)
    sent = mail(platform, advisor, "nouveau message privé")
    assert console in sent.get_content()
    for text in (secret, "FR76", "Plafond de ma carte"):
        assert text not in sent["Subject"] + sent.get_content() + json.dumps(notice)
    assert not [n for n in inbox(api, member)["items"] if n["type"] == "private_message"]
    ok(api.post(f"/api/v1/conversations/{conversation['id']}/messages", user=advisor,
                json={"body": "Je regarde."}), 201)
    answered = notified(api, member, "private_message")
    assert answered["link"].endswith(f"/conversations/{conversation['id']}")
    assert "/console/" not in answered["link"]


def test_the_links_of_a_real_mail_lead_to_pages_the_site_serves(platform, api):
    """A notification e-mail, followed as its reader would (its paths on this platform's site):
    the footer's "choose what you receive" opens the preferences, or the login that comes back
    to them; the link to a reply opens its thread at the reply. Never a 404."""
    base = platform.base_url
    author, helper = api.new_user(), api.new_user(display_name="Hugo Liens")
    question = submit(api, author, title="Liens des e-mails")
    visible(api, question["id"])
    answer = ok(api.post(f"/api/v1/posts/{question['id']}/replies", user=helper,
                         json={"body": "Dans l'appli, rubrique Cartes."}), 201)
    reply_visible(api, answer["id"])
    text = mail(platform, author, "Hugo Liens a répondu").get_content().replace("\r\n", "\n")
    footer = re.search(r"^Choisissez ce que vous recevez : (\S+)$", text, re.M).group(1)
    preferences = urlsplit(footer).path
    anonymous = requests.get(base + preferences, allow_redirects=False, timeout=10)
    assert anonymous.status_code == 303, anonymous.text
    login = urlsplit(anonymous.headers["Location"])
    assert login.path == "/login" and parse_qs(login.query)["next"] == [preferences]
    browser, _ = site_login(base, author)
    assert browser.get(base + preferences, timeout=10).status_code == 200

    link = urlsplit(re.search(r"^(\S+/replies/\S+)$", text, re.M).group(1))
    landed = browser.get(base + link.path, allow_redirects=False, timeout=10)
    assert landed.status_code == 303, landed.text
    assert landed.headers["Location"] == f"/posts/{question['id']}#reply-{answer['id']}"
    thread = browser.get(base + landed.headers["Location"], timeout=10)
    assert thread.status_code == 200 and f'id="reply-{answer["id"]}"' in thread.text


def test_a_conversation_s_notifications_are_read_together_and_name_the_customer_in_app(
        platform, api, mongo_client):
    """`{"conversation_id": ...}` marks the reader's notifications about that conversation read
    (what the site does when its page is opened or a message is sent in it), not another's; the
    advisor's list names the customer who wrote — never an e-mail, and never the subject."""
    conversations_db = mongo_client[f"{platform.db_prefix}_conversations"]
    member, advisor = customer_with_advisor(platform, api, conversations_db)
    first = ok(api.post("/api/v1/conversations", user=member,
                        json={"subject": "Plafond de ma carte", "message": "Bonjour"}), 201)
    ok(api.post(f"/api/v1/conversations/{first['id']}/messages", user=member,
                json={"body": "Vous êtes là ?"}), 201)
    second = ok(api.post("/api/v1/conversations", user=member,
                         json={"subject": "Autre chose", "message": "Et aussi…"}), 201)
    notice = notified(api, advisor, "private_message", conversation_id=second["id"])
    wait_for(lambda: len([n for n in inbox(api, advisor, unread="true", limit=100)["items"]
                          if n["conversation_id"] == first["id"]]) == 2, timeout=20,
             message="both messages of the first conversation notified")
    assert notice["text"] == f"{member.display_name} vous a écrit un message privé."
    mail(platform, advisor, "nouveau message privé")
    for sent in platform.mailsink.messages(to=advisor.email):
        said = sent["Subject"] + sent.get_content()
        assert member.display_name not in said and "Plafond" not in said
    before = inbox(api, advisor)["unread"]

    marked = ok(api.post("/api/v1/me/notifications/read", user=advisor,
                         json={"conversation_id": first["id"]}))
    assert marked["unread"] == before - 2
    unread = {n["conversation_id"] for n in inbox(api, advisor, unread="true")["items"]}
    assert first["id"] not in unread and second["id"] in unread
    assert ok(api.post("/api/v1/me/notifications/read", user=advisor,
                       json={"conversation_id": first["id"]})) == marked  # idempotent
    problem(api.post("/api/v1/me/notifications/read", user=advisor,
                     json={"conversation_id": first["id"], "all": True}), 400)

    # the customer's notice names their advisor, and says so (test_notice_words.py)
    ok(api.post(f"/api/v1/conversations/{first['id']}/messages", user=advisor,
                json={"body": "Je regarde."}), 201)
    answered = notified(api, member, "private_message")
    assert answered["text"] == f"{advisor.display_name}, votre conseiller·ère, vous a écrit."
