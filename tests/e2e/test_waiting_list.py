"""A member's texts not public yet (GET /api/v1/me/waiting, and the top of "Mon fil"): once they
left the page of a held question or reply, nothing led them back to it until a CM decided."""
from __future__ import annotations

from ..conftest import wait_for
from .steps import IBAN, ok, problem, queued, site_login, staff, submit, visible


def test_a_member_finds_their_held_question_and_reply_until_a_cm_decides(platform, api):
    author, manager = api.new_user(), staff(platform)
    held = submit(api, author, title="Virement bloqué vers mon livret",
                  body=f"Mon IBAN est {IBAN}, le virement est bloqué.")
    thread = visible(api, submit(api, api.new_user(), title="Carte avalée au distributeur")["id"])
    reply = ok(api.post(f"/api/v1/posts/{thread['id']}/replies", user=author,
                        json={"body": f"Même souci, écrivez-moi : {IBAN}"}), 201)
    item = queued(api, manager, held["id"])
    queued(api, manager, reply["id"])
    waiting = ok(api.get("/api/v1/me/waiting", user=author))
    [post] = waiting["posts"]
    assert post["id"] == held["id"]
    assert post["draft"]["title"] == "Virement bloqué vers mon livret"  # its text, to its author
    assert post["review"]["state"] == "held" and post["review"]["reasons"] == ["detector"]
    [answer] = waiting["replies"]
    assert answer["id"] == reply["id"] and answer["post_id"] == thread["id"]
    assert answer["post_title"] == "Carte avalée au distributeur"
    assert answer["review"]["state"] == "held"
    # the site's first page for a member says so, and links to each
    browser, _ = site_login(platform.base_url, author)
    page = browser.get(platform.base_url + "/me/feed", timeout=10).text
    assert "Vos 2 contributions en attente de publication" in page
    assert f'href="/posts/{held["id"]}"' in page
    assert f'href="/posts/{thread["id"]}#reply-{reply["id"]}"' in page
    assert IBAN not in page  # the list names texts, never what was found in them
    # nobody else's: another member's list is empty, a visitor is refused
    assert ok(api.get("/api/v1/me/waiting", user=api.new_user())) == {"posts": [], "replies": []}
    problem(api.get("/api/v1/me/waiting"), 401)
    # decided: published (masked), it leaves the list
    ok(api.post(f"/api/v1/moderation/items/{item['id']}/decision", user=manager,
                json={"decision": "redact", "body": item["proposal"]["body"]}))
    wait_for(lambda: not ok(api.get("/api/v1/me/waiting", user=author))["posts"],
             message="the published question left the list")
    assert [r["id"] for r in ok(api.get("/api/v1/me/waiting", user=author))["replies"]] == [
        reply["id"]]
