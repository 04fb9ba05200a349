"""The community managers' moderation queue in the browser, at desktop and tablet sizes: a held
IBAN question cleared from the keyboard (open -> adjust the mask -> redact and publish), what
members then see, two CMs on the queue at once, and the console's 404 for everyone else."""
from __future__ import annotations

import re
import time
import uuid

import pyotp
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from gateway.web.pages.console import QUEUE_PAGE, queue_href
from services.devtools.gateway_client import TotpDevice

from ..conftest import wait_for
from ..e2e.steps import (
    IBAN,
    IBAN_DIGITS,
    IBAN_TAGS,
    ok,
    queue_pages,
    queued,
    reply_visible,
    staff,
    submit,
    visible,
)
from .accounts import CM1, MEMBER1, MEMBER2
from .conftest import SCREENSHOTS, SIZES, Site, window
from .console_steps import (
    assert_options_read_whole,
    held_iban_question,
    on_some_page,
    opened,
    reloaded,
    sign_in_staff,
)

CARD = "4970 1012 3456 7893"
PHONE = "06 12 34 56 78"


def item_link(site: Site, item_id: str):
    """The item's entry in the queue on screen."""
    return on_some_page(site, f'.queue-item[data-item="{item_id}"] a', ".queue .more")


def open_as_new_cm(console: Site, platform, item_id: str):
    """A new CM, signed in on the console with `item_id` open; returns them."""
    manager = staff(platform)
    console.sign_in(manager.email, manager.password, device=manager.device,
                    next_path=f"/console/moderation?item={item_id}")
    console.wait_for(lambda: opened(console, item_id), "the item open")
    return manager


def press(site: Site, *keys: str) -> None:
    site.driver.switch_to.active_element.send_keys(*keys)


def test_a_cm_clears_a_held_iban_question_from_the_keyboard_and_members_see_only_the_mask(
        console, platform, api):
    question, item_id = held_iban_question(platform, api)
    manager = staff(platform)
    console.sign_in(manager.email, manager.password, device=manager.device)
    console.click_link("Console")
    console.wait_for_path("/console/moderation")
    console.check()
    console.driver.execute_script("window.__sameDocument = true")

    started = time.monotonic()  # the CM's path starts on the queue
    console.click_link("Détecteur")
    console.wait_for(lambda: console.find(".console-filters a[aria-current=page]").text
                     == "Détecteur", "the detector filter")
    item_link(console, item_id).click()
    console.wait_for(lambda: opened(console, item_id), "the item open")
    marks = console.find_all("#review-text mark.finding")
    assert len(marks) == 1 and IBAN_DIGITS in marks[0].text
    console.screenshot("console-iban-1-open")

    press(console, "e")
    editor = console.wait_for(lambda: (active := console.driver.switch_to.active_element)
                              .get_attribute("id") == "redact-body" and active, "the editor")
    assert IBAN_DIGITS not in editor.get_attribute("value") and "•" in editor.get_attribute(
        "value")
    editor.send_keys(Keys.CONTROL, Keys.END, Keys.NULL, " (coordonnées bancaires retirées)")
    console.screenshot("console-iban-2-adjusted")
    editor.send_keys(Keys.CONTROL, Keys.ENTER)
    console.wait_for(lambda: "Version masquée publiée" in console.find("#console").text,
                     "the redaction confirmed")
    # the path's duration is reported, not asserted: a timed assertion flakes on a loaded machine
    # (performance claims come from bench/); the screenshot sequence shows the steps
    print(f"the IBAN path took {time.monotonic() - started:.1f} s")
    assert console.driver.execute_script("return window.__sameDocument === true"), "reloaded"
    assert not console.find_all(f'.queue-item[data-item="{item_id}"]')
    console.check()
    console.screenshot("console-iban-3-published")

    visible(api, question["id"])  # the published event reached the posts' read model
    console.driver.delete_all_cookies()  # a visitor, then a member, read the thread
    for reader in (None, MEMBER2):
        if reader:
            console.sign_in(reader, next_path=f"/posts/{question['id']}")
        else:
            console.visit(f"/posts/{question['id']}")
        console.wait_for(lambda: "coordonnées bancaires retirées" in console.text(),
                         "the redacted text")
        assert "Modifié par l’équipe de la communauté" in console.text()
        assert IBAN_DIGITS not in console.driver.page_source
        console.check()
    console.screenshot("console-iban-4-member-view")


