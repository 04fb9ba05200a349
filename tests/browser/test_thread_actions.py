"""Taking part in a thread, as members do it: reply, vote, accept, flag, follow / watch / mute,
edit with its history, delete — without a full reload where JavaScript is on, the keyboard's
focus kept where the member is and what happened said to screen readers.

The API only arranges what the tested member finds (a question by one member, an answer by
another); everything the test checks is done by clicking and typing."""
from __future__ import annotations

import uuid

import requests
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from ..conftest import wait_for
from ..e2e.steps import IBAN, ok, reply_visible, staff, submit, visible

MERGED = "Cette idée a été fusionnée avec une idée semblable : votez et répondez sur celle-ci."


def _question(api, asker):
    post = ok(api.post("/api/v1/posts", user=asker, json={
        "kind": "question", "title": f"Plafond de carte à l'étranger {uuid.uuid4().hex[:6]}",
        "body": "Ma carte est refusée en voyage, que faire ?", "category": "cards"}), 201)
    return visible(api, post["id"], user=asker)


def _answer(api, helper, post_id):
    reply = ok(api.post(f"/api/v1/posts/{post_id}/replies", user=helper,
                        json={"body": "Vérifiez le plafond dans l'appli, rubrique Carte."}), 201)
    return reply_visible(api, reply["id"])


def _open_as(site, user, post_id: str) -> None:
    site.sign_in(user.email, user.password, next_path=f"/posts/{post_id}")
    site.wait_for_path(f"/posts/{post_id}")


def _a_readers_question(site, api) -> dict:
    """A fresh member's question, opened by another fresh member (the page marked: `_same_page`
    then tells whether an action reloaded it)."""
    post = _question(api, api.new_user())
    _open_as(site, api.new_user(), post["id"])
    _mark_page(site)
    return post


def _deleted_page_shown(site) -> None:
    """The post's page says it was deleted (the deletion is shown by a projection: a page
    opened before it landed is looked at again)."""
    def gone():
        if site.heading("Cette contribution a été supprimée.", 1):
            return True
        site.driver.refresh()
        return False

    site.wait_for(gone, "the deleted post's page")


def _helper_on_a_question(site, api):
    """A member's question, open in the browser of another member who may answer it."""
    asker, helper = api.new_user(), api.new_user()
    post = _question(api, asker)
    _open_as(site, helper, post["id"])
    return post


def _mark_page(site):
    """A flag on this page's window: it is still there only if the page was not reloaded."""
    site.driver.execute_script("window.samePage = true")


def _same_page(site) -> bool:
    return site.driver.execute_script("return window.samePage === true")


def _press(site, css: str) -> None:
    """Enter on a control, as a keyboard user sends a form."""
    site.find(css).send_keys(Keys.ENTER)


def _focused(site) -> str:
    """The id of the element that has the keyboard's focus ("" for none, e.g. the page's body)."""
    return site.driver.switch_to.active_element.get_attribute("id") or ""


def _said(site) -> str:
    """What the page's live region holds (read out by screen readers, seen or not)."""
    return site.find("#live-status").get_attribute("textContent").replace("\xa0", " ")


def _sent(site) -> str:
    """What became of the reply just sent, above the form (the thread's #reply-status)."""
    return site.find("#reply-status").get_attribute("textContent").replace("\xa0", " ")


def _words(element) -> str:
    return element.text.replace("\xa0", " ")


def test_a_reply_appears_without_a_full_reload(site, demo):
    api = demo.api
    _helper_on_a_question(site, api)
    site.check()
    assert "Pas encore de réponse" in site.find("#main").text
    assert site.find("#answers-title").text == "0 réponse"
    _mark_page(site)
    site.fill("Votre texte", "Appelez le service client, ils débloquent en deux minutes.")
    _press(site, "#reply-form button[type=submit]")
    item = site.wait_for(lambda: site.find_all("#answer-list li"), "the new reply in the list")[0]
    assert "débloquent" in item.text
    assert _same_page(site)
    site.wait_for(lambda: _focused(site) == item.get_attribute("id"), "the focus on the reply")
    # said and counted: at once when the automatic review ruled within the page's wait (as a
    # rule: the live region says it), else once the review box, asking again, says it
    site.wait_for(lambda: "Votre réponse est publiée." in _sent(site)
                  or "Publiée : tout le monde peut la lire." in item.text,
                  "the reply said published")
    site.wait_for(lambda: site.find("#answers-title").text == "1 réponse", "the new count")
    assert "Pas encore de réponse" not in site.find("#main").text  # the empty-list line went
    assert site.find("#reply-body").get_attribute("value") == ""
    site.check()
    site.no_horizontal_scroll()
    site.screenshot("thread-reply")


