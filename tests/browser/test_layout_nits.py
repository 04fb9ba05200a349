"""Layout nits an outside tester found (explore-s35, "Layout nits"): a subject's "?" alone on
its line, a vote count above the buttons beside it, a conversation opened with its header cut
off, a reason hidden under the console's decision bar, feed cards whose meta lines wrapped each
their own way. Each test measures the page as it lays out in Chromium."""
from __future__ import annotations

import uuid
from urllib.parse import quote

from ..e2e.steps import ok, staff, visible
from ..platform import PASSWORD
from .accounts import MEMBER1
from .conftest import DEVICES, SCREENSHOTS, SIZES, Site, window
from .console_steps import held_iban_question, opened

NNBSP = "\N{NARROW NO-BREAK SPACE}"
# 1366x900: the tester's desktop (the suite's desktop is 1366x768)
TESTERS_DESKTOP = {"width": 1366, "height": 900, "deviceScaleFactor": 1, "mobile": False}


def viewport_shot(site: Site, name: str) -> None:
    """What is on screen without scrolling (Site.screenshot takes the whole page)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    site.driver.save_screenshot(str(SCREENSHOTS / f"{name}-{site.device}.png"))


# -- 1. a subject's "?" stays on its word's line --------------------------------------------------

# The top of the line of the text's last character and of the word before its last space.
LAST_MARK_AND_WORD_LINES = """
const text = arguments[0].firstChild, value = text.data;
const at = (start, end) => {
  const range = document.createRange();
  range.setStart(text, start); range.setEnd(text, end);
  return range.getClientRects()[0].top;
};
const word = value.trimEnd().search(/\\S+[\\s\\u202f]*\\S*$/);
return [at(value.length - 1, value.length), at(word, word + 1)];
"""


def test_a_conversations_question_mark_stays_with_its_word(site, platform, advisor_and_customer):
    """« Opposition sur ma carte ? » wrapped at a phone's width with its « ? » alone on the
    second line: the space typed before it is shown as a narrow no-break one, on the
    conversation's page and in the list; the stored subject is unchanged."""
    api = platform.api
    _, member = advisor_and_customer
    subject = "Opposition sur ma carte ?"
    cid = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": subject, "message": "Faut-il faire opposition ?"}), 201)["id"]
    site.sign_in(member.email, PASSWORD, next_path=f"/conversations/{cid}")
    site.wait_for_path(f"/conversations/{cid}")
    heading = site.find(".page-head h1")
    site.screenshot("layout-conversation-subject")
    assert heading.get_attribute("textContent") == f"Opposition sur ma carte{NNBSP}?"
    mark, word = site.driver.execute_script(LAST_MARK_AND_WORD_LINES, heading)
    assert mark == word, ("the ? on a line of its own", mark, word)
    site.check()
    site.visit("/conversations")
    titles = [a.get_attribute("textContent") for a in site.find_all(".post-title a")]
    assert any(title.endswith(f"carte{NNBSP}?") for title in titles), titles
    assert ok(api.get(f"/api/v1/conversations/{cid}", user=member))["subject"] == subject
    site.visit(f"/lang/en?next=/conversations/{cid}")
    assert site.find(".page-head h1").get_attribute("textContent").endswith(f"carte{NNBSP}?")
    site.screenshot("layout-conversation-subject-en")


# -- 3. the vote count on the buttons' line -------------------------------------------------------

MIDDLES = """
const middle = (element) => { const box = element.getBoundingClientRect();
                              return (box.top + box.bottom) / 2; };
const bar = document.getElementById("post-actions");
return [middle(bar.querySelector(":scope > .meta span")),
        middle(bar.querySelector(":scope > :not(.meta) button"))];
"""


def test_a_questions_vote_count_sits_on_the_line_of_the_buttons_beside_it(site, platform):
    """Its author sees « 0 vote » where others see the vote button: it sat at the buttons'
    top edge, higher than « Suivre » beside it; its middle is now theirs."""
    api = platform.api
    author = api.new_user()
    post = ok(api.post("/api/v1/posts", user=author, json={
        "kind": "question", "title": f"Virement refusé {uuid.uuid4().hex[:4]}",
        "body": "Mon virement a été refusé ce matin.", "category": "cards"}), 201)
    visible(api, post["id"], user=author)
    site.sign_in(author.email, PASSWORD, next_path=f"/posts/{post['id']}")
    site.wait_for_path(f"/posts/{post['id']}")
    site.find("#post-actions")
    site.screenshot("layout-vote-count")
    count, button = site.driver.execute_script(MIDDLES)
    assert abs(count - button) <= 1, ("the count above the button's middle", count, button)
    site.check()


# -- 4. a short conversation opens at its top -----------------------------------------------------

IN_VIEW = """const box = arguments[0].getBoundingClientRect();
return box.top >= 0 && box.bottom <= window.innerHeight;"""


def test_a_short_conversation_opens_with_its_header_and_its_newest_message_on_screen(
        site, platform, advisor_and_customer):
    """On a 1366x900 screen a two-message conversation opened scrolled down by ~30 px (to the
    reply box's end, its margin below), the site's header cut off, though everything was on
    screen already. It now opens at its top; a longer one still opens at its newest message
    with the send button in view (tests/browser/test_private_pages.py)."""
    api = platform.api
    advisor, member = advisor_and_customer
    cid = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": "Opposition sur ma carte ?",
        "message": "Bonjour, j’ai un doute sur un paiement de 89 € hier soir chez un "
                   "commerçant inconnu. Faut-il faire opposition ?"}), 201)["id"]
    ok(api.post(f"/api/v1/conversations/{cid}/messages", user=advisor, json={
        "body": "Bonjour, oui : faites opposition tout de suite depuis l’appli "
                "(Cartes › Opposer). Je vous rappelle demain matin."}), 201)
    site.sign_in(member.email, PASSWORD, next_path="/conversations")
    size = TESTERS_DESKTOP if site.device == "desktop" else DEVICES["phone"]
    with window(site, size):
        site.visit(f"/conversations/{cid}")
        newest = site.find_all("[data-message]")[-1]
        send = site.find("#message-form button[type=submit]")
        site.wait_for(lambda: site.driver.execute_script(IN_VIEW, newest), "the newest in view")
        viewport_shot(site, "layout-conversation-opened")
        assert site.driver.execute_script(IN_VIEW, send)
        if site.device == "desktop":
            assert site.driver.execute_script("return window.scrollY") == 0


