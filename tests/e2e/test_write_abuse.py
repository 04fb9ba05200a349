"""Abuse of the posts and conversations APIs found by an attacker's review (issue s25), through
the gateway: a member announcing in the team's staff-only category (F3), writing without limit
(F6), learning that someone else's held post exists (F9), and two refusals that said the wrong
thing (F10)."""
from __future__ import annotations

import re
import tempfile
import uuid
from pathlib import Path

import pytest

from services.shared.write_limits import DEFAULT_LIMITS

from ..conftest import RUN_ID, wait_for
from ..platform import WRITE_LIMITS, Platform, running
from .steps import IBAN, ok, problem, reply_visible, site_csrf, site_login, staff, submit, visible


def _staff_only_category(platform, api) -> str:
    marker = uuid.uuid4().hex[:6]
    created = ok(api.post("/api/v1/categories", user=platform.admin, json={
        "name": {"fr": f"Annonces {marker}", "en": f"Announcements {marker}"},
        "description": {"fr": "Les annonces de l'équipe.", "en": "The team's news."},
        "staff_only": True}), 201)
    assert created["staff_only"] is True
    return created["slug"]


# -- F3: staff-only categories ---------------------------------------------------------------

def test_only_community_managers_and_admins_post_in_a_staff_only_category(platform, api):
    slug = _staff_only_category(platform, api)
    member, manager, advisor = api.new_user(), staff(platform), staff(platform, "advisor")
    announcement = {"kind": "discussion", "title": "Annonce importante de la banque",
                    "body": "Merci de confirmer vos identifiants ici.", "category": slug}
    for writer in (member, advisor):
        refused = problem(api.post("/api/v1/posts", user=writer, json=announcement), 403)
        assert refused["errors"]["category"] == [
            "seuls l’équipe de la communauté et les administrateurs publient dans la catégorie "
            f"'{slug}'"]
        assert refused["detail"].startswith("seuls l’équipe de la communauté")
    official = visible(api, ok(api.post("/api/v1/posts", user=manager, json={
        **announcement, "title": "Nouvelle version de l'appli"}), 201)["id"])
    assert official["category"] == slug and official["official"] is True
    # members still reply to an announcement; they cannot move their own post into it
    ok(api.post(f"/api/v1/posts/{official['id']}/replies", user=member,
                json={"body": "Merci pour l'information."}), 201)
    mine = visible(api, submit(api, member, title="Ma question sur la carte")["id"])
    problem(api.patch(f"/api/v1/posts/{mine['id']}", user=member, json={"category": slug}), 403)
    # an admin opens it again
    problem(api.patch(f"/api/v1/categories/{slug}", user=member, json={"staff_only": False}),
            403)
    opened = ok(api.patch(f"/api/v1/categories/{slug}", user=platform.admin,
                          json={"staff_only": False}))
    assert opened["staff_only"] is False
    assert ok(api.get(f"/api/v1/categories/{slug}"))["staff_only"] is False
    ok(api.post("/api/v1/posts", user=member, json=announcement), 201)


def test_the_writing_form_offers_a_staff_only_category_to_the_team_only(platform, api):
    slug = _staff_only_category(platform, api)
    browser, _ = site_login(platform.base_url, api.new_user())
    page = browser.get(f"{platform.base_url}/write", timeout=10)
    assert page.status_code == 200
    assert f'<option value="{slug}"' not in page.text and '<option value="cards"' in page.text
    # a form sent anyway is refused next to the category field, in the page's words
    form = {"csrf_token": site_csrf(browser, platform.base_url, "/write"), "kind": "question",
            "title": "Annonce importante", "body": "Bonjour à tous.", "category": slug,
            "action": "publish"}
    refused = browser.post(f"{platform.base_url}/write", data=form, timeout=10)
    assert refused.status_code == 403
    said = re.search(r'id="field-category-error">([^<]*)<', refused.text)
    assert said and said.group(1) == "Choisissez une catégorie existante."


# -- F6: how fast a member writes -------------------------------------------------------------
# On a platform of its own at the production defaults (the shared one lets the heaviest tests
# write more, services/shared/write_limits.py DEFAULT_LIMITS): a burst is a few writes, done
# well within the minute however busy the test machine.

class DefaultLimitsPlatform(Platform):
    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir, "limits")

    def prepare(self) -> None:
        super().prepare()
        for name in WRITE_LIMITS:
            self.env.pop(name, None)


@pytest.fixture(scope="module")
def defaults(mongo_client):
    platform = DefaultLimitsPlatform(Path(tempfile.mkdtemp(prefix=f"agora-limits-{RUN_ID}-")))
    with running(platform, mongo_client):
        yield platform


