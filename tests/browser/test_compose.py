"""Writing, as a member does it: the confidential-data warning while typing, the preview, posting,
and the state of what was posted in plain words (held questions shown to their author only)."""
from __future__ import annotations

import uuid

from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

IBAN = "FR76 3000 6000 0112 3456 7890 189"
WARNING = "#confidential-status #confidential-warning"


def _warning_shown(site):
    shown = site.find_all(WARNING)
    return shown[0].text if shown and shown[0].is_displayed() else None


def _clear(control):
    control.send_keys(Keys.CONTROL, "a")
    control.send_keys(Keys.DELETE)


def test_confidential_warning_appears_while_typing_an_iban_and_goes_when_removed(site):
    site.sign_in("member3@demo.agora", next_path="/write")
    site.wait_for_path("/write")
    site.check()
    assert site.heading("Poser une question", 1)
    site.fill("Titre", "Virement refusé vers mon compte")
    body = site.field("Votre texte")
    body.send_keys("Bonjour, mon virement vers ")
    assert not site.find_all(WARNING)
    body.send_keys(IBAN)
    text = site.wait_for(lambda: _warning_shown(site), "the confidential-data warning")
    assert "données confidentielles (un IBAN)" in text and "masquées" in text
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


def test_preview_renders_the_markdown_in_place(site):
    site.sign_in("member3@demo.agora", next_path="/write?kind=idea")
    site.wait_for_path("/write")
    assert site.heading("Proposer une idée", 1)
    site.fill("Votre texte", "Un **thème sombre** pour l'appli\n\n- le soir\n- la nuit")
    site.driver.execute_script("window.samePage = true")
    site.click_button("Aperçu")
    site.wait_for(lambda: site.find_all("#preview-body strong"), "the preview")
    assert site.find("#preview-body strong").text == "thème sombre"
    assert len(site.find_all("#preview-body li")) == 2
    assert site.driver.execute_script("return window.samePage === true")  # no reload
    site.check()
    site.screenshot("compose-preview")


def test_a_held_question_is_shown_to_its_author_and_invisible_to_others(site):
    title = f"Mon IBAN dans une question {uuid.uuid4().hex[:6]}"
    site.sign_in("member4@demo.agora", next_path="/write")
    site.wait_for_path("/write")
    site.fill("Titre", title)
    site.fill("Votre texte", f"Est-ce que mon IBAN {IBAN} est bon pour recevoir mon salaire ?")
    Select(site.field("Catégorie")).select_by_index(1)
    site.click_button("Publier")
    site.wait_for(lambda: "/posts/" in site.driver.current_url, "the new thread")
    thread_url = site.driver.current_url

    def held():
        text = site.find("main").text
        if "Retenue : elle semble contenir des données confidentielles" in text:
            return text
        site.driver.refresh()  # moderation decides asynchronously: look again
        return None

    text = site.wait_for(held, "the held state shown to the author")
    assert "Vous seul la voyez" in text and IBAN not in text
    site.check()
    site.no_horizontal_scroll()
    site.screenshot("compose-held")
    # another member, then an anonymous visitor: the question does not exist for them
    site.driver.delete_all_cookies()
    site.driver.get(thread_url)
    assert site.heading("Page introuvable", 1)
    site.check()
    site.sign_in("member5@demo.agora")
    site.driver.get(thread_url)
    assert site.heading("Page introuvable", 1)
    assert title not in site.text()


def test_field_errors_are_shown_next_to_the_fields_and_summarised(site):
    site.sign_in("member3@demo.agora", next_path="/write?kind=discussion")
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
