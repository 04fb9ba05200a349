"""A follower opens the notice about a post a CM has since taken back out of public view (an
undone approval): instead of a bare « Page introuvable », the page says the post is not visible
for now while the community team reviews it, and may come back — with nothing of the post (its
title, text or author), and a way home; in French and in English."""
from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from ..conftest import wait_for
from ..e2e.steps import IBAN, inbox, ok, queued, reply_visible, staff, submit, visible
from .conftest import Site


def _undone_question_with_a_reply_noticed(api, manager, author, follower):
    """A question published after review, a reply its follower is told of, then the approval
    undone (the post out of public view again): the post (with its title) and the notice's
    link."""
    title = f"Virement non reçu {uuid.uuid4().hex[:6]}"
    question = submit(api, author, title=title,
                      body=f"Bonjour, j'attends un virement sur {IBAN} depuis trois jours.")
    item = queued(api, manager, question["id"])
    ok(api.post(f"/api/v1/moderation/items/{item['id']}/decision", user=manager,
                json={"decision": "redact", "body": item["proposal"]["body"]}))
    visible(api, question["id"])
    ok(api.put(f"/api/v1/me/watching/{question['id']}", user=follower))
    reply = ok(api.post(f"/api/v1/posts/{question['id']}/replies", user=api.new_user(),
                        json={"body": "Même souci, le conseiller a relancé la banque."}), 201)
    reply_visible(api, reply["id"])
    notice = wait_for(lambda: next((n for n in inbox(api, follower, limit=100)["items"]
                                    if n.get("reply_id") == reply["id"]), None),
                      timeout=20, message="the follower told of the reply")
    # an undo waits until moderation has read the publication (409 "too soon" before)
    wait_for(lambda: api.post(f"/api/v1/moderation/items/{item['id']}/undo",
                              user=manager).status_code == 200,
             timeout=20, message="the approval undone")
    wait_for(lambda: api.get(f"/api/v1/posts/{question['id']}").status_code == 404,
             timeout=20, message="out of public view")
    return {**question, "title": title}, urlsplit(notice["link"]).path


def test_a_follower_reads_that_the_post_is_being_reviewed_and_nothing_of_it(
        site: Site, platform, api):
    manager, author, follower = staff(platform), api.new_user(), api.new_user()
    question, link = _undone_question_with_a_reply_noticed(api, manager, author, follower)
    site.sign_in(follower.email, follower.password, next_path=link)
    site.wait_for_path(f"/posts/{question['id']}")
    assert site.heading("Publication momentanément masquée", 1)
    lead = site.text_of("main .problem .lead")
    assert lead == ("Cette publication n’est plus visible pour le moment\u202f: l’équipe de la "
                    "communauté la réexamine. Elle réapparaîtra ici si elle est de nouveau "
                    "publiée.")
    page = site.driver.page_source
    assert question["title"] not in page and "virement sur" not in page
    assert author.display_name not in page
    site.check()
    site.screenshot("post-taken-back-fr")

    site.find(".lang-switch button[lang='en']").click()
    site.wait_for(lambda: site.heading("Post hidden for now", 1), "the English page")
    assert site.text_of("main .problem .lead") == (
        "This post is not visible for the moment: the community team is reviewing it. "
        "It will reappear here if it is published again.")
    site.check()
    site.screenshot("post-taken-back-en")
    site.click_link("Back to the home page")
    site.wait_for(lambda: urlsplit(site.driver.current_url).path == "/", "home")


def test_a_reply_taken_back_says_so_and_leads_to_its_thread(site: Site, platform, api):
    """A reply a CM took back for review, in a thread still public: its address (notices link
    there) says so, with nothing of the reply, and leads to its thread."""
    manager = staff(platform)
    question = visible(api, submit(api, api.new_user(),
                                   title=f"Carte bloquée {uuid.uuid4().hex[:6]}")["id"])
    replier = api.new_user(display_name=f"Ysolde Marchal {uuid.uuid4().hex[:4]}")
    body = "Passez à l'agence de la gare, ils m'ont débloqué la mienne en cinq minutes."
    reply = ok(api.post(f"/api/v1/posts/{question['id']}/replies", user=replier,
                        json={"body": body}), 201)
    reply_visible(api, reply["id"])
    ok(api.post(f"/api/v1/replies/{reply['id']}/hold", user=manager))
    wait_for(lambda: api.get(f"/api/v1/replies/{reply['id']}").status_code == 404,
             timeout=20, message="the reply out of public view")

    site.visit(f"/replies/{reply['id']}")
    assert site.heading("Réponse momentanément masquée", 1)
    assert site.text_of("main .problem .lead") == (
        "Cette réponse n’est plus visible pour le moment\u202f: l’équipe de la communauté la "
        "réexamine. Elle réapparaîtra dans sa discussion si elle est de nouveau publiée.")
    page = site.driver.page_source
    assert body not in page and replier.display_name not in page
    site.screenshot("reply-taken-back-fr")

    site.find(".lang-switch a[hreflang='en']").click()  # anonymous: a link, back here
    site.wait_for(lambda: site.heading("Reply hidden for now", 1), "the English page")
    assert site.text_of("main .problem .lead") == (
        "This reply is not visible for the moment: the community team is reviewing it. "
        "It will reappear in its thread if it is published again.")
    site.check()
    site.screenshot("reply-taken-back-en")
    site.click_link("Open the thread")
    site.wait_for_path(f"/posts/{question['id']}")
    assert site.heading(question["title"], 1) and body not in site.driver.page_source
