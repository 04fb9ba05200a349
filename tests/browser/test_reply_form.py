"""A thread's reply form helps like the compose page (s25 review, content F6): a reminder, the
confidential-data warning while typing and a preview in place — the same pieces
(templates/posts/_writing.html, static/js/writing.js), by keyboard, on a phone and a desktop."""
from __future__ import annotations

from selenium.webdriver.common.keys import Keys

from ..e2e.steps import IBAN
from .test_thread_actions import _focused, _helper_on_a_question, _mark_page, _press, _same_page

WARNING = "#reply-confidential-status #reply-confidential-warning"


def _warning_shown(site):
    shown = site.find_all(WARNING)
    return shown[0].text if shown and shown[0].is_displayed() else None


def _retype(body, text: str) -> None:
    body.send_keys(Keys.CONTROL, "a")
    body.send_keys(Keys.DELETE)
    body.send_keys(text)


def test_the_reply_form_warns_while_typing_and_previews_in_place(site, demo):
    _helper_on_a_question(site, demo.api)
    site.check()
    _mark_page(site)
    body = site.find("#reply-body")
    reminder = site.find("#reply-reminder").text
    assert reminder.startswith("N’écrivez jamais vos coordonnées bancaires ici")
    described = body.get_attribute("aria-describedby").split()
    assert {"reply-reminder", "reply-confidential-status"} <= set(described)
    assert site.find("#reply-confidential-status").get_attribute("role") == "status"

    body.send_keys("Voici mon RIB : ")
    assert not site.find_all(WARNING)
    body.send_keys(IBAN)
    text = site.wait_for(lambda: _warning_shown(site), "the confidential-data warning")
    assert "données confidentielles (un IBAN)" in text and IBAN not in text
    site.check()
    site.no_horizontal_scroll()
    site.driver.execute_script("document.getElementById('reply-form').scrollIntoView()")
    site.screenshot("reply-form-warning")

    # the preview, by keyboard: the text rendered in place, the focus on it, nothing sent
    _retype(body, "**Merci** pour votre aide.\n\n- le plafond\n- l'appli")
    site.wait_for(lambda: not site.find_all(WARNING), "the warning gone")
    _press(site, "#reply-preview-button")
    site.wait_for(lambda: site.find_all("#reply-preview-body strong"), "the preview")
    assert site.find("#reply-preview-body strong").text == "Merci"
    assert [li.text for li in site.find_all("#reply-preview-body li")] == ["le plafond",
                                                                         "l'appli"]
    site.wait_for(lambda: _focused(site) == "reply-preview-heading", "the focus on the preview")
    assert site.find("#answers-title").text == "0 réponse" and _same_page(site)
    site.check()
    site.no_horizontal_scroll()
    site.driver.execute_script("document.getElementById('reply-form').scrollIntoView()")
    site.screenshot("reply-form-preview")

    # sent (htmx brings a new, empty form): the new form warns too
    _press(site, "#reply-form button[type=submit]")
    site.wait_for(lambda: site.find("#answers-title").text == "1 réponse", "the reply added")
    assert _same_page(site)
    site.find("#reply-body").send_keys(f"Et mon IBAN {IBAN}")
    site.wait_for(lambda: _warning_shown(site), "the warning on the new form")
    assert site.find("#reply-preview").get_attribute("hidden") is not None  # a new, empty form
