"""Categories as a list admins manage (French and English), posts that must name one of them,
accented tags with slugs for URLs, and popular tags while typing — through the gateway."""
from __future__ import annotations

import uuid

from ..conftest import wait_for
from .steps import ok, problem, submit, visible


def test_an_archived_category_keeps_its_posts_and_takes_no_new_ones(platform, api):
    admin, member = platform.admin, api.new_user()
    marker = uuid.uuid4().hex[:6]
    slug = ok(api.post("/api/v1/categories", user=admin, json={
        "name": {"fr": f"Offre ancienne {marker}", "en": f"Old offer {marker}"}}), 201)["slug"]
    post = visible(api, submit(api, member, title="Mon ancienne offre", category=slug)["id"])

    problem(api.put(f"/api/v1/categories/{slug}/archived", user=member), 403)
    archived = ok(api.put(f"/api/v1/categories/{slug}/archived", user=admin))
    assert archived["slug"] == slug and archived["archived"] is True
    assert ok(api.put(f"/api/v1/categories/{slug}/archived", user=admin)) == archived  # again
    refused = problem(api.post("/api/v1/posts", user=member, json={
        "kind": "question", "title": "Encore ?", "body": "Et maintenant ?", "category": slug}),
        422)
    assert "archivée" in refused["errors"]["category"][0]
    assert ok(api.get(f"/api/v1/posts/{post['id']}"))["category"] == slug  # its posts keep it

    def slugs(**query):
        return [c["slug"] for c in ok(api.get("/api/v1/categories", params=query))["items"]]
    assert slug in slugs() and slug in slugs(archived="true")
    assert slug not in slugs(archived="false")
    renamed = ok(api.patch(f"/api/v1/categories/{slug}", user=admin, json={
        "name": {"fr": f"Offre close {marker}", "en": f"Closed offer {marker}"}}))
    assert renamed["archived"] is True  # renaming keeps it archived

    restored = ok(api.delete(f"/api/v1/categories/{slug}/archived", user=admin))
    assert restored["archived"] is False and slug in slugs(archived="false")
    submit(api, member, title="De retour", category=slug)
    problem(api.delete("/api/v1/categories/nowhere/archived", user=admin), 404)


def test_admins_manage_the_category_list_in_french_and_english(platform, api):
    admin, member = platform.admin, api.new_user()
    marker = uuid.uuid4().hex[:6]
    created = ok(api.post("/api/v1/categories", user=admin, json={
        "name": {"fr": f"Épargne salariale {marker}", "en": f"Employee savings {marker}"},
        "description": {"fr": "PEE, PERCO, intéressement.", "en": "Company savings plans."},
        "position": 900}), 201)
    slug = f"epargne-salariale-{marker}"
    assert created == {"slug": slug, "position": 900,
                       "name": {"fr": f"Épargne salariale {marker}",
                                "en": f"Employee savings {marker}"},
                       "description": {"fr": "PEE, PERCO, intéressement.",
                                       "en": "Company savings plans."}, "archived": False,
                       "staff_only": False}
    after = ok(api.post("/api/v1/categories", user=admin, json={
        "slug": f"zz-{marker}", "name": {"fr": "Divers", "en": "Other"}}), 201)
    assert after["position"] >= 901  # after the last one when not given

    listed = ok(api.get("/api/v1/categories"))["items"]
    positions = [c["position"] for c in listed]
    assert positions == sorted(positions)
    assert [c["slug"] for c in listed].index(slug) < [c["slug"] for c in listed].index(
        f"zz-{marker}")

    renamed = ok(api.patch(f"/api/v1/categories/{slug}", user=admin, json={
        "name": {"fr": f"Épargne d'entreprise {marker}", "en": f"Company savings {marker}"},
        "position": 5}))
    assert renamed["slug"] == slug and renamed["position"] == 5
    assert renamed["description"]["fr"] == "PEE, PERCO, intéressement."
    assert ok(api.get(f"/api/v1/categories/{slug}")) == renamed

    # the same creation again changes nothing; another category on the same slug is a conflict
    assert ok(api.post("/api/v1/categories", user=admin, json={
        "slug": f"zz-{marker}", "name": {"fr": "Divers", "en": "Other"}}), 201) == after
    problem(api.post("/api/v1/categories", user=admin, json={
        "slug": f"zz-{marker}", "name": {"fr": "Autre", "en": "Other"}}), 409)
    problem(api.post("/api/v1/categories", user=member, json={
        "name": {"fr": "Pirate", "en": "Pirate"}}), 403)
    problem(api.post("/api/v1/categories", json={"name": {"fr": "x", "en": "x"}}), 401)
    invalid = problem(api.post("/api/v1/categories", user=admin, json={
        "name": {"fr": "Sans anglais"}}), 400)
    assert "en" in invalid["errors"]["name"]
    problem(api.patch("/api/v1/categories/nowhere", user=admin, json={"position": 1}), 404)

    # posts must name an existing category (by slug, or a name folding to it)
    refused = problem(api.post("/api/v1/posts", user=member, json={
        "kind": "question", "title": "Où poster ?", "body": "Ici ?",
        "category": f"nowhere-{marker}"}), 422)
    assert refused["errors"]["category"] == [  # the member's language: French
        "catégorie introuvable ; choisissez-en une de GET /api/v1/categories"]
    post = submit(api, member, title="Mon PEE", category=f"Épargne Salariale {marker}")
    assert post["category"] == slug

    # following it works once feeds has heard of it; a category that does not exist is a 404
    def follow():
        response = api.put(f"/api/v1/me/following-categories/{slug}", user=member)
        return response.status_code == 200 and response.json()
    assert wait_for(follow, timeout=20, message="the category can be followed") == {
        "category": slug, "following": True}
    missing = problem(api.put(f"/api/v1/me/following-categories/nope-{marker}", user=member),
                      404)
    # the member reads French (the default): the detail is the catalogue's
    assert "catégorie introuvable" in missing["detail"]
    assert "/api/v1/categories" in missing["detail"]


