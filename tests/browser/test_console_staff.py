"""The advisors' and admins' console in the browser, at desktop and tablet sizes: an advisor
answers a private message that arrived live, the console's 404 to members and to another
advisor (a conversation's page sends a member to theirs, and staff the other way), an admin
assigns an advisor."""
from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import jwt
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from gateway.web.typography import glue_punctuation
from services.conversations.demo import SUBJECT as DEMO_SUBJECT
from services.devtools.demo_seed import DemoApi

from ..e2e.steps import staff
from .accounts import ADMIN, ADVISOR1, ADVISOR2, MEMBER1, MEMBER2, signed_in_api
from .console_steps import AUTHENTICATORS, sign_in_staff, staff_device

api = signed_in_api  # the fixture


def member1_conversation(api: DemoApi) -> str:
    """The demo conversation between member1 and advisor1."""
    items = api.get("/api/v1/conversations?limit=50", as_=MEMBER1)["items"]
    return next(item["id"] for item in items if item["subject"] == DEMO_SUBJECT)


def test_an_advisor_answers_a_private_message_that_arrived_live(console, api):
    conversation_id = member1_conversation(api)
    sign_in_staff(console, ADVISOR1, next_path="/console/conversations")
    console.wait_for_path("/console/conversations")
    console.wait_for(lambda: console.heading("Conversations de mes clients", 1), "the inbox")
    console.check()
    console.no_horizontal_scroll()
    console.screenshot("console-staff-inbox")
    row = f"a[href='/console/conversations/{conversation_id}']"
    console.wait_for(lambda: console.find("#staff-inbox").get_attribute("data-stream") == "on",
                     "inbox live")
    assert DEMO_SUBJECT in console.find(row).text
    # the inbox re-reads itself when events arrive: a stale row is found again
    console.wait_for(lambda: console.find(row).click() or True, "conversation opened")
    console.wait_for_path(f"/console/conversations/{conversation_id}")
    console.wait_for(lambda: console.find("#staff-messages").get_attribute("data-live") == "on",
                     "live stream open")
    question = f"Bonjour, pouvez-vous aussi prolonger mon assurance voyage ? {uuid.uuid4().hex[:6]}"
    api.post(f"/api/v1/conversations/{conversation_id}/messages", as_=MEMBER1,
             json={"body": question})
    # shown as the server renders it: its « ? » glued to its word (typography.js)
    console.wait_for(lambda: glue_punctuation(question) in console.find("#staff-messages").text,
                     "the customer's message, live")
    # read once, by the list (a polite live region), not a second time by the page's announcer
    assert glue_punctuation(question) not in \
        console.find("#live-status").get_attribute("textContent")
    console.check()
    answer = f"C'est fait, votre assurance couvre tout le séjour. {uuid.uuid4().hex[:6]}"
    console.fill("Votre réponse", answer)
    console.click_button("Envoyer")
    console.wait_for(lambda: answer in console.find("#staff-messages").text, "the answer shown")
    assert "/messages" not in console.driver.current_url  # sent without leaving the page
    console.check()
    console.no_horizontal_scroll()
    console.screenshot("console-staff-conversation")
    bodies = [m["body"] for m in api.get(f"/api/v1/conversations/{conversation_id}",
                                         as_=MEMBER1)["messages"]]
    assert answer in bodies and bodies.count(answer) == 1


