"""The demo content of posts and moderation (`agora seed-demo` -> services/posts/demo.py)."""
import pytest

from services.posts import demo

from ..conftest import wait_for

demo_seed = pytest.importorskip("services.devtools.demo_seed")


def test_demo_content_has_questions_ideas_with_votes_and_statuses_and_a_held_item(demo_api):
    demo.seed(demo_api)
    demo.seed(demo_api)  # re-running it changes nothing
    member = demo.MEMBERS[0]
    # an idea starts with its author's vote (cast once it is published): 4 voters + its author
    instant = [("Virements instantanés gratuits", 5, "planned")]
    wait_for(lambda: [(i["title"], i["votes"], i["status"]) for i in demo_api.get(
        "/api/v1/posts?kind=idea&author=" + demo_api.user_id(demo.MEMBERS[3]))["items"]]
        == instant, timeout=20, message="the demo idea's votes")
    dark = wait_for(lambda: next(iter(i for i in demo_api.get(
        "/api/v1/posts?kind=idea&q=sombre")["items"] if i["votes"] == 5), None), timeout=20,
        message="the merged demo idea's votes")
    categories = demo_api.get("/api/v1/categories")["items"]
    payments = next(c for c in categories if c["slug"] == "payments")
    assert payments["name"] == {"fr": "Virements et paiements", "en": "Transfers and payments"}
    assert {"cards", "accounts", "payments", "app", "news"} <= {c["slug"] for c in categories}
    # 3 (its author's and two) + 3 merged (its author's and two), member1 counted once
    assert dark["status"] == "under_review" and dark["votes"] == 5
    authors = {demo_api.user_id(email) for email in demo.MEMBERS}
    questions = [q for q in demo_api.get("/api/v1/posts?kind=question&limit=100",
                                         as_=member)["items"] if q["author_id"] in authors]
    assert sorted(q["answer_count"] for q in questions) == [0, 1, 1]
    accepted = demo_api.get("/api/v1/posts?accepted=true&author=" + demo_api.user_id(member))
    assert [q["has_official_answer"] for q in accepted["items"]] == [True]
    # the demo's one held question (other tests of the session hold IBANs of their own)
    queue = demo_api.get("/api/v1/moderation/queue?reason=detector&limit=200",
                         as_=demo.CM)["items"]
    held = [item["author_id"] for item in queue
            if item["detector_kinds"] == ["iban"] and item["author_id"] in authors]
    assert held == [demo_api.user_id(demo.MEMBERS[1])]
    featured = demo_api.get("/api/v1/posts?featured=true&limit=100")["items"]
    assert "Bienvenue sur Agora" in [p["title"] for p in featured]
    # a status a CM has set since is theirs: a re-run (`make up` again) leaves it and goes on
    demo_api.put(f"/api/v1/posts/{dark['id']}/status", as_=demo.CM,
                 json={"status": "planned", "note": "Prévu pour le printemps."})
    demo.seed(demo_api)
    assert demo_api.get(f"/api/v1/posts/{dark['id']}")["status"] == "planned"
