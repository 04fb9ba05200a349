"""A member whose text is held (here: it names their IBAN) may take it back from the thread:
posts edits only what was published, so deleting is their way out of a hold they no longer
want. Nothing of it stays, and the CMs' queue no longer holds it."""
from __future__ import annotations

import re

from ..conftest import wait_for
from .steps import (
    IBAN,
    ok,
    queue_pages,
    queued,
    site_csrf,
    site_login,
    staff,
    submit,
    visible,
)


def _delete_form(page: str, action: str) -> str:
    found = re.search(rf'<form method="post" action="{re.escape(action)}">(.*?)</form>',
                      page, re.S)
    assert found, action
    return found.group(1)


def test_an_author_takes_back_a_held_question_and_a_held_reply(platform, api):
    base, author, manager = platform.base_url, api.new_user(), staff(platform)
    held = submit(api, author, title="Virement vers mon autre compte",
                  body=f"Mon IBAN est {IBAN}, le virement est bloqué.")
    question = visible(api, submit(api, api.new_user(), title="Carte bloquée, que faire ?")["id"])
    reply = ok(api.post(f"/api/v1/posts/{question['id']}/replies", user=author,
                        json={"body": f"Écrivez-moi, mon IBAN est {IBAN}."}), 201)
    for target in (held["id"], reply["id"]):
        queued(api, manager, target)
    browser, _ = site_login(base, author)
    # the held question: its author is offered to delete it, said to leave nothing
    page = browser.get(f"{base}/posts/{held['id']}", timeout=10).text
    assert "rien n’en restera" in _delete_form(page, f"/posts/{held['id']}/delete")
    assert browser.post(f"{base}/posts/{held['id']}/delete", allow_redirects=False, timeout=10,
                        data={"csrf_token": site_csrf(browser, base, f"/posts/{held['id']}")}
                        ).status_code == 303
    wait_for(lambda: browser.get(f"{base}/posts/{held['id']}", timeout=10).status_code == 410,
             message="the question's page says it was deleted")
    # the held reply, from its thread
    page = browser.get(f"{base}/posts/{question['id']}", timeout=10).text
    assert "rien n’en restera" in _delete_form(page, f"/replies/{reply['id']}/delete")
    assert browser.post(f"{base}/replies/{reply['id']}/delete", allow_redirects=False,
                        timeout=10, data={"csrf_token": site_csrf(
                            browser, base, f"/posts/{question['id']}")}).status_code == 303
    # nobody decides them any more
    wait_for(lambda: not {held["id"], reply["id"]} & {
        item["target_id"] for _, item in queue_pages(api, manager)},
        timeout=20, message="both left the queue")
    # another member is offered nothing of the kind on a published reply of someone else
    other, _ = site_login(base, api.new_user())
    assert "rien n’en restera" not in other.get(f"{base}/posts/{question['id']}", timeout=10).text
