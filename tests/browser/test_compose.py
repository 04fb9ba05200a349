"""Writing, as a member does it: the confidential-data warning while typing, the preview, posting,
and the state of what was posted in plain words (held questions shown to their author only)."""
from __future__ import annotations

import signal
import uuid
from urllib.parse import urlsplit

from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from gateway.web.typography import glue_punctuation

from .accounts import MEMBER3, MEMBER4, MEMBER5

IBAN = "FR76 3000 6000 0112 3456 7890 189"
WARNING = "#confidential-status #confidential-warning"


def _warning_shown(site):
    shown = site.find_all(WARNING)
    return shown[0].text if shown and shown[0].is_displayed() else None


def _clear(control):
    control.send_keys(Keys.CONTROL, "a")
    control.send_keys(Keys.DELETE)


def test_confidential_warning_appears_while_typing_an_iban_and_goes_when_removed(site):
    site.sign_in(MEMBER3, next_path="/write")
    site.wait_for_path("/write")
    site.check()
    assert site.heading("Poser une question", 1)
    site.fill("Titre", "Virement refusé vers mon compte")
    body = site.field("Votre texte")
    body.send_keys("Bonjour, mon virement vers ")
    assert not site.find_all(WARNING)
    body.send_keys(IBAN)
    text = site.wait_for(lambda: _warning_shown(site), "the confidential-data warning")
    assert "données confidentielles (un IBAN)" in text and "sera retenu" in text
    assert IBAN not in text
    region = site.find("#confidential-status")
    assert region.get_attribute("role") == "status"
    assert "confidential-status" in body.get_attribute("aria-describedby")
    site.check()
    site.no_horizontal_scroll()
    site.screenshot("compose-warning")
    _clear(body)
    body.send_keys("Bonjour, mon virement est refusé.")
    site.wait_for(lambda: not site.find_all(WARNING), "the warning gone")
    site.check()


def test_the_warning_names_a_cards_expiry_and_security_code_typed_alone(site):
    """confidential.js finds every kind the server holds: a card's expiry and CVV, named in the
    member's language, as a client number typed in full-width digits."""
    site.sign_in(MEMBER3, next_path="/write")
    site.wait_for_path("/write")
    body = site.field("Votre texte")
    body.send_keys("Ma carte : date d'expiration 09/28, cryptogramme 123")
    text = site.wait_for(lambda: _warning_shown(site), "the confidential-data warning")
    assert ("une date d’expiration de carte, un cryptogramme de carte (CVV)" in text
            and "123" not in text)
    _clear(body)
    body.send_keys("Mon numéro client : ９８７６５４３２")
    site.wait_for(lambda: "un numéro de client, de contrat ou de compte"
                  in (_warning_shown(site) or ""), "the client number named")


def test_a_search_that_finds_nothing_leads_to_asking_with_similar_questions(site):
    """No contribution holds both "chèque" and "introuvable": the search shows those holding
    one (partial), offers to ask it, the words as the title, and the form suggests the demo's
    "Délai d'encaissement d'un chèque ?" (one word shared, one few posts hold)."""
    site.sign_in(MEMBER3)
    site.visit("/search?q=chèque+introuvable")
    # shown with its "?" tied to its word (gateway/web/typography.py), stored as typed
    assert "Délai d'encaissement d'un chèque\N{NARROW NO-BREAK SPACE}?" in [
        a.text for a in site.find_all("#post-list .post-title a")]
    site.find("#search-notice a").click()
    site.wait_for_path("/write")
    site.check()
    assert site.field("Titre").get_attribute("value") == "chèque introuvable"
    suggested = site.wait_for(lambda: [a.text for a in site.find_all("#similar-list a")],
                              "similar questions")
    assert "Délai d'encaissement d'un chèque ?" in suggested
    site.screenshot("compose-from-search")