def test_a_long_conversation_shows_its_newest_messages_and_what_arrives_after_them(
        console, api):
    """More messages than a page (100): the advisor sees the newest, newest at the bottom, pages
    back with "Messages précédents" (a link), and the customer's next message arrives live —
    read after the last one shown, never the oldest page again. A reply refused says why on
    its field, visibly."""
    cid = api.post("/api/v1/conversations", as_=MEMBER1, json={
        "subject": f"Échange long {uuid.uuid4().hex[:6]}", "message": "message 000"})["id"]
    for n in range(1, 101):
        api.post(f"/api/v1/conversations/{cid}/messages", as_=MEMBER1,
                 json={"body": f"message {n:03d}"})
    sign_in_staff(console, ADVISOR1, next_path=f"/console/conversations/{cid}")
    console.wait_for_path(f"/console/conversations/{cid}")
    bodies = lambda: [e.text for e in console.find_all(  # noqa: E731
        "#staff-messages [data-message] .staff-message-body")]
    assert bodies()[0] == "message 001" and bodies()[-1] == "message 100"
    console.check()
    console.screenshot("console-conversation-newest")
    console.click_link("Messages précédents")
    console.wait_for(lambda: bodies() == ["message 000"], "the earlier page")
    console.click_link("Derniers messages")
    console.wait_for(lambda: bodies() and bodies()[-1] == "message 100", "the newest again")
    console.wait_for(lambda: console.find("#staff-messages").get_attribute("data-live") == "on",
                     "live stream open")
    api.post(f"/api/v1/conversations/{cid}/messages", as_=MEMBER1,
             json={"body": "message 101, en direct"})
    console.wait_for(lambda: bodies()[-1] == "message 101, en direct", "the message, live")

    field = console.find("#field-body")
    assert field.get_attribute("maxlength") == "10000"
    console.driver.execute_script("arguments[0].value = 'x'.repeat(10001)", field)
    console.click_button("Envoyer")
    error = console.find("#field-body-error")
    console.wait_for(lambda: error.is_displayed() and "10" in error.text, "the limit, visible")
    assert field.get_attribute("aria-invalid") == "true"
    assert field.get_attribute("aria-describedby") == "field-body-error"
    console.check()
    console.screenshot("console-reply-too-long")


# the element's box lies within the window (what a reader sees without scrolling), to the pixel
IN_VIEW = """const box = arguments[0].getBoundingClientRect();
return box.top >= -1 && box.bottom <= window.innerHeight + 1;"""


def unread_notices(api: DemoApi, email: str, conversation_id: str) -> list[dict]:
    items = api.get("/api/v1/me/notifications?unread=true&limit=100", as_=email)["items"]
    return [item for item in items if item.get("conversation_id") == conversation_id]


def test_an_advisor_lands_on_the_newest_message_and_answers_with_ctrl_enter(console, api):
    """The conversation opens at its newest message with the reply box in view, the focus left
    where a page starts (a screen reader reads the page from its top; a link there goes to the
    box); Ctrl+Enter sends — once, however often it is pressed — and an empty box says why
    instead of leaving the page. Opening it marks that conversation's notifications read, not
    another's, whose notice names the customer who wrote (in the site only)."""
    api.devices[ADVISOR1] = staff_device(ADVISOR1)  # the browser's later sign-ins use it too
    tag = uuid.uuid4().hex[:6]
    cid = api.post("/api/v1/conversations", as_=MEMBER1, json={
        "subject": f"Carte bloquée {tag}", "message": "message 00"})["id"]
    for n in range(1, 25):
        api.post(f"/api/v1/conversations/{cid}/messages", as_=MEMBER1,
                 json={"body": f"message {n:02d}"})
    other = api.post("/api/v1/conversations", as_=MEMBER1, json={
        "subject": f"Autre sujet {tag}", "message": "Une autre question"})["id"]
    console.wait_for(lambda: unread_notices(api, ADVISOR1, cid)
                     and unread_notices(api, ADVISOR1, other), "the customer's messages notified")
    sign_in_staff(console, ADVISOR1, next_path=f"/console/conversations/{cid}")
    console.wait_for_path(f"/console/conversations/{cid}")
    last = console.find_all("#staff-messages [data-message]")[-1]
    assert "message 24" in last.text
    console.wait_for(lambda: console.driver.execute_script(IN_VIEW, last),
                     "the newest message in view")
    assert console.driver.execute_script(IN_VIEW, console.find("#staff-reply button"))
    assert console.driver.execute_script("return document.activeElement.id") != "field-body"
    # said where a keyboard is likely: not on a tablet's touch screen (no Ctrl on its keyboard)
    hint = console.find("#field-body-shortcut")
    assert hint.is_displayed() == (console.device == "desktop"), console.device
    assert "Ctrl+Entrée" in hint.get_attribute("textContent")
    console.check()
    console.no_horizontal_scroll()
    console.screenshot("console-conversation-opened-at-newest")
    console.wait_for(lambda: not unread_notices(api, ADVISOR1, cid),
                     "the conversation's notifications read once opened")
    notices = unread_notices(api, ADVISOR1, other)
    assert notices, "another conversation's notifications stay unread"
    assert notices[0]["text"] == "Marie Dubois vous a écrit un message privé."

    console.click_link("Aller à la réponse")
    console.wait_for(lambda: console.driver.execute_script(
        "return document.activeElement.id") == "field-body", "the reply box focused")
    console.wait_for(lambda: console.find("#staff-messages").get_attribute("data-live") == "on",
                     "live stream open")
    console.driver.execute_script("window.__agoraSamePage = true")
    answer = f"Débloquée, vous pouvez payer. {tag}"
    console.find("#field-body").send_keys(answer)
    ActionChains(console.driver).key_down(Keys.CONTROL).send_keys(Keys.ENTER) \
        .send_keys(Keys.ENTER).key_up(Keys.CONTROL).perform()
    console.wait_for(lambda: answer in console.find("#staff-messages").text, "sent by Ctrl+Enter")
    console.wait_for(lambda: console.find("#field-body").get_attribute("value") == "",
                     "the box emptied")
    ActionChains(console.driver).key_down(Keys.CONTROL).send_keys(Keys.ENTER) \
        .key_up(Keys.CONTROL).perform()  # now empty: refused in place
    error = console.find("#field-body-error")
    console.wait_for(lambda: error.is_displayed(), "the empty reply refused")
    assert console.driver.execute_script("return window.__agoraSamePage === true")
    bodies = [m["body"] for m in api.get(f"/api/v1/conversations/{cid}",
                                         as_=MEMBER1)["messages"]]
    assert bodies.count(answer) == 1
    console.check()
    console.screenshot("console-conversation-sent-by-keyboard")