def test_a_held_reply_shows_its_author_why_and_their_text_without_a_reload(site, demo):
    api = demo.api
    post = _helper_on_a_question(site, api)
    _mark_page(site)
    site.fill("Votre texte", f"Faites un virement sur mon IBAN {IBAN}, je vous avance les frais.")
    _press(site, "#reply-form button[type=submit]")
    item = site.wait_for(lambda: [li for li in site.find_all("#answer-list li")
                                  if "Retenue : elle semble contenir" in li.text],
                         "the held reply, with why")[0]
    assert IBAN in item.find_element("css selector", ".prose").text  # the author's own text
    assert "Vérification en cours" not in item.text
    assert _same_page(site)
    site.wait_for(lambda: _focused(site) == item.get_attribute("id"), "the focus on the reply")
    # the box came in already written; the thread's live region, there before, confirms it
    assert "Votre réponse est envoyée. Elle est retenue pour vérification" in _sent(site)
    # not published: not counted, and said so
    heading = site.find("#answers-title").text
    assert heading.startswith("0 réponse publiée") and "sans compter" in heading, heading
    site.check()
    site.screenshot("thread-reply-held")
    anonymous = requests.get(site.url(f"/posts/{post['id']}"), timeout=10).text
    assert "Faites un virement" not in anonymous and IBAN not in anonymous


def test_an_empty_reply_is_refused_next_to_its_field(site, demo):
    api = demo.api
    _helper_on_a_question(site, api)
    _mark_page(site)
    _press(site, "#reply-form button[type=submit]")
    error = site.find("#reply-body-error")
    assert error.get_attribute("role") == "alert" and error.text
    assert site.find("#reply-body").get_attribute("aria-invalid") == "true"
    assert _same_page(site)
    site.wait_for(lambda: _focused(site) == "reply-body", "the focus on the field to correct")
    site.check()


def test_votes_toggle_and_the_count_updates_in_place(site, demo):
    api = demo.api
    post = _a_readers_question(site, api)
    selector = f"#vote-{post['id']} button"
    _press(site, selector)
    site.wait_for(lambda: site.find(selector).get_attribute("aria-pressed") == "true", "voted")
    assert site.find(f"{selector} .count").text == "1"
    assert _focused(site) == f"vote-{post['id']}-button"  # still on the button swapped in
    site.check()
    site.screenshot("thread-voted")
    site.find(selector).click()
    site.wait_for(lambda: site.find(selector).get_attribute("aria-pressed") == "false", "unvoted")
    assert site.find(f"{selector} .count").text == "0"
    assert _same_page(site)


def test_the_asker_accepts_an_answer(site, demo):
    api = demo.api
    asker, helper = api.new_user(), api.new_user()
    post = _question(api, asker)
    reply = _answer(api, helper, post["id"])
    _open_as(site, asker, post["id"])
    site.click_button("Accepter cette réponse")

    def accepted():
        badges = site.find_all(f"#reply-{reply['id']} .badge-accepted")
        if badges:
            return badges[0]
        site.driver.refresh()  # the answer is accepted by a command, shown by a projection
        return None

    assert site.wait_for(accepted, "the accepted answer").text == "Réponse acceptée"
    assert not site.find_all(f"#reply-{reply['id']} form.accept")
    site.check()
    site.screenshot("thread-accepted")


