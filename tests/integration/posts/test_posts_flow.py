"""Posts through moderation: submit, publish, edit with history, delete; replies; visibility."""
import uuid

import pytest
from nameko.exceptions import RemoteError

from ...conftest import wait_for
from .fixtures import (
    IBAN,
    authors_vote_counted,
    cm,
    member,
    new_post,
    published,
    reply_published,
)

pytestmark = pytest.mark.integration


def test_a_clean_question_is_published_by_moderation_and_found_by_search(posts):
    author = member()
    created = new_post(posts, author, title="Plafond de carte à l'étranger",
                       body="Comment **augmenter** le plafond ?", tags=["voyage"])
    assert created["state"] == "pending", created
    assert created["draft"]["title"] == "Plafond de carte à l'étranger", created
    post = published(posts, created["id"])
    assert post["title"] == "Plafond de carte à l'étranger"
    assert post["body_html"] == "<p>Comment <strong>augmenter</strong> le plafond ?</p>"
    assert "draft" not in post and "review" not in post
    found = posts.list_posts(None, {"q": "PLAFOND etranger"})["items"]
    assert [item["id"] for item in found] == [created["id"]]
    # no post holds both words: those holding one of them, said to be partial matches
    assert posts.list_posts(None, {"q": "plafond inconnu"})["search"]["partial"] is True


def test_the_search_index_holds_one_entry_per_post_and_source(posts, platform, mongo_client):
    """Terms in an array, not a document each (a replay of posts inserted 7.5 per event): one
    entry for the post's own text, one per published reply, found by a word's stem, by the
    prefix being typed and by a reply's words."""
    marker = "zq" + uuid.uuid4().hex[:8].translate(str.maketrans("0123456789", "ghijklmnop"))
    created = new_post(posts, member(), title=f"Virements instantanés {marker}",
                       body="Mon virement ne part pas.", tags=["paiements"])
    published(posts, created["id"])
    reply = posts.add_reply(member(), created["id"], {"body": f"Vérifiez le plafond {marker}."})
    reply_published(posts, reply["id"])

    db = mongo_client[f"{platform['MONGO_DB_PREFIX']}_posts"]
    entries = {e["source"]: e for e in db["search_terms"].find({"post_id": created["id"]})}
    assert sorted(entries) == sorted(["post", reply["id"]])
    own = entries["post"]
    heavy = {term: w for term, w in own["heavy"].items() if not term.startswith("zq")}
    assert heavy == {"vir": 3, "virements": 3, "instantan": 3, "instantanes": 3,  # the title
                     "pai": 2, "paiements": 2}  # the tags
    assert own["terms"] == sorted([*own["heavy"], "mon", "part", "virement"])  # the body: 1
    assert entries[reply["id"]]["heavy"] == {} and "plafond" in entries[reply["id"]]["terms"]

    def found(q):
        return [item["id"] for item in posts.list_posts(None, {"q": q})["items"]]
    assert found(f"virement {marker}") == [created["id"]]
    assert found(f"plafond {marker[:6]}") == [created["id"]]  # a reply's word, a prefix
    assert found(f"{marker} instantan") == [created["id"]]
    assert posts.list_posts(None, {"q": f"{marker} immo"})["search"]["partial"] is True


def test_a_pending_post_is_invisible_to_others(posts):
    author = member()
    created = new_post(posts, author, body=f"Mon IBAN est {IBAN}")
    with pytest.raises(RemoteError) as error:
        posts.get_post(member(), created["id"])
    assert error.value.exc_type == "NotFound"
    assert posts.get_post(author, created["id"])["state"] == "pending"


def test_edits_go_through_moderation_and_keep_a_visible_history(posts):
    author = member()
    post_id = new_post(posts, author, title="First title", body="first body")["id"]
    published(posts, post_id)
    edited = posts.edit_post(author, post_id, {"body": "second body", "tags": ["cartes"]})
    if edited["revision"] == 1:  # moderation may already have released it
        assert edited["pending_edit"]["revision"] == 2
        assert edited["body"] == "first body"  # the published revision stays until released
    post = wait_for(lambda: (p := posts.get_post(None, post_id))["revision"] == 2 and p,
                    message="revision 2 published")
    assert post["body"] == "second body" and post["tags"] == ["cartes"]
    assert post["edited_at"] is not None
    history = posts.history(None, post_id)["revisions"]
    assert [(h["revision"], h["body"]) for h in history] == [(1, "first body"),
                                                             (2, "second body")]


