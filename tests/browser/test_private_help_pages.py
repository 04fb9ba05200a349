"""The member's private-help pages as three readers meet them, at a phone's and a desktop's
size, in French and in English: an advisor who opens "Mes messages" finds the way to the
console where they answer; a member who is not a customer is offered the bank's team, not an
advisor who will not come; a customer sees which conversation has a reply they have not opened.
The advisor's answer is arranged through the API; the readers only click."""
from __future__ import annotations

from ..conftest import wait_for
from ..e2e.steps import ok
from ..platform import PASSWORD
from .accounts import ADVISOR1
from .console_steps import sign_in_staff


def in_english(site, path: str) -> None:
    """`path` again in English (the switch's link: a cookie, the profile's language unchanged)."""
    site.visit(f"/lang/en?next={path}")
    site.wait_for_path(path)


def main_text(site) -> str:
    return site.find("main").text


def test_an_advisor_is_pointed_from_my_messages_to_the_console(site):
    sign_in_staff(site, ADVISOR1, next_path="/conversations")
    site.wait_for_path("/conversations")
    site.check()
    assert site.heading("Les messages de vos clients sont dans la console", 2)
    assert not site.find_all("#new-conversation")  # not a customer's inbox with its form
    assert "Commencez-en un" not in main_text(site)
    site.no_horizontal_scroll()
    site.screenshot("private-help-staff-fr")
    site.find(".account-menu summary").click()
    menu = site.find(".account-menu").text  # the console's entry first, then their own
    assert menu.index("Console") < menu.index("Mes messages personnels")
    assert "Contacter la banque" not in menu
    site.screenshot("private-help-staff-menu-fr")
    in_english(site, "/conversations")
    site.check()
    assert site.heading("Your customers’ messages are in the console", 2)
    site.screenshot("private-help-staff-en")
    site.click_link("Open the conversations console")
    site.wait_for_path("/console/conversations")


def test_a_member_who_is_not_a_customer_is_offered_the_banks_team(site, platform):
    member = platform.api.new_user()
    site.sign_in(member.email, PASSWORD, next_path="/advisor")
    site.wait_for_path("/advisor")
    site.check()
    assert site.heading("Contacter la banque", 1)
    shown = main_text(site)
    assert "conseiller" not in shown.lower(), shown  # no advisor promised
    assert "Ne donnez jamais de code, de mot de passe ni de numéro de carte complet" in shown
    site.no_horizontal_scroll()
    site.screenshot("private-help-non-customer-fr")
    site.find(".account-menu summary").click()
    assert "Contacter la banque" in site.find(".account-menu").text
    site.screenshot("private-help-non-customer-menu-fr")
    in_english(site, "/advisor")
    site.check()
    assert site.heading("Contact the bank", 1)
    assert "advisor" not in main_text(site).lower()
    site.no_horizontal_scroll()
    site.screenshot("private-help-non-customer-en")


def test_the_customer_sees_which_conversation_has_an_unopened_reply(site, platform,
                                                                    advisor_and_customer):
    api = platform.api
    advisor, member = advisor_and_customer
    answered = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": "Opposition sur ma carte", "message": "Ma carte est perdue."}), 201)["id"]
    ok(api.post("/api/v1/conversations", user=member, json={
        "subject": "Plafond de retrait", "message": "Puis-je l'augmenter ?"}), 201)
    ok(api.post(f"/api/v1/conversations/{answered}/messages", user=advisor,
                json={"body": "C'est fait, votre carte est bloquée."}), 201)
    wait_for(lambda: any(n["conversation_id"] == answered for n in ok(api.get(
        "/api/v1/me/notifications", user=member, params={"unread": "true"}))["items"]),
        timeout=30, message="the member notified of the answer")
    site.sign_in(member.email, PASSWORD, next_path="/conversations")
    site.wait_for_path("/conversations")
    site.check()
    link = site.find(f"a[href='/conversations/{answered}']")
    assert link.text.startswith("Nouvelle réponse")  # words, in the link a reader follows
    assert len(site.find_all("#conversation-list .badge-unread")) == 1
    site.no_horizontal_scroll()
    site.screenshot("private-help-unread-fr")
    in_english(site, "/conversations")
    site.check()
    assert site.find(f"a[href='/conversations/{answered}']").text.startswith("New reply")
    site.screenshot("private-help-unread-en")
    site.find(f"a[href='/conversations/{answered}']").click()
    site.wait_for_path(f"/conversations/{answered}")
    site.visit("/conversations")
    assert not site.find_all("#conversation-list .badge-unread")
