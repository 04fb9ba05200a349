"""What the detector used to miss (content and attacker reviews), through the gateway: an IBAN or
a RIB with a one-digit typo, a client number after the words that name it, a card typed in
full-width digits, a card split by a blank line. A post holding them is held, never public, and
the CM's proposal masks each; the compose preview names a card's expiry and security code."""
from __future__ import annotations

from .steps import ok, problem, queued, staff, submit, visible

BODY = ("Mon IBAN GB82 WEST 1234 5698 7654 33 (une faute de frappe ?), "
        "RIB 30002 00550 0000157845Z 03,\n"
        "numéro client : 98765432, carte ４９７０ １０１２ ３４５６ ７８９３ "
        "et l'autre 5555 5555\n\n5555 4444.")
MASKED = ("Mon IBAN GB82 •••• •••• •••• ••54 33 (une faute de frappe ?), "
          "RIB ••••• ••••• •••••••••5Z 03,\n"
          "numéro client : ••••5432, carte •••• •••• •••• ７８９３ "
          "et l'autre •••• ••••\n\n•••• 4444.")


def test_near_misses_are_held_and_masked(platform, api):
    manager, author = staff(platform), api.new_user()

    preview = ok(api.post("/api/v1/previews", user=author,
                          json={"body": "date d'expiration 09/28, cryptogramme 123"}))
    assert preview["confidential"] == ["card_expiry", "card_security_code"]

    question = submit(api, author, title="Virement refusé", body=BODY)
    held = queued(api, manager, question["id"])
    assert held["reasons"] == ["detector"]
    assert held["detector_kinds"] == ["iban", "rib", "card_number", "customer_number"]
    body = held["content"]["body"]
    assert sorted((f["kind"], body[f["start"]:f["end"]]) for f in held["findings"]) == sorted([
        ("iban", "GB82 WEST 1234 5698 7654 33"), ("rib", "30002 00550 0000157845Z 03"),
        ("customer_number", "98765432"), ("card_number", "４９７０ １０１２ ３４５６ ７８９３"),
        ("card_number", "5555 5555\n\n5555 4444")])
    assert held["proposal"]["body"] == MASKED
    problem(api.get(f"/api/v1/posts/{question['id']}"), 404)

    ok(api.post(f"/api/v1/moderation/items/{held['id']}/decision", user=manager,
                json={"decision": "redact", "body": MASKED}))
    assert visible(api, question["id"])["body"] == MASKED
