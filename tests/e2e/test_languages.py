"""Every text a person reads, in French and in English, chosen by the member's `language`
(profile setting, French by default) and, for anonymous requests, by Accept-Language: the same
scenario lived by a French and an English member — notifications in the app, e-mails (subject
and body), problem+json title and detail."""
from __future__ import annotations

import uuid

from ..conftest import wait_for
from .steps import mail, notified, ok, problem, reply_visible, submit, visible

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
    assert anonymous["detail"].startswith("cette route demande un jeton d’accès")
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


def test_service_errors_marks_and_agoras_words_in_french_and_in_english(platform, api):
    """The same refusals, the redaction mark and the words Agora writes into a private
    conversation, lived by a French and an English member (item 13: no English-only text)."""
    from .test_moderation_flow import IBAN, queued
    from .test_posts_flow import staff

    manager = staff(platform)
    french, english = api.new_user(), api.new_user()
    ok(api.patch("/api/v1/me", user=english, json={"language": "en"}))
    api.login(english)
    theirs = submit(api, api.new_user(), title="Frais de tenue de compte")
    visible(api, theirs["id"])
    for user, expected in (
            (french, {"own": "vous ne pouvez pas voter pour votre propre contribution ; une "
                             "idée compte le vote de son auteur dès le départ",
                      "category": "catégorie introuvable : nulle-part (les catégories sont "
                                  "listées par GET /api/v1/categories)",
                      "edit": "seuls son auteur et l’équipe de la communauté peuvent modifier "
                              "ce contenu (publication)",
                      "subject": "Au sujet de « {title} »",
                      "body": "Nous poursuivons ici, en privé, l’échange sur votre "
                              "publication « {title} »."}),
            (english, {"own": "you cannot vote for your own contribution; an idea counts its "
                              "author's vote from the start",
                       "category": "no such category: nulle-part (the categories are listed "
                                   "at GET /api/v1/categories)",
                       "edit": "only its author or a community manager can edit this post",
                       "subject": "About: {title}",
                       "body": "We are following up on your post “{title}” privately here."})):
        title = f"Plafond {uuid.uuid4().hex[:6]}"
        question = submit(api, user, title=title)
        visible(api, question["id"])
        # messages computed from values (a catalogue key with parameters and terms)
        own = problem(api.put(f"/api/v1/posts/{question['id']}/vote", user=user), 422)
        assert own["detail"] == expected["own"]
        missing = problem(api.put("/api/v1/me/following-categories/nulle-part", user=user), 404)
        assert missing["detail"] == expected["category"]
        someone_elses = problem(api.patch(f"/api/v1/posts/{theirs['id']}", user=user,
                                          json={"body": "Corrigé"}), 403)
        assert someone_elses["detail"] == expected["edit"]
        # Agora's words in the conversation a staff member opens: the member's language
        def escalated(question=question):
            response = api.post(f"/api/v1/posts/{question['id']}/escalate", user=manager,
                                json={})
            return response.status_code == 201 and response.json()
        conversation = wait_for(escalated, timeout=20, message="post known to conversations")
        mine = ok(api.get(f"/api/v1/conversations/{conversation['id']}", user=user))
        assert mine["subject"] == expected["subject"].format(title=title)
        assert mine["messages"][0]["body"] == expected["body"].format(title=title)

    # the redaction mark, in the reader's language (anonymous: Accept-Language)
    held = submit(api, french, title="Virement refusé", body=f"Mon IBAN est {IBAN}.")
    item = queued(api, manager, held["id"])
    ok(api.post(f"/api/v1/moderation/items/{item['id']}/decision", user=manager,
                json={"decision": "redact", "body": item["proposal"]["body"]}))
    visible(api, held["id"])
    for language, mark in (("fr", "modifié par l’équipe de la communauté"),
                           ("en", "edited by the community team")):
        shown = ok(api.get(f"/api/v1/posts/{held['id']}", headers={"Accept-Language": language}))
        assert (shown["redacted"], shown["redaction_mark"]) == (True, mark)
    english_reader = ok(api.get(f"/api/v1/posts/{held['id']}", user=english))
    assert english_reader["redaction_mark"] == "edited by the community team"


BAD_POST = {"kind": "sondage", "title": "x" * 200 + "\x07", "category": "cards",
            "tags": ["e" * 41], "couleur": "bleu"}  # no body
FIELD_ERRORS = {
    "fr": {"kind": ["Doit être l’une des valeurs : question, idea, discussion, article."],
           "title": ["La longueur doit être comprise entre 3 et 200.",
                     "caractère de contrôle U+0007 refusé dans un champ d’une seule ligne "
                     "(position 201)"],
           "body": ["Champ obligatoire manquant."],
           "tags": {"0": ["une étiquette a au plus 40 caractères"]},
           "couleur": ["Champ inconnu."]},
    "en": {"kind": ["Must be one of: question, idea, discussion, article."],
           "title": ["Length must be between 3 and 200.",
                     "control character U+0007 is not allowed in a single-line field "
                     "(position 201)"],
           "body": ["Missing data for required field."],
           "tags": {"0": ["a tag has at most 40 characters"]},
           "couleur": ["Unknown field."]}}


def test_the_same_bad_request_gets_its_field_errors_in_french_and_in_english(platform, api):
    """Per-field messages (marshmallow's and the project's validators', at the gateway and in a
    service) in the reader's language, in the same shape: field -> list of messages."""
    french, english = api.new_user(), api.new_user()
    ok(api.patch("/api/v1/me", user=english, json={"language": "en"}))
    api.login(english)  # tokens issued from now on carry the language
    unknown = f"nulle-part-{uuid.uuid4().hex[:6]}"
    for user, language, category in (
            (french, "fr", "catégorie introuvable ; choisissez-en une de "
                           "GET /api/v1/categories"),
            (english, "en", "no such category; choose one of GET /api/v1/categories")):
        refused = problem(api.post("/api/v1/posts", user=user, json=BAD_POST), 400)
        assert refused["errors"] == FIELD_ERRORS[language]
        assert refused["title"] == {"fr": "Requête invalide", "en": "Bad Request"}[language]
        # a field error written by the service (after the gateway's checks passed)
        elsewhere = problem(api.post("/api/v1/posts", user=user, json={
            "kind": "question", "title": "Où poster ?", "body": "Ici ?", "category": unknown}),
            422)
        assert elsewhere["errors"] == {"category": [category]}

    # anonymous: Accept-Language, else French
    registration = {"email": "pas une adresse", "password": "x" * 1025}
    for headers, expected in (({}, {"email": ["Ce n’est pas une adresse e-mail valide."],
                                    "password": ["La longueur doit être comprise entre 1 et "
                                                 "1024."],
                                    "display_name": ["Champ obligatoire manquant."]}),
                              ({"Accept-Language": "en-GB, fr;q=0.5"}, {
                                  "email": ["Not a valid email address."],
                                  "password": ["Length must be between 1 and 1024."],
                                  "display_name": ["Missing data for required field."]})):
        refused = problem(api.post("/api/v1/auth/register", json=registration,
                                   headers=headers), 400)
        assert refused["errors"] == expected
