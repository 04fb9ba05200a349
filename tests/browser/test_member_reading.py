"""What a member reads on a phone (exploratory test as a member, defects 5, 6, 7, 10, 11, 13):
errors that go once the field is fixed, one id per element on pages listing a post twice,
excerpts whose list items stay apart, a "?" that never wraps alone, "·" separators never at a
line's start or end, activity cards that say who did what, their held texts found again."""
from __future__ import annotations

import re
import uuid

from ..e2e.steps import IBAN, ok, submit, visible
from ..platform import PASSWORD
from .test_private_pages import long_conversation
from .test_thread_actions import _answer, _helper_on_a_question, _question

NNBSP, NBSP = "\N{NARROW NO-BREAK SPACE}", "\N{NO-BREAK SPACE}"


def _read(element) -> str:
    """An element's text with its line breaks and indentation as one space (its no-break
    spaces kept: Python's split() would take them too)."""
    return re.sub(r"[ \t\n]+", " ", element.get_attribute("textContent")).strip()


def test_a_fields_error_goes_once_the_member_changes_it(site, demo):
    """The server's error stays until the member types in the field: then the message hides
    and the field is no longer invalid nor described by it; the other field keeps its own."""
    _helper_on_a_question(site, demo.api)
    site.find("#reply-form button[value=send]").click()
    site.wait_for(lambda: site.find_all("#reply-body-error")
                  and site.find("#reply-body-error").is_displayed(), "the reply's error")
    body = site.find("#reply-body")
    assert body.get_attribute("aria-invalid") == "true"
    body.send_keys("Merci")
    site.wait_for(lambda: not site.find("#reply-body-error").is_displayed(), "the error gone")
    assert body.get_attribute("aria-invalid") is None
    assert "reply-body-error" not in body.get_attribute("aria-describedby")
    site.check()
    site.screenshot("reply-error-cleared")

    site.visit("/write?kind=question")
    site.click_button("Publier")
    site.wait_for(lambda: site.find_all("#field-title-error"), "the title's error")
    site.field("Titre").send_keys("Mon plafond de carte")
    site.wait_for(lambda: not site.find("#field-title-error").is_displayed(), "the error gone")
    title = site.field("Titre")
    assert title.get_attribute("aria-invalid") is None
    assert "field-title-error" not in (title.get_attribute("aria-describedby") or "")
    assert site.find("#field-body-error").is_displayed()  # not typed in: still said
    assert site.find("#field-body").get_attribute("aria-invalid") == "true"
    site.check()
    site.screenshot("compose-error-cleared")


REPEATED_IDS = """
const seen = {};
for (const element of document.querySelectorAll("[id]")) {
  seen[element.id] = (seen[element.id] || 0) + 1;
}
const repeated = Object.keys(seen).filter((id) => seen[id] > 1);
const dangling = [...document.querySelectorAll("[aria-labelledby]")]
  .flatMap((element) => element.getAttribute("aria-labelledby").split(/\\s+/))
  .filter((id) => seen[id] !== 1);
const links = [...document.querySelectorAll(".post-card h2 a, .post-card h3 a")]
  .map((a) => a.getAttribute("href"));
return [repeated, dangling, links.length - new Set(links).size];
"""


def test_a_post_in_two_lists_has_an_id_in_each(site):
    """Home shows the featured article in "À la une" and in the latest: each card's title has
    its own id, and every aria-labelledby names exactly one element."""
    site.visit("/")
    repeated, dangling, twice = site.driver.execute_script(REPEATED_IDS)
    assert twice, "home shows no post twice: nothing to check"
    assert (repeated, dangling) == ([], [])
    for path in ("/questions", "/articles", "/search?q=carte"):
        site.visit(path)
        repeated, dangling, _ = site.driver.execute_script(REPEATED_IDS)
        assert (repeated, dangling) == ([], []), path


def test_an_excerpt_keeps_a_lists_items_apart(site):
    """"Bienvenue sur Agora" ends with a list: its excerpt no longer runs the items
    together."""
    site.visit("/articles")
    excerpts = [e.get_attribute("textContent") for e in site.find_all(".post-card .excerpt")]
    welcome = next(text for text in excerpts if "courtois" in text)
    assert f"Soyez courtois{NBSP}· ne publiez jamais" in welcome, welcome
    site.screenshot("articles-excerpt")


def test_a_titles_question_mark_stays_with_its_word(site, demo):
    """A space typed before "?" is shown as a narrow no-break one, in both languages: the "?"
    never wraps alone onto the next line; the stored title is unchanged."""
    api, asker = demo.api, demo.api.new_user()
    title = f"Comment activer le paiement sans contact {uuid.uuid4().hex[:4]} ?"
    post = ok(api.post("/api/v1/posts", user=asker, json={
        "kind": "question", "title": title, "body": "Ma carte ne passe pas.",
        "category": "cards"}), 201)
    visible(api, post["id"], user=asker)
    glued = title.replace(" ?", f"{NNBSP}?")

    def titles():
        site.visit("/questions", check=False)
        return [_read(a) for a in site.find_all(".post-card .post-title a")]
    site.wait_for(lambda: glued in titles(), "the title, its ? glued")
    assert title not in titles()
    site.check()
    site.screenshot("questions-typography")
    site.visit("/lang/en?next=/questions")
    assert glued in [_read(a) for a in site.find_all(".post-card .post-title a")]
    assert ok(api.get(f"/api/v1/posts/{post['id']}", user=asker))["title"] == title