def test_flag_with_a_reason(site, demo):
    api = demo.api
    post = _a_readers_question(site, api)
    site.find(f"#flag-{post['id']} summary").click()
    site.click_button("Envoyer le signalement")  # no reason chosen yet
    error = site.find(f"#flag-{post['id']}-error")
    assert error.text == "Choisissez un motif." and error.get_attribute("role") == "alert"
    site.find(f"label[for='flag-{post['id']}-off_topic']").click()
    site.check()
    site.screenshot("thread-flag")
    site.click_button("Envoyer le signalement")
    done = site.wait_for(lambda: [e for e in site.find_all(f"#flag-{post['id']}.flag-done")],
                         "the thanks")[0]
    assert "Merci" in done.text
    assert _same_page(site)
    site.check()


def test_another_reason_asks_for_the_members_words_and_the_team_reads_them(site, demo):
    """"Autre motif" alone told the community team nothing: the form asks for a few words
    (required for that reason, optional for the others), says who reads them, keeps the reason
    and the words when it refuses, and the words reach the team's flags queue."""
    api = demo.api
    post = _a_readers_question(site, api)
    base = f"flag-{post['id']}"
    site.find(f"#{base} summary").click()
    site.find(f"label[for='{base}-other']").click()
    site.click_button(site.t("Send the report", "Envoyer le signalement"))  # no words
    error = site.wait_for(lambda: site.find_all(f"#{base}-details-error"), "the words asked")[0]
    assert error.get_attribute("role") == "alert"
    assert site.t("Another reason", "Autre motif") in error.text
    words = site.find(f"#{base}-details")
    assert words.get_attribute("aria-invalid") == "true"
    assert f"{base}-details-error" in words.get_attribute("aria-describedby")
    assert site.find(f"#{base}-other").is_selected()  # the reason kept
    assert site.t("community team only", "l’équipe de la communauté seulement") in \
        site.find(f"#{base}-details-hint").text
    site.find(f"#{base}-details").send_keys("Ce message fait la publicité d’un site de paris")
    site.check()
    site.no_horizontal_scroll()
    site.screenshot("thread-flag-words")
    site.click_button(site.t("Send the report", "Envoyer le signalement"))
    site.wait_for(lambda: site.find_all(f"#{base}.flag-done"), "the thanks")
    assert _same_page(site)
    manager = staff(demo)
    item = wait_for(lambda: next((i for i in ok(api.get(
        "/api/v1/moderation/queue", user=manager, params={"review": "flags", "limit": 200})
    )["items"] if i["target_id"] == post["id"]), None), timeout=20, message="the flag queued")
    assert [(f["reason"], f.get("details")) for f in item["flaggers"]] == [
        ("other", "Ce message fait la publicité d’un site de paris")]


def test_follow_the_author_watch_and_mute_the_thread(site, demo):
    api = demo.api
    _a_readers_question(site, api)
    for name, words, pressed in (("follow", "Suivre l’auteur", "Vous suivez l’auteur"),
                                 ("watch", "Suivre cette question", "Question suivie"),
                                 ("mute", "Mettre en sourdine", "En sourdine")):
        button = f"#toggle-{name} button"
        assert site.find(button).get_attribute("aria-pressed") == "false"
        assert site.find(button).text == words
        _press(site, button)
        site.wait_for(lambda b=button: site.find(b).get_attribute("aria-pressed") == "true", name)
        assert site.find(button).text == pressed  # says it is on (and aria-pressed)
        assert _focused(site) == f"toggle-{name}-button"
    assert _same_page(site)
    site.check()
    site.screenshot("thread-toggles")

    def remembered():  # feeds records subscriptions asynchronously: look again until it shows
        site.driver.refresh()
        return all(site.find(f"#toggle-{name} button").get_attribute("aria-pressed") == "true"
                   for name in ("follow", "watch", "mute"))

    site.wait_for(remembered, "the subscriptions after a reload")
    site.find("#toggle-mute button").click()
    site.wait_for(lambda: site.find("#toggle-mute button").get_attribute("aria-pressed")
                  == "false", "unmuted")


