"""A member's private screens, as they use them: the bell that counts without a reload, the
notifications page (mark one, mark all), the preferences, "my advisor", a private conversation
where the advisor's answer appears without a reload, and writing to the bank's team without an
advisor. Other people's actions (a reply, the advisor's message) are arranged through the API;
the member only clicks and types. Every test also checks what another member's open page never
shows."""
from __future__ import annotations

import uuid

import pytest
from selenium.webdriver.common.keys import Keys

from gateway.web.typography import glue_punctuation

from ..conftest import wait_for
from ..e2e.clients import gateway_replica
from ..platform import PASSWORD
from .conftest import Site

NO_RELOAD_MARK = "window.__agoraSamePage = true"
SAME_PAGE = "return window.__agoraSamePage === true"
# live.js marks the bell: "open" once the stream said hello, "retrying" while it is refused
LIVE_OPEN = "return document.querySelector('[data-bell]').dataset.live === 'open'"


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def question(api, author, title):
    post = ok(api.post("/api/v1/posts", user=author, json={
        "kind": "question", "title": title, "body": "Comment faire, s'il vous plaît ?",
        "category": "cards"}), 201)
    wait_for(lambda: api.get(f"/api/v1/posts/{post['id']}").status_code == 200, timeout=30,
             message="the question published")
    return post


def reply(api, helper, post, text="Dans l'appli, rubrique Cartes."):
    return ok(api.post(f"/api/v1/posts/{post['id']}/replies", user=helper,
                       json={"body": text}), 201)


def bell_count(site) -> str:
    badge = site.find("[data-bell-count]")
    return "" if badge.get_attribute("hidden") is not None else badge.text


def wait_bell(site, expected: str) -> None:
    site.wait_for(lambda: bell_count(site) == expected, f"the bell showing {expected!r}")


def open_live(site, path: str) -> None:
    """Visit a page and wait until its live stream said hello (the bell has its count)."""
    site.visit(path)
    site.wait_for(lambda: site.driver.execute_script(LIVE_OPEN), "the live channel connected")
    site.driver.execute_script(NO_RELOAD_MARK)


def test_the_bell_counts_without_a_reload_and_the_inbox_marks_read(site, platform):
    api = platform.api
    member, helper, other = api.new_user(), api.new_user(), api.new_user()
    mine = question(api, member, f"Plafond de carte {uuid.uuid4().hex[:4]}")
    theirs = question(api, other, f"Adresse postale {uuid.uuid4().hex[:4]}")

    # the OTHER member's page is open while the member's question gets answered
    site.sign_in(other.email, PASSWORD)
    open_live(site, "/")
    reply(api, helper, mine)
    wait_for(lambda: ok(api.get("/api/v1/me/notifications/unread-count", user=member))["unread"]
             == 1, timeout=30, message="the member notified")
    reply(api, helper, theirs)   # then their own: it shows, the member's never did
    wait_bell(site, "1")
    assert site.driver.execute_script(SAME_PAGE)
    site.driver.delete_all_cookies()

    # the member: one unread, a second reply arrives while the page is open
    site.sign_in(member.email, PASSWORD)
    open_live(site, "/")
    wait_bell(site, "1")
    reply(api, helper, mine, "Ou appelez votre conseiller.")
    wait_bell(site, "2")
    assert site.driver.execute_script(SAME_PAGE), "the page was reloaded"
    site.check()
    site.screenshot("bell")

    site.find("[data-bell]").click()
    site.wait_for_path("/notifications")
    site.check()
    assert site.heading(site.t("My notifications", "Mes notifications"), 1)
    items = site.find_all("[data-notification]")
    assert len(items) == 2 and all("notification-unread" in i.get_attribute("class")
                                   for i in items)
    site.no_horizontal_scroll()
    site.screenshot("notifications")
    site.driver.execute_script(NO_RELOAD_MARK)
    first = site.find("[data-notification]")
    first.find_element("css selector", ".mark-one button").send_keys(Keys.ENTER)
    site.wait_for(lambda: len(site.find_all(".notification-unread")) == 1, "one marked read")
    wait_bell(site, "1")
    # the button went with its form: the focus is on the notification's link, not lost
    assert site.driver.switch_to.active_element == first.find_element("css selector", "a")
    site.find(".mark-all button").send_keys(Keys.ENTER)
    site.wait_for(lambda: not site.find_all(".notification-unread"), "all marked read")
    wait_bell(site, "")
    assert site.t("Everything is read.", "Tout est lu.") in site.text()
    assert site.driver.switch_to.active_element.get_attribute("id") == "inbox-summary"
    assert site.driver.execute_script(SAME_PAGE)
    site.check()
    assert ok(api.get("/api/v1/me/notifications/unread-count", user=member))["unread"] == 0


