"""The moderation console on a phone (390x844) and a desktop, as a community manager found it in
an exploratory try: ten tabs and five filters wrapped over a screen and a half, an item opened at
the page's top with its detail ~2,000 px down, the decisions static ("Refuser" at y≈2,500), the
confirmation of a decision off-screen. And refusals, which cannot be undone: never one key away,
offered in the words their author reads (never the catch-all "other"), confirmed with them."""
from __future__ import annotations

import uuid
from urllib.parse import urlencode, urlsplit

from selenium.webdriver.common.keys import Keys

from gateway.web.pages.console import item_href
from gateway.web.pages.public import RULES_REASONS
from gateway.web.typography import glue_punctuation
from services.shared import i18n

from ..e2e.steps import IBAN, ok, queued, staff, submit, visible
from .conftest import SCREENSHOTS, Site
from .console_steps import assert_options_read_whole, held_iban_question, on_some_page, opened

# what the page shows without a scroll, as the CM sees it
RECT = """
    const box = document.querySelector(arguments[0]).getBoundingClientRect();
    return {top: box.top, bottom: box.bottom, height: box.height, screen: window.innerHeight};
"""
# at most this share of the screen for the decision bar kept in view, one row per tab list
BAR_SHARE = 0.25
ONE_ROW = 60  # px: a 44 px target and its padding


def rect(site: Site, css: str) -> dict:
    return site.driver.execute_script(RECT, css)


def in_view(site: Site, css: str) -> bool:
    box = rect(site, css)
    return box["height"] > 0 and box["top"] >= 0 and box["bottom"] <= box["screen"]


def as_seen(site: Site, name: str) -> None:
    """The screen as the CM sees it (Site.screenshot takes the whole page)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    site.driver.save_screenshot(str(SCREENSHOTS / f"{name}-{site.device}.png"))


def sign_in_cm(site: Site, platform) -> None:
    manager = staff(platform)
    site.sign_in(manager.email, manager.password, device=manager.device,
                 next_path="/console/moderation")
    site.wait_for(lambda: site.find_all("#console"), "the console")


def assert_decisions_in_view(site: Site) -> None:
    """The item's heading and every decision on screen, the bar within its share of it."""
    assert in_view(site, "#item-heading"), rect(site, "#item-heading")
    for css in ("#decision-bar button[form=redact-form]", "#reject-reason",
                "#reject-form button"):
        assert in_view(site, css), (css, rect(site, css))
    bar = rect(site, "#decision-bar")
    assert bar["height"] <= BAR_SHARE * bar["screen"], bar


def test_an_item_opens_on_its_detail_with_its_decisions_in_view(site, platform, api):
    """Opened from the queue's list (with the script) and from its address (what a click does
    without it), the item's heading and its decisions are on screen; on a phone the tabs and
    the filters are one row each; on a desktop the page stays at its top."""
    _, item_id = held_iban_question(platform, api)
    sign_in_cm(site, platform)
    if site.device == "phone":
        for css in (".console-nav", ".console-filters"):
            assert rect(site, css)["height"] <= ONE_ROW, (css, rect(site, css))
    site.no_horizontal_scroll()

    site.visit(item_href(None, item_id))  # as without the script: the address lands on it
    site.wait_for(lambda: opened(site, item_id), "the item open")
    assert_decisions_in_view(site)
    as_seen(site, "console-phone-item-address")

    # from the list, with the script: the first item's link (the list is long on a phone)
    site.visit("/console/moderation")
    link = site.find(".queue-item:not(.is-current) a")
    wanted = link.find_element("xpath", "..").get_attribute("data-item")
    site.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", link)
    link.click()
    site.wait_for(lambda: opened(site, wanted), "the item open")
    site.wait_for(lambda: in_view(site, "#item-heading"), "the item's heading on screen")
    assert_decisions_in_view(site)
    if site.device == "desktop":  # beside the list: the page's top, tabs and filters in view
        assert site.driver.execute_script("return window.scrollY") == 0
    site.check()
    as_seen(site, "console-phone-item-opened")


def test_the_current_tab_is_in_view_in_the_row_of_tabs(site, platform):
    """On a phone the tabs scroll sideways: the current one (here the 9th) is scrolled into
    view on load, without a script."""
    sign_in_cm(site, platform)
    site.visit("/console/members")
    assert site.driver.execute_script("""
        const tab = document.querySelector(".console-nav [aria-current=page]")
            .getBoundingClientRect();
        const row = document.querySelector(".console-nav ul").getBoundingClientRect();
        return tab.height > 0 && tab.left >= row.left && tab.right <= row.right;""")
    if site.device == "phone":
        assert rect(site, ".console-nav")["height"] <= ONE_ROW
    as_seen(site, "console-phone-members-tab")


