"""The member's export gathers their data from every service (GDPR art. 15 and 20), and only
theirs: a member who posted, replied, voted, followed, changed their notification settings and
wrote to their advisor finds each in `GET /api/v1/me/export` (and in the site's download);
another member's data never appears."""
from __future__ import annotations

import json
import signal
import time
import uuid

from ..conftest import wait_for
from .steps import (
    customer_with_advisor,
    follow,
    notified,
    ok,
    problem,
    reply_visible,
    site_login,
    staff,
    submit,
    visible,
)


def _export(api, user):
    response = api.get("/api/v1/me/export", user=user)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    return response


def test_the_export_gathers_every_service_and_nothing_of_anyone_else(platform, api,
                                                                      conversations_db):
    ada, advisor = customer_with_advisor(platform, api, conversations_db)
    other = api.new_user(display_name=f"Other {uuid.uuid4().hex[:6]}", customer=True)
    marker, others_marker = uuid.uuid4().hex, uuid.uuid4().hex

    # the other member's own data, which must never reach ada's export
    theirs = submit(api, other, title=f"Frais de carte {others_marker}")
    visible(api, theirs["id"])
    others_secret = f"my private question {others_marker}"
    ok(api.post("/api/v1/conversations", user=other,
                json={"subject": f"Private {others_marker}", "message": others_secret}), 201)

    # ada: a question, a reply on the other's thread, a vote, a follow, settings, a conversation
    question = submit(api, ada, title=f"Plafond de paiement {marker}")
    visible(api, question["id"])
    reply = ok(api.post(f"/api/v1/posts/{theirs['id']}/replies", user=ada,
                        json={"body": f"Same here {marker}"}), 201)
    reply_visible(api, reply["id"])
    ok(api.put(f"/api/v1/posts/{theirs['id']}/vote", user=ada))
    follow(api, ada, other)
    ok(api.put("/api/v1/me/notification-preferences", user=ada,
               json={"types": {"reply": {"push": False}}}))
    conversation = ok(api.post("/api/v1/conversations", user=ada, json={
        "subject": f"Card limit {marker}", "message": f"Can you raise it? {marker}"}), 201)
    answer = f"Done, raised {marker}"
    ok(api.post(f"/api/v1/conversations/{conversation['id']}/messages", user=advisor,
                json={"body": answer}), 201)
    # the other member answers ada's question: a notification in ada's inbox
    others_reply = ok(api.post(f"/api/v1/posts/{question['id']}/replies", user=other,
                               json={"body": f"Try the app {others_marker}"}), 201)
    reply_visible(api, others_reply["id"])
    notified(api, ada, "reply", post_id=question["id"])

    response = _export(api, ada)
    archive = response.json()
    assert set(archive) == {"member_id", "exported_at", "identity", "posts", "feeds",
                            "notifications", "conversations", "moderation"}
    assert archive["member_id"] == ada.id

    identity = archive["identity"]
    assert identity["profile"]["email"] == ada.email
    assert identity["profile"]["advisor"]["advisor"]["id"] == advisor.id
    assert any(entry["outcome"] == "success" for entry in identity["logins"])

    posts = archive["posts"]
    [mine] = posts["posts"]
    assert mine["id"] == question["id"] and marker in mine["title"]
    assert [revision["revision"] for revision in mine["revisions"]] == [1]
    assert [r["id"] for r in posts["replies"]] == [reply["id"]]
    assert marker in posts["replies"][0]["body"]
    assert posts["replies"][0]["revisions"][0]["body"] == f"Same here {marker}"
    assert [(v["target_type"], v["target_id"]) for v in posts["votes"]] == [
        ("post", theirs["id"])]
    assert posts["votes"][0]["at"]

    subscriptions = {(s["list"], s["target"]) for s in archive["feeds"]["subscriptions"]}
    assert ("members", other.id) in subscriptions
    assert ("threads", theirs["id"]) in subscriptions  # repliers watch the thread
    assert all(s["since"] for s in archive["feeds"]["subscriptions"])

    notifications = archive["notifications"]
    assert notifications["preferences"]["types"]["reply"]["push"] is False
    assert any(n["type"] == "reply" and n["post_id"] == question["id"]
               for n in notifications["notifications"])

    [exported] = archive["conversations"]["conversations"]
    assert exported["id"] == conversation["id"] and exported["subject"] == f"Card limit {marker}"
    assert [m["body"] for m in exported["messages"]] == [f"Can you raise it? {marker}", answer]

    # nothing private of the other member (their public contributions may be named by ada's
    # own data: the thread she replied to, who answered her)
    text = response.text
    for foreign in (other.email, others_secret, f"Private {others_marker}"):
        assert foreign not in text, foreign
    for secret in ("password", "refresh_token", ada.access_token, ada.refresh_token):
        assert secret not in text, secret

    # and the other member's export holds none of ada's private data
    their_text = _export(api, other).text
    for foreign in (ada.email, f"Card limit {marker}", answer, f"Can you raise it? {marker}"):
        assert foreign not in their_text, foreign

    assert api.get("/api/v1/me/export").status_code == 401