@pytest.fixture(scope="module")
def full_gateway(platform):
    """A gateway replica that holds no live stream (GATEWAY_LIVE_MAX_CONNECTIONS=0): it refuses
    every one with 503, as a full replica does; the site works there otherwise."""
    with gateway_replica(platform, "gateway-full", GATEWAY_LIVE_MAX_CONNECTIONS="0") as process:
        yield process


def test_the_bell_counts_when_the_live_channel_is_refused(site, platform, full_gateway):
    api = platform.api
    member, helper = api.new_user(), api.new_user()
    mine = question(api, member, f"Virement bloqué {uuid.uuid4().hex[:4]}")
    reply(api, helper, mine)
    wait_for(lambda: ok(api.get("/api/v1/me/notifications/unread-count", user=member))["unread"]
             == 1, timeout=30, message="the member notified")

    full = Site(driver=site.driver, device=site.device, base_url=full_gateway.url)
    full.sign_in(member.email, PASSWORD)
    wait_bell(full, "1")   # read from the API, as the stream was refused
    live = full.driver.execute_script("return document.querySelector('[data-bell]').dataset.live")
    assert live == "retrying", live
    full.check()
    full.screenshot("bell-without-live")

    # the page keeps trying the stream, and each try brings the count up to date
    full.driver.execute_script(NO_RELOAD_MARK)
    reply(api, helper, mine, "Ou appelez votre conseiller.")
    wait_bell(full, "2")
    assert full.driver.execute_script(SAME_PAGE), "the page was reloaded"


# scrolled to, its top is at the window's top, give or take a fraction of a pixel (a page's
# lines are not whole pixels tall; the scroll position is)
REPLY_IN_VIEW = """
const box = arguments[0].getBoundingClientRect();
return box.top > -1 && box.top < window.innerHeight;
"""


def test_a_notification_leads_to_its_reply_past_the_threads_first_page(site, platform):
    """A thread shows its replies 50 a page: the notification of the 53rd opens the page that
    holds it, scrolled to it, with a link back to the first replies."""
    api = platform.api
    member, helper = api.new_user(), api.new_user(display_name="Hugo Cinquante")
    mine = question(api, member, f"Longue discussion {uuid.uuid4().hex[:4]}")
    replies = [reply(api, helper, mine, f"Réponse numéro {n}.") for n in range(1, 54)]
    wait_for(lambda: ok(api.get("/api/v1/me/notifications/unread-count", user=member))["unread"]
             == 53, timeout=60, message="the member notified of every reply")
    last = replies[-1]["id"]

    site.sign_in(member.email, PASSWORD, next_path="/notifications")
    site.wait_for_path("/notifications")
    site.find(f"[data-notification] a[href='/replies/{last}']").click()
    site.wait_for_path(f"#reply-{last}")
    # opened, so read (and only that one)
    wait_for(lambda: ok(api.get("/api/v1/me/notifications/unread-count", user=member))["unread"]
             == 52, timeout=30, message="the opened notification read")
    site.check()
    assert "cursor=" in site.driver.current_url  # the second page of the thread's replies
    target = site.find(f"#reply-{last}")
    assert "Réponse numéro 53." in target.text
    assert site.driver.execute_script(REPLY_IN_VIEW, target), "the reply is not in view"
    site.screenshot("notification-to-reply-53")

    # and back to the thread's first replies from there
    site.click_link(site.t("Show the first replies", "Voir les premières réponses"))
    site.wait_for(lambda: "cursor=" not in site.driver.current_url, "the thread's first page")
    site.check()
    assert "Réponse numéro 1." in site.text() and "Réponse numéro 53." not in site.text()


