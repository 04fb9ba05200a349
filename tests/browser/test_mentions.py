"""A rendered @mention of a known member is a link to their page (content review F2), written as
the name shows ("@Zoé D…", with its space); a mention of nobody stays text."""
from __future__ import annotations

import uuid

from ..e2e.steps import submit, visible


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