ROWS = """return [...document.querySelectorAll('#staff-mine .staff-row')].map((row) => ({
  waiting: row.classList.contains('staff-row-waiting'), text: row.textContent,
  wait: row.querySelector('.staff-row-wait')?.textContent.trim().replace(/\\s+/g, ' ') || ''}))"""


def test_the_inbox_puts_waiting_customers_first_with_their_wait(console, api):
    """Waiting for an answer first, the longest wait first, each with how long it has waited
    (the console's durations); then the others by last activity."""
    subject = f"Plafond de ma carte {uuid.uuid4().hex[:6]}"
    api.post("/api/v1/conversations", as_=MEMBER1, json={"subject": subject,
                                                         "message": "Pouvez-vous l'augmenter ?"})
    sign_in_staff(console, ADVISOR1, next_path="/console/conversations")
    console.wait_for_path("/console/conversations")
    # read at once: the inbox re-reads itself as events arrive
    rows = console.driver.execute_script(ROWS)
    waiting = [row["waiting"] for row in rows]
    assert waiting == sorted(waiting, reverse=True), "every waiting row before the others"
    assert any(subject in row["text"] for row in rows if row["waiting"])
    assert all(row["wait"].startswith("attend depuis ") for row in rows if row["waiting"])
    console.check()
    console.screenshot("console-inbox-waiting")


def test_a_colleague_brought_in_is_not_offered_the_customer_timeline(console, api):
    """The timeline's link only for who may open it (the customer's advisor, CMs): advisor2,
    brought into advisor1's conversation, reads it without the link (it was a 404)."""
    cid = api.post("/api/v1/conversations", as_=MEMBER1, json={  # not the demo's: 404 stays
        "subject": f"Avec un collègue {uuid.uuid4().hex[:6]}", "message": "Bonjour"})["id"]
    advisor2 = api.get("/api/v1/users?email=" + ADVISOR2, as_=ADMIN)["items"][0]["id"]
    api.devices[ADVISOR1] = staff_device(ADVISOR1)  # the browser's later sign-ins use it too
    api.post(f"/api/v1/conversations/{cid}/participants", as_=ADVISOR1,
             json={"user_id": advisor2})
    sign_in_staff(console, ADVISOR2, next_path=f"/console/conversations/{cid}")
    console.wait_for_path(f"/console/conversations/{cid}")
    console.wait_for(lambda: console.find_all("#staff-messages"), "the conversation")
    assert not console.find_all("#customer-timeline")  # advisor1 has it: the test above


