"""A rendered @mention of a known member is a link to their page (content review F2), written as
the name shows ("@Zoé D…", with its space); a mention of nobody stays text. Typing "@" in a reply
suggests the thread's authors."""
from __future__ import annotations

import uuid

from selenium.webdriver.common.keys import Keys

from ..conftest import wait_for
from ..e2e.steps import notified, ok, reply_visible, submit, visible


def test_a_mention_of_a_member_links_to_their_page(site, api):
    tag = uuid.uuid4().hex[:6]
    writer, zoe = api.new_user(), api.new_user(display_name=f"Zoé D{tag}")
    post = submit(api, writer, kind="discussion", title=f"Virement instantané {tag}",
                  body=f"Comme le dit @Zoé D{tag}, c'est gratuit. Et @Personne{tag} ?")
    visible(api, post["id"])
    site.visit(f"/posts/{post['id']}")
    links = site.find_all("a.mention")
    assert [(link.text, link.get_attribute("href").rsplit("/", 2)[-2:]) for link in links] == \
        [(f"@Zoé D{tag}", ["members", zoe.id])]
    assert f"@Personne{tag}" in site.find(".prose").text
    site.check()
    links[0].click()
    site.wait_for_path(f"/members/{zoe.id}")


def test_typing_at_suggests_the_thread_s_authors_and_inserts_a_working_mention(site, api):
    """"@" in the reply suggests who wrote in the thread (names the page shows, never the
    member directory): up/down and Enter on a desktop, a tap on a phone; the reply sent
    mentions them (a link to their page, a notification)."""
    tag = uuid.uuid4().hex[:6]
    author = api.new_user(display_name=f"Zoé Dupont{tag}")
    replier = api.new_user(display_name=f"Zacharie N’Diaye{tag}")
    reader = api.new_user(display_name=f"Lecteur {tag}")
    stranger = api.new_user(display_name=f"Zora Absente{tag}")  # wrote nothing here
    post = submit(api, author, kind="discussion", title=f"Frais à l'étranger {tag}",
                  body="Quels frais pour un paiement en dollars ?")
    visible(api, post["id"])
    answer = ok(api.post(f"/api/v1/posts/{post['id']}/replies", user=replier,
                         json={"body": "Cela dépend de la carte."}), 201)
    reply_visible(api, answer["id"])
    # a namesake of the stranger writes here: "@ZoraAbsente…" would name the stranger, who
    # held the name first (members.mention_owner), so the namesake is not offered either
    namesake = api.new_user(display_name=f"Copie {tag}")
    ok(api.patch("/api/v1/me", user=namesake, json={"display_name": stranger.display_name}))
    reply_visible(api, ok(api.post(f"/api/v1/posts/{post['id']}/replies", user=namesake,
                                   json={"body": "Moi aussi."}), 201)["id"])

    site.sign_in(reader.email, reader.password, next_path=f"/posts/{post['id']}")
    site.wait_for_path(f"/posts/{post['id']}")
    body = site.find("#reply-body")
    body.send_keys("Bonne question @z")
    options = site.wait_for(lambda: [o.text for o in site.find_all("#reply-body-mentions li")],
                            "the suggestions")
    assert options == [f"Zoé Dupont{tag}", f"Zacharie N’Diaye{tag}"]  # thread order
    assert stranger.display_name not in options and reader.display_name not in options
    assert stranger.display_name in site.text()  # the namesake's reply is on the page
    assert body.get_attribute("aria-activedescendant") == "reply-body-mentions-0"
    site.wait_for(lambda: "2 membres proposés" in site.find("#live-status").text, "announced")
    site.check()
    site.screenshot("reply-mention-suggestions")
    if site.device == "phone":
        site.find("#reply-body-mentions li:nth-child(2)").click()
    else:
        body.send_keys(Keys.ARROW_DOWN)
        assert body.get_attribute("aria-activedescendant") == "reply-body-mentions-1"
        body.send_keys(Keys.ENTER)
    site.wait_for(lambda: not site.find("#reply-body-mentions").is_displayed(), "closed")
    assert body.get_attribute("value") == f"Bonne question @ZacharieNDiaye{tag} "
    assert site.driver.switch_to.active_element == body  # the text kept focus
    # typing on: a word with no match closes the list; Escape closes it too
    body.send_keys("merci @Zoé")
    site.wait_for(lambda: site.find("#reply-body-mentions").is_displayed(), "open again")
    body.send_keys(Keys.ESCAPE)
    site.wait_for(lambda: not site.find("#reply-body-mentions").is_displayed(), "escaped")
    body.send_keys(" !")
    site.click_button("Envoyer mon commentaire")
    mine = wait_for(lambda: next((r for r in ok(api.get(
        f"/api/v1/posts/{post['id']}/replies", user=reader))["items"]
        if r["author"]["id"] == reader.id), None), message="the reply sent")
    reply_visible(api, mine["id"])
    site.visit(f"/posts/{post['id']}")
    link = site.wait_for(lambda: next((a for a in site.find_all("#comment-list a.mention")
                                       if a.text == f"@ZacharieNDiaye{tag}"), None),
                         "the reply's mention")
    assert link.get_attribute("href").endswith(f"/members/{replier.id}")
    notified(api, replier, "mention")
    site.check()
    site.no_horizontal_scroll()