# Separators are the CSS's (site.css `.dotted`): no "·" in the text of a meta line, and each
# line's first piece starts at the list's clipped edge, where its dot is hidden.
SEPARATORS = """
const problems = [];
for (const meta of document.querySelectorAll(".meta")) {
  const walker = document.createTreeWalker(meta, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    if (walker.currentNode.data.includes("·")) {
      problems.push(`"·" typed in: ${meta.textContent.trim()}`);
    }
  }
}
for (const list of document.querySelectorAll(".dotted")) {
  const box = list.getBoundingClientRect();
  const items = [...list.children].map((item) => item.getBoundingClientRect())
    .filter((r) => r.width);
  for (const r of items) {
    const first = !items.some((o) => o !== r && o.left < r.left && o.top < r.bottom
                                     && r.top < o.bottom);
    if (first && Math.abs(r.left - box.left) > 1) {
      problems.push(`a line starts with a dot: ${list.textContent.trim()}`);
    }
  }
  if (items.length && getComputedStyle(list.children[0], "::before").content.indexOf("·") < 0) {
    problems.push(`no dot: ${list.textContent.trim()}`);
  }
}
return problems;
"""


def test_separators_never_start_nor_end_a_line(site, demo, advisor_and_customer):
    advisor, member = advisor_and_customer
    long_conversation(demo.api, member, advisor, 4)
    site.sign_in(member.email, PASSWORD, next_path="/conversations")
    site.wait_for_path("/conversations")
    for width in (320, 390):
        with site.at_width(width):
            for path in ("/conversations", "/me/profile", "/questions", "/"):
                site.visit(path)
                assert site.driver.execute_script(SEPARATORS) == [], (path, width)
    site.visit("/conversations")
    site.screenshot("conversations-separators")
    site.visit("/me/profile")
    site.screenshot("me-profile-separators")


def test_activity_says_who_replied_to_what(site, demo):
    """On a member's page and in a follower's feed, a reply reads "Camille a répondu à
    « … »" (EN "Camille replied to “…”")."""
    api = demo.api
    asker, helper, follower = api.new_user(), api.new_user(), api.new_user()
    post = _question(api, asker)
    site.sign_in(follower.email, follower.password, next_path=f"/members/{helper.id}")
    site.wait_for_path(f"/members/{helper.id}")
    site.click_button("Suivre ce membre")
    site.wait_for(lambda: site.find("#toggle-follow button").get_attribute("aria-pressed")
                  == "true", "following")
    reply = _answer(api, helper, post["id"])
    sentence = f"{helper.display_name} a répondu à «{NNBSP}{post['title']}{NNBSP}»"

    site.visit(f"/members/{helper.id}")
    assert _read(site.find(f"#activity-{reply['id']}")) == sentence
    site.screenshot("profile-activity")

    def in_feed():
        site.visit("/me/feed", check=False)
        return site.find_all(f"#feed-{reply['id']}")
    site.wait_for(in_feed, "the reply in the follower's feed")
    site.check()
    assert _read(site.find(f"#feed-{reply['id']}")) == sentence
    site.screenshot("me-feed-activity")
    site.visit("/lang/en?next=/me/feed")
    assert _read(site.find(f"#feed-{reply['id']}")) == \
        f"{helper.display_name} replied to “{post['title']}”"


def test_a_member_finds_their_held_question_again_from_their_feed(site, demo):
    """Once they left a held question's page, nothing led them back to it: "Mon fil" now
    opens on it."""
    api = demo.api
    author = api.new_user()
    held = submit(api, author, title=f"Virement bloqué {uuid.uuid4().hex[:6]}",
                  body=f"Mon IBAN est {IBAN}, que faire ?")
    site.sign_in(author.email, author.password, next_path="/me/feed")
    site.wait_for_path("/me/feed")

    def listed_as_held():  # being checked first, held once moderation's review has ruled
        site.visit("/me/feed", check=False)
        found = site.find_all("#waiting")
        return found and "Des données confidentielles y ont été repérées" in _read(found[0])
    site.wait_for(listed_as_held, "the held question listed")
    panel = site.find("#waiting")
    assert _read(panel.find_element("css selector", "h2")) == \
        "Votre contribution en attente de publication"
    site.check()
    site.screenshot("me-feed-waiting")
    panel.find_element("css selector", f"a[href='/posts/{held['id']}']").click()
    site.wait_for_path(f"/posts/{held['id']}")