def test_the_inbox_keeps_focus_on_the_same_conversation_when_it_reads_itself_again(
        console, api):
    """The inbox re-reads itself on each live event and every 30 s: the conversation link a
    keyboard user stands on keeps focus (it went to the page's body, a screen reader's reading
    with it)."""
    conversation_id = member1_conversation(api)
    sign_in_staff(console, ADVISOR1, next_path="/console/conversations")
    console.wait_for(lambda: console.find("#staff-inbox").get_attribute("data-stream") == "on",
                     "inbox live")
    row = f'#staff-mine [data-conversation="{conversation_id}"]'
    console.driver.execute_script("document.querySelector(arguments[0]).focus()",
                                  row + " a.staff-row-link")
    before = console.text_of(row)
    api.post(f"/api/v1/conversations/{conversation_id}/messages", as_=MEMBER1,
             json={"body": f"Une dernière question sur ma carte {uuid.uuid4().hex[:6]}"})
    # its message count, which only a re-read changes (the wait ticks every second anyway)
    count = int(re.search(r"(\d+)\s+messages?", before).group(1))
    console.wait_for(lambda: re.search(rf"\b{count + 1}\s+messages\b", console.find(row).text),
                     "the row read again")
    focused = console.driver.switch_to.active_element
    assert focused.get_attribute("class") == "staff-row-link"
    assert focused.find_element("xpath", "..").get_attribute("data-conversation") \
        == conversation_id
    console.check()


def test_members_and_other_advisors_get_404_on_the_console(console, api):
    conversation_id = member1_conversation(api)
    member1 = api.get("/api/v1/me", as_=MEMBER1)["id"]
    console.sign_in(MEMBER1)
    for path in ("/console/conversations", f"/console/customers/{member1}",
                 "/console/members", f"/console/members/{member1}", "/console/flags",
                 "/console/response-times", "/console/publishing", "/console/policy",
                 "/console/audit"):
        console.visit(path)
        assert console.heading("Page introuvable", 1), path
    console.visit("/")
    console.find(".account-menu summary").click()
    console.click_button("Se déconnecter")
    console.wait_for(lambda: not console.find_all(".account-menu"), "signed out")
    sign_in_staff(console, ADVISOR2)
    console.visit(f"/console/conversations/{conversation_id}")
    assert console.heading("Page introuvable", 1)
    assert DEMO_SUBJECT not in console.text()
    for path in ("/console/members", f"/console/members/{member1}", "/console/moderation",
                 "/console/flags", "/console/response-times", "/console/publishing",
                 "/console/policy", "/console/audit", "/console/health"):  # neither admins nor CMs
        console.visit(path)
        assert console.heading("Page introuvable", 1), path
    console.visit("/console/conversations")
    console.wait_for(lambda: console.heading("Conversations de mes clients", 1), "the inbox")
    assert DEMO_SUBJECT not in console.text()


def test_a_conversations_page_sends_whoever_opens_the_other_sides_to_theirs(console, api):
    """A notification links by the reader's roles when they read it, an e-mail's by those when
    it was sent: a member following a console link (from when they were staff) reads their
    conversation on their page, an advisor following a member's link answers in the console."""
    conversation_id = member1_conversation(api)
    member_page, console_page = (f"/conversations/{conversation_id}",
                                 f"/console/conversations/{conversation_id}")
    console.sign_in(MEMBER1, next_path=console_page)
    console.wait_for(lambda: console.driver.current_url == console.url(member_page),
                     "the member's page")
    console.wait_for(lambda: console.heading(DEMO_SUBJECT, 1), "the conversation")
    assert console.find_all("#message-list [data-message]")
    console.check()
    console.driver.delete_all_cookies()
    sign_in_staff(console, ADVISOR1, next_path=member_page)
    console.wait_for_path(console_page)
    console.wait_for(lambda: console.find_all("#staff-messages [data-message]"),
                     "the conversation in the console")
    console.check()