def test_the_export_holds_my_flags_in_my_own_words_and_nobody_elses(platform, api):
    """Moderation's part: the posts and replies the member flagged, why, in their own words
    (sealed in the log), when — kept after the community team closed the round; never another
    flagger's flag or words, nor the flagged text's author, nor staff's assessment."""
    author, ada, bob, manager = api.new_user(), api.new_user(), api.new_user(), staff(platform)
    marker = uuid.uuid4().hex[:8]
    post = submit(api, author, kind="discussion", title=f"Un message douteux {marker}")
    visible(api, post["id"])
    reply = ok(api.post(f"/api/v1/posts/{post['id']}/replies", user=author,
                        json={"body": f"Et une réponse douteuse {marker}"}), 201)
    reply_visible(api, reply["id"])
    mine, his = f"Il copie le texte de ma voisine {marker}", f"Bob's own words {marker}"
    ok(api.post(f"/api/v1/posts/{post['id']}/flags", user=ada,
                json={"reason": "other", "details": mine}), 201)
    ok(api.post(f"/api/v1/replies/{reply['id']}/flags", user=ada, json={"reason": "spam"}), 201)
    ok(api.post(f"/api/v1/posts/{post['id']}/flags", user=bob,
                json={"reason": "other", "details": his}), 201)

    # the community team dismisses the post's flags: the round closes, the flag stays ada's
    item = wait_for(lambda: next((i for i in ok(api.get(
        "/api/v1/moderation/queue", user=manager, params={"review": "flags", "limit": 200}))[
        "items"] if i["target_id"] == post["id"] and len(i["flaggers"]) == 2), None),
        timeout=20, message="both flags in the queue")
    ok(api.post(f"/api/v1/moderation/items/{item['id']}/decision", user=manager,
                json={"decision": "approve"}))

    response = _export(api, ada)
    flags = response.json()["moderation"]["flags"]
    assert [(f["target_type"], f["target_id"], f["reason"], f["details"]) for f in flags] == [
        ("reply", reply["id"], "spam", None), ("post", post["id"], "other", mine)]  # newest first
    assert flags[0]["post_id"] == post["id"] and all(f["at"] for f in flags)
    assert set(flags[0]) == {"target_type", "target_id", "post_id", "reason", "details", "at"}
    for foreign in (his, bob.id, author.id, "trusted"):
        assert foreign not in json.dumps(response.json()["moderation"]), foreign
    # bob's export has his flag and words, none of ada's; the author's has no flag at all
    [bobs] = _export(api, bob).json()["moderation"]["flags"]
    assert (bobs["target_id"], bobs["details"]) == (post["id"], his)
    assert mine not in _export(api, bob).text
    assert _export(api, author).json()["moderation"] == {"flags": []}


