"""Posts through the gateway against the running processes (posts, moderation, identity,
gateway)."""
from __future__ import annotations

import uuid

import eventlet

from ..conftest import wait_for
from .steps import authors_vote_counted, ok, problem, reply_visible, staff, submit, visible

# -- tests ----------------------------------------------------------------------------------------

def test_question_lifecycle_answers_accepted_answer_and_edit_history(platform, api):
    asker, helper = api.new_user(), api.new_user()
    adviser = staff(platform, "advisor")
    marker = "zq" + uuid.uuid4().hex[:8]  # the session's other posts may share the words
    created = submit(api, asker, title=f"Plafond carte à l'étranger {marker}",
                     body="Comment *augmenter* mon plafond ?", tags=["voyage"])
    assert created["state"] == "pending"
    post = visible(api, created["id"])
    assert post["body_html"] == "<p>Comment <em>augmenter</em> mon plafond ?</p>"
    assert post["answer_count"] == 0
    unanswered = ok(api.get("/api/v1/posts", params={"sort": "unanswered", "limit": 100}))
    assert created["id"] in [p["id"] for p in unanswered["items"]]
    found = ok(api.get("/api/v1/posts", params={"q": f"plafond ETRANGER {marker.upper()}"}))
    assert [p["id"] for p in found["items"]] == [created["id"]]

    answer = ok(api.post(f"/api/v1/posts/{created['id']}/replies", user=helper,
                         json={"body": "Dans l'appli, rubrique Cartes."}), 201)
    official = ok(api.post(f"/api/v1/posts/{created['id']}/replies", user=adviser,
                           json={"body": "Je l'ai augmenté pour vous."}), 201)
    reply_visible(api, answer["id"])
    assert reply_visible(api, official["id"])["official"] is True
    problem(api.put(f"/api/v1/posts/{created['id']}/accepted-reply", user=helper,
                    json={"reply_id": official["id"]}), 403)
    accepted = ok(api.put(f"/api/v1/posts/{created['id']}/accepted-reply", user=asker,
                          json={"reply_id": official["id"]}))
    assert accepted["accepted_reply_id"] == official["id"] and accepted["has_official_answer"]
    replies = ok(api.get(f"/api/v1/posts/{created['id']}/replies"))["items"]
    assert [(r["id"], r["accepted"]) for r in replies] == [(answer["id"], False),
                                                           (official["id"], True)]
    no_accepted = ok(api.get("/api/v1/posts", params={"accepted": "false", "limit": 100}))
    assert created["id"] not in [p["id"] for p in no_accepted["items"]]

    ok(api.patch(f"/api/v1/posts/{created['id']}", user=asker,
                 json={"body": "Comment augmenter mon plafond de paiement ?"}))
    visible(api, created["id"], revision=2)
    history = ok(api.get(f"/api/v1/posts/{created['id']}/history"))["revisions"]
    assert [h["body"] for h in history] == ["Comment *augmenter* mon plafond ?",
                                            "Comment augmenter mon plafond de paiement ?"]


def test_a_member_cannot_edit_or_delete_someone_elses_post(api):
    author, other = api.new_user(), api.new_user()
    post = submit(api, author)
    visible(api, post["id"])
    problem(api.patch(f"/api/v1/posts/{post['id']}", user=other, json={"body": "mine"}), 403)
    problem(api.delete(f"/api/v1/posts/{post['id']}", user=other), 403)
    assert api.delete(f"/api/v1/posts/{post['id']}", user=author).status_code == 204
    tombstone = ok(api.get(f"/api/v1/posts/{post['id']}"))
    assert tombstone["state"] == "deleted" and "title" not in tombstone


def test_invalid_input_is_400_problem_json(api):
    member = api.new_user()
    body = problem(api.post("/api/v1/posts", user=member, json={
        "kind": "poll", "title": "x", "body": "", "category": "*** ???",
        "tags": ["FR7630006000011234"]}), 400)
    assert {"kind", "title", "body", "category", "tags"} <= set(body["errors"])
    problem(api.get("/api/v1/posts", params={"sort": "random"}), 400)
    problem(api.get("/api/v1/posts", params={"cursor": "@@not-ours@@"}), 400)
    problem(api.post("/api/v1/posts", json={"kind": "question"}), 401)
    problem(api.get("/api/v1/posts/p-does-not-exist"), 404)
    problem(api.post("/api/v1/posts", user=member, json={
        "kind": "article", "title": "An article", "body": "text", "category": "news"}), 403)