def test_after_a_decision_its_confirmation_and_its_undo_are_in_view(site, platform, api):
    """The masked version published: the next screen shows what was decided (role=status), on
    which item — its kind, its author, its wait: never its text, which held an IBAN — and the
    undo, on screen, with the next item's decisions."""
    author = api.new_user()
    _, item_id = held_iban_question(platform, api, author)
    held_iban_question(platform, api)  # a next item to land on
    sign_in_cm(site, platform)
    site.visit(item_href(None, item_id))
    site.wait_for(lambda: opened(site, item_id), "the item open")
    site.find("#decision-bar button[form=redact-form]").click()
    done = site.wait_for(lambda: (found := site.find_all("#console-done")) and found[0],
                         "the decision confirmed")
    assert done.get_attribute("role") == "status"
    assert "Version masquée publiée" in done.text
    assert site.text_of("#done-item").startswith(
        f"Contribution de {author.display_name}, qui attendait depuis ")
    # never its text (held_iban_question's title starts so; the IBAN masked or not)
    assert "Virement bloqué" not in done.text and IBAN.replace(" ", "") not in \
        done.text.replace(" ", "")
    assert in_view(site, "#console-done") and in_view(site, "#undo-now button"), (
        rect(site, "#console-done"), rect(site, "#undo-now button"))
    site.check()
    as_seen(site, "console-phone-decided")
    try:  # the same confirmation in English
        shown = urlsplit(site.driver.current_url)
        site.visit("/lang/en?" + urlencode({"next": f"{shown.path}?{shown.query}"}))
        assert site.text_of("#done-item").startswith(
            f"Contribution by {author.display_name}, which had waited ")
        as_seen(site, "console-phone-decided-en")
    finally:
        site.visit("/lang/fr?next=/console/moderation", check=False)


def test_r_then_enter_refuses_nothing_and_the_refusal_says_what_its_author_read(
        site, platform, api):
    """r goes to the reason (preselected: personal data); Enter there, which the browser takes
    for the form's submission, only moves on to Refuser; Enter on it refuses, and the
    confirmation, on screen, quotes the reason as its author reads it."""
    question, item_id = held_iban_question(platform, api)
    manager = staff(platform)
    sign_in_cm(site, platform)
    site.visit(item_href(None, item_id))
    site.wait_for(lambda: opened(site, item_id), "the item open")
    site.driver.execute_script("document.getElementById('item-heading').focus()")
    active = site.driver.switch_to.active_element
    active.send_keys("r")
    reasons = site.driver.switch_to.active_element
    assert reasons.get_attribute("id") == "reject-reason"
    assert reasons.get_attribute("value") == "confidential_data"
    reasons.send_keys(Keys.ENTER)
    refuse = site.find("#reject-form button[type=submit]")
    # no submission began (the console's script disables the button sent at once)
    assert not refuse.get_property("disabled")
    assert site.driver.switch_to.active_element == refuse
    assert opened(site, item_id) and not site.find_all("#console-done")
    assert queued(api, manager, question["id"])["id"] == item_id  # still waiting

    refuse.send_keys(Keys.ENTER)  # the second, deliberate key
    told = site.wait_for(lambda: (found := site.find_all("#done-told")) and found[0],
                         "the refusal confirmed")
    reason = i18n.text("fr", "reject_reason.confidential_data")
    # French typography: the colon and the quotes kept with their words (no-break spaces)
    assert told.text == glue_punctuation(f"Son auteur en est averti, avec ce motif : « {reason} »")
    assert "Contribution refusée." in site.find("#console-done").text
    assert in_view(site, "#done-told")
    site.check()
    as_seen(site, "console-phone-refused")


def reason_options(site: Site, css: str) -> list[tuple[str, str]]:
    return site.driver.execute_script(
        "return [...document.querySelector(arguments[0]).options]"
        ".map(o => [o.value, o.textContent.trim()])", css)