def test_edit_with_visible_history_then_delete(site, demo):
    api = demo.api
    asker, helper = api.new_user(), api.new_user()
    post = _question(api, asker)
    reply = _answer(api, helper, post["id"])
    _open_as(site, helper, post["id"])
    site.find(f"#reply-{reply['id']} a[href$='/edit']").click()
    site.wait_for_path("/edit")
    site.check()
    site.fill("Votre texte", "Vérifiez le plafond dans l'appli, rubrique Carte, puis Plafonds.")
    site.click_button("Enregistrer")
    site.wait_for_path(f"/posts/{post['id']}")
    # the page waited for the review's verdict, as for a new text: the new text, at once
    assert "puis Plafonds" in site.find(f"#reply-{reply['id']} .prose").text
    site.find(f"#reply-{reply['id']} a[href$='/history']").click()
    site.wait_for_path("/history")
    site.check()
    assert "Version 2" in site.text() and "Version 1" in site.text()
    assert "puis Plafonds" in site.text()
    site.screenshot("reply-history")
    site.visit(f"/posts/{post['id']}")
    site.find(f"#delete-{reply['id']} summary").click()
    site.click_button("Oui, supprimer")
    site.wait_for(lambda: "Supprimé." in site.find("#live-status").text, "the deletion notice")

    def deleted():  # a deleted reply leaves the list, or shows its tombstone
        items = site.find_all(f"#reply-{reply['id']}")
        if not items or "Ce contenu a été supprimé." in items[0].text:
            return True
        site.driver.refresh()
        return False

    site.wait_for(deleted, "the reply deleted")
    assert not site.find_all(f"#reply-{reply['id']} a[href^='/members/']")  # nobody's, now
    site.check()


def test_votes_and_follows_are_worded_for_the_kind_of_post(site, demo):
    """An idea is supported and followed as an idea, a discussion liked; a question, its answers
    and comments are "useful". The answers htmx swaps in say the same."""
    api = demo.api
    author, reader = api.new_user(), api.new_user()
    posts = {kind: visible(api, submit(api, author, kind)["id"])
             for kind in ("idea", "discussion", "question")}
    site.sign_in(reader.email, reader.password, next_path=f"/posts/{posts['idea']['id']}")
    site.wait_for_path(f"/posts/{posts['idea']['id']}")
    vote, watch = f"#vote-{posts['idea']['id']} button", "#toggle-watch button"
    assert site.find(f"{vote} span").text == "Je soutiens"
    assert site.find(watch).text == "Suivre cette idée"
    _mark_page(site)
    site.find(vote).click()
    site.wait_for(lambda: site.find(vote).get_attribute("aria-pressed") == "true", "supported")
    assert site.find(f"{vote} span").text == "Je soutiens"
    site.find(watch).click()
    site.wait_for(lambda: site.find(watch).get_attribute("aria-pressed") == "true", "followed")
    assert site.find(watch).text == "Idée suivie"
    assert _same_page(site)
    site.check()
    site.screenshot("thread-idea-actions")
    for kind, vote_words, watch_words in (("discussion", "J’aime", "Suivre cette discussion"),
                                          ("question", "Utile", "Suivre cette question")):
        site.visit(f"/posts/{posts[kind]['id']}")
        assert site.find(f"#vote-{posts[kind]['id']} button span").text == vote_words, kind
        assert site.find(watch).text == watch_words, kind


def test_a_deleted_post_says_so_plainly(site, demo):
    api = demo.api
    asker = api.new_user()
    post = _question(api, asker)
    path = f"/posts/{post['id']}"
    site.sign_in(asker.email, asker.password, next_path=path)
    site.wait_for_path(path)
    site.find(f"#delete-{post['id']} summary").click()
    site.click_button("Oui, supprimer")
    _deleted_page_shown(site)
    site.check()
    site.no_horizontal_scroll()
    site.screenshot("thread-deleted")
    for seen_by in ("author", "visitor"):
        main = site.find("#main")
        assert site.driver.title == "Contribution supprimée · Agora", seen_by
        assert "(sans titre)" not in main.text and "Pas encore de réponse" not in main.text
        assert not site.find_all("#main a[href^='/members/']"), seen_by
        assert not site.find_all("#main a[href^='/login']"), seen_by
        assert site.find("#main a[href='/questions']").text == "Parcourir les questions"
        site.driver.delete_all_cookies()
        site.visit(path)
    answer = requests.get(site.url(path), headers={"Accept-Language": "en"}, timeout=10)
    assert answer.status_code == 410 and "This contribution was deleted." in answer.text