def test_an_admin_assigns_an_advisor_and_the_member_sees_it(console, api, demo):
    email = f"client-{uuid.uuid4().hex[:8]}@example.org"
    api.post("/api/v1/auth/register", json={"email": email, "password": "quiet harbour lantern "
                                            "violet", "display_name": "Chloé Client",
                                            "customer": True}, expect=(202,))
    demo.confirm_address(email)  # staff find a member by address once it is confirmed
    sign_in_staff(console, ADMIN, next_path="/console/members")
    console.wait_for_path("/console/members")
    console.check()
    console.fill("Nom ou adresse e-mail du membre", email)
    console.click_button("Rechercher")
    console.wait_for(lambda: console.heading("Chloé Client", 1), "the member's page")
    assert console.heading("Administration du compte", 2)  # the admins' actions
    assert "Aucun conseiller attribué." in console.find("#member-advisor").text
    console.check()
    console.fill("Adresse e-mail du conseiller", "nobody-here@example.org")
    console.fill("Agence", "Lyon Bellecour")
    type_code(console, "advisor_code")
    console.click_button("Attribuer")
    console.wait_for(lambda: "Aucun compte avec cette adresse." in console.text(),
                     "unknown advisor refused")
    assert "['" not in console.find("#form-alert").text  # a sentence, not a Python list
    assert console.find("#field-advisor_email-error").text == "Aucun compte avec cette adresse."
    console.check()
    # an account that is not an advisor: identity refuses, and the page says why (was a 500)
    console.fill("Adresse e-mail du conseiller", email)
    console.fill("Agence", "Lyon Bellecour")
    type_code(console, "advisor_code")
    console.click_button("Attribuer")
    console.wait_for(lambda: "ce membre n’est pas conseiller" in console.text().lower(),
                     "a member who is not an advisor refused")
    console.check()
    console.fill("Adresse e-mail du conseiller", ADVISOR2)
    console.fill("Agence", "Lyon Bellecour")
    type_code(console, "advisor_code")
    console.click_button("Attribuer")
    console.wait_for(lambda: "Conseiller attribué." in console.text(), "saved")
    assert "Bruno Petit" in console.find("#member-advisor").text
    assert "Lyon Bellecour" in console.find("#member-advisor").text
    console.check()
    console.screenshot("console-staff-members")
    # the member's "my advisor" page
    console.find(".account-menu summary").click()
    console.click_button("Se déconnecter")
    console.wait_for(lambda: not console.find_all(".account-menu"), "signed out")
    console.sign_in(email, "quiet harbour lantern violet", next_path="/advisor")
    console.wait_for_path("/advisor")
    console.wait_for(lambda: "Bruno Petit" in console.text() and "Lyon Bellecour" in console.text(),
                     "the advisor on the member's page")
    console.check()


def type_code(console, field: str, code: str | None = None) -> None:
    """The authenticator's code typed in the form's step-up field: by default what the demo
    admin's app shows now (a session that signed in moments ago: identity does not check it)."""
    box = console.find(f"#field-{field}")
    box.clear()
    box.send_keys(code or AUTHENTICATORS[ADMIN].totp.now())


def test_an_admin_whose_sign_in_is_not_fresh_changes_roles_with_a_code_on_the_form(
        console, platform, mongo_client):
    """Roles and advisor changes need a second factor proved in the last 5 minutes: after
    that, the forms' code field carries it (the API's X-Agora-TOTP header, which a page cannot
    send). A wrong or missing code is said on the field, in the reader's language, never by
    the header's name."""
    admin = staff(platform, "admin")  # of this test only: wrong codes count against it
    someone = platform.api.new_user()
    console.sign_in(admin.email, admin.password, device=admin.device,
                    next_path=f"/console/members/{someone.id}")
    console.wait_for(lambda: console.find_all("#field-roles_code"), "the admin's forms")
    code = console.find("#field-roles_code")
    assert code.get_attribute("autocomplete") == "one-time-code"
    assert code.get_attribute("inputmode") == "numeric"
    # the session signed in more than 5 minutes ago (its second factor's proof, aged)
    token = console.driver.get_cookie("agora_at")["value"]
    sid = jwt.decode(token, options={"verify_signature": False})["sid"]
    mongo_client[f"{platform.db_prefix}_identity"].sessions.update_one(
        {"_id": sid}, {"$set": {"second_factor_at": datetime.now(UTC) - timedelta(minutes=10)}})

    console.find("#role-advisor").click()
    code.send_keys("000000")
    console.click_button("Enregistrer les rôles")
    console.wait_for(lambda: console.find_all("#field-roles_code-error"), "the wrong code")
    assert "Ce code est incorrect ou a déjà servi" in console.find("#field-roles_code-error").text
    alert = console.find("#form-alert").text
    assert "Ce code est incorrect" in alert and "X-Agora-TOTP" not in console.text()
    assert console.find("#field-roles_code").get_attribute("aria-invalid") == "true"
    console.check()
    console.screenshot("console-member-stepup-wrong")
    # sent without one (a client that skips the field's `required`): asked for, on the field
    console.visit("/lang/en?next=" + f"/console/members/{someone.id}")
    console.driver.execute_script(
        "document.getElementById('field-roles_code').removeAttribute('required')")
    console.find("#role-advisor").click()
    console.click_button("Save roles")
    console.wait_for(lambda: console.find_all("#field-roles_code-error"), "the missing code")
    assert console.find("#field-roles_code-error").text == \
        "Enter the code your authenticator app shows now."
    assert "X-Agora-TOTP" not in console.text()
    console.check()
    console.screenshot("console-member-stepup-missing-en")
    console.visit("/lang/fr?next=" + f"/console/members/{someone.id}")
    console.find("#role-advisor").click()
    type_code(console, "roles_code", admin.device.current_code())  # checked: an unused one
    console.click_button("Enregistrer les rôles")
    console.wait_for(lambda: "Rôles enregistrés." in console.text(), "the roles saved")
    assert "advisor" in platform.api.get(f"/api/v1/users/{someone.id}").json()["roles"]