def _throttled(response) -> dict:
    body = problem(response, 429)
    assert 0 < int(response.headers["Retry-After"]) <= 60 and body["retry_after"] > 0
    return body


def _writes(api, kind, member=None):
    """A function writing one `kind` as `member` (a new one by default), on a thread or
    conversation of theirs."""
    member = member or api.new_user()
    if kind == "post":
        return lambda: api.post("/api/v1/posts", user=member, json={
            "kind": "discussion", "title": f"Sujet {uuid.uuid4().hex[:6]}",
            "body": "Qu'en pensez-vous ?", "category": "cards"})
    if kind == "reply":
        thread = visible(api, submit(api, api.new_user(), kind="discussion",
                                     title="Un fil très animé")["id"])
        return lambda: api.post(f"/api/v1/posts/{thread['id']}/replies", user=member,
                                json={"body": "Moi aussi !"})
    if kind == "conversation":
        return lambda: api.post("/api/v1/conversations", user=member, json={
            "subject": "Une question", "message": "Bonjour, pouvez-vous m'aider ?"})
    conversation = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": "Une question", "message": "Bonjour"}), 201)  # its first message: its own
    return lambda: api.post(f"/api/v1/conversations/{conversation['id']}/messages",
                            user=member, json={"body": "Vous êtes là ?"})


@pytest.mark.parametrize("kind, detail", [
    ("post", "vous avez publié beaucoup de sujets en peu de temps : réessayez dans 1 min"),
    ("reply", "vous avez publié beaucoup de réponses en peu de temps : réessayez dans 1 min"),
    ("conversation", "vous avez ouvert beaucoup de conversations en peu de temps : "
                     "réessayez dans 1 min"),
    ("message", "vous avez envoyé beaucoup de messages en peu de temps : réessayez dans 1 min"),
])
def test_a_member_writing_too_fast_is_told_to_wait_and_staff_are_not(defaults, kind, detail):
    api = defaults.api
    write = _writes(api, kind)
    for _ in range(DEFAULT_LIMITS[kind][0]):  # the burst allowance, the minute's
        ok(write(), 201)
    assert _throttled(write())["detail"] == detail
    ok(_writes(api, kind)(), 201)  # per member: the others write on
    manager = staff(defaults)  # staff answer and announce for the bank: not limited
    as_staff = _writes(api, kind, manager)
    for _ in range(DEFAULT_LIMITS[kind][0] + 1):
        ok(as_staff(), 201)


def test_edits_of_posts_and_replies_share_one_limit_and_staff_are_not_limited(defaults):
    # every edit is a new revision that moderation scans (and may hold for a CM): a loop of
    # edits floods the queue like new posts; posts and replies draw on one allowance
    api = defaults.api
    member, manager = api.new_user(), staff(defaults)
    post = visible(api, submit(api, member, kind="discussion", title="Mon fil")["id"])
    reply = ok(api.post(f"/api/v1/posts/{post['id']}/replies", user=member,
                        json={"body": "Une précision."}), 201)
    reply_visible(api, reply["id"])
    per_minute = DEFAULT_LIMITS["edit"][0]
    for n in range(per_minute):
        path = f"/api/v1/posts/{post['id']}" if n % 2 else f"/api/v1/replies/{reply['id']}"
        ok(api.patch(path, user=member, json={"body": f"Version {n}."}))
    refused = _throttled(api.patch(f"/api/v1/posts/{post['id']}", user=member,
                                   json={"body": "Encore une."}))
    assert refused["detail"] == ("vous avez modifié beaucoup de contributions en peu de temps : "
                                 "réessayez dans 1 min")
    _throttled(api.patch(f"/api/v1/replies/{reply['id']}", user=member, json={"body": "Et ici."}))
    # the site's edit form says so above the form, the text typed kept
    browser, _ = site_login(defaults.base_url, member)
    token = site_csrf(browser, defaults.base_url, f"/posts/{post['id']}/edit")
    page = browser.post(f"{defaults.base_url}/posts/{post['id']}/edit", timeout=10, data={
        "csrf_token": token, "title": "Mon fil", "body": "Une version de trop."})
    assert page.status_code == 429
    assert "vous avez modifié beaucoup de contributions en peu de temps" in page.text
    assert "Une version de trop." in page.text
    for n in range(per_minute + 1):  # a CM correcting the same post: not limited
        ok(api.patch(f"/api/v1/posts/{post['id']}", user=manager, json={"title": f"Fil {n}"}))