def test_preferences_are_saved(site, platform):
    member = platform.api.new_user()
    site.sign_in(member.email, PASSWORD, next_path="/notifications/preferences")
    site.wait_for_path("/notifications/preferences")
    site.check()
    reply_label = site.t("Replies to my contributions", "Réponses à mes contributions")
    site.find("#email-reply").send_keys(site.t("Daily digest", "Résumé quotidien"))
    push = site.find("#push-mention")
    assert push.is_selected()
    site.driver.execute_script("arguments[0].click()", push)
    site.no_horizontal_scroll()
    site.screenshot("preferences")
    site.click_button(site.t("Save my preferences", "Enregistrer mes préférences"))
    site.wait_for_path("saved=true")
    site.check()
    assert site.t("Your preferences are saved.", "Vos préférences sont enregistrées.") \
        in site.text()
    assert reply_label in site.text()
    saved = ok(platform.api.get("/api/v1/me/notification-preferences", user=member))["types"]
    assert saved["reply"]["email"] == "daily"
    assert saved["mention"]["push"] is False
    # account security is e-mailed at once, always: stated, not a choice (member review F8)
    assert saved["account_security"]["email"] == "immediate"
    assert site.find("#email-account_security").tag_name == "span"
    assert site.find("#email-account_security").text == site.t(
        "At once, always (security)", "Tout de suite, toujours (sécurité)")
    assert site.find("#email-reply").get_attribute("value") == "daily"


def test_my_advisor_answers_live_in_the_open_conversation(site, platform,
                                                          advisor_and_customer):
    api = platform.api
    advisor, member = advisor_and_customer
    site.sign_in(member.email, PASSWORD, next_path="/advisor")
    site.wait_for_path("/advisor")
    site.check()
    assert site.heading(advisor.display_name, 2)
    assert "Lyon Bellecour" in site.text()
    site.no_horizontal_scroll()
    site.screenshot("advisor")
    site.fill(site.t("Subject", "Sujet"), "Plafond de ma carte")
    site.fill(site.t("Your message", "Votre message"), "Pouvez-vous l'augmenter ?")
    site.click_button(site.t("Send", "Envoyer"))
    site.wait_for_path("/conversations/")
    conversation_id = site.driver.current_url.rsplit("/", 1)[1].split("#")[0]
    site.wait_for(lambda: site.driver.execute_script(LIVE_OPEN), "the live channel connected")
    site.driver.execute_script(NO_RELOAD_MARK)
    site.check()

    answer = "Bonjour, c'est fait : votre plafond est relevé."
    ok(api.post(f"/api/v1/conversations/{conversation_id}/messages", user=advisor,
                json={"body": answer}), 201)
    # as the server renders it: « : » glued to its word (typography.js)
    site.wait_for(lambda: glue_punctuation(answer) in site.text(), "the advisor's answer, live")
    assert site.driver.execute_script(SAME_PAGE), "the page was reloaded"
    last = site.find_all("[data-message]")[-1]
    assert advisor.display_name in last.text

    site.fill(site.t("Your message", "Votre message"), "Merci beaucoup !")
    site.click_button(site.t("Send the message", "Envoyer le message"))
    site.wait_for(lambda: glue_punctuation("Merci beaucoup !")
                  in site.find_all("[data-message]")[-1].text, "my message shown")
    assert site.driver.execute_script(SAME_PAGE)
    site.check()
    site.no_horizontal_scroll()
    site.screenshot("conversation")
    seen = ok(api.get(f"/api/v1/conversations/{conversation_id}", user=advisor))
    assert [m["body"] for m in seen["messages"]][-1] == "Merci beaucoup !"


def long_conversation(api, member, advisor, count: int) -> str:
    """A conversation of `count` messages, "message 000" the oldest, the advisor's the last."""
    cid = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": "Un long échange", "message": "message 000"}), 201)["id"]
    for n in range(1, count):
        ok(api.post(f"/api/v1/conversations/{cid}/messages", user=member if n % 2 else advisor,
                    json={"body": f"message {n:03d}"}), 201)
    return cid


