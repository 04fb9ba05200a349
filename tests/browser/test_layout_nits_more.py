"""More layout nits a French customer sees on a phone: a private message's « ? » alone at the
start of a line (its subject kept it with its word, its body did not), and a card whose author
has a long name pushing its date onto a line of its own. Each test measures the page as it lays
out in Chromium."""
from __future__ import annotations

import uuid

from ..e2e.steps import follow, in_home, ok, visible
from ..platform import PASSWORD
from .conftest import Site
from .layout_measures import marks_apart

NNBSP = "\N{NARROW NO-BREAK SPACE}"
QUESTION = "Faut-il faire opposition ?"

# -- 1. a message's « ? » stays with its word ----------------------------------------------------


def _no_mark_starts_a_line(site: Site, css: str) -> None:
    """No « ? » (nor other mark) of the element's text starts a line at any width from 140 to
    360 px. Narrower than its widest piece that may not break (« opposition ? », about 100 px
    with the bubble's padding), the page breaks anywhere, inside words too (site.css
    `overflow-wrap`)."""
    assert marks_apart(site, css, 140, 360) == []
    assert site.find(css).get_attribute("textContent") == f"Faut-il faire opposition{NNBSP}?"


def test_a_private_messages_question_mark_stays_with_its_word(site, platform,
                                                              advisor_and_customer):
    """« Faut-il faire opposition ? » in a message bubble wrapped with its « ? » alone at the
    start of the next line on a phone: the space typed before it is shown as a narrow no-break
    one, at every width of the bubble; the stored message and the API's are as typed."""
    api = platform.api
    _, member = advisor_and_customer
    cid = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": "Opposition sur ma carte ?", "message": QUESTION}), 201)["id"]
    site.sign_in(member.email, PASSWORD, next_path=f"/conversations/{cid}")
    site.wait_for_path(f"/conversations/{cid}")
    _no_mark_starts_a_line(site, ".message-body")
    site.screenshot("layout-message-body")
    site.check()
    assert ok(api.get(f"/api/v1/conversations/{cid}", user=member))["messages"][0]["body"] \
        == QUESTION
    site.visit(f"/lang/en?next=/conversations/{cid}")
    _no_mark_starts_a_line(site, ".message-body")
    site.screenshot("layout-message-body-en")


def test_the_consoles_conversation_keeps_a_messages_question_mark_with_its_word(
        console, platform, advisor_and_customer):
    """The advisor reads the same message on the console's conversation page."""
    api = platform.api
    advisor, member = advisor_and_customer
    cid = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": "Opposition sur ma carte ?", "message": QUESTION}), 201)["id"]
    console.sign_in(advisor.email, advisor.password, device=advisor.device,
                    next_path=f"/console/conversations/{cid}")
    console.wait_for_path(f"/console/conversations/{cid}")
    _no_mark_starts_a_line(console, ".staff-message-body")
    assert console.find("h1").get_attribute("textContent").strip() \
        == f"Opposition sur ma carte{NNBSP}?"
    console.screenshot("layout-console-message-body")
    console.check()


CODE_AND_PROSE = """
const prose = document.querySelector("#main .prose");
return [prose.querySelector("p").textContent, prose.querySelector("code").textContent];
"""


def test_a_public_posts_body_keeps_its_marks_with_their_words_but_not_its_code(site, platform):
    """The same in a question's body (its Markdown rendered): the space before « ? » is glued in
    its text, never in its code, which stays as typed."""
    api = platform.api
    author = api.new_user()
    post = ok(api.post("/api/v1/posts", user=author, json={
        "kind": "question", "title": f"Opposition {uuid.uuid4().hex[:4]}",
        "body": "Faut-il faire opposition ? Le code `a ? b` dit : « non ».",
        "category": "cards"}), 201)
    visible(api, post["id"])
    site.visit(f"/posts/{post['id']}")
    text, code = site.driver.execute_script(CODE_AND_PROSE)
    assert text == (f"Faut-il faire opposition{NNBSP}? Le code a ? b dit{NNBSP}: "
                    f"«{NNBSP}non{NNBSP}».")
    assert code == "a ? b"
    assert ok(api.get(f"/api/v1/posts/{post['id']}"))["body"].startswith(QUESTION)
    site.screenshot("layout-post-body")


# -- 2. a long name leaves the date on its line --------------------------------------------------

