"""The member's private-help pages (`/advisor`, `/conversations`) as each reader meets them:
staff are pointed to the console where they answer (these pages hold only their own
conversations as a customer); a member without an advisor (not a customer) is told they write
to the bank's team, never promised an advisor; a customer sees which conversation has a reply
they have not opened yet, until they open it."""
from __future__ import annotations

import re
import signal
import time

import requests

from gateway.web.session import ACCESS_COOKIE

from .steps import customer_with_advisor, notified, ok, staff

NEW_CONVERSATION_FORM = 'id="new-conversation"'
CONSOLE_LINK = 'href="/console/conversations"'


def page(platform, user, path: str) -> str:
    """The `<main>` of `path` on the site, in French, with `user`'s session (its access
    cookie): what the reader sees, without the header's menus."""
    browser = requests.Session()
    browser.cookies.set(ACCESS_COOKIE, user.access_token)
    answer = browser.get(platform.base_url + path, allow_redirects=False, timeout=10,
                         headers={"Accept-Language": "fr"})
    assert answer.status_code == 200, (path, answer.status_code)
    return re.search(r"<main.*?</main>", answer.text, re.S).group(0)


def test_staff_are_pointed_to_their_console_not_to_a_customers_empty_inbox(platform, api):
    """An advisor opening "Mes messages" or `/advisor` was shown an empty customer inbox and
    "Pas encore de conseiller attitré": now both pages say their conversations are in the
    console and link there, in their role's words (a CM has no customers), without the
    customer's form to write to the bank's team."""
    advisor = staff(platform, "advisor")
    for path in ("/conversations", "/advisor"):
        shown = page(platform, advisor, path)
        assert "Les messages de vos clients sont dans la console" in shown, path
        assert CONSOLE_LINK in shown and "Ouvrir la console des conversations" in shown, path
        assert NEW_CONVERSATION_FORM not in shown, path
        assert "Pas encore de conseiller" not in shown and "Commencez-en un" not in shown, path
    manager = staff(platform)
    shown = page(platform, manager, "/conversations")
    assert "Les conversations que vous traitez sont dans la console" in shown
    assert CONSOLE_LINK in shown and "clients" not in shown.replace("client·e", "")


def test_a_staff_member_who_is_a_customer_keeps_their_own_conversations_here(
        platform, api, conversations_db):
    """Why a pointer and not a redirect: a bank employee may be a customer; their own
    conversation with their advisor stays listed on their member's page, form included."""
    member, _ = customer_with_advisor(platform, api, conversations_db)
    cid = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": "Mon prêt immobilier", "message": "Où en est mon dossier ?"}), 201)["id"]
    api.grant(platform.admin, member, "advisor")
    shown = page(platform, member, "/conversations")
    assert CONSOLE_LINK in shown
    assert f'href="/conversations/{cid}"' in shown and NEW_CONVERSATION_FORM in shown


def test_a_member_without_an_advisor_is_told_they_write_to_the_banks_team(platform, api):
    """No "Mon conseiller… Aucun conseiller ne vous est encore attribué" for a member who is not
    a customer: the page is what it is, writing privately to the bank's team, says what can be
    asked there, and warns never to give a code, a password or a full card number."""
    member = api.new_user()
    shown = page(platform, member, "/advisor")
    assert "<h1>Contacter la banque</h1>" in shown
    assert "Écrivez en privé à l’équipe de la banque" in shown
    assert "l’ouverture d’un compte" in shown
    assert "Ne donnez jamais de code, de mot de passe ni de numéro de carte complet" in shown
    assert "Écrire à l’équipe de la banque" in shown and NEW_CONVERSATION_FORM in shown
    for promise in ("Mon conseiller", "Votre conseiller", "encore attribué", "attitré"):
        assert promise not in shown, promise


def test_a_conversation_with_an_unopened_reply_is_marked_in_the_customers_list(
        platform, api, conversations_db):
    """The advisor answered: the customer's list says "Nouvelle réponse" on that conversation
    (words in its link, not a colour), and no longer once they opened it."""
    member, advisor = customer_with_advisor(platform, api, conversations_db)
    answered = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": "Opposition sur ma carte", "message": "Ma carte est perdue."}), 201)["id"]
    quiet = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": "Plafond de retrait", "message": "Puis-je l'augmenter ?"}), 201)["id"]
    assert 'badge-unread' not in page(platform, member, "/conversations")
    ok(api.post(f"/api/v1/conversations/{answered}/messages", user=advisor,
                json={"body": "C'est fait, votre carte est bloquée."}), 201)
    notified(api, member, "private_message", conversation_id=answered)

    def link_of(shown: str, cid: str) -> str:
        return re.search(rf'<a href="/conversations/{cid}">(.*?)</a>', shown, re.S).group(1)

    shown = page(platform, member, "/conversations")
    assert "Nouvelle réponse" in link_of(shown, answered)
    assert "Nouvelle réponse" not in link_of(shown, quiet)
    page(platform, member, f"/conversations/{answered}")  # read once the page is sent
    assert "Nouvelle réponse" not in page(platform, member, "/conversations")


def test_the_list_shows_without_its_markers_while_notifications_does_not_answer(
        platform, api, conversations_db):
    """The "new reply" markers are notifications'; the list is not: notifications paused
    (SIGSTOP) costs the markers, not the list (it was the gateway's error page after its 10 s);
    and opening a conversation, which marks its notifications read, shows it all the same."""
    member, advisor = customer_with_advisor(platform, api, conversations_db)
    cid = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": "Opposition sur ma carte", "message": "Ma carte est perdue."}), 201)["id"]
    ok(api.post(f"/api/v1/conversations/{cid}/messages", user=advisor,
                json={"body": "Votre carte est bloquée."}), 201)
    notified(api, member, "private_message", conversation_id=cid)
    assert "Nouvelle réponse" in page(platform, member, "/conversations")
    notifications = platform.processes["notifications"].popen
    notifications.send_signal(signal.SIGSTOP)
    try:
        started = time.monotonic()
        listed = page(platform, member, "/conversations")
        listed_in = time.monotonic() - started
        opened = page(platform, member, f"/conversations/{cid}")
    finally:
        notifications.send_signal(signal.SIGCONT)
    assert listed_in < 8, listed_in  # the markers waited for a few seconds at most
    assert f'href="/conversations/{cid}"' in listed and "Opposition sur ma carte" in listed
    assert "Nouvelle réponse" not in listed
    assert "Votre carte est bloquée." in opened