def test_fifty_concurrent_votes_from_fifty_members_count_exactly_fifty(api):
    author = api.new_user()
    idea = submit(api, author, kind="idea", title="Instant transfers on weekends")
    visible(api, idea["id"])
    authors_vote_counted(api, idea["id"], author)  # the own-vote rule: 1 + the fifty
    voters = list(eventlet.GreenPool(10).imap(lambda _: api.new_user(), range(50)))

    def vote(voter):
        first = api.put(f"/api/v1/posts/{idea['id']}/vote", user=voter)
        again = api.put(f"/api/v1/posts/{idea['id']}/vote", user=voter)  # idempotent
        return first.status_code, again.status_code

    statuses = list(eventlet.GreenPool(50).imap(vote, voters))
    assert set(statuses) == {(200, 200)}, statuses
    assert ok(api.get(f"/api/v1/posts/{idea['id']}"))["votes"] == 51
    assert ok(api.delete(f"/api/v1/posts/{idea['id']}/vote", user=voters[0]))["votes"] == 50
    assert ok(api.delete(f"/api/v1/posts/{idea['id']}/vote", user=voters[0]))["votes"] == 50
    top = ok(api.get("/api/v1/posts", params={"kind": "idea", "sort": "top", "limit": 1}))
    assert top["items"][0]["id"] == idea["id"]


def test_idea_status_with_public_note_and_merge_moving_votes(platform, api):
    manager, member = staff(platform), api.new_user()
    duplicate_author, target_author = api.new_user(), api.new_user()
    duplicate = submit(api, duplicate_author, kind="idea", title="Weekend transfers please")
    target = submit(api, target_author, kind="idea", title="Instant transfers at weekends")
    visible(api, duplicate["id"])
    visible(api, target["id"])
    authors_vote_counted(api, duplicate["id"], duplicate_author)
    authors_vote_counted(api, target["id"], target_author)
    voters = [api.new_user() for _ in range(3)]
    for voter in voters:
        ok(api.put(f"/api/v1/posts/{duplicate['id']}/vote", user=voter))
    ok(api.put(f"/api/v1/posts/{target['id']}/vote", user=voters[0]))  # voted for both

    problem(api.put(f"/api/v1/posts/{target['id']}/status", user=member,
                    json={"status": "planned", "note": "x"}), 403)
    problem(api.put(f"/api/v1/posts/{target['id']}/status", user=manager,
                    json={"status": "delivered", "note": "skipping steps"}), 422)
    changed = ok(api.put(f"/api/v1/posts/{target['id']}/status", user=manager, json={
        "status": "under_review", "note": "Our payments team is studying it."}))
    assert changed["status"] == "under_review"
    assert changed["status_note"]["note"] == "Our payments team is studying it."
    assert ok(api.get(f"/api/v1/posts/{target['id']}"))["status_note"]["by"] == manager.id
    reviewed = ok(api.get("/api/v1/posts", params={"status": "under_review", "limit": 100}))
    assert target["id"] in [p["id"] for p in reviewed["items"]]

    problem(api.post(f"/api/v1/posts/{duplicate['id']}/merge-into/{target['id']}",
                     user=member), 403)
    merged = ok(api.post(f"/api/v1/posts/{duplicate['id']}/merge-into/{target['id']}",
                         user=manager))
    assert merged["source"]["merged_into"] == target["id"]
    assert merged["source"]["status"] == "already_exists" and merged["source"]["votes"] == 0
    # its author's, the duplicate's author's and the three voters' (the first counted once)
    assert merged["target"]["votes"] == 5 and merged["target"]["merged_from"] == [duplicate["id"]]
    assert ok(api.get(f"/api/v1/posts/{target['id']}", user=voters[2]))["my_vote"] is True
    problem(api.put(f"/api/v1/posts/{duplicate['id']}/vote", user=member), 422)


