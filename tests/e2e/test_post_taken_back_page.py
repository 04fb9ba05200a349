"""A post taken back out of public view while the community team reviews it (a CM's hold from
its thread, an undone approval, members' flags): a follower who opens the notice about it reads
why it is not there — a 404 that says so, with nothing of the post (its title, text or author
may be why it was taken back). The API's GET keeps its plain 404; a post never published, or
refused, stays a plain « Page introuvable » (its existence is not told); a deleted one keeps
its 410; its author still reads their own status box. A reply held so in a public thread: its
own address (notices link there) says the same of it and links its thread."""
from __future__ import annotations

import uuid
from urllib.parse import urlsplit

import requests

from ..conftest import wait_for
from .steps import (
    IBAN,
    inbox,
    ok,
    problem,
    queued,
    reply_visible,
    site_login,
    staff,
    submit,
    visible,
)

EXPLAINED_FR = ("Cette publication n’est plus visible pour le moment\u202f: l’équipe de la "
                "communauté la réexamine. Elle réapparaîtra ici si elle est de nouveau publiée.")
EXPLAINED_EN = ("This post is not visible for the moment: the community team is reviewing it. "
                "It will reappear here if it is published again.")
NOT_FOUND_FR = "<h1>Page introuvable</h1>"
REPLY_EXPLAINED_FR = ("Cette réponse n’est plus visible pour le moment\u202f: l’équipe de la "
                      "communauté la réexamine. Elle réapparaîtra dans sa discussion si elle est "
                      "de nouveau publiée.")
REPLY_EXPLAINED_EN = ("This reply is not visible for the moment: the community team is "
                      "reviewing it. It will reappear in its thread if it is published again.")


def _letters() -> str:
    """A word of its own for this run (names take letters, not digits)."""
    return "".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex[:8])


def _page(session, base: str, path: str, language: str = "fr"):
    return session.get(base + path, timeout=10, headers={"Accept-Language": language})


