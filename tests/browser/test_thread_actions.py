"""Taking part in a thread, as members do it: reply, vote, accept, flag, follow / watch / mute,
edit with its history, delete — without a full reload where JavaScript is on.

The API only arranges what the tested member finds (a question by one member, an answer by
another); everything the test checks is done by clicking and typing."""
from __future__ import annotations

import uuid

from ..e2e.steps import ok, reply_visible, visible


def _question(api, asker):
    post = ok(api.post("/api/v1/posts", user=asker, json={
        "kind": "question", "title": f"Plafond de carte à l'étranger {uuid.uuid4().hex[:6]}",
        "body": "Ma carte est refusée en voyage, que faire ?", "category": "cards"}), 201)
    return visible(api, post["id"], user=asker)


def _answer(api, helper, post_id):
    reply = ok(api.post(f"/api/v1/posts/{post_id}/replies", user=helper,
                        json={"body": "Vérifiez le plafond dans l'appli, rubrique Carte."}), 201)
    return reply_visible(api, reply["id"])


def _mark_page(site):
    """A flag on this page's window: it is still there only if the page was not reloaded."""
    site.driver.execute_script("window.samePage = true")


def _same_page(site) -> bool:
    return site.driver.execute_script("return window.samePage === true")


def test_a_reply_appears_without_a_full_reload(site, demo):
    api = demo.api
    asker, helper = api.new_user(), api.new_user()
    post = _question(api, asker)
    site.sign_in(helper.email, helper.password, next_path=f"/posts/{post['id']}")
    site.wait_for_path(f"/posts/{post['id']}")
    site.check()
    assert "Pas encore de réponse" in site.find("#main").text
    _mark_page(site)
    site.fill("Votre texte", "Appelez le service client, ils débloquent en deux minutes.")
    site.click_button("Envoyer ma réponse")
    item = site.wait_for(lambda: site.find_all("#answer-list li"), "the new reply in the list")[0]
    assert "En attente de validation" in item.text or "débloquent" in item.text
    assert _same_page(site)
    assert "Pas encore de réponse" not in site.find("#main").text  # the empty-list line went
    assert site.find("#reply-body").get_attribute("value") == ""
    site.check()
    site.no_horizontal_scroll()
    site.screenshot("thread-reply")


def test_an_empty_reply_is_refused_next_to_its_field(site, demo):
    api = demo.api
    asker, helper = api.new_user(), api.new_user()
    post = _question(api, asker)
    site.sign_in(helper.email, helper.password, next_path=f"/posts/{post['id']}")
    site.wait_for_path(f"/posts/{post['id']}")
    _mark_page(site)
    site.click_button("Envoyer ma réponse")
    error = site.find("#reply-body-error")
    assert error.get_attribute("role") == "alert" and error.text
    assert site.find("#reply-body").get_attribute("aria-invalid") == "true"
    assert _same_page(site)
    site.check()


def test_votes_toggle_and_the_count_updates_in_place(site, demo):
    api = demo.api
    asker, voter = api.new_user(), api.new_user()
    post = _question(api, asker)
    site.sign_in(voter.email, voter.password, next_path=f"/posts/{post['id']}")
    site.wait_for_path(f"/posts/{post['id']}")
    _mark_page(site)
    selector = f"#vote-{post['id']} button"
    site.find(selector).click()
    site.wait_for(lambda: site.find(selector).get_attribute("aria-pressed") == "true", "voted")
    assert site.find(f"{selector} .count").text == "1"
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
    site.sign_in(asker.email, asker.password, next_path=f"/posts/{post['id']}")
    site.wait_for_path(f"/posts/{post['id']}")
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
    asker, reader = api.new_user(), api.new_user()
    post = _question(api, asker)
    site.sign_in(reader.email, reader.password, next_path=f"/posts/{post['id']}")
    site.wait_for_path(f"/posts/{post['id']}")
    _mark_page(site)
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


def test_follow_the_author_watch_and_mute_the_thread(site, demo):
    api = demo.api
    asker, reader = api.new_user(), api.new_user()
    post = _question(api, asker)
    site.sign_in(reader.email, reader.password, next_path=f"/posts/{post['id']}")
    site.wait_for_path(f"/posts/{post['id']}")
    _mark_page(site)
    for name, after in (("follow", "Auteur suivi : arrêter"),
                        ("watch", "Discussion suivie : arrêter"),
                        ("mute", "En sourdine : réactiver")):
        button = f"#toggle-{name} button"
        assert site.find(button).get_attribute("aria-pressed") == "false"
        site.find(button).click()
        site.wait_for(lambda b=button: site.find(b).get_attribute("aria-pressed") == "true", name)
        assert site.find(button).text == after
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
    site.sign_in(helper.email, helper.password, next_path=f"/posts/{post['id']}")
    site.wait_for_path(f"/posts/{post['id']}")
    site.find(f"#reply-{reply['id']} a[href$='/edit']").click()
    site.wait_for_path("/edit")
    site.check()
    site.fill("Votre texte", "Vérifiez le plafond dans l'appli, rubrique Carte, puis Plafonds.")
    site.click_button("Enregistrer")
    site.wait_for_path(f"/posts/{post['id']}")

    def history_link():
        links = site.find_all(f"#reply-{reply['id']} a[href$='/history']")
        if links:
            return links[0]
        site.driver.refresh()  # the edit is published once moderation releases it
        return None

    site.wait_for(history_link, "the edit published").click()
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
    site.check()
