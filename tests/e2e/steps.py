"""What the end-to-end tests (and the browser tests) do through the gateway, written once: submit
a post and wait until it is published, read a problem+json answer, find an item in the moderation
queue, a notification, an e-mail, a home feed entry. Every wait is a condition with a timeout
(`wait_for`), never a sleep."""
from __future__ import annotations

import re
import uuid

import requests

from ..conftest import wait_for

PROBLEM = "application/problem+json"


def problem(response, status):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith(PROBLEM), response.headers
    body = response.json()
    assert body["status"] == status and body["type"].startswith("urn:agora:problem:")
    return body


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def staff(platform, role="community_manager"):
    user = platform.api.new_user()
    platform.api.grant(platform.admin, user, role)
    return user


def submit(api, user, kind="question", **fields):
    body = {"kind": kind, "title": fields.pop("title", f"A {kind} about my card"),
            "body": fields.pop("body", "How do I raise my card's payment limit?"),
            "category": fields.pop("category", "cards"), **fields}
    return ok(api.post("/api/v1/posts", user=user, json=body), 201)


def visible(api, post_id, user=None, revision=None):
    """Wait until the post is published (optionally at `revision`) for `user` (anonymous)."""
    def check():
        response = api.get(f"/api/v1/posts/{post_id}", user=user)
        if response.status_code != 200:
            return None
        post = response.json()
        if post["state"] != "published" or (revision and post["revision"] != revision):
            return None
        return post
    return wait_for(check, timeout=20, message=f"post {post_id} published")


def authors_vote_counted(api, idea_id, author):
    """An idea starts with its author's vote, cast once it is published (the own-vote rule):
    wait for it, so the counts a test checks next are its own."""
    def counted():
        idea = ok(api.get(f"/api/v1/posts/{idea_id}", user=author))
        return idea["my_vote"] and idea
    return wait_for(counted, timeout=20, message=f"idea {idea_id} counts its author's vote")


def reply_visible(api, reply_id):
    def check():
        response = api.get(f"/api/v1/replies/{reply_id}")
        return response.status_code == 200 and response.json()["state"] == "published" \
            and response.json()
    return wait_for(check, timeout=20, message=f"reply {reply_id} published")


IBAN = "FR76 3000 6000 0112 3456 7890 189"


IBAN_DIGITS = "3000 6000 0112 3456 7890"
IBAN_TAGS = ["fr76", "3000", "6000", "0112", "3456", "7890", "189"]  # the IBAN as tags: 4 digits


def queued(api, manager, target_id):
    """The waiting item of a contribution, on whichever page of the queue (oldest first) it is:
    the whole suite leaves hundreds of items waiting before a late test's."""
    def find():
        return next((item for _, item in queue_pages(api, manager)
                     if item["target_id"] == target_id), None)
    return wait_for(find, timeout=20, message=f"{target_id} in the moderation queue")


def redacted_then_undone(api, manager, author):
    """A question holding an IBAN, published masked by `manager`, then that decision undone:
    (the question, its first item, the item the undo reopened)."""
    question = submit(api, author, title=f"Virement non reçu {uuid.uuid4().hex[:6]}",
                      body=f"J'attends un virement sur {IBAN} depuis trois jours.")
    item = queued(api, manager, question["id"])
    ok(api.post(f"/api/v1/moderation/items/{item['id']}/decision", user=manager,
                json={"decision": "redact", "body": item["proposal"]["body"]}))
    visible(api, question["id"])
    undo = f"/api/v1/moderation/items/{item['id']}/undo"
    reopened = wait_for(lambda: (r := api.post(undo, user=manager)).status_code == 200
                        and r.json(), timeout=20, message="the redaction undone")
    return question, item, reopened


def queue_pages(api, manager, limit=200):
    """(the cursor of its page, item) for every waiting item, page after page."""
    cursor = None
    while True:
        page = ok(api.get("/api/v1/moderation/queue", user=manager,
                          params={"limit": limit, **({"cursor": cursor} if cursor else {})}))
        yield from ((cursor, item) for item in page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            return


def inbox(api, user, **params):
    return ok(api.get("/api/v1/me/notifications", user=user, params=params or None))


def notified(api, user, kind, **match):
    def find():
        return next((n for n in inbox(api, user, limit=100)["items"] if n["type"] == kind
                     and all(n.get(k) == v for k, v in match.items())), None)
    return wait_for(find, timeout=20, message=f"a {kind} notification for {user.email}")


def mail(platform, user, containing):
    def find():
        return next((m for m in platform.mailsink.messages(to=user.email)
                     if containing in m["Subject"] + m.get_content()), None)
    return wait_for(find, timeout=20, message=f"an e-mail to {user.email} about {containing!r}")


def feed(api, path, user=None, **params):
    return ok(api.get(path, user=user, params=params or None))


def feed_ids(api, path, user=None, **params):
    return [item["id"] for item in feed(api, path, user, **params)["items"]]


def home_ids(api, user):
    return feed_ids(api, "/api/v1/feeds/home", user, limit=100)


def in_home(api, user, item_id, present=True):
    wait_for(lambda: (item_id in home_ids(api, user)) == present, timeout=20,
             message=f"{item_id} {'in' if present else 'out of'} the home feed")


def follow(api, follower, followee):
    return ok(api.put(f"/api/v1/me/following/{followee.id}", user=follower))


def customer_with_advisor(platform, api, conversations_db):
    """A customer assigned to a fresh advisor, once conversations has learnt it (identity's
    public `identity.advisor_assigned`)."""
    advisor = staff(platform, "advisor")
    member = api.new_user(customer=True)
    ok(api.put(f"/api/v1/users/{member.id}/advisor", user=platform.admin,
               json={"advisor_id": advisor.id, "branch": "Lyon Bellecour"}))
    wait_for(lambda: (conversations_db["members"].find_one({"_id": member.id}) or {})
             .get("advisor_id") == advisor.id, timeout=20, message="advisor known")
    return member, advisor


def site_csrf(session: requests.Session, base: str, path: str = "/login") -> str:
    """The CSRF token a page of the site gives this browser session."""
    page = session.get(base + path, timeout=10)
    assert page.status_code == 200
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text).group(1)


def site_login(base: str, user):
    """A browser session (cookies) signed in on the site as `user`, and the login's answer."""
    browser = requests.Session()
    token = site_csrf(browser, base)
    answer = browser.post(base + "/login", data={"email": user.email, "password": user.password,
                                                 "csrf_token": token, "next": "/questions"},
                          allow_redirects=False, timeout=10)
    assert answer.status_code == 303 and answer.headers["Location"] == "/questions"
    return browser, answer