def test_accented_tags_have_slugs_for_urls_and_popular_tags_complete_a_prefix(api):
    member = api.new_user()
    marker = "".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex[:6])  # no digits
    first = submit(api, member, title="Livret A ou LDDS ?", tags=[f"Épargne{marker}", "prêt-2026"])
    second = submit(api, member, title="Quel PEL ?", tags=[f"epargne{marker}"])
    third = submit(api, member, title="Un autre PEL ?", tags=[f"épargnant{marker}"])
    for post in (first, second, third):
        visible(api, post["id"])
    assert ok(api.get(f"/api/v1/posts/{first['id']}"))["tags"] == [f"épargne{marker}",
                                                                   "prêt-2026"]

    tagged = ok(api.get("/api/v1/posts", params={"tag": f"ÉPARGNE{marker}", "limit": 100}))
    assert {p["id"] for p in tagged["items"]} == {first["id"], second["id"]}

    def popular():
        items = ok(api.get("/api/v1/tags", params={"prefix": "Épar", "limit": 100}))["items"]
        mine = [t for t in items if t["slug"].endswith(marker)]
        return mine if len(mine) == 2 else None
    tags = wait_for(popular, timeout=20, message="tags counted")
    assert tags == [{"tag": f"épargne{marker}", "slug": f"epargne{marker}", "count": 2},
                    {"tag": f"épargnant{marker}", "slug": f"epargnant{marker}", "count": 1}]
    everything = ok(api.get("/api/v1/tags", params={"limit": 100}))["items"]
    assert [t["count"] for t in everything] == sorted((t["count"] for t in everything),
                                                      reverse=True)

    # a deleted post no longer counts
    assert api.delete(f"/api/v1/posts/{second['id']}", user=member).status_code == 204
    wait_for(lambda: next(t for t in ok(api.get("/api/v1/tags", params={
        "prefix": f"epargne{marker}"}))["items"])["count"] == 1, timeout=20,
        message="the count follows the deletion")

    refused = problem(api.post("/api/v1/posts", user=member, json={
        "kind": "question", "title": "Mon compte", "body": "?", "category": "cards",
        "tags": ["FR7630006000011234"]}), 400)
    assert "au plus 4 chiffres" in refused["errors"]["tags"]["0"][0]


def test_a_tag_that_looks_like_another_is_that_tag(api):
    """A Cyrillic "е" in "еpargne" reads as "epargne": the post carries "epargne", is found and
    counted with the posts tagged "epargne"; a word mixing alphabets is refused, in French."""
    member = api.new_user()
    marker = "".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex[:6])  # no digits
    latin = submit(api, member, title="Mon épargne ?", tags=[f"epargne{marker}"])
    look_alike = submit(api, member, title="Mon épargne, encore ?",
                        tags=[f"\u0435\u0440argne{marker}"])  # a Cyrillic "е" and "р"
    for post in (latin, look_alike):
        visible(api, post["id"])
    assert ok(api.get(f"/api/v1/posts/{look_alike['id']}"))["tags"] == [f"epargne{marker}"]
    tagged = ok(api.get("/api/v1/posts", params={"tag": f"epargne{marker}", "limit": 100}))
    assert {p["id"] for p in tagged["items"]} == {latin["id"], look_alike["id"]}
    wait_for(lambda: ok(api.get("/api/v1/tags", params={"prefix": f"epargne{marker}"}))[
        "items"] == [{"tag": f"epargne{marker}", "slug": f"epargne{marker}", "count": 2}],
        timeout=20, message="one tag, counted twice")

    refused = problem(api.post("/api/v1/posts", user=member, json={
        "kind": "question", "title": "Ma banque", "body": "?", "category": "cards",
        "tags": [f"\u0431ank{marker}"]}), 400)  # a Cyrillic "б": no Latin letter looks like it
    assert "mêle deux alphabets" in refused["errors"]["tags"]["0"][0]
