"""A member's texts not public yet (GET /api/v1/me/waiting, and the top of "Mon fil"): once they
left the page of a held question or reply, nothing led them back to it until a CM decided."""
from __future__ import annotations

from ..conftest import wait_for
from .steps import IBAN, ok, problem, queued, site_login, staff, submit, visible


def test_a_member_finds_their_held_question_and_reply_until_a_cm_decides(platform, api):
    author, manager = api.new_user(), staff(platform)
    held = submit(api, author, title=f"Virement bloqué vers {IBAN}",
                  body="Le virement vers mon livret est bloqué.")
    thread = visible(api, submit(api, api.new_user(), title="Carte avalée au distributeur")["id"])
    reply = ok(api.post(f"/api/v1/posts/{thread['id']}/replies", user=author,
                        json={"body": f"Même souci, écrivez-moi : {IBAN}"}), 201)
    item = queued(api, manager, held["id"])
    queued(api, manager, reply["id"])

    def both_held():  # posts learns of the holds just after moderation queues them
        found = ok(api.get("/api/v1/me/waiting", user=author))
        texts = found["posts"] + found["replies"]
        return len(texts) == 2 and all(text["review"]["state"] == "held" for text in texts) \
            and found
    waiting = wait_for(both_held, message="posts knows both are held")
    [post] = waiting["posts"]
    assert post["id"] == held["id"]
    assert post["draft"]["title"] == f"Virement bloqué vers {IBAN}"  # its own text, to its author
    assert post["review"]["reasons"] == ["detector"]
    [answer] = waiting["replies"]
    assert answer["id"] == reply["id"] and answer["post_id"] == thread["id"]
    assert answer["post_title"] == "Carte avalée au distributeur"
    # the site's first page for a member says so, and links to each
    browser, _ = site_login(platform.base_url, author)
    page = browser.get(platform.base_url + "/me/feed", timeout=10).text
    assert "Vos 2 contributions en attente de publication" in page
    assert f'href="/posts/{held["id"]}"' in page
    assert f'href="/replies/{reply["id"]}"' in page  # its thread's page that shows it
    assert IBAN not in page and "Virement bloqué vers FR76" in page  # named, masked
    # nobody else's: another member's list is empty, a visitor is refused
    assert ok(api.get("/api/v1/me/waiting", user=api.new_user())) == {
        "posts": [], "replies": [], "refused_posts": [], "refused_replies": []}
    problem(api.get("/api/v1/me/waiting"), 401)
    # decided: published (masked), it leaves the list
    ok(api.post(f"/api/v1/moderation/items/{item['id']}/decision", user=manager,
                json={"decision": "redact", "body": item["proposal"]["body"]}))
    wait_for(lambda: not ok(api.get("/api/v1/me/waiting", user=author))["posts"],
             message="the published question left the list")
    assert [r["id"] for r in ok(api.get("/api/v1/me/waiting", user=author))["replies"]] == [
        reply["id"]]


def test_a_thread_taken_down_since_keeps_its_title_from_a_waiting_replys_author(platform, api):
    """A CM took the thread out of public view (its title named someone, say): the member whose
    reply waits there may no longer read it, nor its title."""
    author, manager = api.new_user(), staff(platform)
    title = "Remboursement chez Martin Durand"
    thread = visible(api, submit(api, api.new_user(), title=title)["id"])
    reply = ok(api.post(f"/api/v1/posts/{thread['id']}/replies", user=author,
                        json={"body": f"Idem, mon IBAN {IBAN}"}), 201)
    queued(api, manager, reply["id"])
    wait_for(lambda: ok(api.get("/api/v1/me/waiting", user=author))["replies"],
             message="the reply listed")
    assert ok(api.get("/api/v1/me/waiting", user=author))["replies"][0]["post_title"] == title
    ok(api.post(f"/api/v1/posts/{thread['id']}/hold", user=manager))
    wait_for(lambda: api.get(f"/api/v1/posts/{thread['id']}").status_code == 404,
             message="the thread out of public view")
    [listed] = ok(api.get("/api/v1/me/waiting", user=author))["replies"]
    assert listed["id"] == reply["id"] and listed["post_title"] is None