def test_the_own_vote_rule_an_idea_starts_with_its_authors_vote_nothing_else_does(api):
    """Decided in docs/architecture.md ("The own-vote rule"): an idea counts its author's vote
    from its publication; nobody votes for their own question, discussion, article or reply."""
    import requests

    author, reader = api.new_user(), api.new_user()
    idea = submit(api, author, kind="idea", title="Relevés en PDF accessibles")
    question = submit(api, author, title="Relevé introuvable")
    visible(api, idea["id"])
    visible(api, question["id"])
    counted = authors_vote_counted(api, idea["id"], author)
    assert counted["votes"] == 1 and counted["my_vote"] is True
    # withdrawn by its author, it stays withdrawn; given again, it counts again
    assert ok(api.delete(f"/api/v1/posts/{idea['id']}/vote", user=author))["votes"] == 0
    assert ok(api.get(f"/api/v1/posts/{idea['id']}"))["votes"] == 0
    assert ok(api.put(f"/api/v1/posts/{idea['id']}/vote", user=author))["votes"] == 1
    # one's own question or reply: 422, the count untouched; others vote as before
    refused = problem(api.put(f"/api/v1/posts/{question['id']}/vote", user=author), 422)
    assert refused["detail"].startswith("vous ne pouvez pas voter pour votre propre")
    reply = ok(api.post(f"/api/v1/posts/{question['id']}/replies", user=reader,
                        json={"body": "Regardez dans l'espace Documents."}), 201)
    reply_visible(api, reply["id"])
    problem(api.put(f"/api/v1/replies/{reply['id']}/vote", user=reader), 422)
    assert ok(api.delete(f"/api/v1/replies/{reply['id']}/vote", user=reader))["votes"] == 0
    assert ok(api.put(f"/api/v1/replies/{reply['id']}/vote", user=author))["votes"] == 1
    assert ok(api.put(f"/api/v1/posts/{question['id']}/vote", user=reader))["votes"] == 1
    # the site offers no vote button where the rule refuses it
    def page(post_id, user):
        return requests.get(f"{api.base_url}/posts/{post_id}", timeout=30,
                            cookies={"agora_at": user.access_token}).text
    assert f'id="vote-{question["id"]}"' not in page(question["id"], author)
    assert f'id="vote-{question["id"]}"' in page(question["id"], reader)
    assert f'id="vote-{idea["id"]}"' in page(idea["id"], author)
    assert f'id="vote-{reply["id"]}"' not in page(question["id"], reader)
    assert f'id="vote-{reply["id"]}"' in page(question["id"], author)


def test_featuring_and_locking_are_for_community_managers(platform, api):
    manager, author = staff(platform), api.new_user()
    post = submit(api, author, kind="discussion", title="Budget tips for students")
    visible(api, post["id"])
    problem(api.put(f"/api/v1/posts/{post['id']}/featured", user=author), 403)
    assert ok(api.put(f"/api/v1/posts/{post['id']}/featured", user=manager))["featured"]
    featured = ok(api.get("/api/v1/posts", params={"featured": "true", "limit": 100}))
    assert post["id"] in [p["id"] for p in featured["items"]]
    assert ok(api.put(f"/api/v1/posts/{post['id']}/locked", user=manager))["locked"]
    problem(api.post(f"/api/v1/posts/{post['id']}/replies", user=author,
                     json={"body": "one more"}), 422)


def test_locked_threads_are_listed_for_the_community_managers_screen(platform, api):
    """`locked=true|false` lists the frozen threads (the console's publishing screen) or the
    open ones; unlocking takes a thread out of the first list."""
    manager, author = staff(platform), api.new_user()
    post = visible(api, submit(api, author, kind="discussion", title="Frozen thread")["id"])
    other = visible(api, submit(api, author, kind="discussion", title="Open thread")["id"])
    mine = {"author": author.id, "limit": 100}

    def listed(**flags):
        return [p["id"] for p in ok(api.get("/api/v1/posts", params={**mine, **flags}))["items"]]

    ok(api.put(f"/api/v1/posts/{post['id']}/locked", user=manager))
    wait_for(lambda: listed(locked="true") == [post["id"]], message="the locked thread listed")
    assert listed(locked="false") == [other["id"]]
    ok(api.delete(f"/api/v1/posts/{post['id']}/locked", user=manager))
    wait_for(lambda: listed(locked="true") == [], message="the unlocked thread gone")
    problem(api.get("/api/v1/posts", params={"locked": "maybe"}), 400)