def test_only_the_author_or_a_cm_edits_or_deletes(posts):
    author, other = member(), member()
    post_id = new_post(posts, author)["id"]
    published(posts, post_id)
    for call in (lambda: posts.edit_post(other, post_id, {"body": "mine now"}),
                 lambda: posts.delete_post(other, post_id)):
        with pytest.raises(RemoteError) as error:
            call()
        assert error.value.exc_type == "Forbidden"
    posts.delete_post(cm(), post_id)
    tombstone = posts.get_post(None, post_id)
    assert tombstone == {"id": post_id, "kind": "question", "state": "deleted", "deleted": True,
                         "deleted_at": tombstone["deleted_at"]}
    assert posts.history(None, post_id)["revisions"] == []
    assert post_id not in [p["id"] for p in posts.list_posts(None, {})["items"]]


def test_articles_are_for_community_managers(posts):
    with pytest.raises(RemoteError) as error:
        new_post(posts, member(), kind="article")
    assert error.value.exc_type == "Forbidden"
    assert new_post(posts, cm(), kind="article")["state"] == "pending"


def test_invalid_input_is_refused_with_field_errors(posts):
    with pytest.raises(RemoteError) as error:
        posts.create_post(member(), {"kind": "poll", "title": "x", "category": "***"})
    assert error.value.exc_type == "InvalidInput"
    for field in ("kind", "title", "body", "category"):
        assert field in error.value.value


def test_replies_answers_official_badge_and_accepted_answer(posts):
    author, helper, adviser = member(), member(), member("adv-9", "advisor")
    question = new_post(posts, author)["id"]
    published(posts, question)
    answer = posts.add_reply(helper, question, {"body": "Use the app settings."})
    official = posts.add_reply(adviser, question, {"body": "I raised it for you."})
    assert answer["kind"] == "answer" and not answer["official"]
    reply_published(posts, answer["id"])
    assert reply_published(posts, official["id"])["official"] is True
    posts.edit_reply(helper, answer["id"], {"body": "Use the app settings, then Cards."})
    wait_for(lambda: posts.get_reply(None, answer["id"])["revision"] == 2, message="reply r2")
    assert [r["body"] for r in posts.reply_history(None, answer["id"])["revisions"]] == [
        "Use the app settings.", "Use the app settings, then Cards."]
    with pytest.raises(RemoteError) as error:
        posts.edit_reply(author, answer["id"], {"body": "not yours"})
    assert error.value.exc_type == "Forbidden"
    listed = posts.list_replies(None, question, {})["items"]
    assert [r["id"] for r in listed] == [answer["id"], official["id"]]
    with pytest.raises(RemoteError) as error:
        posts.accept_reply(helper, question, {"reply_id": answer["id"]})
    assert error.value.exc_type == "Forbidden"
    post = posts.accept_reply(author, question, {"reply_id": official["id"]})
    assert post["accepted_reply_id"] == official["id"] and post["has_official_answer"]
    assert post["answer_count"] == 2
    assert posts.list_posts(None, {"accepted": True})["items"][0]["id"] == question
    assert question not in [p["id"] for p in posts.list_posts(None, {"sort": "unanswered"})[
        "items"]]


def test_votes_are_idempotent_and_exact_under_concurrency(posts, platform):
    import eventlet
    from nameko.standalone.rpc import ServiceRpcProxy

    author = member()
    idea = new_post(posts, author, kind="idea", title="Dark mode in the app")["id"]
    published(posts, idea)
    authors_vote_counted(posts, idea, author)  # the own-vote rule: its author's + the thirty
    voters = [member(f"voter-{n}") for n in range(30)]

    def vote(voter):
        with ServiceRpcProxy("posts", platform, timeout=30) as proxy:
            proxy.vote(voter, "post", idea, True)
            proxy.vote(voter, "post", idea, True)  # again: no double count

    pool = eventlet.GreenPool(30)
    list(pool.imap(vote, voters))
    assert posts.get_post(None, idea)["votes"] == 31
    assert posts.vote(voters[0], "post", idea, False)["votes"] == 30
    assert posts.vote(voters[0], "post", idea, False)["votes"] == 30
    assert posts.get_post(voters[1], idea)["my_vote"] is True


