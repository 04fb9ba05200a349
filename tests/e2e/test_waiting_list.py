"""A member's texts not public yet (GET /api/v1/me/waiting, and the top of "Mon fil"): once they
left the page of a held question or reply, nothing led them back to it until a CM decided."""
from __future__ import annotations

import signal

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
        "posts": [], "replies": [], "refused_posts": [], "refused_replies": [],
        "waiting_more": False, "refused_more": False}
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


def test_a_heading_says_at_least_only_when_posts_has_more_than_it_listed(platform, api):
    """posts lists WAITING_SHOWN (20) of each kind at most and says whether there are more
    (`waiting_more`): exactly 20 held questions are "your 20"; a 21st makes them "at least
    20", never "your 20"."""
    author = api.new_user()

    def feed() -> str:
        browser, _ = site_login(platform.base_url, author)
        return browser.get(platform.base_url + "/me/feed", timeout=10).text

    def listed() -> dict:
        return ok(api.get("/api/v1/me/waiting", user=author))

    held = [submit(api, author, title=f"Virement {n} vers {IBAN}",
                   body="Le virement vers mon livret est bloqué.")["id"] for n in range(20)]
    wait_for(lambda: {post["id"] for post in listed()["posts"]} == set(held), timeout=30,
             message="the 20 listed")
    assert listed()["waiting_more"] is False and listed()["refused_more"] is False
    page = feed()
    assert "Vos 20 contributions en attente de publication" in page
    assert "Au moins" not in page and "Seules les plus récentes" not in page
    held.append(submit(api, author, title=f"Virement 20 vers {IBAN}",
                       body="Le virement vers mon livret est bloqué.")["id"])
    wait_for(lambda: {post["id"] for post in listed()["posts"]} == set(held[1:]), timeout=30,
             message="the newest 20 listed")
    assert listed()["waiting_more"] is True and listed()["refused_more"] is False
    page = feed()
    assert "Au moins 20 de vos contributions en attente de publication" in page
    assert "Seules les plus récentes sont listées ici." in page
    assert "Vos 20 contributions" not in page
    assert page.count('<li><a href="/posts/') == 20


def test_mon_fil_shows_while_posts_does_not_answer_and_says_the_list_cannot_be_shown(
        platform, api):
    """The waiting list is posts'; the feed is not: posts paused (SIGSTOP) costs the panel, which
    says so in a line, not the page (it was the gateway's 504 error page)."""
    author = api.new_user()
    for language, heading, said in (
            ("fr", "<h1>Mon fil</h1>", "La liste de vos contributions en attente de publication "
                                      "ne peut pas être affichée pour l’instant."),
            ("en", "<h1>My feed</h1>", "The list of your contributions waiting to be published "
                                      "cannot be shown right now.")):
        ok(api.patch("/api/v1/me", user=author, json={"language": language}))
        browser, _ = site_login(platform.base_url, author)
        posts = platform.processes["posts"].popen
        posts.send_signal(signal.SIGSTOP)
        try:
            page = browser.get(platform.base_url + "/me/feed", timeout=30)
        finally:
            posts.send_signal(signal.SIGCONT)
        assert page.status_code == 200, page.text[:500]
        assert heading in page.text and said in page.text
        assert 'id="waiting"' in page.text