LONG_NAME = "Marie-Christine Delacroix-Beaumont Dumas"  # 40 characters

# A card's name and date: their boxes, the date's lines, and whether the name is cut short;
# with the date `arguments[1]` instead of its own, when given.
NAME_AND_DATE = """
const card = document.getElementById(arguments[0]).closest(".post-card");
const meta = card.querySelector(".meta.dotted"), name = meta.querySelector(".byline a");
const date = meta.querySelector("time"), box = (element) => element.getBoundingClientRect();
if (arguments[1]) date.textContent = arguments[1];
const range = document.createRange();
range.selectNodeContents(date);
const dateLines = new Set([...range.getClientRects()].map((rect) => Math.round(rect.top))).size;
return {name: [box(name).top, box(name).bottom, box(name).right],
        date: [box(date).top, box(date).bottom, box(date).left, box(meta).right],
        dateLines: dateLines, cut: name.scrollWidth > name.clientWidth,
        full: name.textContent.trim(), title: name.title,
        widths: [meta, meta.querySelector(".byline"), name, date].map((e) => box(e).width)};
"""


# The widest dates of a year, in each language (the month's name the longest)
LONGEST_DATES = {"fr": "28 septembre 2026", "en": "September 28, 2026"}


def _name_and_date_on_one_line(site: Site, title_id: str) -> dict:
    """As shown; then, on the same card, with the widest date there is (changed in place: the
    page is visited again after)."""
    shown = _one_line(site, title_id)
    language = site.driver.execute_script("return document.documentElement.lang")
    _one_line(site, title_id, LONGEST_DATES[language])
    return shown


def _one_line(site: Site, title_id: str, date: str | None = None) -> dict:
    shown = site.driver.execute_script(NAME_AND_DATE, title_id, date)
    (name_top, name_bottom, name_right), (top, bottom, left, right) = shown["name"], shown["date"]
    assert top < name_bottom and name_top < bottom, f"the date off the name’s line: {shown}"
    assert abs((name_top + name_bottom) / 2 - (top + bottom) / 2) <= 1, shown
    assert name_right <= left and right >= left, ("the name over the date", shown)
    assert shown["dateLines"] == 1, ("the date wrapped", shown)
    assert shown["full"] == LONG_NAME and shown["title"] == LONG_NAME, shown
    return shown


def test_a_long_author_name_leaves_the_date_on_its_line(site, platform):
    """« Marie-Christine Delacroix-Beaumont Dumas · 6 décembre 2026 »: on a phone the date went
    to a line of its own under the name, in « Mon fil » and in the lists of questions (the
    home page's too). The name
    is now cut short (an ellipsis, the whole name its link's text and its title) and the date
    stays beside it, whole."""
    api = platform.api
    author = api.new_user(display_name=LONG_NAME)
    reader = api.new_user()
    follow(api, reader, author)
    post = ok(api.post("/api/v1/posts", user=author, json={
        "kind": "question", "title": f"Carte bloquée au distributeur {uuid.uuid4().hex[:4]}",
        "body": "Ma carte est restée bloquée.", "category": "cards"}), 201)
    visible(api, post["id"])
    in_home(api, reader, post["id"])
    site.sign_in(reader.email, PASSWORD, next_path="/me/feed")
    site.wait_for_path("/me/feed")
    site.check()
    site.no_horizontal_scroll()
    site.screenshot("layout-feed-long-name")
    shown = _name_and_date_on_one_line(site, f"feed-{post['id']}")
    assert shown["cut"] == (site.device == "phone"), shown
    with site.at_width(320):  # a small phone
        site.visit("/me/feed", check=False)
        _name_and_date_on_one_line(site, f"feed-{post['id']}")
    site.visit("/questions")
    site.no_horizontal_scroll()
    site.screenshot("layout-questions-long-name")
    _name_and_date_on_one_line(site, f"post-list-{post['id']}")
    site.visit("/")  # the home page's latest questions: the same card
    _name_and_date_on_one_line(site, f"latest-list-{post['id']}")
    site.visit("/lang/en?next=/me/feed")
    site.screenshot("layout-feed-long-name-en")
    _name_and_date_on_one_line(site, f"feed-{post['id']}")
    site.visit("/questions")
    site.screenshot("layout-questions-long-name-en")
    _name_and_date_on_one_line(site, f"post-list-{post['id']}")
