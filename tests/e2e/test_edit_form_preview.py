"""The edit page's Preview without JavaScript: the form posts with action=preview and the edit
page comes back with the text rendered, the warning when posts' preview finds confidential data,
the fields as typed — nothing is saved. (With JavaScript the same pieces work in place:
tests/browser/test_thread_actions.py.)"""
from __future__ import annotations

import re
import uuid

from .steps import IBAN, ok, site_csrf, site_login, submit, visible


def test_an_edit_previewed_without_javascript_is_shown_and_not_saved(platform, api):
    base, author = platform.base_url, api.new_user()
    post = visible(api, submit(api, author, title="Virement refusé à l'étranger")["id"])
    browser, _ = site_login(base, author)
    path = f"{base}/posts/{post['id']}/edit"
    token = site_csrf(browser, base, f"/posts/{post['id']}/edit")
    page = browser.post(path, timeout=10, data={
        "csrf_token": token, "action": "preview", "title": "Virement refusé, que faire ?",
        "body": f"**Voici** mon RIB : {IBAN}", "category": "accounts", "tags": "virement"})
    assert page.status_code == 200
    shown = re.search(r'id="edit-preview-body"[^>]*>(.*?)</div>', page.text, re.S).group(1)
    assert "<strong>Voici</strong>" in shown
    warning = re.search(r'id="edit-confidential-status"[^>]*><p class="callout callout-warning">'
                        r'([^<]*)</p>', page.text)
    assert warning and "données confidentielles (un IBAN)" in warning.group(1)
    # what was typed stays in the form (the category chosen, the tags), and nothing is saved
    assert f"**Voici** mon RIB : {IBAN}" in page.text
    assert 'value="Virement refusé, que faire ?"' in page.text
    assert '<option value="accounts" selected>' in page.text and 'value="virement"' in page.text
    assert ok(api.get(f"/api/v1/posts/{post['id']}"))["revision"] == 1
    # another member cannot use it to read the form
    other, _ = site_login(base, api.new_user())
    assert other.post(path, timeout=10, data={
        "csrf_token": site_csrf(other, base, f"/posts/{post['id']}"), "action": "preview",
        "body": "x"}).status_code == 403


def _form_of(browser, base, path):
    """The edit page's fields as it opens them (its hidden ones too) and its CSRF token."""
    page = browser.get(base + path, timeout=10)
    assert page.status_code == 200
    fields = dict(re.findall(r'<input type="hidden" name="(\w+_was)" value="([^"]*)">', page.text))
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text).group(1)
    return page.text, {**fields, "csrf_token": token}


def test_a_post_in_an_archived_category_is_still_edited_and_a_waiting_edit_reopens_as_sent(
        platform, api):
    base, author, admin = platform.base_url, api.new_user(), platform.admin
    slug = f"old{uuid.uuid4().hex[:8]}"
    ok(api.post("/api/v1/categories", user=admin, json={
        "slug": slug, "name": {"fr": "Ancienne", "en": "Old"}}), 201)
    post = visible(api, submit(api, author, title="Plafond de retrait", category=slug)["id"])
    ok(api.put(f"/api/v1/categories/{slug}/archived", user=admin))
    browser, _ = site_login(base, author)
    path = f"/posts/{post['id']}/edit"
    page, hidden = _form_of(browser, base, path)
    assert f'<option value="{slug}" selected>' in page  # its own, though no new post may name it
    saved = browser.post(base + path, timeout=10, allow_redirects=False, data={
        **hidden, "title": "Plafond de retrait au distributeur", "body": "Quel est le plafond ?",
        "category": slug, "tags": ""})
    assert saved.status_code == 303, saved.text[-1500:]
    assert visible(api, post["id"], revision=2)["category"] == slug

    # an edit waiting for review (a phone number) that moves it: the page reopens it as sent
    page, hidden = _form_of(browser, base, path)
    held = browser.post(base + path, timeout=10, allow_redirects=False, data={
        **hidden, "title": "Plafond de retrait au distributeur",
        "body": "Rappelez-moi au 06 12 34 56 78.", "category": "accounts", "tags": "retrait"})
    assert held.status_code == 303
    page, hidden = _form_of(browser, base, path)
    assert '<option value="accounts" selected>' in page and 'value="retrait"' in page
    # corrected and saved as reopened: the category and tags it moved to stay
    saved = browser.post(base + path, timeout=10, allow_redirects=False, data={
        **hidden, "title": "Plafond de retrait au distributeur",
        "body": "Quel est le plafond au distributeur ?", "category": "accounts",
        "tags": "retrait"})
    assert saved.status_code == 303
    published = visible(api, post["id"], revision=4)
    assert (published["category"], published["tags"]) == ("accounts", ["retrait"])
