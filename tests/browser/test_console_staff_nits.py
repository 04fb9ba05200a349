"""Small things an exploratory test of the staff console found: the customer journey's way
back says whose inbox it leads to; the response-time board names and links the waiting
conversations its reader may open, and only those."""
from __future__ import annotations

import uuid

import pytest

from services.conversations.demo import SUBJECT as DEMO_SUBJECT
from services.devtools.demo_seed import DemoApi

from ..e2e.steps import staff
from .accounts import ADMIN, ADVISOR1, CM1, MEMBER1
from .console_steps import on_some_page, sign_in_staff


@pytest.mark.parametrize("console", ["desktop"], indirect=True)
def test_the_journey_leads_back_to_the_readers_own_inbox(console, demo):
    """An advisor goes back to « Conversations de mes clients »; a CM has no customers: their
    inbox is the team's « Conversations privées »."""
    member1 = DemoApi(demo.base_url).get("/api/v1/me", as_=MEMBER1)["id"]
    sign_in_staff(console, CM1, next_path=f"/console/customers/{member1}")
    console.wait_for_path(f"/console/customers/{member1}")
    back = console.find(".staff-main a[href='/console/conversations']")
    assert back.text == "← Conversations privées"
    assert not console.find_all("#customer-write")  # a CM reads the journey, writes not first
    console.check()
    console.screenshot("console-journey-cm")
    console.visit("/robots.txt", check=False)
    console.driver.delete_all_cookies()
    sign_in_staff(console, ADVISOR1, next_path=f"/console/customers/{member1}")
    console.wait_for_path(f"/console/customers/{member1}")
    assert console.find(".staff-main a[href='/console/conversations']").text == \
        "← Conversations de mes clients"
    assert console.find("#customer-write").get_attribute("href").endswith(
        f"/console/customers/{member1}/write")  # their advisor writes first from there


@pytest.mark.parametrize("console", ["desktop"], indirect=True)
def test_the_board_links_the_conversations_its_reader_may_open(console, demo, mongo_client):
    """A CM may open the staff queue's social case: the board links it, by its subject; an
    advisor's customer's conversation they may not open stays an unnamed line. The board asks
    for the conversations it shows by id (`ids`, as the API may): the access audit lists
    those it names, not the CM's whole queue."""
    api = DemoApi(demo.base_url)
    mention = demo.api.post("/api/v1/channels/social/mentions", headers=demo.service_key,
                            json={"channel": "twitter", "external_id": uuid.uuid4().hex,
                                  "handle": f"@inconnu_{uuid.uuid4().hex[:6]}",
                                  "text": f"@MaBanque toujours rien {uuid.uuid4().hex[:6]}"})
    assert mention.status_code == 201, mention.text
    case = mention.json()["conversation_id"]
    private = next(item["id"] for item in api.get("/api/v1/conversations?limit=50",
                                                  as_=MEMBER1)["items"]
                   if item["subject"] == DEMO_SUBJECT)  # advisor1's customer's
    api.post(f"/api/v1/conversations/{private}/messages", as_=MEMBER1,
             json={"body": f"Une question de plus {uuid.uuid4().hex[:6]}"})
    manager = staff(demo)
    console.sign_in(manager.email, manager.password, device=manager.device,
                    next_path="/console/response-times?channel=social")
    console.wait_for_path("/console/response-times")
    named = {link.get_attribute("href").rsplit("/", 1)[-1] for link in console.find_all(
        "#board-social a[href^='/console/conversations/']")}
    assert {entry["conversation_id"] for entry in mongo_client[
        f"{demo.db_prefix}_conversations"]["access_audit"].find(
        {"user_id": manager.id, "action": "list"})} == named
    listed = demo.api.get(f"/api/v1/conversations?ids={case}&ids={private}", user=manager)
    assert listed.status_code == 200, listed.text
    assert [item["id"] for item in listed.json()["items"]] == [case]  # not advisor1's
    link = on_some_page(console, f"#board-social a[href='/console/conversations/{case}']",
                        "#board-social a.more")
    assert link.text == "Mention sur Twitter"
    console.check()
    console.screenshot("console-board-social-linked")
    console.visit("/console/response-times?channel=private")
    line = on_some_page(console, f"#board-private li[data-clock^='conv.{private}.']",
                        "#board-private a.more")
    assert not line.find_elements("css selector", "a")
    assert DEMO_SUBJECT not in line.text
    assert "Conversation privée" in line.text


def seeder_rows(console) -> list[str]:
    """The « Qui » cells of the role grants listed, following "more" until the demo seeder's
    first grants (the oldest entries, on the last page)."""
    who = []
    for _ in range(10):
        who = [row.find_elements("css selector", "td")[1].text
               for row in console.find_all("tr[data-action='grant_role']")]
        more = console.find_all("a.more")
        if not more:
            return who
        before = console.driver.current_url
        more[0].click()
        console.wait_for(lambda before=before: console.driver.current_url != before,
                         "the next page of the audit log")
    return who


@pytest.mark.parametrize("console", ["desktop"], indirect=True)
def test_the_audit_log_names_the_demo_seeder_as_a_system(console):
    """`agora seed-demo` granted the demo roles: « system:seed-demo » was shown as written."""
    sign_in_staff(console, ADMIN, next_path="/console/audit?action=grant_role")
    console.wait_for_path("/console/audit")
    who = seeder_rows(console)
    assert "Système (données de démonstration)" in who, who
    assert not [name for name in who if name.startswith("system:")], who
    console.check()
    console.screenshot("console-audit-seeder-fr")
    console.visit("/lang/en?next=/console/audit%3Faction%3Dgrant_role", check=False)
    console.wait_for_path("/console/audit")
    try:
        assert "System (demo data)" in seeder_rows(console)
        console.screenshot("console-audit-seeder-en")
    finally:
        console.visit("/lang/fr?next=/console", check=False)