def test_a_held_question_is_taken_back_by_its_author(site, demo):
    """The way out of a hold its author no longer wants (posts edits only what was published):
    delete it from the thread, told that nothing of it will remain."""
    api = demo.api
    asker = api.new_user()
    post = ok(api.post("/api/v1/posts", user=asker, json={
        "kind": "question", "title": f"Virement bloqué {uuid.uuid4().hex[:6]}",
        "body": f"Mon IBAN est {IBAN}, pourquoi ce blocage ?", "category": "accounts"}), 201)
    wait_for(lambda: (ok(api.get(f"/api/v1/posts/{post['id']}", user=asker)).get("review") or {})
             .get("state") == "held", timeout=20, message="the question held")
    _open_as(site, asker, post["id"])
    site.find(f"#delete-{post['id']} summary").click()
    assert "rien n’en restera" in site.find(f"#delete-{post['id']} form").text
    site.check()
    site.screenshot("thread-held-take-back")
    site.click_button("Oui, supprimer")
    _deleted_page_shown(site)


def test_an_edit_shows_at_once_what_became_of_it(site, demo):
    """Saving an edit waits for the review's verdict, as posting does: the thread then shows the
    new text, or says why the change is held — and that the published text stays public
    meanwhile (not "only you can see it"), with the author's own version below it, marked as
    waiting, title and body (the page showed only the old one: the edit looked lost)."""
    api = demo.api
    asker = api.new_user()
    post = _question(api, asker)
    _open_as(site, asker, post["id"])
    site.visit(f"/posts/{post['id']}/edit")
    site.fill("Votre texte", "Ma carte est refusée en Italie depuis hier, que faire ?")
    site.click_button("Enregistrer")
    site.wait_for_path(f"/posts/{post['id']}")
    assert "en Italie depuis hier" in site.find("article.thread .prose").text
    assert not site.find_all(f"#pending-version-{post['id']}")  # published: nothing waits
    site.visit(f"/posts/{post['id']}/edit")
    site.fill("Titre", "Carte refusée en Italie : remboursement")
    site.fill("Votre texte", f"Remboursez-moi sur mon IBAN {IBAN}, merci.")
    site.click_button("Enregistrer")
    site.wait_for_path(f"/posts/{post['id']}")
    state = _words(site.find(f"#review-state-{post['id']}"))
    assert state.startswith("État de votre modification")
    assert "Votre modification attend une vérification : elle semble contenir des données " \
           "confidentielles" in state and "L’ancienne version reste visible en attendant." in state
    assert "Vous seul·e la voyez" not in site.text()
    assert "en Italie depuis hier" in site.find("article.thread .prose").text  # still public
    mine = site.find(f"#pending-version-{post['id']}")
    assert _words(mine).startswith("Votre modification, en attente de vérification (vous seul·e "
                                   "la voyez) :")
    assert mine.find_element("css selector", ".pending-version-title").text == \
        "Carte refusée en Italie\N{NARROW NO-BREAK SPACE}: remboursement"  # glued to its word
    assert "Remboursez-moi sur mon IBAN" in mine.find_element("css selector", ".prose").text
    site.check()
    site.no_horizontal_scroll()
    site.screenshot("thread-edit-held")
    # nobody else sees it: the public page is the published version alone
    anonymous = requests.get(site.url(f"/posts/{post['id']}"), timeout=10).text
    assert "Remboursez-moi" not in anonymous and "pending-version" not in anonymous