def test_a_public_question_continues_privately_from_its_thread(console, api):
    title = f"Virement bloqué depuis hier {uuid.uuid4().hex[:6]}"
    post = api.post("/api/v1/posts", as_=MEMBER2,
                    json={"kind": "question", "title": title, "category": "cards",
                          "body": "Mon virement vers un compte d'épargne n'est pas parti."})
    console.wait_for(lambda: api.get(f"/api/v1/posts/{post['id']}", expect=(200, 404)).get(
        "id") == post["id"], "the question published (404 to others until then)")
    sign_in_staff(console, ADVISOR1, next_path=f"/posts/{post['id']}")
    console.wait_for(lambda: console.heading(title, 1), "the thread")
    console.check()
    console.click_button("Continuer en privé")
    console.wait_for(lambda: "/console/conversations/" in console.driver.current_url,
                     "the new conversation")
    assert console.find_all(f"a[href='/posts/{post['id']}']")  # back to the public question
    console.check()
    console.no_horizontal_scroll()
    console.screenshot("console-staff-escalated")


def test_members_see_no_escalate_action(console, api):
    question = api.get("/api/v1/posts?kind=question&limit=1")["items"][0]
    console.sign_in("member3@demo.agora", next_path=f"/posts/{question['id']}")
    console.wait_for(lambda: console.find_all("h1"), "the thread")
    assert not console.find_all(".staff-escalate")


def test_an_advisor_reads_a_customers_timeline_from_the_conversation(console, api, platform):
    conversation_id = member1_conversation(api)
    member1 = api.get("/api/v1/me", as_=MEMBER1)["id"]
    said = f"@MaBanque ma carte est encore bloquée {uuid.uuid4().hex[:6]}"
    mention = platform.api.post("/api/v1/channels/social/mentions", headers=platform.service_key,
                                json={"channel": "twitter", "external_id": uuid.uuid4().hex,
                                      "handle": "@member1", "text": said,
                                      "member_id": member1})
    assert mention.status_code == 201, mention.text
    sign_in_staff(console, ADVISOR1, next_path=f"/console/conversations/{conversation_id}")
    console.wait_for_path(f"/console/conversations/{conversation_id}")
    console.click_link("Parcours du client sur tous les canaux")
    console.wait_for_path(f"/console/customers/{member1}")
    console.wait_for(lambda: said in console.find("#customer-timeline").text, "the mention")
    channels = {entry.get_attribute("data-channel")
                for entry in console.find_all("#customer-timeline .timeline-entry")}
    assert {"social", "private"} <= channels
    timeline = console.find("#customer-timeline").text
    assert "Réseau social · Twitter" in timeline  # the network's own name
    assert "Mention sur Twitter" in timeline  # the subject the inbox and the case page say
    console.check()
    console.no_horizontal_scroll()
    console.screenshot("console-customer-timeline")
    console.driver.delete_all_cookies()
    sign_in_staff(console, ADVISOR2)
    console.visit(f"/console/customers/{member1}")
    assert console.heading("Page introuvable", 1)
    assert said not in console.text()