def test_refusal_reasons_read_as_their_author_reads_them_without_the_catch_all(
        site, platform, api):
    """In the console's queue and in a thread's staff menu, in French and in English: each
    reason is offered in the words its author will read (the catalogue of /rules and of the
    author's notification), and "other" — which tells the author nothing — is not offered."""
    post = submit(api, api.new_user(), title=f"Plafond carte {uuid.uuid4().hex[:6]}")
    visible(api, post["id"])
    _, item_id = held_iban_question(platform, api)
    sign_in_cm(site, platform)
    for language in ("fr", "en"):
        site.visit(f"/lang/{language}?next=/console/moderation", check=False)
        expected = [[code, i18n.text(language, f"reject_reason.{code}")]
                    for code in RULES_REASONS]
        assert "other" not in RULES_REASONS
        site.visit(item_href(None, item_id))
        site.wait_for(lambda: opened(site, item_id), "the item open")
        assert reason_options(site, "#reject-reason") == expected
        assert_options_read_whole(site, site.find("#reject-reason"))  # wrapped, not cut
        site.check()
        as_seen(site, f"console-phone-reasons-{language}")
        site.visit(f"/posts/{post['id']}")
        menu = f"#remove-{post['id']}-reason"
        prompt, *offered = reason_options(site, menu)  # first: the prompt to choose one
        assert prompt[0] == "" and offered == expected
    site.visit("/lang/fr?next=/", check=False)


# Each piece of a `.dotted` line (site.css): its "·" is drawn before it (never a character of
# the line, so never left dangling at its end), and the pieces beginning a line start at the
# line's clipped edge, where their dot is not seen.
DOTTED = """
    const line = document.querySelector(arguments[0]);
    const box = line.getBoundingClientRect();
    const pieces = [...line.children].filter((p) => p.getBoundingClientRect().width > 1);
    const starts = pieces.filter((p, n) => n === 0 ||
        p.getBoundingClientRect().top > pieces[n - 1].getBoundingClientRect().bottom - 2);
    return {text: line.textContent, pieces: pieces.length, lines: starts.length,
            dots: pieces.map((p) => getComputedStyle(p, "::before").content),
            starts: starts.map((p) => Math.round(p.getBoundingClientRect().left - box.left))};
"""


def assert_dotted(site: Site, css: str, pieces: int) -> dict:
    """The `.dotted` line `css`, of at least `pieces` pieces."""
    line = site.driver.execute_script(DOTTED, css)
    assert "·" not in line["text"], line  # no separator written in: none left at a line's end
    assert line["pieces"] >= pieces, line
    assert all(dot.startswith('"·"') for dot in line["dots"]), line
    assert set(line["starts"]) == {0}, line  # each line's first dot in the clipped margin
    return line


def test_console_meta_lines_put_their_dots_only_between_pieces(site, platform, api):
    """A flagged contribution's line on the flags screen (kind, author, state, wait) and an
    item's line in the queue (kind, reasons, wait): on a phone they wrap, and no line ends on a
    "·" (the member site's `.dotted`, as a post's meta line)."""
    author = api.new_user()
    post = submit(api, author, title=f"Carte bloquée {uuid.uuid4().hex[:6]}",
                  body="Ma carte est bloquée depuis hier soir, que faire ?")
    visible(api, post["id"])
    manager = staff(platform)
    ok(api.post(f"/api/v1/posts/{post['id']}/flags", user=api.new_user(),
                json={"reason": "spam"}), 201)
    item_id = queued(api, manager, post["id"])["id"]
    _, held_id = held_iban_question(platform, api)
    sign_in_cm(site, platform)

    site.visit("/console/flags")
    panel = on_some_page(site, f'.flag-target[data-item="{item_id}"]', ".more")
    site.driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", panel)
    line = assert_dotted(site, f'.flag-target[data-item="{item_id}"] .flag-head .meta', 4)
    if site.device == "phone":
        assert line["lines"] >= 2, line  # it wraps there: where the dangling "·" was seen
    as_seen(site, "console-meta-flags")
    try:  # in English too, whose words wrap elsewhere
        site.visit("/lang/en?next=/console/flags")
        panel = on_some_page(site, f'.flag-target[data-item="{item_id}"]', ".more")
        site.driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", panel)
        assert_dotted(site, f'.flag-target[data-item="{item_id}"] .flag-head .meta', 4)
        as_seen(site, "console-meta-flags-en")
    finally:
        site.visit("/lang/fr?next=/console/moderation", check=False)

    site.visit(item_href(None, held_id))
    site.wait_for(lambda: opened(site, held_id), "the item open")
    assert_dotted(site, "#item-meta", 3)  # its kind, its reasons (one or more), its wait
    assert_dotted(site, ".queue-item .queue-why", 1)  # the list's first item: its reasons
    site.no_horizontal_scroll()
    as_seen(site, "console-meta-queue")