def test_two_cms_on_the_queue_see_each_others_decisions_and_arrivals_without_reloading(
        browsers, demo, platform, api):
    first, second = (Site(driver=browsers(device), device=device, base_url=demo.base_url)
                     for device in ("desktop", "tablet"))
    for site in (first, second):
        site.driver.get(demo.base_url + "/robots.txt")
        site.driver.delete_all_cookies()
    _, item_id = held_iban_question(platform, api)
    managers = []
    for site in (first, second):
        manager = staff(platform)
        managers.append(manager)
        site.sign_in(manager.email, manager.password, device=manager.device,
                     next_path=f"/console/moderation?item={item_id}")
    for site in (first, second):
        site.wait_for(lambda site=site: opened(site, item_id), "the same item open")
        site.check()
    second.driver.execute_script("window.__sameDocument = true")

    first.find("#item-heading")  # an IBAN is never approved as written: the CM redacts
    press(first, "e")
    editor = first.wait_for(lambda: (active := first.driver.switch_to.active_element)
                            .get_attribute("id") == "redact-body" and active, "the editor")
    editor.send_keys(Keys.CONTROL, Keys.ENTER)
    first.wait_for(lambda: "Version masquée publiée" in first.find("#console").text,
                   "redacted")

    gone = second.find("#item-gone")
    second.wait_for(lambda: gone.is_displayed(), "the other CM's decision shown")
    # who decided what, and when (the page's own sentence for a decided item)
    second.wait_for(lambda: f"{managers[0].display_name} a publié une version masquée de cet "
                    "élément à " in gone.text, "the decision named")
    second.wait_for(lambda: not second.find_all(f'.queue-item[data-item="{item_id}"]'),
                    "the item gone from the list")
    assert all(not button.is_enabled() for button in second.find_all(
        "#queue-detail form.decision button"))
    second.check()
    second.screenshot("console-two-cms")

    waiting = second.find("#queue-count").text
    held_iban_question(platform, api)  # a new item arrives
    second.wait_for(lambda: second.find("#queue-count").text not in ("", waiting),
                    "the count follows arrivals")
    assert second.driver.execute_script("return window.__sameDocument === true"), "reloaded"


def test_approving_a_text_that_holds_an_iban_and_a_card_is_unavailable_on_the_page(
        console, platform, api):
    """An approval publishes the text as written: with an IBAN or a card number in it the
    page says why it cannot be approved, the button shows as unavailable, and pressing "a"
    anyway says why again instead of a round trip that ends in an error (the API refuses it
    too: tests/e2e)."""
    question = submit(api, api.new_user(), title=f"Carte et IBAN {uuid.uuid4().hex[:6]}",
                      body=f"Mon IBAN est {IBAN} et ma carte {CARD}, que faire ?")
    item_id = queued(api, staff(platform), question["id"])["id"]
    open_as_new_cm(console, platform, item_id)
    blocked = console.find("#approve-blocked").text
    assert "Approbation impossible" in blocked and "IBAN" in blocked \
        and "numéro de carte" in blocked
    approve = console.find("#approve-form button")
    assert not approve.is_enabled() and approve.get_attribute("aria-describedby") == \
        "approve-blocked"
    console.driver.execute_script("window.__sameDocument = true")

    console.find("#item-heading")
    press(console, "a")
    console.wait_for(lambda: "Approbation impossible" in console.find("#live-status").get_attribute(
        "textContent"), "the reason announced")
    assert not console.find_all("#form-alert")  # no round trip
    assert console.driver.execute_script("return window.__sameDocument === true")
    assert opened(console, item_id) and console.find_all(
        f'.queue-item[data-item="{item_id}"]')  # still waiting
    console.check()
    console.screenshot("console-approve-unavailable")
    assert api.get(f"/api/v1/posts/{question['id']}").status_code == 404  # nothing published


def test_tags_that_make_up_an_iban_are_marked_and_a_redaction_publishes_the_others(
        console, platform, api):
    """A number typed over several tags holds the post like one in its text: the CM sees the
    tags with the finding marked, cannot approve, and the redaction removes those tags."""
    marker = "plafond" + uuid.uuid4().hex[:12].translate(str.maketrans("0123456789", "ghijklmnop"))
    question = submit(api, api.new_user(), title=f"Plafond de retrait {uuid.uuid4().hex[:6]}",
                      body="Quel est le plafond hebdomadaire d'une carte classique ?",
                      tags=[marker, *IBAN_TAGS])
    item_id = queued(api, staff(platform), question["id"])["id"]
    open_as_new_cm(console, platform, item_id)
    [mark] = console.find_all("#review-text mark.finding")
    assert mark.find_element("xpath", "..").get_attribute("class") == "review-tags"
    assert " ".join(IBAN_TAGS) in mark.text and marker not in mark.text
    assert "Approbation impossible" in console.find("#approve-blocked").text
    assert console.find("#redact-tags").text == (
        f"Mots-clés publiés : {marker}. Ceux qui forment une donnée confidentielle sont retirés.")
    console.check()
    console.screenshot("console-tags-open")
    console.click_button("Masquer et publier")
    console.wait_for(lambda: "Version masquée publiée" in console.find("#console").text,
                     "the redaction confirmed")
    assert visible(api, question["id"])["tags"] == [marker]