def test_idea_status_workflow_and_merge_moving_votes(posts):
    manager = cm()
    duplicate_author, target_author = member(), member()
    duplicate = new_post(posts, duplicate_author, kind="idea", title="Dark theme please")["id"]
    target = new_post(posts, target_author, kind="idea", title="Dark mode in the app")["id"]
    published(posts, duplicate)
    published(posts, target)
    authors_vote_counted(posts, duplicate, duplicate_author)
    authors_vote_counted(posts, target, target_author)
    both, only_dup, only_target = member("both"), member("dup"), member("tgt")
    for voter, ideas in ((both, [duplicate, target]), (only_dup, [duplicate]),
                         (only_target, [target])):
        for idea in ideas:
            posts.vote(voter, "post", idea, True)
    with pytest.raises(RemoteError) as error:
        posts.set_idea_status(member(), target, {"status": "planned", "note": "x"})
    assert error.value.exc_type == "Forbidden"
    with pytest.raises(RemoteError) as error:
        posts.set_idea_status(manager, target, {"status": "delivered", "note": "too early"})
    assert error.value.exc_type == "Unprocessable"
    post = posts.set_idea_status(manager, target, {"status": "under_review",
                                                   "note": "We are looking at it"})
    assert post["status"] == "under_review"
    assert post["status_note"]["note"] == "We are looking at it"
    merged = posts.merge_idea(manager, duplicate, target)
    assert merged["source"]["merged_into"] == target
    assert merged["source"]["status"] == "already_exists"
    assert merged["source"]["votes"] == 0
    # both authors', both, dup, tgt — "both" counted once
    assert merged["target"]["votes"] == 5
    assert merged["target"]["merged_from"] == [duplicate]
    with pytest.raises(RemoteError) as error:
        posts.vote(member(), "post", duplicate, True)
    assert error.value.exc_type == "Unprocessable"
    assert duplicate not in [p["id"] for p in posts.list_posts(None, {"kind": "idea"})["items"]]


def test_listing_filters_sorts_and_cursor_pagination(posts):
    author = member()
    ids = [new_post(posts, author, kind="discussion", category="savings",
                    title=f"Savings topic {n}", tags=["livret"])["id"] for n in range(5)]
    when = {post_id: published(posts, post_id)["published_at"] for post_id in ids}
    posts.vote(member(), "post", ids[2], True)
    seen, cursor = [], None
    while True:
        page = posts.list_posts(None, {"category": "savings", "limit": 2, "cursor": cursor})
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(ids, key=lambda i: (when[i], i), reverse=True)  # newest first
    top = posts.list_posts(None, {"category": "savings", "sort": "top", "limit": 1})
    assert top["items"][0]["id"] == ids[2]
    assert len(posts.list_posts(None, {"tag": "livret", "author": author["id"]})["items"]) == 5
    with pytest.raises(RemoteError) as error:
        posts.list_posts(None, {"cursor": "not-a-cursor"})
    assert error.value.exc_type == "InvalidInput"


def test_ids_of_another_kind_never_reach_the_event_store(posts, moderation):
    """RPC is an entrypoint too: a stream id of another kind is NotFound in the services."""
    voter = member()
    post_id = published(posts, new_post(posts, member())["id"])["id"]
    calls = [lambda: posts.vote(voter, "post", f"{post_id}.r1", True),
             lambda: posts.vote(voter, "reply", f"{post_id}.r1", True),
             lambda: posts.get_post(None, f"{post_id}.r1"),
             lambda: posts.add_reply(voter, f"vote.{post_id}.{voter['id']}", {"body": "hi"}),
             lambda: moderation.flag(voter, "post", f"{post_id}.r1", {"reason": "spam"}),
             lambda: moderation.decide(cm(), f"{post_id}.r1.flags", {"decision": "approve"}),
             lambda: moderation.member_notes(cm(), f"member.{voter['id']}")]
    for call in calls:
        with pytest.raises(RemoteError) as error:
            call()
        assert error.value.exc_type == "NotFound"
    assert posts.vote(voter, "post", post_id, True)["votes"] == 1