def test_a_flaggers_words_quoting_an_iban_are_masked_for_the_team_and_in_the_export(platform,
                                                                                   api):
    """A flagger often quotes the bank details they report: their words stay whole only in the
    log (sealed with their key); the community team's queue and the flagger's export (kept after
    the round's decision) show them masked as drafts are, never the digits."""
    author, ada, manager = api.new_user(), api.new_user(), staff(platform)
    marker = uuid.uuid4().hex[:8]
    post = submit(api, author, kind="discussion", title=f"Un message à signaler {marker}")
    visible(api, post["id"])
    words = f"Il publie l'IBAN FR76 3000 6000 0112 3456 7890 189 d'un autre {marker}"
    masked = f"Il publie l'IBAN FR76 •••• •••• •••• •••• •••0 189 d'un autre {marker}"
    ok(api.post(f"/api/v1/posts/{post['id']}/flags", user=ada,
                json={"reason": "other", "details": words}), 201)

    item = wait_for(lambda: next((i for i in ok(api.get(
        "/api/v1/moderation/queue", user=manager, params={"review": "flags", "limit": 200}))[
        "items"] if i["target_id"] == post["id"] and i["flaggers"][0].get("details")), None),
        timeout=20, message="the flag and its words in the queue")
    assert [f.get("details") for f in item["flaggers"]] == [masked]
    seen = api.get(f"/api/v1/moderation/items/{item['id']}", user=manager)
    assert [f.get("details") for f in seen.json()["flaggers"]] == [masked]
    assert "3456 7890" not in seen.text
    ok(api.post(f"/api/v1/moderation/items/{item['id']}/decision", user=manager,
                json={"decision": "approve"}))

    response = _export(api, ada)
    assert [f["details"] for f in response.json()["moderation"]["flags"]] == [masked]
    assert "3456 7890" not in response.text


def test_an_advisors_export_holds_their_own_data_not_their_customers(platform, api,
                                                                     conversations_db):
    member, advisor = customer_with_advisor(platform, api, conversations_db)
    secret = f"my private matter {uuid.uuid4().hex}"
    conversation = ok(api.post("/api/v1/conversations", user=member,
                               json={"subject": "Loan", "message": secret}), 201)
    ok(api.post(f"/api/v1/conversations/{conversation['id']}/messages", user=advisor,
                json={"body": "Let us talk on Monday"}), 201)
    archive = _export(api, advisor)
    assert archive.json()["conversations"]["conversations"] == []
    assert secret not in archive.text and member.email not in archive.text
    # the member's own export has the whole exchange
    mine = _export(api, member).json()["conversations"]["conversations"]
    assert [m["body"] for m in mine[0]["messages"]] == [secret, "Let us talk on Monday"]


def test_the_site_download_is_the_same_archive(platform, api):
    ada = api.new_user(display_name="Ada Download")
    ok(api.put("/api/v1/me/notification-preferences", user=ada,
               json={"types": {"reply": {"email": "off"}}}))
    browser, _ = site_login(platform.base_url, ada)
    response = browser.get(f"{platform.base_url}/me/data/export", timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["Cache-Control"] == "no-store"
    downloaded = json.loads(response.text)
    from_api = _export(api, ada).json()
    for archive in (downloaded, from_api):
        archive.pop("exported_at")
        archive["identity"].pop("sessions")  # the site's sign-in is one more session
        archive["identity"].pop("logins")
    assert downloaded == from_api
    assert downloaded["notifications"]["preferences"]["types"]["reply"]["email"] == "off"
    assert downloaded["identity"]["profile"]["email"] == ada.email


def test_a_service_that_does_not_answer_makes_the_export_504_never_a_partial_archive(platform,
                                                                                      api):
    """The time budget: the gateway asks the services together and waits its RPC timeout for
    all of them; one that does not answer (here: paused) makes the whole export 504."""
    ada = api.new_user()
    conversations = platform.processes["conversations"].popen
    conversations.send_signal(signal.SIGSTOP)
    try:
        started = time.monotonic()
        response = api.get("/api/v1/me/export", user=ada, timeout=60)
        waited = time.monotonic() - started
    finally:
        conversations.send_signal(signal.SIGCONT)
    body = problem(response, 504)
    assert "identity" not in body and "posts" not in body  # nothing of a partial archive
    assert waited < 30  # one timeout for the whole gathering, not one per service
    _export(api, ada)  # and it answers again once the service does