def test_j_and_k_move_through_the_queue_and_the_shortcuts_are_on_screen(console, platform, api):
    ids = [held_iban_question(platform, api)[1] for _ in range(2)]
    manager = staff(platform)
    console.sign_in(manager.email, manager.password, device=manager.device,
                    next_path=f"/console/moderation?item={ids[0]}")
    console.wait_for(lambda: opened(console, ids[0]), "the first item")
    console.find(".shortcuts summary").click()
    assert "élément suivant / précédent" in console.find(".shortcuts").text
    console.check()
    console.find("#item-heading")
    press(console, "j")
    console.wait_for(lambda: not opened(console, ids[0]), "the next item")
    press(console, "k")
    console.wait_for(lambda: opened(console, ids[0]), "back to the first item")
    press(console, "r")
    assert console.driver.switch_to.active_element.get_attribute("id") == "reject-reason"
    console.screenshot("console-queue-shortcuts")


def outline(site: Site, element) -> str:
    return site.driver.execute_script("return getComputedStyle(arguments[0]).outlineStyle",
                                      element)


def test_the_open_item_and_the_focused_one_look_different(console, platform, api):
    """WCAG 2.4.7: the open item is told by its frame and tint, focus by the outline — the
    open item's own outline hid the focus ring on it."""
    ids = [held_iban_question(platform, api)[1] for _ in range(2)]
    manager = staff(platform)
    console.sign_in(manager.email, manager.password, device=manager.device,
                    next_path=f"/console/moderation?item={ids[0]}")
    console.wait_for(lambda: opened(console, ids[0]), "the first item")
    current = console.find(f'.queue-item.is-current[data-item="{ids[0]}"] a')
    other = console.find(f'.queue-item[data-item="{ids[1]}"] a')
    background = "return getComputedStyle(arguments[0]).backgroundColor"
    assert outline(console, current) == "none"  # open, not focused: no ring
    assert console.driver.execute_script(background, current) != \
        console.driver.execute_script(background, other)
    console.find("#item-heading")
    press(console, Keys.TAB)  # keyboard focus reaches the open item's link
    console.driver.execute_script("arguments[0].focus()", current)
    assert console.driver.execute_script("return arguments[0].matches(':focus-visible')",
                                         current)
    assert outline(console, current) == "solid"
    console.screenshot("console-queue-current-focused")


def test_the_single_key_shortcuts_can_be_turned_off_and_stay_off(console, platform, api):
    """WCAG 2.1.4: j, k, a, r and e can be turned off (a stray "a" from speech input approved
    the item); the choice is kept for this staff member after a reload, and the help says so.
    (A phone number: an approval is available, so "a" would act.)"""
    question = submit(api, api.new_user(), title=f"Rappel {uuid.uuid4().hex[:6]}",
                      body=f"Rappelez-moi au {PHONE} s'il vous plaît.")
    item_id = queued(api, staff(platform), question["id"])["id"]
    open_as_new_cm(console, platform, item_id)
    switch = console.find("#shortcuts-on")
    assert switch.is_displayed() and switch.is_selected()  # on by default
    console.find(".shortcuts summary").click()
    assert "peuvent être désactivés" in console.find(".shortcuts").text
    switch.click()
    approve = console.find("#approve-form button")
    assert approve.get_attribute("aria-keyshortcuts") is None  # not told while off

    def keys_do_nothing():
        console.driver.execute_script("document.getElementById('item-heading').focus()")
        press(console, "a", "r", "e")  # each acts at once when on: a disables the button
        assert not console.find("#approve-form button").get_property("disabled")
        assert console.driver.switch_to.active_element.get_attribute("id") == "item-heading"

    keys_do_nothing()
    console.check()
    console.screenshot("console-shortcuts-off")
    console.driver.refresh()  # remembered for this staff member, in this browser
    console.wait_for(lambda: opened(console, item_id), "the item again")
    assert not console.find("#shortcuts-on").is_selected()
    keys_do_nothing()
    console.find("#shortcuts-on").click()  # on again
    console.driver.execute_script("document.getElementById('item-heading').focus()")
    press(console, "r")
    assert console.driver.switch_to.active_element.get_attribute("id") == "reject-reason"


