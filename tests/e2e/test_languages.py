"""Every text a person reads, in French and in English, chosen by the member's `language`
(profile setting, French by default) and, for anonymous requests, by Accept-Language: the same
scenario lived by a French and an English member — notifications in the app, e-mails (subject
and body), problem+json title and detail."""
from __future__ import annotations

import uuid

from ..conftest import wait_for
from .test_notifications_flow import mail, notified
from .test_posts_flow import ok, problem, reply_visible, submit, visible

MISSING = f"/api/v1/posts/p{uuid.uuid4().hex[:20]}/vote"


def answered_twice(api, asker, helper, title):
    question = submit(api, asker, title=title)
    visible(api, question["id"])
    replies = []
    for body in ("Appelez le service client.", "Ou passez en agence."):
        reply = ok(api.post(f"/api/v1/posts/{question['id']}/replies", user=helper,
                            json={"body": body}), 201)
        reply_visible(api, reply["id"])
        replies.append(reply)
    return question, replies


def test_the_same_scenario_in_french_and_in_english(platform, api):
    helper = api.new_user(display_name="Hugo Aide")
    french = api.new_user(display_name="Françoise")
    english = api.new_user(display_name="Emily")
    assert ok(api.get("/api/v1/me", user=french))["language"] == "fr"  # the default
    assert ok(api.patch("/api/v1/me", user=english, json={"language": "en"}))["language"] == "en"
    problem(api.patch("/api/v1/me", user=english, json={"language": "de"}), 400)
    api.login(english)  # tokens issued from now on carry the language

    # problem+json: the member's language, whatever the request says
    for user, title, detail in ((french, "Introuvable", "publication introuvable"),
                                (english, "Not Found", "no such post")):
        body = problem(api.put(MISSING, user=user, headers={"Accept-Language": "de"}), 404)
        assert (body["title"], body["detail"]) == (title, detail)
    # anonymous: Accept-Language, else French
    anonymous = problem(api.put(MISSING), 401)
    assert anonymous["title"] == "Non authentifié"
    assert anonymous["detail"].startswith("cette route demande un jeton d'accès")
    english_anonymous = problem(api.put(MISSING, headers={"Accept-Language": "en-GB,fr;q=0.5"}),
                                401)
    assert english_anonymous["title"] == "Unauthorized"
    assert english_anonymous["detail"].startswith("this route needs an access token")

    # the same notifications, each in its reader's language
    _, (first, _) = answered_twice(api, french, helper, "Carte avalée")
    wait_for(lambda: notified(api, french, "reply", reply_id=first["id"])["text"] ==
             "Hugo Aide a répondu à votre question « Carte avalée »", timeout=20,
             message="French notifications")  # names and titles are looked up when shown
    _, (first, second) = answered_twice(api, english, helper, "Card swallowed")
    wait_for(lambda: notified(api, english, "reply", reply_id=second["id"])["text"] ==
             "Hugo Aide answered your question “Card swallowed”", timeout=20,
             message="English notifications")

    # e-mails: subject and body in the reader's language
    sent = mail(platform, french, "Hugo Aide a répondu à votre question « Carte avalée »")
    assert sent["Subject"] == "[Agora] Hugo Aide a répondu à votre question « Carte avalée »"
    assert "Choisissez ce que vous recevez" in sent.get_content()
    sent = mail(platform, english, "[Agora] Hugo Aide answered your question “Card swallowed”")
    assert "Choose what you receive" in sent.get_content()
