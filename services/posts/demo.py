"""Demo content for LOCAL use (`agora seed-demo` calls `seed(api)` once the accounts exist).

A few questions (one answered officially and accepted, one answered by a member, one waiting),
ideas with votes and statuses (one merged into another), a discussion, a featured article by a
community manager, and a question whose IBAN keeps it in the moderation queue.

Everything goes through the public API. Re-running it changes nothing: posts and replies are
created with an Idempotency-Key, votes are idempotent, a status already reached is skipped.
"""
from __future__ import annotations

import time
from typing import Any

WAIT_SECONDS = 30

MEMBERS = [f"member{n}@demo.agora" for n in range(1, 6)]
CM = "cm1@demo.agora"
ADVISOR = "advisor1@demo.agora"
ADMIN = "admin@demo.agora"

# slug, (French name, English name), (French description, English description)
CATEGORIES = [
    ("cards", ("Cartes", "Cards"), ("Plafonds, oppositions, paiements à l'étranger.",
                                    "Limits, blocking, paying abroad.")),
    ("accounts", ("Comptes", "Accounts"), ("Ouverture, relevés, chèques, frais.",
                                           "Opening, statements, cheques, fees.")),
    ("payments", ("Virements et paiements", "Transfers and payments"),
     ("Virements, prélèvements, paiement mobile.", "Transfers, direct debits, mobile pay.")),
    ("savings", ("Épargne", "Savings"), ("Livrets, assurance-vie, épargne logement.",
                                         "Savings accounts, life insurance, home savings.")),
    ("loans", ("Crédit immobilier", "Mortgages"), ("Taux, simulations, remboursements.",
                                                   "Rates, simulations, repayments.")),
    ("app", ("Appli et site", "App and website"), ("L'appli mobile et la banque en ligne.",
                                                   "The mobile app and online banking.")),
    ("news", ("Actualités", "News"), ("Les annonces de l'équipe communauté.",
                                      "Announcements from the community team.")),
]
# the team's announcements: only community managers and admins post there (a member's post
# in it would read as the bank's word)
STAFF_ONLY = {"news"}


def _post(api, key: str, author: str, kind: str, title: str, body: str, category: str,
          tags: list[str]) -> dict[str, Any]:
    return api.post("/api/v1/posts", as_=author, headers={"Idempotency-Key": f"demo-{key}"},
                    json={"kind": kind, "title": title, "body": body, "category": category,
                          "tags": tags}, expect=(201,))