def test_the_site_says_so_on_the_reply_form(defaults):
    api, base, member = defaults.api, defaults.base_url, defaults.api.new_user()
    thread = visible(api, submit(api, api.new_user(), kind="discussion", title="Le fil")["id"])
    for _ in range(DEFAULT_LIMITS["reply"][0]):
        ok(api.post(f"/api/v1/posts/{thread['id']}/replies", user=member,
                    json={"body": "Une réponse de plus."}), 201)
    browser, _ = site_login(base, member)
    token = site_csrf(browser, base, f"/posts/{thread['id']}")
    page = browser.post(f"{base}/posts/{thread['id']}/reply", timeout=10,
                        data={"csrf_token": token, "body": "Et encore une."})
    assert page.status_code == 429  # the thread's page, not the error page
    said = re.search(r'id="reply-form-error"[^>]*>([^<]*)<', page.text)
    assert said and said.group(1) == ("vous avez publié beaucoup de réponses en peu de temps : "
                                      "réessayez dans 1 min")
    assert "Et encore une." in page.text  # the text typed is kept in the form


# -- F9: someone else's held post or reply is a 404 on every route ---------------------------

def _same_404(response, expected: dict) -> None:
    body = problem(response, 404)
    assert {k: body.get(k) for k in ("type", "title", "detail", "errors")} == expected


def test_someone_elses_held_post_and_reply_are_not_found_whatever_the_route(platform, api):
    author, other = api.new_user(), api.new_user()
    question = visible(api, submit(api, other, title="Quel plafond ?")["id"])
    answer = ok(api.post(f"/api/v1/posts/{question['id']}/replies", user=other,
                         json={"body": "Je me réponds."}), 201)
    held = submit(api, author, title="Virement non reçu", body=f"Mon IBAN est {IBAN}.")
    wait_for(lambda: ok(api.get(f"/api/v1/posts/{held['id']}", user=author))["review"][
        "state"] == "held", message="the post held")
    post = f"/api/v1/posts/{held['id']}"
    read = problem(api.get(post, user=other), 404)
    expected = {k: read.get(k) for k in ("type", "title", "detail", "errors")}
    for response in (api.patch(post, user=other, json={"body": "Plus d'IBAN ici."}),
                     api.delete(post, user=other),
                     api.put(f"{post}/vote", user=other), api.delete(f"{post}/vote", user=other),
                     api.post(f"{post}/replies", user=other, json={"body": "Je réponds."}),
                     api.put(f"{post}/accepted-reply", user=other,
                             json={"reply_id": answer["id"]})):
        _same_404(response, expected)
    assert ok(api.get(post, user=author))["state"] == "pending"  # nothing changed

    # a held reply on a published question: its author alone (and the CMs) know of it
    reply = ok(api.post(f"/api/v1/posts/{question['id']}/replies", user=author,
                        json={"body": f"Virez sur {IBAN}."}), 201)
    wait_for(lambda: ok(api.get(f"/api/v1/replies/{reply['id']}", user=author))["review"][
        "state"] == "held", message="the reply held")
    path = f"/api/v1/replies/{reply['id']}"
    read = problem(api.get(path, user=other), 404)
    expected = {k: read.get(k) for k in ("type", "title", "detail", "errors")}
    for response in (api.patch(path, user=other, json={"body": "Corrigé."}),
                     api.delete(path, user=other), api.put(f"{path}/vote", user=other),
                     api.delete(f"{path}/vote", user=other)):
        _same_404(response, expected)
    problem(api.put(f"/api/v1/posts/{question['id']}/accepted-reply", user=other,
                    json={"reply_id": reply["id"]}), 404)


# -- F10: what two refusals say -----------------------------------------------------------------

def test_a_self_vote_on_a_reply_and_an_unknown_category_are_refused_in_plain_words(api):
    author, replier = api.new_user(), api.new_user()
    question = visible(api, submit(api, author, title="Frais à l'étranger ?")["id"])
    reply = ok(api.post(f"/api/v1/posts/{question['id']}/replies", user=replier,
                        json={"body": "Regardez la grille tarifaire."}), 201)
    reply_visible(api, reply["id"])
    refused = problem(api.put(f"/api/v1/replies/{reply['id']}/vote", user=replier), 422)
    assert refused["detail"] == "vous ne pouvez pas voter pour votre propre réponse"

    # "$where" folds to the slug "where", which the member never wrote: not echoed
    said = "catégorie introuvable ; choisissez-en une de GET /api/v1/categories"
    unknown = problem(api.post("/api/v1/posts", user=author, json={
        "kind": "question", "title": "Une question", "body": "Bonjour", "category": "$where"}),
        422)
    assert unknown["detail"] == said and unknown["errors"] == {"category": [said]}
    edited = problem(api.patch(f"/api/v1/posts/{question['id']}", user=author,
                               json={"category": "Épargne $where"}), 422)
    assert edited["detail"] == said