def test_a_merged_idea_is_read_only_and_a_form_left_open_says_why(site, demo):
    api = demo.api
    manager, author, reader = staff(demo), api.new_user(), api.new_user()
    duplicate, target = (visible(api, submit(api, author, "idea", title=title)["id"])
                         for title in ("Virements le dimanche", "Virements instantanés 7j/7"))
    path = f"/posts/{duplicate['id']}"
    _open_as(site, reader, duplicate["id"])
    ok(api.post(f"/api/v1/posts/{duplicate['id']}/merge-into/{target['id']}", user=manager))
    wait_for(lambda: ok(api.get(f"/api/v1/posts/{duplicate['id']}")).get("merged_into"),
             timeout=20, message="the merge shown")
    # the page opened before the merge: its forms are refused in the page's words
    site.find(f"#vote-{duplicate['id']} button").click()
    error = site.wait_for(lambda: site.find_all(f"#vote-{duplicate['id']} [role=alert]"),
                          "the vote refused")[0]
    assert _words(error) == MERGED
    site.fill("Votre texte", "Moi aussi, je voudrais ça.")
    _press(site, "#reply-form button[type=submit]")
    error = site.find("#reply-form-error")
    assert _words(error) == MERGED
    site.wait_for(lambda: _focused(site) == "reply-form-error", "the focus on why")
    site.visit(path)
    link = site.find(".merged-into a")
    assert link.get_attribute("href") == site.url(f"/posts/{target['id']}")
    assert not site.find_all(f"#vote-{duplicate['id']}") and not site.find_all("#reply-form")
    assert not site.find_all("#toggle-watch")
    site.no_horizontal_scroll()
    site.screenshot("thread-merged")
    link.click()
    site.wait_for_path(f"/posts/{target['id']}")
    assert site.find_all(f"#vote-{target['id']}") and site.find_all("#reply-form")


def test_an_author_refiles_their_question_and_retags_it(site, demo):
    api = demo.api
    asker = api.new_user()
    post = _question(api, asker)
    _open_as(site, asker, post["id"])
    site.find("#post-actions a[href$='/edit']").click()
    site.wait_for_path("/edit")
    # the compose page's writing aids: the warning while typing, the preview in place
    site.fill("Votre texte", f"**Urgent** : ma carte est refusée, mon IBAN est {IBAN}.")
    site.wait_for(lambda: site.find_all("#edit-confidential-warning"), "the warning")
    assert "IBAN" in site.find("#edit-confidential-warning").text
    site.find("#edit-preview-button").click()
    site.wait_for(lambda: site.find_all("#edit-preview-body strong"), "the preview")
    assert site.find("#edit-preview-body strong").text == "Urgent"
    site.check()
    site.screenshot("post-edit-warning-preview")
    site.fill("Votre texte", "**Urgent** : ma carte est refusée en voyage, que faire ?")
    site.wait_for(lambda: not site.find_all("#edit-confidential-warning"), "the warning gone")
    category = Select(site.find("#field-category"))
    assert category.first_selected_option.get_attribute("value") == "cards"
    category.select_by_value("accounts")
    # tags read as moderation reads them: a number split over several tags is warned of
    site.fill("Mots-clés (facultatif)", "fr76 3000 6000 0112 3456 7890 189")
    site.wait_for(lambda: site.find_all("#edit-tags-warning"), "the tags' warning")
    # a tag refused says why next to the field, and what was typed stays
    site.fill("Mots-clés (facultatif)", "voyage, plafond12345")
    site.wait_for(lambda: not site.find_all("#edit-tags-warning"), "the tags' warning gone")
    site.click_button("Enregistrer")
    site.wait_for(lambda: site.find_all("#field-tags-error"), "the tags refused")
    assert "au plus 4 chiffres" in site.find("#field-tags-error").text
    assert site.find("#field-tags").get_attribute("value") == "voyage, plafond12345"
    assert Select(site.find("#field-category")).first_selected_option.get_attribute(
        "value") == "accounts"
    site.check()
    site.screenshot("post-edit-category-tags-refused")
    site.fill("Mots-clés (facultatif)", "voyage, plafond")
    site.click_button("Enregistrer")
    site.wait_for_path(f"/posts/{post['id']}")
    site.wait_for(lambda: site.find_all("a[href='/categories/accounts']")
                  and site.find_all("a[href='/tags/plafond']"), "filed anew, with its tags")
    shown = ok(api.get(f"/api/v1/posts/{post['id']}"))
    assert (shown["category"], shown["tags"]) == ("accounts", ["voyage", "plafond"])
