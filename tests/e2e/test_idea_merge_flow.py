"""Merging a duplicate idea, as its people live it: the duplicate's author, voters and watchers
are told (in-app, and by e-mail per their preference) where their vote went, and the
duplicate's page says it was merged, with a link to the idea that carries on."""
from __future__ import annotations

from ..conftest import wait_for
from .steps import (
    authors_vote_counted,
    mail,
    notified,
    ok,
    problem,
    reply_visible,
    staff,
    submit,
    visible,
)


def test_merging_a_duplicate_tells_its_author_voters_and_watchers_where_votes_went(
        platform, api):
    manager = staff(platform)
    author, voter, quiet_voter, watcher = (api.new_user() for _ in range(4))
    duplicate = submit(api, author, kind="idea", title="Virements le dimanche")
    target_author = api.new_user()
    target = submit(api, target_author, kind="idea", title="Virements instantanés 7j/7")
    visible(api, duplicate["id"])
    visible(api, target["id"])
    authors_vote_counted(api, duplicate["id"], author)
    authors_vote_counted(api, target["id"], target_author)
    ok(api.put("/api/v1/me/notification-preferences", user=quiet_voter,
               json={"types": {"idea_status": {"email": "off"}}}))
    for member in (voter, quiet_voter):
        ok(api.put(f"/api/v1/posts/{duplicate['id']}/vote", user=member))
    ok(api.put(f"/api/v1/me/watching/{duplicate['id']}", user=watcher))
    # notifications knows the watch once the watcher hears of activity in the thread
    comment = ok(api.post(f"/api/v1/posts/{duplicate['id']}/replies", user=author,
                          json={"body": "Même le samedi !"}), 201)
    reply_visible(api, comment["id"])
    notified(api, watcher, "watched_activity", reply_id=comment["id"])

    ok(api.post(f"/api/v1/posts/{duplicate['id']}/merge-into/{target['id']}", user=manager))

    for member in (author, voter, quiet_voter, watcher):
        notice = notified(api, member, "idea_status", post_id=duplicate["id"])
        assert notice["merged_into"] == target["id"] and notice["status"] == "already_exists"
        assert notice["text"] == ("L’idée « Virements le dimanche » a été fusionnée avec "
                                  "« Virements instantanés 7j/7 » : votre vote et votre suivi "
                                  "y sont reportés")
        assert notice["link"].endswith(f"/posts/{target['id']}")
        assert notice["actor_name"] == "L’équipe de la communauté"
    assert notified(api, quiet_voter, "idea_status", post_id=duplicate["id"])["email"] == "off"
    assert notified(api, voter, "idea_status", post_id=duplicate["id"])["email"] == "immediate"
    sent = mail(platform, voter, "a été fusionnée avec")
    assert f"/posts/{target['id']}" in sent.get_content()
    assert not any(n["type"] == "idea_status" for n in ok(api.get(
        "/api/v1/me/notifications", user=manager))["items"])  # never one's own action

    page = ok(api.get(f"/api/v1/posts/{duplicate['id']}"))
    assert page["status"] == "already_exists" and page["merged_into"] == target["id"]
    assert page["merged_into_link"] == f"/api/v1/posts/{target['id']}" and page["merged_at"]
    # both authors' votes (an idea starts with its author's) and the two voters'
    assert ok(api.get(page["merged_into_link"]))["votes"] == 4


def test_cms_see_what_a_merge_would_move_before_confirming_and_nothing_moves(platform, api):
    manager, member, target_author = staff(platform), api.new_user(), api.new_user()
    both, only_duplicate, watcher = (api.new_user() for _ in range(3))
    duplicate = submit(api, member, kind="idea", title="Relevés en PDF chaque semaine")
    target = submit(api, target_author, kind="idea", title="Relevés hebdomadaires")
    visible(api, duplicate["id"])
    visible(api, target["id"])
    authors_vote_counted(api, duplicate["id"], member)  # an idea starts with its author's vote
    authors_vote_counted(api, target["id"], target_author)
    for voter in (both, only_duplicate):
        ok(api.put(f"/api/v1/posts/{duplicate['id']}/vote", user=voter))
    ok(api.put(f"/api/v1/posts/{target['id']}/vote", user=both))
    for thread in (duplicate, target):  # a watcher of both keeps watching the target only
        ok(api.put(f"/api/v1/me/watching/{thread['id']}", user=watcher))
    preview_path = f"/api/v1/posts/{duplicate['id']}/merge-into/{target['id']}"

    def previewed():  # the duplicate's author watches it too, once feeds has heard of it
        answer = ok(api.get(preview_path, user=manager))
        return answer if answer["watchers"] == 2 else None

    preview = wait_for(previewed, timeout=20, message="the duplicate's two watchers counted")
    # the duplicate's author and only_duplicate move; `both` keeps one vote on the target
    assert (preview["votes_moving"], preview["voters_already_on_target"]) == (2, 1)
    assert preview["watchers_moving"] == 1  # the author; the watcher of both already is there
    assert (preview["source"]["id"], preview["target"]["id"]) == (duplicate["id"], target["id"])
    assert preview["source"]["votes"] == 3 and preview["target"]["votes"] == 2

    problem(api.get(preview_path, user=member), 403)
    problem(api.get(f"/api/v1/posts/{duplicate['id']}/merge-into/{duplicate['id']}",
                    user=manager), 422)
    unchanged = ok(api.get(f"/api/v1/posts/{duplicate['id']}"))  # a preview writes nothing
    assert unchanged["votes"] == 3 and unchanged.get("merged_into") is None

    ok(api.post(preview_path, user=manager))
    problem(api.get(preview_path, user=manager), 422)  # already merged: nothing to preview
