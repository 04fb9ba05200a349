"""Staff's saved replies through the gateway (`GET|POST /api/v1/me/saved-replies`,
`DELETE /api/v1/me/saved-replies/{id}`): an Idempotency-Key gives one reply; a colleague's is
a 404 as an unknown one; members get 403; lengths are checked as a message's (problem+json)."""
from __future__ import annotations

import uuid

from .steps import ok, problem, staff

PATH = "/api/v1/me/saved-replies"


def test_an_advisor_keeps_replies_of_their_own(platform, api):
    advisor, colleague = staff(platform, "advisor"), staff(platform, "advisor")
    text = {"title": "Délai de virement", "body": "Un virement SEPA arrive en 1 jour ouvré."}

    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = ok(api.post(PATH, user=advisor, headers=key, json=text), 201)
    again = api.post(PATH, user=advisor, headers=key, json=text)
    assert again.status_code == 201 and again.json()["id"] == first["id"]
    assert (first["title"], first["body"]) == (text["title"], text["body"])
    assert [r["id"] for r in ok(api.get(PATH, user=advisor))["items"]] == [first["id"]]

    # limits (problem+json, on the field)
    too_long = problem(api.post(PATH, user=advisor, json={"title": "x" * 81, "body": "x"}), 400)
    assert "title" in str(too_long)
    problem(api.post(PATH, user=advisor, json={"title": "x", "body": "x" * 10001}), 400)

    # yours alone: a colleague lists none, and removing it is as for an unknown one (404)
    assert ok(api.get(PATH, user=colleague))["items"] == []
    refused = problem(api.delete(f"{PATH}/{first['id']}", user=colleague), 404)
    unknown = problem(api.delete(f"{PATH}/{'0' * 32}", user=colleague), 404)
    assert refused["title"] == unknown["title"]
    # members: 403; anonymous: 401
    member = api.new_user()
    problem(api.get(PATH, user=member), 403)
    problem(api.post(PATH, user=member, json=text), 403)
    problem(api.get(PATH), 401)

    assert api.delete(f"{PATH}/{first['id']}", user=advisor).status_code == 204
    assert ok(api.get(PATH, user=advisor))["items"] == []