# What members write (services/posts/markdown.py): a heading, a quote, a nested numbered list,
# a table, bare and labelled links.
MARKDOWN = """## Mon avis
> Le mode sombre, c'est **indispensable**
> le soir.

Un **thème sombre** pour l'appli :

1. le soir
   - en semaine
   - le week-end

2. la nuit

| Moment | Thème |
|---|---|
| soir | sombre |

Voir https://fr.wikipedia.org/wiki/Mode_sombre_(informatique). Ou [le Livret A](https://fr.wikipedia.org/wiki/Livret_A_(France))."""


def test_preview_renders_the_markdown_in_place(site):
    site.sign_in(MEMBER3, next_path="/write?kind=idea")
    site.wait_for_path("/write")
    assert site.heading("Proposer une idée", 1)
    site.fill("Votre texte", MARKDOWN)
    site.driver.execute_script("window.samePage = true")
    site.click_button("Aperçu")
    site.wait_for(lambda: site.find_all("#preview-body strong"), "the preview")
    assert site.find("#preview-body > p > strong").text == "thème sombre"
    assert site.find("#preview-body h4").text == "Mon avis"
    assert site.find("#preview-body blockquote").text == (
        "Le mode sombre, c'est indispensable\nle soir.")
    assert len(site.find_all("#preview-body > ol > li")) == 2  # one list, the blank line between
    assert [li.text for li in site.find_all("#preview-body ol li ul li")] == [
        "en semaine", "le week-end"]
    assert [cell.text for cell in site.find_all("#preview-body td")] == ["soir", "sombre"]
    assert [a.get_attribute("href") for a in site.find_all("#preview-body a")] == [
        "https://fr.wikipedia.org/wiki/Mode_sombre_(informatique)",
        "https://fr.wikipedia.org/wiki/Livret_A_(France)"]
    site.no_horizontal_scroll()
    # the focus follows to what the button showed (a heading that can take it)
    site.wait_for(lambda: site.driver.switch_to.active_element.get_attribute("id")
                  == "preview-heading", "the focus on the preview's heading")
    assert site.driver.execute_script("return window.samePage === true")  # no reload
    site.check()
    site.screenshot("compose-preview")


def _post(site, title: str, body: str) -> str:
    """Fill the compose form as a member does and publish: the new thread's URL."""
    site.fill("Titre", title)
    site.fill("Votre texte", body)
    Select(site.field("Catégorie")).select_by_index(1)
    site.click_button("Publier")
    site.wait_for(lambda: "/posts/" in site.driver.current_url, "the new thread")
    return site.driver.current_url


def _fetch_text(site, path: str) -> str:
    return site.driver.execute_async_script(
        "const done = arguments[1]; fetch(arguments[0], {credentials: 'same-origin'})"
        ".then(r => r.text()).then(done)", path)


def test_a_held_question_is_shown_to_its_author_and_invisible_to_others(site):
    title = f"Mon IBAN dans une question {uuid.uuid4().hex[:6]}"
    site.sign_in(MEMBER4, next_path="/write")
    site.wait_for_path("/write")
    thread_url = _post(site, title,
                       f"Est-ce que mon IBAN {IBAN} est bon pour **recevoir** mon salaire ?")
    post_path = "/posts/" + thread_url.split("/posts/")[1].split("?")[0].split("#")[0]
    # why it is held, without a reload: the page waited for the automatic review, or asks again
    text = site.wait_for(lambda: (t := site.find("#main").text) and
                         "Retenue : elle semble contenir des données confidentielles" in t and t,
                         "the held state shown to the author")
    assert "Vous seul·e la voyez" in text and "Vérification en cours" not in text
    # their own text, as written (theirs: nobody else reads it) and rendered as it will read
    assert site.find(".thread .prose strong").text == "recevoir"
    assert IBAN in site.find(".thread .prose").text
    assert site.driver.title == f"{title} · Agora"
    assert "Pas encore de réponse" not in text and not site.find_all("#answers-title")
    assert "Retenue" in _fetch_text(site, f"{post_path}/review")  # the box htmx asks again for
    site.check()
    site.no_horizontal_scroll()
    site.screenshot("compose-held")
    # the byline agrees with a question (« Envoyée le »), in English too
    assert site.find(".thread-head time").text.startswith("Envoyée le")
    site.visit(f"/lang/en?next={post_path}")
    assert site.find(".thread-head time").text.startswith("Sent on")
    site.screenshot("compose-held-en")
    site.visit(f"/lang/fr?next={post_path}")
    # another member, then an anonymous visitor: the question does not exist for them
    site.driver.delete_all_cookies()
    site.driver.get(thread_url)
    assert site.heading("Page introuvable", 1)
    assert "Retenue" not in _fetch_text(site, f"{post_path}/review")
    site.check()
    site.sign_in(MEMBER5)
    site.driver.get(thread_url)
    assert site.heading("Page introuvable", 1)
    assert title not in site.text() and IBAN not in site.text()
    assert "Retenue" not in _fetch_text(site, f"{post_path}/review")