def test_a_mention_from_an_unmatched_author_is_read_and_answered_from_the_staff_queue(
        console, platform):
    """A social mention nobody matched to a member waits in the staff queue with its channel's
    external author ("external:twitter"): the inbox and the conversation name it so — they were
    a 404 for every CM — and a reply refused names the field in the console's words."""
    manager = staff(platform)
    said = f"@MaBanque l'appli ne s'ouvre plus depuis ce matin {uuid.uuid4().hex[:6]}"
    mention = platform.api.post("/api/v1/channels/social/mentions", headers=platform.service_key,
                                json={"channel": "twitter", "external_id": uuid.uuid4().hex,
                                      "handle": f"@inconnu_{uuid.uuid4().hex[:6]}",
                                      "text": said})
    assert mention.status_code == 201, mention.text
    case = mention.json()
    assert not case["matched"] and case["queue"]
    console.sign_in(manager.email, manager.password, device=manager.device,
                    next_path="/console/conversations")
    console.wait_for_path("/console/conversations")
    console.wait_for(lambda: console.heading("Conversations privées", 1), "the inbox")
    assert "Auteur externe (Twitter)" in console.text_of(
        f'[data-conversation="{case["conversation_id"]}"]')
    console.check()
    console.no_horizontal_scroll()
    console.screenshot("console-staff-queue-external")

    console.visit(f"/console/conversations/{case['conversation_id']}")
    console.wait_for(lambda: said in console.find("#staff-messages").text, "the mention")
    assert "Avec Auteur externe (Twitter)" in console.text()
    assert "Auteur externe (Twitter)" in console.find("#staff-messages .meta").text
    assert not console.find_all("#customer-timeline")  # nobody's timeline behind it
    console.click_button("Envoyer")  # empty: the page answers with the field's error
    console.wait_for(lambda: console.find_all("#field-body-error"), "the empty reply refused")
    summary = console.find("#form-alert").text
    assert "Écrivez votre réponse" in console.find("#field-body-error").text
    assert "Écrivez votre réponse" in summary and "Length" not in summary
    assert "['" not in summary
    console.check()
    console.screenshot("console-staff-external-empty-reply")
    answer = f"Bonjour, écrivez-nous en privé avec votre numéro client. {uuid.uuid4().hex[:6]}"
    console.fill("Votre réponse", answer)
    console.click_button("Envoyer")
    console.wait_for(lambda: answer in console.find("#staff-messages").text, "the answer")
    console.visit(f"/console/conversations/{case['conversation_id']}")  # taken from the queue
    console.wait_for(lambda: answer in console.find("#staff-messages").text, "the answer kept")
    assert "Avec Auteur externe (Twitter)" in console.text()
    assert not console.find_all("#customer-timeline")
    console.check()
    console.no_horizontal_scroll()


def test_staff_menus_and_titles_fit_their_role(console, platform):
    """Staff are not offered the member's "my advisor" page (it told an advisor they had none);
    a CM's conversations tab speaks of the conversations they take part in and of the staff
    queue, not of customers (a CM has none); an advisor's is still their customers'. A member
    keeps "my advisor"."""
    manager = staff(platform)
    console.sign_in(manager.email, manager.password, device=manager.device,
                    next_path="/console/conversations")
    console.wait_for_path("/console/conversations")
    console.wait_for(lambda: console.heading("Conversations privées", 1), "the CM's tab")
    assert console.heading("Conversations que vous suivez", 2)
    assert console.heading("File d’attente du personnel", 2)
    said = console.text_of(".staff-main")
    assert "clients" not in said, said
    assert not console.find_all(".account-menu a[href='/advisor']")
    assert console.find_all(".account-menu a[href='/conversations']")  # theirs as a customer
    assert "clients" not in console.find(".account-menu").get_attribute("textContent")
    console.find(".account-menu summary").click()
    console.check()
    console.screenshot("console-cm-conversations")
    console.driver.delete_all_cookies()
    sign_in_staff(console, ADVISOR1, next_path="/console/conversations")
    console.wait_for_path("/console/conversations")
    console.wait_for(lambda: console.heading("Conversations de mes clients", 1), "the inbox")
    assert not console.find_all(".account-menu a[href='/advisor']")
    console.driver.delete_all_cookies()
    console.sign_in(MEMBER1, next_path="/conversations")
    console.wait_for_path("/conversations")
    assert console.find_all(".account-menu a[href='/advisor']")