def test_a_long_conversation_shows_its_newest_messages_and_pages_back(site, platform,
                                                                     advisor_and_customer):
    """More messages than a page: the newest show, newest at the bottom; "Earlier messages"
    pages back (a link: no JavaScript needed); a reply stays after a reload, and the advisor's
    next message arrives live (what came after the last one shown, never the oldest page)."""
    api = platform.api
    advisor, member = advisor_and_customer
    cid = long_conversation(api, member, advisor, 102)  # the page shows 100
    site.sign_in(member.email, PASSWORD, next_path=f"/conversations/{cid}")
    site.wait_for_path(f"/conversations/{cid}")
    bodies = lambda: [e.text for e in site.find_all("[data-message] .message-body")]  # noqa: E731
    assert bodies()[-1] == "message 101" and bodies()[0] == "message 002"
    assert len(bodies()) == 100
    site.check()
    site.no_horizontal_scroll()
    site.screenshot("conversation-newest")
    site.click_link(site.t("Earlier messages", "Messages précédents"))
    site.wait_for(lambda: bodies() == ["message 000", "message 001"], "the earlier page")
    site.check()
    site.click_link(site.t("Latest messages", "Derniers messages"))
    site.wait_for(lambda: bodies() and bodies()[-1] == "message 101", "back to the newest")
    site.wait_for(lambda: site.driver.execute_script(LIVE_OPEN), "the live channel connected")

    site.fill(site.t("Your message", "Votre message"), "Ma réponse, tout en bas")
    site.click_button(site.t("Send the message", "Envoyer le message"))
    site.wait_for(lambda: bodies()[-1] == "Ma réponse, tout en bas", "my reply shown")
    live_time = site.find_all("[data-message] time")[-1].text
    site.visit(f"/conversations/{cid}")
    assert bodies()[-1] == "Ma réponse, tout en bas", "the reply is still there after a reload"
    # the live message's date was written as the server writes it
    assert site.find_all("[data-message] time")[-1].text == live_time
    site.wait_for(lambda: site.driver.execute_script(LIVE_OPEN), "the live channel connected")
    ok(api.post(f"/api/v1/conversations/{cid}/messages", user=advisor,
                json={"body": "Réponse du conseiller, en direct"}), 201)
    site.wait_for(lambda: bodies()[-1] == "Réponse du conseiller, en direct",
                  "the advisor's message, live")


def test_a_refused_reply_says_why_on_its_field(site, platform, advisor_and_customer):
    """Empty: required; too long: the limit (the field has maxlength, the browser keeps to it;
    a longer text set by a script is refused with the limit, not "try again")."""
    api = platform.api
    advisor, member = advisor_and_customer
    cid = long_conversation(api, member, advisor, 2)
    site.sign_in(member.email, PASSWORD, next_path=f"/conversations/{cid}")
    site.wait_for_path(f"/conversations/{cid}")
    field = site.find("#field-body")
    assert field.get_attribute("maxlength") == "10000"
    error = site.find("#field-body-error")
    site.click_button(site.t("Send the message", "Envoyer le message"))
    site.wait_for(lambda: error.is_displayed(), "the required error")
    assert error.text == site.t("This field is required.", "Ce champ est obligatoire.")
    assert field.get_attribute("aria-invalid") == "true"
    assert field.get_attribute("aria-describedby") == "field-body-error"
    site.driver.execute_script("arguments[0].value = 'x'.repeat(10001)", field)
    site.click_button(site.t("Send the message", "Envoyer le message"))
    site.wait_for(lambda: "10" in error.text and site.t("longer", "dépasse") in error.text,
                  "the too-long error")
    site.check()
    site.screenshot("conversation-too-long")