def _published(api, post_id: str, as_: str | None = None) -> dict[str, Any]:
    """Posts are published by moderation, asynchronously: wait for it (a few ms usually)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        post = api.get(f"/api/v1/posts/{post_id}", as_=as_, expect=(200, 404))
        if post and post.get("state") in ("published", "deleted"):
            return post
        if time.monotonic() > deadline:
            raise RuntimeError(f"demo post {post_id} was not published within {WAIT_SECONDS}s")
        time.sleep(0.1)


def _reply(api, key: str, author: str, post_id: str, body: str) -> dict[str, Any]:
    reply = api.post(f"/api/v1/posts/{post_id}/replies", as_=author, json={"body": body},
                     headers={"Idempotency-Key": f"demo-{key}"}, expect=(201,))
    deadline = time.monotonic() + WAIT_SECONDS
    while api.get(f"/api/v1/replies/{reply['id']}", expect=(200, 404)).get(
            "state") != "published":
        if time.monotonic() > deadline:
            raise RuntimeError(f"demo reply {reply['id']} was not published")
        time.sleep(0.1)
    return reply


def _status(api, post_id: str, steps: list[tuple[str, str]]) -> None:
    """Walk the idea to its demo status; a status a CM has set since is theirs: leave it."""
    current = api.get(f"/api/v1/posts/{post_id}")["status"]
    order = [status for status, _ in steps]
    if current != "submitted" and current not in order:
        return
    for status, note in steps[order.index(current) + 1 if current in order else 0:]:
        api.put(f"/api/v1/posts/{post_id}/status", as_=CM, json={"status": status, "note": note})


def seed(api) -> None:
    # -- the categories admins manage (the same one again changes nothing; 409: an admin has
    # changed it since, leave it as it is)
    for position, (slug, (name_fr, name_en), (about_fr, about_en)) in enumerate(CATEGORIES):
        api.post("/api/v1/categories", as_=ADMIN, expect=(201, 409), json={
            "slug": slug, "name": {"fr": name_fr, "en": name_en},
            "description": {"fr": about_fr, "en": about_en}, "position": position,
            "staff_only": slug in STAFF_ONLY})

    # -- questions
    blocked = _post(api, "q-card-abroad", MEMBERS[0], "question",
                    "Carte bloquée à l'étranger : que faire ?",
                    "Ma carte a été refusée deux fois à Lisbonne ce matin. Est-ce un "
                    "plafond ou un **blocage de sécurité** ?", "cards", ["voyage", "carte"])
    _published(api, blocked["id"])
    official = _reply(api, "r-card-abroad", ADVISOR, blocked["id"],
                      "Bonjour, c'est le plafond de paiement à l'étranger. Vous pouvez "
                      "l'augmenter dans l'appli : *Cartes > Plafonds*. Je l'ai relevé pour "
                      "vous jusqu'à dimanche.")
    api.put(f"/api/v1/posts/{blocked['id']}/accepted-reply", as_=MEMBERS[0],
            json={"reply_id": official["id"]})

    contactless = _post(api, "q-contactless", MEMBERS[1], "question",
                        "Comment activer le paiement sans contact ?",
                        "Ma nouvelle carte ne passe pas en sans contact.", "cards", ["carte"])
    _published(api, contactless["id"])
    _reply(api, "r-contactless", MEMBERS[2], contactless["id"],
           "Il faut faire un premier paiement avec le code, ensuite ça marche.")

    cheque = _post(api, "q-cheque", MEMBERS[2], "question",
                   "Délai d'encaissement d'un chèque ?",
                   "J'ai déposé un chèque lundi, il n'apparaît toujours pas.", "accounts",
                   ["cheque"])
    _published(api, cheque["id"])

    # -- ideas, votes, statuses, a merge
    instant = _post(api, "i-instant", MEMBERS[3], "idea",
                    "Virements instantanés gratuits",
                    "Les virements instantanés devraient être gratuits, comme les autres.",
                    "payments", ["virement"])
    dark = _post(api, "i-dark", MEMBERS[4], "idea", "Mode sombre dans l'application",
                 "Un thème sombre pour l'appli mobile, pour le soir.", "app", ["appli"])
    alerts = _post(api, "i-alerts", MEMBERS[1], "idea", "Une notification à chaque paiement",
                   "Être prévenu en temps réel de chaque paiement par carte.", "app",
                   ["appli", "carte"])
    theme = _post(api, "i-theme", MEMBERS[0], "idea", "Thème noir pour l'appli",
                  "Possible d'avoir un thème noir ?", "app", ["appli"])
    for idea in (instant, dark, alerts, theme):
        _published(api, idea["id"])
    for voter, ideas in ((MEMBERS[0], [instant, dark, alerts]), (MEMBERS[1], [instant, dark]),
                         (MEMBERS[2], [instant, theme]), (MEMBERS[3], [alerts, theme]),
                         (MEMBERS[4], [instant])):
        for idea in ideas:
            # 422: a re-run voting on the idea merged away below
            api.put(f"/api/v1/posts/{idea['id']}/vote", as_=voter, expect=(200, 422))
    _status(api, instant["id"], [
        ("under_review", "Nos équipes paiements étudient le coût."),
        ("planned", "Prévu pour le premier trimestre.")])
    _status(api, dark["id"], [("under_review", "Les maquettes sont en cours.")])
    _status(api, alerts["id"], [
        ("under_review", "Bonne idée, on regarde."),
        ("planned", "Au programme de la prochaine version."),
        ("delivered", "Disponible dans la version 5.2 de l'appli.")])
    api.post(f"/api/v1/posts/{theme['id']}/merge-into/{dark['id']}", as_=CM,
             expect=(200,))

    # -- a discussion, a featured article
    tips = _post(api, "d-savings", MEMBERS[2], "discussion", "Vos astuces pour épargner ?",
                 "Je mets 50 € de côté chaque mois, et vous ?", "savings", ["épargne"])
    _published(api, tips["id"])
    welcome = _post(api, "a-welcome", CM, "article", "Bienvenue sur Agora",
                    "Posez vos questions, proposez vos idées : les conseillers et "
                    "l'équipe communauté vous répondent.\n\n- soyez courtois\n- ne publiez "
                    "jamais vos numéros de compte ou de carte", "news", ["communaute"])
    _published(api, welcome["id"])
    api.put(f"/api/v1/posts/{welcome['id']}/featured", as_=CM)

    # -- held in the moderation queue: an IBAN (detector), whatever the policy
    _post(api, "q-held-iban", MEMBERS[1], "question", "Virement non reçu",
          "Bonjour, j'attends un virement sur mon compte FR76 3000 6000 0112 3456 7890 189 "
          "depuis trois jours, est-ce normal ?", "payments", ["virement"])
