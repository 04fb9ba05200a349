"""Who wrote it, where a reader needs it. Every byline is one macro, posts/_macros.html
`byline`; a card cuts a long name short (site.css `.dotted > .byline`), a thread and its replies
name their author whole (a name cut to 9em on a phone hid who answered). On a tablet the
moderation queue showed the author panel after the whole
item and its decision bar: a CM scrolled past the form to read who wrote the text. Each test
measures the page as Chromium lays it out."""
from __future__ import annotations

import uuid

from ..e2e.steps import ok, reply_visible, staff, submit, visible
from .conftest import SCREENSHOTS, Site
from .console_steps import held_iban_question, opened

LONG_NAME = "Marie-Christine de La Rochefoucauld-Montbazon"
NAME = "Camille Durand-Lefebvre"  # a usual name, composed

# A byline paragraph's name and date: the name's box and its lines, the date's first line (a
# thread's date may wrap within its own piece on a narrow phone) and its lines, whether the
# name is cut short, its text and title, the line's right edge.
NAME_AND_DATE = """
const meta = document.querySelector(arguments[0]);
const name = meta.querySelector(".byline > a"), date = meta.querySelector(".byline + time");
const lines = (node) => {
  const range = document.createRange();
  range.selectNodeContents(node);
  return [...range.getClientRects()];
};
const first = lines(date)[0], box = name.getBoundingClientRect();
const tops = (node) => new Set(lines(node).map((rect) => Math.round(rect.top))).size;
return {name: [box.top, box.bottom, box.right], date: [first.top, first.bottom, first.left],
        name_lines: tops(name), date_right: date.getBoundingClientRect().right,
        meta_right: meta.getBoundingClientRect().right,
        cut: name.scrollWidth > name.clientWidth, full: name.textContent.trim(),
        title: name.title, date_text: date.textContent};
"""


def _shown(site: Site, css: str, full: str) -> dict:
    """The name whole (never cut, all of it on screen) and the date within the line."""
    shown = site.driver.execute_script(NAME_AND_DATE, css)
    assert not shown["cut"], ("the name cut short", css, shown)
    assert shown["full"] == full and shown["title"] == full, shown
    assert shown["date_right"] <= shown["meta_right"] + 1, ("the date off the line", css, shown)
    return shown


def _beside(shown: dict) -> bool:
    """Whether the date starts on the name's (last) line, after it, level with it."""
    (name_top, name_bottom, name_right), (top, bottom, left) = shown["name"], shown["date"]
    beside = top < name_bottom and name_top < bottom
    if beside:
        assert abs((name_top + name_bottom) / 2 - (top + bottom) / 2) <= 2, shown
        assert name_right <= left, ("the name over the date", shown)
    else:
        assert top >= name_bottom - 1, ("the date above the name", shown)
    return beside


def _thread_with_reply(platform, display_name: str) -> tuple[str, str]:
    api = platform.api
    author = api.new_user(display_name=display_name)
    post = submit(api, author, title=f"Plafond de carte {uuid.uuid4().hex[:4]}",
                  body="Comment relever le plafond de ma carte ?")
    visible(api, post["id"])
    reply = ok(api.post(f"/api/v1/posts/{post['id']}/replies", user=author,
                        json={"body": "Précision : c'est une carte Visa Premier."}), 201)
    reply_visible(api, reply["id"])
    return post["id"], f"#reply-{reply['id']}-by"


THREAD = ".thread-head .meta.dotted"


def test_a_thread_and_its_replies_name_their_author_whole(site, platform):
    """« Camille Durand-Lefebvre »: on a phone the thread's and each reply's byline cut the
    name to 9em (« Camille Dur… ») to keep the date beside it, though the line had room for the
    whole name. The name shows whole, on one line; the date beside it when both fit, else on
    the next line, whole within the page. A desktop's line holds them both."""
    post_id, by_reply = _thread_with_reply(platform, NAME)
    with site.at_width(360):
        site.visit(f"/posts/{post_id}")
        site.no_horizontal_scroll()
        site.screenshot("layout-thread-name-360")
        for css in (THREAD, by_reply):
            shown = _shown(site, css, NAME)
            assert shown["name_lines"] == 1, ("a usual name wrapped", css, shown)
            _beside(shown)
    site.visit(f"/posts/{post_id}")
    site.check()
    site.screenshot("layout-thread-name")
    for css in (THREAD, by_reply):
        shown = _shown(site, css, NAME)
        assert shown["name_lines"] == 1, (css, shown)
        if site.device == "desktop":
            assert _beside(shown), (css, shown)


def test_a_long_author_name_wraps_rather_than_being_cut(site, platform):
    """« Marie-Christine de La Rochefoucauld-Montbazon » (45 characters) is wider than a
    360 px phone's line: it wraps between its words, whole, and the date follows on its own
    line, in English too; on a desktop both sit on one line."""
    post_id, by_reply = _thread_with_reply(platform, LONG_NAME)
    with site.at_width(360):
        site.visit(f"/posts/{post_id}")
        site.no_horizontal_scroll()
        site.screenshot("layout-thread-long-name-360")
        for css in (THREAD, by_reply):
            shown = _shown(site, css, LONG_NAME)
            assert not _beside(shown), (css, shown)
    site.visit(f"/lang/en?next=/posts/{post_id}")
    assert site.driver.execute_script("return document.documentElement.lang") == "en"
    site.no_horizontal_scroll()
    site.screenshot("layout-thread-long-name-en")
    for css in (THREAD, by_reply):
        shown = _shown(site, css, LONG_NAME)
        if site.device == "desktop":
            assert _beside(shown) and shown["name_lines"] == 1, (css, shown)
    assert _shown(site, THREAD, LONG_NAME)["date_text"].startswith("Published on")


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
