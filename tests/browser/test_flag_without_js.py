"""The flag form sent by a browser without JavaScript, as a member sees the answer when the flag
is refused for its input ("Autre motif" without words): the form on a page of its own, the
error next to the words' field, the reason kept — in French and English, at a phone's and a
desktop's size. (The HTML in detail: tests/e2e/test_flag_form_without_js.py; with JavaScript:
tests/browser/test_thread_actions.py.)"""
from __future__ import annotations

from ..e2e.steps import submit, visible


def _send_without_javascript(site, form_css: str) -> None:
    """The form sent as a browser without JavaScript sends it: `submit()` fires no submit
    event, so htmx does not take it over (no HX-Request header)."""
    site.driver.execute_script("arguments[0].submit()", site.find(form_css))


def test_another_reason_without_words_comes_back_with_its_error_on_a_page(site, demo):
    api = demo.api
    post = visible(api, submit(api, api.new_user(), title="Carte bloquée au distributeur")["id"])
    reader = api.new_user()
    site.sign_in(reader.email, reader.password, next_path=f"/posts/{post['id']}")
    base = f"flag-{post['id']}"
    for language in ("fr", "en"):
        site.visit(f"/lang/{language}?next=/posts/{post['id']}", check=False)
        site.wait_for_path(f"/posts/{post['id']}")
        site.find(f"#{base} summary").click()
        site.find(f"label[for='{base}-other']").click()
        _send_without_javascript(site, f"#{base} form")
        site.wait_for_path(f"/posts/{post['id']}/flag")
        assert site.heading(site.t("Report this contribution", "Signaler cette contribution"), 1)
        error = site.find(f"#{base}-details-error")
        assert error.get_attribute("role") == "alert"
        assert site.t("Another reason", "Autre motif") in error.text
        assert site.find(f"#{base}-details").get_attribute("aria-invalid") == "true"
        assert site.find(f"#{base}-other").is_selected()
        back = site.find(f"a[href='/posts/{post['id']}']")
        assert "Carte bloquée au distributeur" in back.text
        site.check()
        site.no_horizontal_scroll()
        site.screenshot(f"flag-without-js-{language}")
    # the words typed, the form sent again from this page: taken, back on the thread
    site.find(f"#{base}-details").send_keys("Publicité pour un site de paris")
    _send_without_javascript(site, f"#{base} form")
    site.wait_for(lambda: site.driver.current_url.endswith(f"/posts/{post['id']}"), "the thread")
    assert site.text_of(".notice-flagged") == \
        "Thank you: your report is sent to the community team."