TAGS_WARNING = "#confidential-tags-status #confidential-tags-warning"


def _tags_warning(site):
    shown = site.find_all(TAGS_WARNING)
    return shown[0].text if shown and shown[0].is_displayed() else None


def test_an_iban_typed_as_tags_is_warned_about_under_the_tags_then_held(site):
    """Each tag holds 4 digits at most, so an IBAN typed in the tags field went unwarned and
    was published as seven tags. The field is read as typed, like the text: a warning under it
    (French, then English), and the post is held, its tags shown to its author only."""
    title = f"Quel plafond de retrait ? {uuid.uuid4().hex[:6]}"
    site.sign_in(MEMBER5, next_path="/write")
    site.wait_for_path("/write")
    site.fill("Titre", title)
    site.fill("Votre texte", "Bonjour, quel est le plafond hebdomadaire d'une carte classique ?")
    Select(site.field("Catégorie")).select_by_index(1)
    tags = site.field("Mots-clés (facultatif)")
    tags.send_keys("plafond, FR76 3000 6000 0112 3456")
    assert not site.find_all(TAGS_WARNING)
    tags.send_keys(" 7890 189")
    text = site.wait_for(lambda: _tags_warning(site), "the warning under the tags")
    assert "données confidentielles (un IBAN)" in text and "sera retenu" in text
    assert not site.find_all(WARNING)  # the text holds nothing: its own warning stays quiet
    assert "confidential-tags-status" in tags.get_attribute("aria-describedby")
    assert site.find("#confidential-tags-status").get_attribute("role") == "status"
    site.check()
    site.no_horizontal_scroll()
    site.screenshot("compose-tags-warning")

    site.click_button("Publier")
    site.wait_for(lambda: "/posts/" in site.driver.current_url, "the new thread")
    held = site.wait_for(lambda: (t := site.find("#main").text) and
                         "Retenue : elle semble contenir des données confidentielles" in t and t,
                         "the held state shown to the author")
    assert "3456" in site.find(".taxonomy .tags").text and not site.find_all(".taxonomy .tags a")
    assert glue_punctuation(title) in held  # its "?" tied to its word on the page
    site.check()
    site.screenshot("compose-tags-held")
    assert '"3456"' not in _fetch_text(site, "/api/v1/tags?prefix=34&limit=100")

    site.visit("/lang/en?next=/write")
    site.field("Tags (optional)").send_keys("FR76 3000 6000 0112 3456 7890 189")
    text = site.wait_for(lambda: _tags_warning(site), "the English warning")
    assert "This looks like confidential data (an IBAN)" in text
    site.check()


def test_a_harmless_question_says_published_right_after_posting(site):
    """The automatic review publishes it some 50 ms later: the author is not told it waits for a
    community manager (nor has to reload to learn it was published)."""
    title = f"Frais de carte en Espagne {uuid.uuid4().hex[:6]}"
    site.sign_in(MEMBER3, next_path="/write")
    site.wait_for_path("/write")
    _post(site, title, "Bonjour, y a-t-il des frais si je paie par carte à Madrid ?")
    text = site.wait_for(lambda: (t := site.find("#main").text) and
                         "Publiée : tout le monde peut la lire." in t and t, "published")
    assert "Madrid" in text and "gestionnaire" not in text
    site.check()
    site.screenshot("compose-published")
    # the byline once published agrees with a question (« Publiée le », not « Publié le »)
    site.driver.refresh()
    assert site.find(".thread-head time").text.startswith("Publiée le")
    path = urlsplit(site.driver.current_url).path
    site.visit(f"/lang/en?next={path}")
    assert site.find(".thread-head time").text.startswith("Published on")
    site.screenshot("compose-published-en")
    site.visit(f"/lang/fr?next={path}")


