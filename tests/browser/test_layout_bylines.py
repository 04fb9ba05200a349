"""Who wrote it, where a reader needs it. On a phone a long author name pushed the date of a
thread and of each of its replies onto a line of its own (the feed's cards already cut such a
name short: now every byline is one macro, posts/_macros.html `byline`, and one rule, site.css
`.dotted > .byline`). On a tablet the moderation queue showed the author panel after the whole
item and its decision bar: a CM scrolled past the form to read who wrote the text. Each test
measures the page as Chromium lays it out."""
from __future__ import annotations

import uuid

from ..e2e.steps import ok, reply_visible, staff, submit, visible
from .conftest import SCREENSHOTS, Site
from .console_steps import held_iban_question, opened

LONG_NAME = "Marie-Christine de La Rochefoucauld-Montbazon"

# A byline paragraph's name and date: the name's box, the date's first line (a thread's date
# may wrap within its own piece on a phone), whether the name is cut short, its text and title.
NAME_AND_DATE = """
const meta = document.querySelector(arguments[0]);
const name = meta.querySelector(".byline > a"), date = meta.querySelector(".byline + time");
const range = document.createRange();
range.selectNodeContents(date);
const first = range.getClientRects()[0], box = name.getBoundingClientRect();
return {name: [box.top, box.bottom, box.right], date: [first.top, first.bottom, first.left],
        cut: name.scrollWidth > name.clientWidth, full: name.textContent.trim(),
        title: name.title, ellipsis: getComputedStyle(name).textOverflow,
        date_text: date.textContent};
"""


def _name_beside_date(site: Site, css: str) -> dict:
    shown = site.driver.execute_script(NAME_AND_DATE, css)
    (name_top, name_bottom, name_right), (top, bottom, left) = shown["name"], shown["date"]
    # the date starts on the name's line, after it, its text level with the name's
    assert top < name_bottom and name_top < bottom, ("the date off the name’s line", css, shown)
    assert abs((name_top + name_bottom) / 2 - (top + bottom) / 2) <= 2, (css, shown)
    assert name_right <= left, ("the name over the date", css, shown)
    assert shown["full"] == LONG_NAME and shown["title"] == LONG_NAME, shown
    assert shown["ellipsis"] == "ellipsis", shown
    return shown


def test_a_long_author_name_leaves_the_date_beside_it_on_a_thread_and_its_replies(
        site, platform):
    """« Marie-Christine de La Rochefoucauld-Montbazon »: on a 360 px phone the thread's
    « Publiée le … » and each reply's date went under the name, on a line of their own. The
    name is now cut short (« … », whole in the link's text and its title), the date beside it."""
    api = platform.api
    author = api.new_user(display_name=LONG_NAME)
    post = submit(api, author, title=f"Plafond de carte {uuid.uuid4().hex[:4]}",
                  body="Comment relever le plafond de ma carte ?")
    visible(api, post["id"])
    reply = ok(api.post(f"/api/v1/posts/{post['id']}/replies", user=author,
                        json={"body": "Précision : c'est une carte Visa Premier."}), 201)
    reply_visible(api, reply["id"])
    thread, by_reply = ".thread-head .meta.dotted", f"#reply-{reply['id']}-by"
    with site.at_width(360):
        site.visit(f"/posts/{post['id']}")
        site.no_horizontal_scroll()
        site.screenshot("layout-thread-long-name-360")
        for css in (thread, by_reply):
            shown = _name_beside_date(site, css)
            assert shown["cut"], (css, shown)  # 45 characters never fit beside a date there
    site.visit(f"/lang/en?next=/posts/{post['id']}")
    assert site.driver.execute_script("return document.documentElement.lang") == "en"
    site.no_horizontal_scroll()
    site.screenshot("layout-thread-long-name-en")
    for css in (thread, by_reply):
        shown = _name_beside_date(site, css)
        # a desktop's line holds the whole name: nothing to cut
        assert shown["cut"] == (site.device == "phone"), (css, shown)
    assert _name_beside_date(site, thread)["date_text"].startswith("Published on")


# The author panel and the item with its decision bar, as laid out
PANEL_AND_ITEM = """
const box = (css) => document.querySelector(css).getBoundingClientRect();
const panel = box(".author-panel"), review = box(".review"), form = box("#decision-bar");
return {panel: [panel.top, panel.left], review: [review.top, review.right],
        form: form.top};
"""


def test_the_author_panel_sits_beside_the_item_on_a_tablet(console, platform):
    """At 820 px (a tablet in portrait) the author panel sat under the item and its decision
    bar: a CM scrolled past the form to read who wrote the text. It sits beside the item there
    now, as on a desktop."""
    api = platform.api
    _, item_id = held_iban_question(platform, api, api.new_user(display_name=LONG_NAME))
    manager = staff(platform)
    console.sign_in(manager.email, manager.password, device=manager.device,
                    next_path=f"/console/moderation?item={item_id}")
    console.wait_for(lambda: opened(console, item_id), "the item open")
    console.check()
    console.no_horizontal_scroll()
    console.screenshot("console-author-panel-beside")
    console.driver.execute_script("window.scrollTo(0, 0)")
    # what the CM sees at first (the bar is sticky: the page's whole height shows it mid-page)
    console.driver.save_screenshot(str(
        SCREENSHOTS / f"console-author-panel-beside-{console.device}-viewport.png"))
    shown = console.driver.execute_script(PANEL_AND_ITEM)
    (top, left), (review_top, review_right) = shown["panel"], shown["review"]
    # beside the item, its top level with the item's, above the decision bar
    assert left >= review_right and top == review_top and top < shown["form"], (
        "the author panel not beside the item", shown)
    assert "Marie-Christine" in console.find(".author-name a").text