def test_the_new_conversation_form_speaks_french(site, platform, advisor_and_customer):
    """The validators' messages in the reader's language (as the API's), never raw English."""
    _, member = advisor_and_customer
    site.sign_in(member.email, PASSWORD, next_path="/conversations")
    site.wait_for_path("/conversations")
    site.fill(site.t("Subject", "Sujet"), "ab")
    site.fill(site.t("Your message", "Votre message"), "Bonjour")
    site.click_button(site.t("Send", "Envoyer"))
    site.wait_for(lambda: site.find_all(".field-error"), "the subject's error")
    shown = site.text()
    assert site.t("Length must be between 3 and 200.",
                  "La longueur doit être comprise entre 3 et 200.") in shown
    if site.t("en", "fr") == "fr":
        assert "Length must be" not in shown
    site.check()


def test_without_an_advisor_the_member_writes_to_the_bank_team(site, platform):
    api = platform.api
    member = api.new_user()
    site.sign_in(member.email, PASSWORD, next_path="/advisor")
    site.wait_for_path("/advisor")
    site.check()
    assert site.heading(site.t("What you can ask", "Ce que vous pouvez demander"), 2)
    assert site.heading(site.t("Write to the bank’s team", "Écrire à l’équipe de la banque"), 2)
    site.fill(site.t("Subject", "Sujet"), "Ouvrir un compte joint")
    site.fill(site.t("Your message", "Votre message"), "Quels documents faut-il ?")
    site.click_button(site.t("Send", "Envoyer"))
    site.wait_for_path("/conversations/")
    site.check()
    # the « ? » kept with its word (typography.py `glue`: a narrow no-break space)
    assert "Quels documents faut-il\N{NARROW NO-BREAK SPACE}?" in site.text()
    site.click_link(site.t("All my messages", "Tous mes messages"))
    site.wait_for_path("/conversations")
    site.check()
    assert site.t("Waiting for the team", "En attente de l’équipe") in site.text()
    site.no_horizontal_scroll()
    site.screenshot("conversations")
    listed = ok(api.get("/api/v1/conversations", user=member))["items"]
    assert listed[0]["subject"] == "Ouvrir un compte joint" and listed[0]["queue"] is True


def test_private_pages_are_not_indexed_nor_stored(site, platform):
    member = platform.api.new_user()
    site.sign_in(member.email, PASSWORD)
    for path in ("/notifications", "/notifications/preferences", "/advisor", "/conversations"):
        site.visit(path)
        assert site.find("meta[name=robots]").get_attribute("content") == "noindex"
        status, cache = site.driver.execute_async_script(
            "const done = arguments[1]; fetch(arguments[0], {credentials: 'same-origin'})"
            ".then(r => done([r.status, r.headers.get('Cache-Control')]))", path)
        assert (status, cache) == (200, "no-store"), path
    site.driver.delete_all_cookies()
    site.visit("/notifications", check=False)
    site.wait_for_path("/login")


# the element's box lies within the window (what a reader sees without scrolling), to the pixel
IN_VIEW = """const box = arguments[0].getBoundingClientRect();
return box.top >= -1 && box.bottom <= window.innerHeight + 1;"""


def unread_of(api, user, conversation_id) -> int:
    items = ok(api.get("/api/v1/me/notifications?unread=true&limit=100", user=user))["items"]
    return sum(item.get("conversation_id") == conversation_id for item in items)


