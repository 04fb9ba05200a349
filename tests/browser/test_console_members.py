"""The console's member screen in the browser (issue 13, item 6), at desktop and tablet sizes: a
community manager looks a member up by the start of their name, opens their page, reads their
contributions and the flags on them and by them, and adds a note — without the admins' actions,
which the page does not offer them."""
from __future__ import annotations

import uuid

from ..conftest import wait_for
from ..e2e.steps import ok, staff, submit, visible


def test_a_community_manager_looks_a_member_up_and_notes_something(console, platform):
    api = platform.api
    manager = staff(platform)
    tag = uuid.uuid4().hex[:6]
    author = api.new_user(display_name=f"Yannick Ferrand{tag}")
    flagger, other = api.new_user(display_name=f"Inès Vigilante{tag}"), api.new_user()
    post = submit(api, author, kind="discussion", title=f"Carte bloquée à l'étranger {tag}",
                  body="Ma carte ne passe plus depuis mon arrivée à Lisbonne, que faire ?")
    visible(api, post["id"])
    theirs = submit(api, other, kind="discussion", title=f"Offre exceptionnelle {tag}")
    visible(api, theirs["id"])
    ok(api.post(f"/api/v1/posts/{post['id']}/flags", user=flagger,
                json={"reason": "off_topic"}), 201)
    ok(api.post(f"/api/v1/posts/{theirs['id']}/flags", user=author,
                json={"reason": "spam"}), 201)
    for side in ("on", "by"):  # arranged: moderation knows both flags before the page opens
        wait_for(lambda side=side: ok(api.get(
            f"/api/v1/moderation/members/{author.id}/flags", user=manager,
            params={"side": side}))["items"], timeout=20, message=f"flags {side} known")

    console.sign_in(manager.email, manager.password, device=manager.device,
                    next_path="/console/members")
    console.wait_for_path("/console/members")
    console.wait_for(lambda: console.heading("Membres", 1), "the lookup")
    console.check()
    console.fill("Nom ou adresse e-mail du membre", f"yannick ferrand{tag}")
    console.click_button("Rechercher")
    console.wait_for(lambda: console.find_all("#members-found a"), "the members found")
    assert [a.text.strip() for a in console.find_all("#members-found a")] == [
        f"Yannick Ferrand{tag}"]
    console.check()
    console.no_horizontal_scroll()
    console.screenshot("console-members-lookup")

    console.click_link(f"Yannick Ferrand{tag}")
    console.wait_for(lambda: console.heading(f"Yannick Ferrand{tag}", 1), "the member's page")
    assert author.email in console.text()
    contributions = console.find("#contributions").text
    assert f"Carte bloquée à l'étranger {tag}" in contributions and "Publiée" in contributions
    flags_on = console.find("#flags_on").text
    assert f"Signalé par Inès Vigilante{tag}" in flags_on and "Hors sujet" in flags_on
    assert f"Carte bloquée à l'étranger {tag}" in flags_on
    flags_by = console.find("#flags_by").text
    assert other.display_name in flags_by and "Spam" in flags_by
    assert f"Offre exceptionnelle {tag}" in flags_by
    assert not console.find_all("#admin")  # roles, badge and advisor: admins only
    console.check()

    note = f"A déjà signalé deux fois des offres douteuses ; à suivre. {tag}"
    console.fill("Nouvelle note", note)
    console.click_button("Ajouter la note")
    console.wait_for(lambda: "Note ajoutée." in console.text(), "the note saved")
    assert note in console.find("#notes").text
    console.check()
    console.no_horizontal_scroll()
    console.screenshot("console-member-page")
    notes = ok(api.get(f"/api/v1/moderation/members/{author.id}/notes", user=manager))["notes"]
    assert [n["note"] for n in notes] == [note]  # once
