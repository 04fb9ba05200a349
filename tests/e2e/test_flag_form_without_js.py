"""The flag form without JavaScript: a flag refused for its input ("Autre motif" without the
member's words, or no reason chosen) brings the form back on a page of its own — the error next
to its field, the reason and the words as sent, the way back to the thread — as the reply form
does, not the bare 400 error page. (With JavaScript the form answers in place:
tests/browser/test_thread_actions.py.)"""
from __future__ import annotations

import re

from .steps import ok, reply_visible, site_csrf, site_login, submit, visible

WORDS_NEEDED = {"fr": "Dites en quelques mots ce qui ne va pas : l’équipe de la communauté en a "
                      "besoin pour « Autre motif ».",
                "en": "Say in a few words what is wrong: the community team needs it for "
                      "“Another reason”."}
CHOOSE = {"fr": "Choisissez un motif.", "en": "Choose a reason."}
HEADING = {"fr": "<h1>Signaler cette contribution</h1>", "en": "<h1>Report this contribution</h1>"}


def _flag(browser, base: str, post_id: str, action: str, **fields: str):
    """The flag form sent as a browser without JavaScript sends it (no htmx header)."""
    token = site_csrf(browser, base, f"/posts/{post_id}")
    return browser.post(base + action, data={"csrf_token": token, **fields},
                        allow_redirects=False, timeout=10)


def _checked(page, base: str) -> list[str]:
    return re.findall(rf'<input type="radio" id="{base}-(\w+)" name="reason" value="\w+" checked>',
                      page.text)


def test_a_flag_refused_for_its_input_shows_its_form_again_with_the_error(platform, api):
    base_url, reader = platform.base_url, api.new_user()
    post = visible(api, submit(api, api.new_user(), title="Carte bloquée au distributeur")["id"])
    reply = ok(api.post(f"/api/v1/posts/{post['id']}/replies", user=api.new_user(),
                        json={"body": "Appelez le service client, ils la débloquent."}), 201)
    reply_visible(api, reply["id"])
    for language in ("fr", "en"):
        ok(api.patch("/api/v1/me", user=reader, json={"language": language}))
        browser, _ = site_login(base_url, reader)
        for action, base, back in (
                (f"/posts/{post['id']}/flag", f"flag-{post['id']}", f"/posts/{post['id']}"),
                (f"/replies/{reply['id']}/flag", f"flag-{reply['id']}",
                 f"/posts/{post['id']}#reply-{reply['id']}")):
            # "Autre motif" without words: asked for next to the words' field, the reason kept
            page = _flag(browser, base_url, post["id"], action, reason="other", details="  ")
            assert page.status_code == 400 and page.headers["Content-Type"].startswith(
                "text/html"), page.text[:500]
            assert HEADING[language] in page.text
            assert (f'<p class="field-error" role="alert" id="{base}-details-error">'
                    f'{WORDS_NEEDED[language]}</p>') in page.text
            assert f'aria-describedby="{base}-details-error {base}-details-hint" ' \
                   f'aria-invalid="true"' in page.text
            assert _checked(page, base) == ["other"]
            assert f'<form method="post" action="{action}"' in page.text  # sent again from here
            assert f'href="{back}"' in page.text and "Carte bloquée au distributeur" in page.text
            # no reason chosen: asked for at the reasons, the words typed kept
            page = _flag(browser, base_url, post["id"], action, details="Publicité déguisée")
            assert page.status_code == 400 and HEADING[language] in page.text
            assert f'<p class="field-error" role="alert" id="{base}-error">{CHOOSE[language]}' \
                   in page.text
            assert re.search(rf'<textarea id="{base}-details"[^>]*>Publicité déguisée</textarea>',
                             page.text)
            assert _checked(page, base) == []
    # the form then sent with words is taken, back to the thread
    page = _flag(browser, base_url, post["id"], f"/posts/{post['id']}/flag", reason="other",
                 details="Publicité pour un site de paris")
    assert page.status_code == 303 and page.headers["Location"] == f"/posts/{post['id']}"