def test_a_conversation_opens_at_its_newest_message_and_sends_with_ctrl_enter(
        site, platform, advisor_and_customer):
    """Opening a conversation brings its newest message and the reply box into view without
    moving the focus (a screen reader starts at the top as on any page, a phone opens no
    keyboard); a link at the top goes to the reply box. Ctrl+Enter sends, once however often it
    is pressed while sending, and a hint under the box says so. Opening it marks that
    conversation's notifications read, not another's."""
    from selenium.webdriver.common.action_chains import ActionChains

    api = platform.api
    advisor, member = advisor_and_customer
    cid = long_conversation(api, member, advisor, 30)
    other = long_conversation(api, member, advisor, 3)
    wait_for(lambda: unread_of(api, member, cid) and unread_of(api, member, other), timeout=30,
             message="the advisor's messages notified")
    site.sign_in(member.email, PASSWORD, next_path=f"/conversations/{cid}")
    site.wait_for_path(f"/conversations/{cid}")
    last = site.find_all("[data-message]")[-1]
    site.wait_for(lambda: site.driver.execute_script(IN_VIEW, last), "the newest message in view")
    assert site.driver.execute_script(IN_VIEW, site.find("#message-form button[type=submit]"))
    assert site.driver.execute_script("return document.activeElement.id") != "field-body"
    # said where a keyboard is likely: not on a phone's touch screen (its keyboard has no Ctrl)
    hint = site.find("#field-body-shortcut")
    assert hint.is_displayed() == (site.device == "desktop"), site.device
    assert site.t("Ctrl+Enter", "Ctrl+Entrée") in hint.get_attribute("textContent")
    site.check()
    site.no_horizontal_scroll()
    site.screenshot("conversation-opened-at-newest")
    wait_for(lambda: unread_of(api, member, cid) == 0, timeout=30,
             message="the conversation's notifications read once opened")
    assert unread_of(api, member, other), "another conversation's notifications stay unread"

    site.click_link(site.t("Go to the reply box", "Aller à la réponse"))
    site.wait_for(lambda: site.driver.execute_script("return document.activeElement.id")
                  == "field-body", "the reply box focused")
    site.wait_for(lambda: site.driver.execute_script(LIVE_OPEN), "the live channel connected")
    site.driver.execute_script(NO_RELOAD_MARK)
    text = f"Envoyé au clavier {uuid.uuid4().hex[:6]}"
    site.find("#field-body").send_keys(text)
    ActionChains(site.driver).key_down(Keys.CONTROL).send_keys(Keys.ENTER).send_keys(Keys.ENTER) \
        .key_up(Keys.CONTROL).perform()
    site.wait_for(lambda: text in site.find_all("[data-message]")[-1].text, "sent by Ctrl+Enter")
    assert site.driver.execute_script(SAME_PAGE), "the page was reloaded"
    site.wait_for(lambda: site.find("#field-body").get_attribute("value") == "", "box emptied")
    bodies = [m["body"] for m in ok(api.get(f"/api/v1/conversations/{cid}",
                                            user=advisor))["messages"]]
    assert bodies.count(text) == 1
    site.screenshot("conversation-sent-by-keyboard")


# the page's tab hidden, then shown again, as a phone's browser does when its reader switches
# apps (headless Chromium's own tab never hides)
TAB_SHOWN = """Object.defineProperty(document, "visibilityState",
  {value: arguments[0] ? "visible" : "hidden", configurable: true});
document.dispatchEvent(new Event("visibilitychange"));"""
NOTICED = """window.__agoraNoticed = false;
document.addEventListener("agora:notification", (event) => {
  if ((event.detail?.new || []).some((n) => n.type === "private_message"))
    window.__agoraNoticed = true;
});"""


def test_a_message_that_came_while_the_tab_was_hidden_is_read_once_the_reader_is_back(
        site, platform, advisor_and_customer):
    """An open conversation marks its new notifications read as they come, but not while its
    tab is hidden (the reader is elsewhere); the one that came then stayed unread after they
    came back and read it, and the bell kept counting it."""
    api = platform.api
    advisor, member = advisor_and_customer
    cid = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": "Onglet caché", "message": "Bonjour, une question sur mon prêt."}), 201)["id"]
    site.sign_in(member.email, PASSWORD, next_path=f"/conversations/{cid}")
    site.wait_for_path(f"/conversations/{cid}")
    site.wait_for(lambda: site.driver.execute_script(LIVE_OPEN), "the live channel connected")
    site.driver.execute_script(NOTICED)
    site.driver.execute_script(TAB_SHOWN, False)

    answer = f"Réponse pendant votre absence {uuid.uuid4().hex[:6]}"
    ok(api.post(f"/api/v1/conversations/{cid}/messages", user=advisor, json={"body": answer}),
       201)
    site.wait_for(lambda: site.driver.execute_script("return window.__agoraNoticed"),
                  "the notice announced to the hidden page")
    site.wait_for(lambda: answer in site.text(), "the answer shown")
    assert unread_of(api, member, cid) == 1, "read while the reader was elsewhere"

    site.driver.execute_script(TAB_SHOWN, True)
    wait_for(lambda: unread_of(api, member, cid) == 0, timeout=20,
             message="the notice read once the reader came back")