# -- 5. the reason Approve is unavailable is never under the decision bar -------------------------

BLOCKED_IN_BAR = """
const bar = document.getElementById("decision-bar");
const blocked = bar.querySelector(".approve-blocked-bar");
if (!blocked || !blocked.offsetHeight) return null;
const box = blocked.getBoundingClientRect();
return [box.top, box.bottom, window.innerHeight, blocked.textContent.trim()];
"""
# 1366x800: the shortest screen the bar says it on (console.css); the suite's 1366x768 keeps the
# bar short, over none of the text's first line (test_console_moderation.py)
SHORT_DESKTOP = {**TESTERS_DESKTOP, "height": 800}


def test_why_approve_is_unavailable_shows_in_the_decision_bar(console, platform, api):
    """The decision bar kept at the bottom of the screen covered « Approbation impossible tant
    que le texte contient : IBAN… » under the findings until one scrolled (1366x900): the bar
    now says it, beside the unavailable button, on screen at scroll 0; the button is still
    described by the whole sentence under the findings."""
    _, item_id = held_iban_question(platform, api)
    manager = staff(platform)
    console.sign_in(manager.email, manager.password, device=manager.device,
                    next_path=f"/console/moderation?item={item_id}")
    console.wait_for(lambda: opened(console, item_id), "the item open")
    sizes = [TESTERS_DESKTOP, SHORT_DESKTOP] if console.device == "desktop" \
        else [SIZES[console.device]]
    for size in sizes:
        with window(console, size):
            console.driver.execute_script("window.scrollTo(0, 0)")
            viewport_shot(console, f"layout-approve-blocked-{size['height']}")
            shown = console.driver.execute_script(BLOCKED_IN_BAR)
            assert shown, ("no reason in the bar", size)
            top, bottom, height, text = shown
            assert top >= 0 and bottom <= height, ("off screen", top, bottom, height, size)
            assert text == f"Approbation impossible{NNBSP}: le texte contient IBAN.", text
    assert console.find("#approve-form button").get_attribute("aria-describedby") \
        == "approve-blocked"
    assert "Publiez la version masquée" in console.find("#approve-blocked") \
        .get_attribute("textContent")
    console.check()
    console.visit("/lang/en?next=" + quote(f"/console/moderation?item={item_id}"))
    console.wait_for(lambda: opened(console, item_id), "the item open, in English")
    with window(console, TESTERS_DESKTOP if console.device == "desktop" else SIZES["tablet"]):
        console.driver.execute_script("window.scrollTo(0, 0)")
        viewport_shot(console, "layout-approve-blocked-en")
        assert console.driver.execute_script(BLOCKED_IN_BAR)[3] \
            == "Cannot be approved: the text contains IBAN."


# -- 6. feed cards: who and when, then why --------------------------------------------------------

CARD_LINES = """
return [...document.querySelectorAll("#feed-list .post-card")].map((card) => {
  const meta = card.querySelector(".meta.dotted");
  const when = meta.querySelector("time"), why = card.querySelector(".reason");
  const who = meta.querySelector(".byline").getBoundingClientRect();
  const date = when.getBoundingClientRect();
  return {pieces: [...meta.children].map((child) => child.tagName + "." + child.className),
          when: date.bottom, why: why && why.getBoundingClientRect().top,
          // the middles of the name and the date, when the date is on the name's line
          middles: date.top < who.bottom ? [(who.top + who.bottom) / 2,
                                            (date.top + date.bottom) / 2] : null,
          title: card.querySelector(".post-title").textContent.trim()};
});
"""


def test_every_feed_card_says_who_and_when_then_why_it_is_there(site):
    """A card's meta line began « 6 décembre 2026 · » with its chip on one card and ended
    « Karim Benali · 6 décembre 2026 » with the chip alone below on the next (the name's length
    decided), the name higher than the date beside it (a byline paragraph's margin): every card
    now says who and when on one middle line, as the lists do, and its « vous suivez
    l’auteur·e » on a line of its own under them."""
    site.sign_in(MEMBER1, next_path="/me/feed")
    site.wait_for(lambda: site.find_all("#feed-list .post-card .reason"), "cards with their why")
    site.screenshot("layout-feed-cards")
    cards = site.driver.execute_script(CARD_LINES)
    for card in cards:
        assert card["pieces"] == ["SPAN.byline", "TIME."], card
        if card["why"] is not None:
            assert card["why"] >= card["when"], ("the why beside the date", card)
        if card["middles"]:
            who, when = card["middles"]
            assert abs(who - when) <= 1, ("the name above the date beside it", card)
    site.check()
    site.no_horizontal_scroll()
    site.visit("/lang/en?next=/me/feed")
    site.wait_for(lambda: site.find_all("#feed-list .post-card .reason"), "in English")
    assert all(card["pieces"] == ["SPAN.byline", "TIME."]
               for card in site.driver.execute_script(CARD_LINES))
    site.screenshot("layout-feed-cards-en")

