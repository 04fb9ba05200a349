"""The reply form's Preview without JavaScript (s25 review, content F6): the form posts with
action=preview and the thread's reply page comes back with the text rendered and, when posts'
preview finds confidential data in it, the warning — nothing is sent. (With JavaScript the same
pieces work in place: tests/browser/test_reply_form.py.)"""
from __future__ import annotations

import re

from .steps import IBAN, ok, site_csrf, site_login, submit, visible


def test_preview_without_javascript_shows_the_text_and_the_warning_and_sends_nothing(platform,
                                                                                   api):
    base, helper = platform.base_url, api.new_user()
    post = visible(api, submit(api, api.new_user(), title="Carte refusée à l'étranger")["id"])
    browser, _ = site_login(base, helper)
    token = site_csrf(browser, base, f"/posts/{post['id']}")
    page = browser.post(f"{base}/posts/{post['id']}/reply", timeout=10, data={
        "csrf_token": token, "kind": "question", "action": "preview",
        "body": f"**Voici** mon RIB : {IBAN}"})
    assert page.status_code == 200
    shown = re.search(r'id="reply-preview-body"[^>]*>(.*?)</div>', page.text, re.S).group(1)
    assert "<strong>Voici</strong>" in shown  # as it will read (the author has the values)
    warning = re.search(r'id="reply-confidential-status"[^>]*><p class="callout callout-warning">'
                        r'([^<]*)</p>', page.text)
    assert warning and "données confidentielles (un IBAN)" in warning.group(1)
    assert f"**Voici** mon RIB : {IBAN}" in page.text  # the text stays in the form
    assert ok(api.get(f"/api/v1/posts/{post['id']}/replies"))["items"] == []

    # in English for an English reader
    ok(api.patch("/api/v1/me", user=helper, json={"language": "en"}))
    browser, _ = site_login(base, helper)
    token = site_csrf(browser, base, f"/posts/{post['id']}")
    page = browser.post(f"{base}/posts/{post['id']}/reply", timeout=10, data={
        "csrf_token": token, "action": "preview", "body": f"My IBAN {IBAN}"})
    assert page.status_code == 200 and "looks like confidential data (an IBAN)" in page.text
    assert "Never write your account details here" in page.text


def test_a_reply_sent_without_javascript_is_confirmed_on_the_thread(platform, api):
    """With JavaScript the thread says a reply is sent (role=status); without, the form posted,
    the thread came back and said nothing — a held reply looked lost to its author."""
    base, helper = platform.base_url, api.new_user()
    post = visible(api, submit(api, api.new_user(), title="Virement en attente")["id"])
    browser, _ = site_login(base, helper)
    token = site_csrf(browser, base, f"/posts/{post['id']}")
    page = browser.post(f"{base}/posts/{post['id']}/reply", timeout=10, data={
        "csrf_token": token, "body": f"Envoyez-le sur mon RIB : {IBAN}"})
    assert page.status_code == 200 and f"/posts/{post['id']}" in page.url
    assert "Votre réponse est envoyée." in page.text
    # the reply's notice, not the post's (which draws the question's state box)
    assert f'id="review-state-{post["id"]}"' not in page.text
    again = browser.get(page.url, timeout=10)  # said once
    assert "Votre réponse est envoyée." not in again.text