def test_while_the_review_is_slow_the_state_updates_itself(site, demo):
    """Moderation down for a moment (a deploy, a backlog): the author reads that the text is
    being checked, and the box changes by itself once moderation ruled, without a reload."""
    site.sign_in(MEMBER3, next_path="/write")
    site.wait_for_path("/write")
    moderation = demo.processes["moderation"]
    moderation.popen.send_signal(signal.SIGTERM)
    moderation.popen.wait(timeout=30)
    try:
        _post(site, f"Carte perdue à Lisbonne {uuid.uuid4().hex[:6]}",
              "Bonjour, ma carte a été perdue, comment la faire opposer depuis l'étranger ?")
        box = site.find(".review-state-region")
        assert "Vérification en cours" in box.text and "Lisbonne" in site.find("h1").text
        assert "opposer" in site.find(".thread .prose").text  # the author's text meanwhile
        site.driver.execute_script("window.samePage = true")
        site.check()
        site.screenshot("compose-checking")
    finally:
        demo.spawn(moderation)
        demo._wait_ready(moderation)
    site.wait_for(lambda: "Publiée : tout le monde peut la lire." in
                  site.find(".review-state-region").text, "the box updated: published")
    assert site.driver.execute_script("return window.samePage === true")
    site.check()


def test_the_heading_follows_the_kind_chosen(site):
    site.sign_in(MEMBER3, next_path="/write")
    site.wait_for_path("/write")
    assert site.heading("Poser une question", 1)
    assert site.driver.title == "Poser une question · Agora"
    site.driver.execute_script("window.samePage = true")
    site.find("label[for='field-kind-idea']").click()
    site.wait_for(lambda: site.heading("Proposer une idée", 1), "an idea's heading")
    assert site.driver.title == "Proposer une idée · Agora"
    assert "kind=idea" in site.driver.current_url  # a reload, a shared link: still an idea
    assert site.driver.execute_script("return window.samePage === true")
    site.check()
    site.screenshot("compose-idea")
    site.find("label[for='field-kind-discussion']").click()
    site.wait_for(lambda: site.heading("Lancer une discussion", 1), "a discussion's heading")
    site.driver.refresh()
    assert site.heading("Lancer une discussion", 1)
    assert site.find("#field-kind-discussion").is_selected()


def test_field_errors_are_shown_next_to_the_fields_and_summarised(site):
    site.sign_in(MEMBER3, next_path="/write?kind=discussion")
    site.wait_for_path("/write")
    site.fill("Titre", "Ok")
    site.click_button("Publier")
    site.wait_for(lambda: site.find("#form-alert").is_displayed(), "the error summary")
    assert site.find("#field-title-error").text
    assert site.find("#field-body-error").text
    assert site.find("#field-title").get_attribute("aria-invalid") == "true"
    assert site.find("#field-kind-discussion").is_selected()
    site.check()
    site.screenshot("compose-errors")


def test_a_tag_suggestion_is_the_tag_as_written_accents_kept(site):
    """The suggestions offered the slug ("epargne"), so picking one lost the accent the
    member typed and every tag page showed."""
    site.sign_in(MEMBER3, next_path="/write")
    site.wait_for_path("/write")
    site.field("Mots-clés (facultatif)").send_keys("voyage, épa")
    options = site.wait_for(lambda: [option.get_attribute("value") for option in
                                     site.find_all("#tag-options option")], "the suggestions")
    assert "voyage épargne" in options and not [o for o in options if "epargne" in o]