def _says_nothing_of(page: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in page, f"{secret!r} shown on the page"


def _reply_notice(api, user, reply_id):
    return wait_for(lambda: next((n for n in inbox(api, user, limit=100)["items"]
                                  if n.get("reply_id") == reply_id), None),
                    timeout=20, message="the follower told of the reply")


def test_a_follower_opening_the_notice_of_a_post_taken_back_reads_why(platform, api):
    base, manager = platform.base_url, staff(platform)
    word = _letters()
    author = api.new_user(display_name=f"Zelie {word.capitalize()}")
    follower, replier = api.new_user(), api.new_user()
    title, body = f"Frais {word} sur ma carte", f"Le débit {word} est apparu deux fois hier."
    question = visible(api, submit(api, author, title=title, body=body)["id"])
    ok(api.put(f"/api/v1/me/watching/{question['id']}", user=follower))
    reply = ok(api.post(f"/api/v1/posts/{question['id']}/replies", user=replier,
                        json={"body": "Même souci chez moi, le conseiller a remboursé."}), 201)
    reply_visible(api, reply["id"])
    notice = _reply_notice(api, follower, reply["id"])

    # a CM takes it out of public view for review, from its thread
    ok(api.post(f"/api/v1/posts/{question['id']}/hold", user=manager))
    wait_for(lambda: api.get(f"/api/v1/posts/{question['id']}").status_code == 404,
             timeout=20, message="out of public view")

    # the follower opens the notice: its link leads to the thread, which says why
    browser, _ = site_login(base, follower)
    opened = _page(browser, base, urlsplit(notice["link"]).path)
    assert [step.status_code for step in opened.history] == [303]
    assert urlsplit(opened.url).path == f"/posts/{question['id']}"
    for page in (opened, _page(requests, base, f"/posts/{question['id']}")):  # and anyone
        assert page.status_code == 404 and "text/html" in page.headers["Content-Type"]
        assert EXPLAINED_FR in page.text and NOT_FOUND_FR not in page.text
        assert '<a class="button button-primary" href="/">Retour à l’accueil</a>' in page.text
        assert '<meta name="robots" content="noindex' in page.text
        _says_nothing_of(page.text, title, body, word, word.capitalize(), author.id,
                         "Zelie", "Même souci")
    english = _page(requests, base, f"/posts/{question['id']}", "en")
    assert english.status_code == 404 and EXPLAINED_EN in english.text
    assert "Back to the home page" in english.text
    _says_nothing_of(english.text, title, body, word, "Zelie")

    # the API's answer is the one it always gave: a plain 404, as for no such post
    hidden = problem(api.get(f"/api/v1/posts/{question['id']}"), 404)
    absent = problem(api.get(f"/api/v1/posts/p{'0' * 20}"), 404)
    assert hidden["title"] == absent["title"] and "réexamine" not in str(hidden)

    # its author still reads their own status box; a CM still reads the thread
    own, _ = site_login(base, author)
    page = _page(own, base, f"/posts/{question['id']}")
    assert page.status_code == 200 and title in page.text and EXPLAINED_FR not in page.text
    assert f'id="review-state-{question["id"]}"' in page.text
    staff_page = ok(api.get(f"/api/v1/posts/{question['id']}", user=manager))
    assert staff_page["state"] == "hidden"


def test_a_post_never_public_refused_or_absent_stays_a_plain_not_found(platform, api):
    base, manager, author = platform.base_url, staff(platform), api.new_user()
    word = _letters()
    # held before publication (it names an IBAN): never public
    held = submit(api, author, title=f"Virement {word} bloqué",
                  body=f"Mon IBAN est {IBAN}, le virement est bloqué.")
    queued(api, manager, held["id"])
    # refused before publication
    refused = submit(api, author, title=f"Plafond {word} refusé",
                     body=f"Mon IBAN est {IBAN}, puis-je augmenter mon plafond ?")
    item = queued(api, manager, refused["id"])
    ok(api.post(f"/api/v1/moderation/items/{item['id']}/decision", user=manager,
                json={"decision": "reject", "reason_code": "confidential_data"}))
    wait_for(lambda: ok(api.get(f"/api/v1/posts/{refused['id']}", user=author))["state"]
             == "rejected", timeout=20, message="refused")
    reader, _ = site_login(base, api.new_user())
    for post_id in (held["id"], refused["id"], f"p{'0' * 20}"):
        for session in (reader, requests):
            page = _page(session, base, f"/posts/{post_id}")
            assert page.status_code == 404 and NOT_FOUND_FR in page.text, post_id
            assert "réexamine" not in page.text and word not in page.text

    # deleted: its 410 page, as before
    gone = visible(api, submit(api, author, title=f"Question {word} retirée")["id"])
    ok(api.delete(f"/api/v1/posts/{gone['id']}", user=author), 204)
    wait_for(lambda: _page(requests, base, f"/posts/{gone['id']}").status_code == 410,
             timeout=20, message="the deleted post's page")
    page = _page(requests, base, f"/posts/{gone['id']}")
    assert "Cette contribution a été supprimée." in page.text and "réexamine" not in page.text


def test_a_follower_opening_the_notice_of_a_reply_taken_back_reads_why(platform, api):
    """A reply held for review in a thread still public: its address says so (404) and links
    its thread, with nothing of the reply — neither its text nor its author."""
    base, manager = platform.base_url, staff(platform)
    word = _letters()
    question = visible(api, submit(api, api.new_user(), title=f"Carte {word} avalée")["id"])
    replier = api.new_user(display_name=f"Ysolde {word.capitalize()}")
    follower = api.new_user()
    ok(api.put(f"/api/v1/me/watching/{question['id']}", user=follower))
    body = f"Passez à l'agence {word} de la gare, ils m'ont rendu la mienne."
    reply = ok(api.post(f"/api/v1/posts/{question['id']}/replies", user=replier,
                        json={"body": body}), 201)
    reply_visible(api, reply["id"])
    notice = _reply_notice(api, follower, reply["id"])
    assert urlsplit(notice["link"]).path == f"/replies/{reply['id']}"

    # a CM takes the reply out of public view for review; its thread stays public
    ok(api.post(f"/api/v1/replies/{reply['id']}/hold", user=manager))
    wait_for(lambda: api.get(f"/api/v1/replies/{reply['id']}").status_code == 404,
             timeout=20, message="the reply out of public view")

    browser, _ = site_login(base, follower)
    for session in (browser, requests):  # the follower opening the notice, and anyone
        page = _page(session, base, f"/replies/{reply['id']}")
        assert page.status_code == 404 and not page.history
        assert "text/html" in page.headers["Content-Type"]
        assert REPLY_EXPLAINED_FR in page.text and NOT_FOUND_FR not in page.text
        assert (f'<a class="button button-primary" href="/posts/{question["id"]}">'
                "Voir la discussion</a>") in page.text
        assert '<meta name="robots" content="noindex' in page.text
        _says_nothing_of(page.text, body, word, "Ysolde", replier.id, "agence")
    english = _page(requests, base, f"/replies/{reply['id']}", "en")
    assert english.status_code == 404 and REPLY_EXPLAINED_EN in english.text
    assert f'href="/posts/{question["id"]}">Open the thread</a>' in english.text
    _says_nothing_of(english.text, body, word, "Ysolde")

    # the thread it links is there, without it; the API keeps its plain 404
    thread = _page(requests, base, f"/posts/{question['id']}")
    assert thread.status_code == 200 and body not in thread.text
    hidden = problem(api.get(f"/api/v1/replies/{reply['id']}"), 404)
    absent = problem(api.get(f"/api/v1/replies/r{'0' * 20}"), 404)
    assert hidden["title"] == absent["title"] and "réexamine" not in str(hidden)


def test_a_reply_never_public_refused_or_absent_stays_a_plain_not_found(platform, api):
    base, manager, replier = platform.base_url, staff(platform), api.new_user()
    word = _letters()
    question = visible(api, submit(api, api.new_user(), title=f"Chéquier {word} perdu")["id"])
    held, refused = (ok(api.post(f"/api/v1/posts/{question['id']}/replies", user=replier,
                                 json={"body": f"Mon IBAN {word} est {IBAN}, {n}."}), 201)
                     for n in ("envoyez-le", "vérifiez"))
    queued(api, manager, held["id"])  # held before publication (it names an IBAN)
    item = queued(api, manager, refused["id"])
    ok(api.post(f"/api/v1/moderation/items/{item['id']}/decision", user=manager,
                json={"decision": "reject", "reason_code": "confidential_data"}))
    wait_for(lambda: ok(api.get(f"/api/v1/replies/{refused['id']}", user=replier))["state"]
             == "rejected", timeout=20, message="refused")
    reader, _ = site_login(base, api.new_user())
    for reply_id in (held["id"], refused["id"], f"r{'0' * 20}"):
        for session in (reader, requests):
            page = _page(session, base, f"/replies/{reply_id}")
            assert page.status_code == 404 and NOT_FOUND_FR in page.text, reply_id
            assert "réexamine" not in page.text and word not in page.text
