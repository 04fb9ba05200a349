"""What a member found on the demo, phone and desktop: a pinned article leads the default order
only (not "Votes" nor "Activité", where it has no claim to the top); an excerpt of a list starts
its sentence with a capital, the same in every view; a reply held for the team is confirmed, and
the thread's count does not read "0" above it; on a phone the reply form's two buttons share a
line, the post's meta line never leaves a dangling "·" and "Catégorie" sits on its link's
baseline."""
from __future__ import annotations

import uuid

from selenium.webdriver.common.by import By

from services.devtools.demo_seed import DEMO_DOMAIN

from ..e2e.steps import IBAN, ok, staff, submit, visible

NBSP = "\N{NO-BREAK SPACE}"
# the welcome article's excerpt: "… vous répondent." then its list, a capital where it starts
WELCOME_EXCERPT = f"vous répondent. Soyez courtois{NBSP}· ne publiez jamais"
# the baseline of an element's own text (a Range around its first text node)
TEXT_BOTTOM = """
const walker = document.createTreeWalker(arguments[0], NodeFilter.SHOW_TEXT,
  {acceptNode: (n) => n.textContent.trim() ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_SKIP});
const range = document.createRange();
range.selectNodeContents(walker.nextNode());
return range.getBoundingClientRect().bottom;
"""


def _first_titles(site, path: str) -> list[str]:
    site.visit(path)
    return [e.text for e in site.find_all(".post-card .post-title")][:3]


def test_a_pinned_post_leads_the_default_order_only(site, demo):
    """A post of its own, pinned first (other tests pin theirs, and the demo its welcome
    article): it leads the list by date, and by votes (it has none) it takes its place."""
    api = demo.api
    manager = staff(demo)
    post = visible(api, submit(api, api.new_user(), kind="discussion",
                               title=f"Épinglé sans voix {uuid.uuid4().hex[:6]}")["id"])
    ok(api.put(f"/api/v1/posts/{post['id']}/featured", user=manager, json={"position": 1}))
    try:
        assert _first_titles(site, "/contributions")[0] == post["title"]  # pinned: first
        # by votes it takes its place (no vote: not among the first three of the demo's)
        assert post["title"] not in _first_titles(site, "/contributions?sort=top")
        site.screenshot("contributions-by-votes")
    finally:
        ok(api.delete(f"/api/v1/posts/{post['id']}/featured", user=manager))


def test_an_unknown_order_opens_the_list_in_its_default_order(site):
    site.visit("/questions?sort=zzz")
    current = site.find(".sort-tabs a[aria-current='true']")
    assert current.get_attribute("href").endswith("/questions?sort=new")


def test_a_lists_excerpt_reads_the_same_with_its_capital_everywhere(site):
    site.sign_in(f"member3@{DEMO_DOMAIN}", next_path="/")
    for path in ("/", "/contributions", "/me/feed"):
        site.visit(path)
        excerpts = [e.get_attribute("textContent") for e in site.find_all(".excerpt")]
        welcome = [text for text in excerpts if "courtois" in text]
        assert welcome and all(WELCOME_EXCERPT in text for text in welcome), (path, welcome)
    site.screenshot("feed-excerpt")


def test_a_held_reply_is_confirmed_and_counted_apart(site):
    site.sign_in(f"member3@{DEMO_DOMAIN}", next_path="/discussions")
    site.find(".post-card .post-title a").click()
    site.find("#reply-form")
    _held_reply_confirmed(site, "held-reply-confirmed")
    thread = site.driver.current_url.removeprefix(site.base_url).split("#")[0]
    site.visit(f"/lang/en?next={thread}", check=False)  # the words in English too
    site.find("#reply-form")
    _held_reply_confirmed(site, "held-reply-confirmed-en")


def _held_reply_confirmed(site, screenshot: str) -> None:
    # the thread's meta line: its "·" are the `.dotted` ones (never at a line's end)
    byline = site.find(".thread-head .byline.dotted")
    assert "·" not in byline.text
    # "Catégorie" on its link's baseline
    term, link = site.find(".taxonomy dt"), site.find(".taxonomy dd > a")
    assert abs(site.driver.execute_script(TEXT_BOTTOM, term)
               - site.driver.execute_script(TEXT_BOTTOM, link)) < 1.5
    # Send and Preview on one line, on a phone too
    send = site.find("#reply-form button[value=send]")
    preview = site.find("#reply-form button[value=preview]")
    assert send.location["y"] == preview.location["y"], (send.location, preview.location)
    site.find("#reply-body").send_keys(f"Mon IBAN pour le virement : {IBAN}")
    send.click()
    status = site.wait_for(lambda: site.find("#reply-status").text.strip(), "confirmation")
    assert status.startswith(site.t("Your comment is sent.", "Votre commentaire est envoyé.")), \
        status
    assert site.t("only you can see it", "vous seul·e le voyez") in status
    assert site.find("#reply-status").get_attribute("role") == "status"
    heading = site.driver.find_element(By.ID, "comments-title").text
    assert site.t("waiting for review", "en attente de vérification") in heading, heading
    assert site.t("published comment", "commentaire publié") in heading, heading
    site.check()
    site.screenshot(screenshot)
