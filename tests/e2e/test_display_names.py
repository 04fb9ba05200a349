"""Names that cannot pass for staff, and mentions that reach the right person (attacker review F2,
content review F2), through the gateway: registration and `PATCH /me` refuse invisible, Zalgo,
staff look-alike and staff-sounding names with a field error in French and English; staff keep
theirs; a copied name neither silences nor steals the first holder's @mentions; "@Zoé Dupont"
written as a full name mentions her."""
from __future__ import annotations

import uuid

from services.identity import names

from .steps import inbox, notified, ok, problem, reply_visible, submit, visible


def _tag() -> str:
    return uuid.uuid4().hex[:6]


def test_registration_refuses_staff_words_and_invisible_names_in_both_languages(api):
    refusals = {"Équipe Agora": {"en": "“equipe” is kept for the bank's staff: choose another "
                                       "name",
                                 "fr": "« equipe » est réservé à l’équipe de la banque : "
                                       "choisissez un autre nom"},
                "\u3164\u3164": {"en": names.BLANK,
                                 "fr": "un nom a besoin de lettres ou de chiffres visibles (les "
                                       "caractères invisibles ou blancs ne comptent pas)"}}
    for name, messages in refusals.items():
        for language, message in messages.items():
            body = problem(api.post("/api/v1/auth/register", headers={
                "Accept-Language": language, "X-Forwarded-For": "198.51.100.77"}, json={
                "email": api.unique_email("name"), "password": "correct horse battery staple 9",
                "display_name": name}), 400)
            assert body["errors"]["display_name"] == [message], body


def test_members_cannot_rename_as_staff_and_staff_keep_their_names(platform, api):
    tag = _tag()
    staff_name = f"Bernard Petit {tag} (conseiller)"
    advisor = api.new_staff(platform.admin, "advisor", display_name=staff_name)
    assert ok(api.get(f"/api/v1/users/{advisor.id}"))["display_name"] == staff_name
    member = api.new_user()
    for name, message in [
            (staff_name, names.STAFF_NAME),
            (f"Bernard Petit {tag} (сonseiller)", names.STAFF_NAME),  # a Cyrillic "с"
            (f"Bernard\u200b Petit {tag} (conseiller) ✔", names.STAFF_NAME),
            ("Agora Admin", names.RESERVED.format(word="agora")),
            ("Modérateur", names.RESERVED.format(word="moderateur")),
            ("\u2800\u2800\u2800", names.BLANK), ("\u200d" * 5 + "\u3164", names.BLANK),
            ("Z\u0300\u0301\u0302\u0303algo", names.MARKS)]:
        body = problem(api.patch("/api/v1/me", user=member, headers={"Accept-Language": "en"},
                                 json={"display_name": name}), 400)
        assert body["errors"] == {"display_name": [message]}, (name, body)
    # real names pass; the staff member changes their bio and keeps the name
    for name in ("Jean-François N'Diaye", "Ørsted Zoé", "王小明"):
        assert ok(api.patch("/api/v1/me", user=member, json={"display_name": name}))[
            "display_name"] == name
    ok(api.patch("/api/v1/me", user=advisor, json={"bio": "Conseiller à Lyon"}))
    assert ok(api.patch("/api/v1/me", user=advisor, json={
        "display_name": f"Bernard Petit {tag} (Agora)"}))["display_name"].endswith("(Agora)")


def test_a_copied_name_neither_silences_nor_takes_the_first_holders_mentions(api):
    tag = _tag()
    writer, first = api.new_user(), api.new_user(display_name=f"Attaquant {tag}")
    copier = api.new_user()
    ok(api.patch("/api/v1/me", user=copier, json={"display_name": f"Attaquant {tag}"}))
    question = submit(api, writer, title=f"Une question de carte {tag}")
    visible(api, question["id"])
    answer = ok(api.post(f"/api/v1/posts/{question['id']}/replies", user=writer,
                         json={"body": f"Qu'en pensez-vous, @Attaquant{tag} ?"}), 201)
    reply_visible(api, answer["id"])
    notified(api, first, "mention")
    # the same event was handled for both: the copier got nothing
    assert not [n for n in inbox(api, copier, limit=100)["items"] if n["type"] == "mention"]


def test_a_full_name_with_a_space_mentions_its_member(api):
    tag = _tag()
    writer, zoe = api.new_user(), api.new_user(display_name=f"Zoé D{tag}")
    question = submit(api, writer, title=f"Virement instantané {tag}")
    visible(api, question["id"])
    answer = ok(api.post(f"/api/v1/posts/{question['id']}/replies", user=writer,
                         json={"body": f"Merci @Zoé D{tag} a raison sur ce point."}), 201)
    reply_visible(api, answer["id"])
    notified(api, zoe, "mention")