def test_a_new_community_manager_enrols_a_second_factor_at_first_sign_in(console, platform,
                                                                         api):
    manager = api.register()
    api.grant(platform.admin, manager, "community_manager")  # never signed in yet
    console.visit("/login?next=/console")
    console.fill("Adresse e-mail", manager.email)
    console.fill("Mot de passe", manager.password)
    console.find("form[action='/login'] button[type=submit]").click()
    secret = console.find("#mfa-secret").text
    assert len(console.find_all(".mfa-recovery li")) == 10
    assert "otpauth://" in console.find(".mfa-uri").text
    console.check()
    console.screenshot("login-second-factor-enrolment")
    console.fill("Code", "000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    console.find("form[action^='/login/code'] button[type=submit]").click()
    console.wait_for(lambda: "incorrect" in console.find("[role=alert]").text, "wrong code")
    console.check()
    console.fill("Code", TotpDevice(secret).next_code())
    console.find("form[action^='/login/code'] button[type=submit]").click()
    console.wait_for_path("/console/moderation")
    console.check()


def test_members_and_visitors_get_404_on_every_console_url_and_no_link(site, demo, platform):
    site.visit("/console/moderation")
    assert site.heading("Page introuvable", 1)
    site.sign_in(MEMBER1)
    assert not [a for a in site.find_all(".main-nav a") if a.text.strip() == "Console"]
    for path in ("/console", "/console/moderation", "/console/moderation?reason=flags",
                 "/console/flags", "/console/response-times", "/console/publishing",
                 "/console/policy", "/console/audit", "/console/health"):
        site.visit(path)
        assert site.heading("Page introuvable", 1), path
    status = site.driver.execute_async_script("""
        const done = arguments[0];
        const token = document.querySelector('meta[name="csrf-token"]').content;
        Promise.all(["/console/moderation/items/p0123456789abcdef0123.r1/decision",
                     "/console/flags/p0123456789abcdef0123.flags/decision",
                     "/console/posts/p0123456789abcdef0123/featured",
                     "/console/posts/p0123456789abcdef0123/locked",
                     "/console/policy"].map(url => fetch(url, {
          method: "POST", credentials: "same-origin",
          headers: {"Content-Type": "application/x-www-form-urlencoded"},
          body: new URLSearchParams({csrf_token: token, decision: "approve"}),
        }).then(r => r.status))).then(done);
    """)
    assert status == [404, 404, 404, 404, 404]
    site.screenshot("console-404-member")

    # the same answers by status, for a member's and a CM's sessions
    member, manager = platform.api.new_user(), staff(platform)
    for user, expected in ((member, 404), (None, 404), (manager, 200)):
        cookies = {"agora_at": user.access_token} if user else {}
        for path in ("/console/moderation", "/console/flags", "/console/response-times",
                     "/console/members", f"/console/members/{member.id}",
                     "/console/members?q=User", "/console/publishing", "/console/policy",
                     "/console/audit", "/console/health", "/console/health?days=7"):
            answer = requests.get(demo.base_url + path, cookies=cookies,
                                  headers={"Accept": "text/html"}, timeout=10,
                                  allow_redirects=False)
            assert answer.status_code == expected, (user, path, answer.status_code)


def test_a_rejection_reason_reads_whole_and_its_author_reads_it_in_their_language(
        console, platform, api):
    """The reason chosen in the queue shows whole in its list; the author's thread and the
    audit log then give it from its code in the reader's language (the catalogue of the
    author's notification), never the service's English label; an English console says its
    durations in English."""
    author = api.new_user()
    question = submit(api, author, title=f"Virement refusé {uuid.uuid4().hex[:6]}",
                      body=f"Bonjour, mon IBAN est {IBAN}, pourquoi mon virement est bloqué ?")
    manager = staff(platform)
    item_id = queued(api, manager, question["id"])["id"]
    console.sign_in(manager.email, manager.password, device=manager.device,
                    next_path=f"/console/moderation?item={item_id}")
    console.wait_for(lambda: opened(console, item_id), "the item open")
    reasons = console.find("#reject-reason")
    assert_options_read_whole(console, reasons)
    assert reasons.get_attribute("value") == "confidential_data"
    console.screenshot("console-reject-reason")
    console.click_button("Refuser")
    console.wait_for(lambda: not console.find_all(f'.queue-item[data-item="{item_id}"]'),
                     "the item decided")

    console.visit("/lang/en?next=/console/moderation")  # an English console
    console.wait_for(lambda: console.heading("Moderation queue", 1), "the English queue")
    ages = [element.text for element in console.find_all(".queue-age, .review-head")]
    assert not any(" sur " in age for age in ages), ages
    # each clock on its own ("… of 12 h" beside "56 s of …" is no duration): hours and minutes
    # read "1 h 05 min" in English, never the French "1 h 05"
    assert all(duration.endswith("min") for age in ages
               for duration in re.findall(r"\b\d+ h \d\d\b(?: min)?", age)), ages
    console.visit("/lang/fr?next=/")
    row = console.wait_for(lambda: reloaded(
        console, f"/console/audit?target={question['id']}",
        f'#audit-entries tr[data-action="reject"][data-target="{question["id"]}"]'),
        "the rejection in the audit log")
    assert "Refus\nContient des données personnelles ou bancaires" in row.text, row.text
    assert "Contains" not in row.text
    console.check()

    console.driver.delete_all_cookies()
    console.sign_in(author.email, author.password)
    state = console.wait_for(lambda: reloaded(
        console, f"/posts/{question['id']}", f"#review-state-{question['id']} .review-rejected"),
        "the author's question rejected")
    assert ("Refusée par l’équipe de la communauté : contient des données personnelles "
            "ou bancaires qui ne peuvent pas être publiées") in state.text, state.text
    console.check()


# -- the decision in view, with the item's context (CM review s25) ------------------------------

SMALL_LAPTOP = {"width": 1024, "height": 768, "deviceScaleFactor": 1, "mobile": False}


def in_view(site: Site, css: str) -> bool:
    """The element is wholly on screen where the page is scrolled now."""
    return site.driver.execute_script("""
        const box = document.querySelector(arguments[0]).getBoundingClientRect();
        return box.height > 0 && box.top >= 0 && box.bottom <= window.innerHeight;""", css)


DECISIONS = ("#decision-bar button[form=redact-form]", "#approve-form button", "#reject-reason",
             "#reject-form button")
# Where the submitted text's first line is and where the bar begins, on screen (px): the bar
# covered that line at scroll 0 on a 1366x768 and a 1024x768 screen (s25 review)
TEXT_START_AND_BAR = """
    const body = document.querySelector("#review-text .review-body");
    const line = parseFloat(getComputedStyle(body).lineHeight);
    const top = body.getBoundingClientRect().top;
    return [top, top + line, document.getElementById("decision-bar").getBoundingClientRect().top];
"""


def test_every_decision_is_in_view_without_scrolling_and_the_text_never_under_it(
        console, platform, api):
    """At 1366x768 (and 1024x768) the decisions were below the fold (Masquer et publier at
    y=1096, Refuser at 1360): they now stay in a bar at the bottom of the screen, the item's
    text scrolling above it, and at the item's end the bar comes after the editor."""
    _, item_id = held_iban_question(platform, api)
    open_as_new_cm(console, platform, item_id)
    sizes = [SIZES[console.device]] + ([SMALL_LAPTOP] if console.device == "desktop" else [])
    for size in sizes:
        with window(console, size):
            console.driver.execute_script("window.scrollTo(0, 0)")
            assert in_view(console, "#item-heading")
            for css in DECISIONS:
                assert in_view(console, css), (css, size)
            top, first_line_end, bar = console.driver.execute_script(TEXT_START_AND_BAR)
            assert top >= 0 and first_line_end <= bar, ("the text's start under the bar",
                                                       top, first_line_end, bar, size)
            console.no_horizontal_scroll()
            # what the CM sees before any scroll (Site.screenshot takes the whole page)
            console.driver.save_screenshot(str(
                SCREENSHOTS / f"console-decision-bar-fold-{size['width']}-{console.device}.png"))
            console.driver.execute_script("window.scrollTo(0, document.body.scrollHeight)")
            assert console.driver.execute_script("""
                return document.getElementById("redact-body").getBoundingClientRect().bottom
                    <= document.getElementById("decision-bar").getBoundingClientRect().top""")
    console.check()


def test_a_flagged_reply_opens_with_its_thread_and_the_refusal_its_flaggers_gave(
        console, platform, api):
    """A rude reply flagged "Abusif" offered "Données personnelles ou bancaires" as the
    refusal, and was judged without its thread nor knowing it was live."""
    author, replier = api.new_user(), api.new_user()
    title = f"Virement instantané {uuid.uuid4().hex[:6]}"
    question = submit(api, author, title=title)
    visible(api, question["id"])
    reply = ok(api.post(f"/api/v1/posts/{question['id']}/replies", user=replier,
                        json={"body": "Franchement t'es vraiment une idiote, tout le monde "
                                      "sait ça."}), 201)
    reply_visible(api, reply["id"])
    for reason in ("abusive", "abusive", "spam"):
        ok(api.post(f"/api/v1/replies/{reply['id']}/flags", user=api.new_user(),
                    json={"reason": reason}), 201)
    manager = staff(platform)
    item_id = wait_for(lambda: (item := queued(api, manager, reply["id"]))["flag_count"] == 3
                       and item["id"], timeout=20, message="the three flags counted")
    console.sign_in(manager.email, manager.password, device=manager.device,
                    next_path=f"/console/moderation?item={item_id}")
    console.wait_for(lambda: opened(console, item_id), "the item open")
    assert console.find("#item-heading").text == "Réponse signalée"
    context = console.find("#review-context")
    link = context.find_element(By.TAG_NAME, "a")
    assert title in link.text and link.get_attribute("target") == "_blank"
    assert link.get_attribute("href").endswith(f"/posts/{question['id']}#reply-{reply['id']}")
    assert "Visible publiquement en ce moment" in context.text
    assert console.find("#reject-reason").get_attribute("value") == "abusive"
    console.check()
    console.screenshot("console-flagged-reply")


def test_a_text_held_by_pre_moderation_is_refused_only_with_a_reason_the_cm_picked(
        console, platform, api):
    """Nothing says why such a text would be refused: no reason is preselected, and refusing
    without one is stopped with a clear message (by the browser, else by the server)."""
    manager = staff(platform)
    ok(api.put("/api/v1/moderation/policy", user=manager,
               json={"premoderated_categories": ["insurance"]}))
    try:
        question = submit(api, api.new_user(), category="insurance",
                          title=f"Assurance emprunteur {uuid.uuid4().hex[:6]}")
        item_id = queued(api, manager, question["id"])["id"]
    finally:
        ok(api.put("/api/v1/moderation/policy", user=manager,
                   json={"premoderated_categories": []}))
    console.sign_in(manager.email, manager.password, device=manager.device,
                    next_path=f"/console/moderation?item={item_id}")
    console.wait_for(lambda: opened(console, item_id), "the item open")
    reasons = console.find("#reject-reason")
    assert reasons.get_attribute("value") == "" and reasons.get_property("required")
    assert "Pas encore publiée" in console.find("#review-context").text
    console.click_button("Refuser")
    assert console.driver.execute_script("return arguments[0].validity.valueMissing", reasons)
    assert not console.find_all("#form-alert") and opened(console, item_id)

    console.driver.execute_script("arguments[0].removeAttribute('required')", reasons)
    console.click_button("Refuser")
    alert = console.wait_for(lambda: (found := console.find_all("#form-alert")) and found[0],
                             "the refusal's problem shown")
    assert "Choisissez un motif de refus dans la liste." in alert.text
    assert opened(console, item_id) and console.find_all(f'.queue-item[data-item="{item_id}"]')
    console.check()
    console.screenshot("console-reason-required")


def test_a_flag_on_a_post_deleted_meanwhile_leaves_the_queue_and_never_shows_an_id(
        console, platform, api):
    """A flag item whose post its author deleted stayed open, titled with the post's id, with
    an empty text and every decision offered."""
    author = api.new_user()
    post = submit(api, author, kind="discussion",
                  title=f"Placement miracle {uuid.uuid4().hex[:6]}")
    visible(api, post["id"])
    ok(api.post(f"/api/v1/posts/{post['id']}/flags", user=api.new_user(),
                json={"reason": "spam"}), 201)
    manager = staff(platform)
    item_id = queued(api, manager, post["id"])["id"]
    ok(api.delete(f"/api/v1/posts/{post['id']}", user=author), 204)
    wait_for(lambda: ok(api.get(f"/api/v1/moderation/items/{item_id}", user=manager))[
        "state"] == "withdrawn", timeout=20, message="the flag item withdrawn")
    console.sign_in(manager.email, manager.password, device=manager.device,
                    next_path=f"/console/moderation?item={item_id}")
    console.wait_for(lambda: opened(console, item_id), "the item open")
    assert console.find("#item-heading").text == "Contribution supprimée"
    assert "Cette contribution a été supprimée" in console.find("#item-gone").text
    assert post["id"] not in console.find("#queue-detail").text
    assert not console.find_all("#decision-bar")
    assert not console.find_all(f'.queue-item[data-item="{item_id}"]')
    console.check()
    console.screenshot("console-flag-withdrawn")


BROKEN_WORDS = """
const words = [], range = document.createRange();
const walker = document.createTreeWalker(arguments[0], NodeFilter.SHOW_TEXT);
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  for (const match of node.data.matchAll(/\\S+/g)) {
    range.setStart(node, match.index);
    range.setEnd(node, match.index + match[0].length);
    const lines = new Set([...range.getClientRects()].map((box) => Math.round(box.top)));
    if (lines.size > 1) words.push(match[0]);
  }
}
return words;
"""


def test_the_audit_log_keeps_a_staff_members_name_whole_at_1024(browsers, demo, platform, api):
    """At 1024 px the "Qui" column was narrowed by cutting "Camille (communau/té)"."""
    console = Site(driver=browsers("desktop"), device="desktop", base_url=demo.base_url)
    console.driver.get(demo.base_url + "/robots.txt")
    console.driver.delete_all_cookies()
    _, item_id = held_iban_question(platform, api)
    sign_in_staff(console, CM1, f"/console/moderation?item={item_id}")
    console.wait_for(lambda: opened(console, item_id), "the item open")
    console.click_button("Refuser")  # an entry of Camille's, newest in the log
    console.wait_for(lambda: not console.find_all(f'.queue-item[data-item="{item_id}"]'),
                     "the item decided")
    with window(console, SMALL_LAPTOP):
        row = console.wait_for(lambda: reloaded(
            console, "/console/audit", '#audit-entries tr[data-action="reject"]'), "the entry")
        who = row.find_elements(By.TAG_NAME, "td")[1]
        assert "Camille (communauté)" in who.text
        assert console.driver.execute_script(BROKEN_WORDS, who) == []
        console.screenshot("console-audit-names-1024")


def test_the_author_panel_leads_to_the_console_member_page_with_refusals_and_flags(
        console, platform, api):
    """The panel linked to the public profile and listed published posts only: the reply just
    refused and the flags on the author's contributions were missing."""
    author, manager = api.new_user(), staff(platform)
    published = submit(api, author, kind="discussion",
                       title=f"Taux du livret {uuid.uuid4().hex[:6]}")
    visible(api, published["id"])
    ok(api.post(f"/api/v1/posts/{published['id']}/flags", user=api.new_user(),
                json={"reason": "spam"}), 201)
    refused, current = (held_iban_question(platform, api, author) for _ in range(2))
    ok(api.post(f"/api/v1/moderation/items/{refused[1]}/decision", user=manager,
                json={"decision": "reject", "reason_code": "confidential_data"}))
    known = wait_for(lambda: next((c for c in ok(api.get(
        f"/api/v1/moderation/members/{author.id}/contributions", user=manager))["items"]
        if c["id"] == refused[0]["id"] and c["state"] == "rejected"), None),
        timeout=20, message="the refusal known to moderation")
    assert known["title"].startswith("Virement bloqué "), known  # held_iban_question's
    console.sign_in(manager.email, manager.password, device=manager.device,
                    next_path=f"/console/moderation?item={current[1]}")
    console.wait_for(lambda: opened(console, current[1]), "the item open")
    name = console.find(".author-name a")
    assert name.get_attribute("href").endswith(f"/console/members/{author.id}")
    # named by its title, though never published (moderation learnt titles at publication)
    entries = [" ".join(li.text.split()) for li in console.find_all("#author-history li")]
    assert f"{known['title']} Refusée" in entries, entries
    assert console.find("#author-flags").text == "1 signalement sur ses contributions"
    console.check()
    console.screenshot("console-author-panel")



# -- a CM under time pressure (staff exploration, 6 Dec 2026) -----------------------------------

def test_a_decision_made_too_late_says_once_who_made_it_and_leads_on_to_the_next_item(
        console, platform, api):
    """Two CMs on one item: the second one's "Refuser" got a panel titled twice, a clock "20 s
    sur 0 s" and two alerts, one of them the service's raw lowercase refusal, with no name and
    no way on. Now: one message (how, by whom, when), no clock, and the next item one key away."""
    _, item_id = held_iban_question(platform, api)
    held_iban_question(platform, api)  # something still waits after it
    manager, other = staff(platform), staff(platform)
    console.sign_in(manager.email, manager.password, device=manager.device,
                    next_path=f"/console/moderation?item={item_id}")
    console.wait_for(lambda: opened(console, item_id), "the item open")
    ok(api.post(f"/api/v1/moderation/items/{item_id}/decision", user=other,
                json={"decision": "reject", "reason_code": "confidential_data"}))
    # the click came before the page's polling noticed (the tester's case): buttons still on
    console.driver.execute_script(
        "for (const b of document.querySelectorAll('#queue-detail button')) b.disabled = false")
    console.click_button("Refuser")
    gone = console.wait_for(lambda: (found := console.find_all("#item-gone")) and
                            found[0].is_displayed() and found[0], "the decision told")
    assert f"{other.display_name} a refusé cet élément à " in gone.text, gone.text
    detail = console.find("#queue-detail")
    assert not console.find_all("#form-alert")
    assert "n’attend plus" not in detail.text and "Un autre community manager" not in detail.text
    assert " sur " not in console.find(".review-head").text  # no clock of nothing
    assert len(detail.find_elements(By.CSS_SELECTOR, ".callout, .form-alert")) == 1
    onward = console.find("#gone-next")
    assert onward.text == "Élément suivant"
    assert console.driver.switch_to.active_element == onward  # Enter goes on
    console.check()
    console.screenshot("console-decided-too-late")
    press(console, Keys.ENTER)
    console.wait_for(lambda: not opened(console, item_id) and console.find_all("#decision-bar"),
                     "the next waiting item open")


PHONE_ITEM_SIZES = ({"width": 1366, "height": 900, "deviceScaleFactor": 1, "mobile": False},
                    {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True})
BAR_AND_TEXT = """
    const bar = document.getElementById("decision-bar").getBoundingClientRect();
    const text = document.querySelector("#review-text .review-body").getBoundingClientRect();
    return [bar.height, bar.top, text.bottom,
            getComputedStyle(document.getElementById("decision-bar")).position];
"""


def test_the_statement_a_phone_number_is_public_keeps_the_decision_bar_compact(
        console, platform, api):
    """At 1366x900 the "J'ai vérifié : le numéro de téléphone peut être public…" checkbox,
    inside the sticky bar, wrapped to 5 lines: the bar grew to ~220 px over the text under
    review. The statement now sits by the findings; the bar keeps to its buttons, the text reads
    whole above it, and ticking the statement still approves."""
    question = submit(api, api.new_user(), title=f"Rappel {uuid.uuid4().hex[:6]}",
                      body=f"Rappelez-moi au {PHONE} s'il vous plaît.")
    item_id = queued(api, staff(platform), question["id"])["id"]
    open_as_new_cm(console, platform, item_id)
    assert not console.find_all("#decision-bar input[type=checkbox]")
    for size in PHONE_ITEM_SIZES:
        with window(console, size):
            # where an item's page lands (#queue-detail, its scroll margin: on a phone under the
            # queue's list, on a wide screen the page's top)
            console.driver.execute_script(
                "document.getElementById('queue-detail').scrollIntoView({block: 'start'})")
            height, bar_top, text_bottom, position = console.driver.execute_script(
                BAR_AND_TEXT)
            # kept in view (sticky): compact, on a phone within a quarter of the screen
            limit = 130 if size["width"] >= 760 else 0.25 * size["height"]
            assert height <= limit or position != "sticky", (height, size)
            assert text_bottom <= bar_top, ("the text under the bar", text_bottom, bar_top, size)
            console.no_horizontal_scroll()
            assert console.find("#not-confidential-phone").is_displayed()
            console.driver.save_screenshot(str(
                SCREENSHOTS / f"console-phone-statement-{size['width']}x{size['height']}.png"))
            console.driver.execute_script(
                "document.getElementById('item-heading').scrollIntoView({block: 'start'})")
            console.driver.save_screenshot(str(
                SCREENSHOTS / f"console-phone-statement-{size['width']}-item.png"))
    console.check()
    statement = console.find("label[for=not-confidential-phone]")
    console.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", statement)
    statement.click()
    console.find("#approve-form button").click()
    console.wait_for(lambda: "Élément approuvé" in console.find("#console").text, "approved")
    assert visible(api, question["id"])["body"].endswith(f"{PHONE} s'il vous plaît.")


def test_the_queue_list_masks_a_held_replys_iban_and_the_item_shows_it_to_the_cm(
        console, platform, api):
    """The list titled a held reply with its first line, IBAN in clear, in large bold on every
    page view. It shows the detector's masked version now (the API's `headline` too); the
    item's own view keeps the original, highlighted, for the CM to judge."""
    question = submit(api, api.new_user(), title=f"Virement {uuid.uuid4().hex[:6]}")
    visible(api, question["id"])
    reply = ok(api.post(f"/api/v1/posts/{question['id']}/replies", user=api.new_user(),
                        json={"body": f"Moi aussi. Mon IBAN {IBAN} si besoin\nMerci"}), 201)
    manager = staff(platform)
    item = queued(api, manager, reply["id"])
    assert IBAN_DIGITS not in item["headline"] and "•" in item["headline"]
    assert item["headline"].startswith("Moi aussi. Mon IBAN") and "Merci" not in item["headline"]
    assert IBAN_DIGITS in item["content"]["body"]  # the item's view needs the original
    # the queue lists the oldest first, 30 a page: the suite's earlier items fill pages before
    # it, so the CM opens the page that lists it (as "Suivant" would take them there)
    cursor = next(cursor for cursor, waiting in queue_pages(api, manager, QUEUE_PAGE)
                  if waiting["id"] == item["id"])
    console.sign_in(manager.email, manager.password, device=manager.device,
                    next_path="/console/moderation")
    console.visit(queue_href(cursor=cursor, item=item["id"]))
    console.wait_for(lambda: opened(console, item["id"]), "the item open")
    title = console.find(f'.queue-item[data-item="{item["id"]}"] .queue-title').text
    assert title.startswith("Moi aussi. Mon IBAN") and "•" in title, title
    assert IBAN_DIGITS.replace(" ", "") not in console.find("#queue-list").text.replace(" ", "")
    [mark] = console.find_all("#review-text mark.finding")
    assert IBAN_DIGITS in mark.text
    console.check()
    console.screenshot("console-list-masked")


def test_a_flagged_reply_with_nothing_confidential_is_kept_online_edited_or_removed(
        console, platform, api):
    """A rude reply (no personal data) offered "Version masquée à publier — Proposée par le
    détecteur", "Masquer et publier" and "Approuver tel quel". Flags are judged in their own
    words; keeping it online says so."""
    question = submit(api, api.new_user(), title=f"Chèque {uuid.uuid4().hex[:6]}")
    visible(api, question["id"])
    reply = ok(api.post(f"/api/v1/posts/{question['id']}/replies", user=api.new_user(),
                        json={"body": "Franchement c'est une question stupide."}), 201)
    reply_visible(api, reply["id"])
    ok(api.post(f"/api/v1/replies/{reply['id']}/flags", user=api.new_user(),
                json={"reason": "abusive"}), 201)
    manager = staff(platform)
    item_id = queued(api, manager, reply["id"])["id"]
    console.sign_in(manager.email, manager.password, device=manager.device,
                    next_path=f"/console/moderation?item={item_id}")
    console.wait_for(lambda: opened(console, item_id), "the item open")
    detail = console.find("#queue-detail").text
    assert "détecteur" not in detail and "masqu" not in detail.lower(), detail
    bar = [button.text for button in console.find_all("#decision-bar button")]
    assert bar == ["Modifier et publier", "Garder en ligne", "Retirer"], bar
    assert console.find("label[for=redact-body]").text == "Version modifiée à publier"
    assert "Motif du retrait" in console.find("label[for=reject-reason]").text
    console.check()
    console.screenshot("console-flags-wording")
    console.click_button("Garder en ligne")
    done = console.wait_for(lambda: (found := console.find_all("#console-done")) and found[0],
                            "kept online")
    assert "reste en ligne" in done.text, done.text
    assert reply_visible(api, reply["id"])


def test_the_console_promises_the_edit_mark_the_history_shows(console, platform, api):
    """The confirmation promised « modifié par les community managers »; the API's mark and
    the thread's history say « modifié(e) par l'équipe de la communauté »."""
    _, item_id = held_iban_question(platform, api)
    open_as_new_cm(console, platform, item_id)
    console.click_button("Masquer et publier")
    done = console.wait_for(lambda: (found := console.find_all("#console-done")) and found[0],
                            "redacted")
    assert "« modifié par l’équipe de la communauté »" in done.text, done.text
