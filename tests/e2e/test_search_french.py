"""Search that works in French, through the gateway: stems, folded accents, prefixes while
typing, replies searched, relevance (title words weigh more) then date; similar questions while
typing a title."""
from __future__ import annotations

import re
import uuid

from ..conftest import wait_for
from .steps import ok, problem, reply_visible, submit, visible


def marker() -> str:
    """A word no other test writes (letters only: digits would be a word of their own)."""
    return "zq" + "".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex[:8])


def found(api, q, **params):
    return [p["id"] for p in ok(api.get("/api/v1/posts", params={"q": q, "limit": 100,
                                                                 **params}))["items"]]


def test_french_words_accents_prefixes_and_replies_are_found_by_relevance(api):
    member, helper = api.new_user(), api.new_user()
    tag = marker()
    in_title = submit(api, member, title=f"Échéances de mon prêt {tag}",
                      body="Je voudrais décaler une échéance.")
    in_body = submit(api, member, title=f"Question sur mes comptes {tag}",
                     body="Mon prêt immobilier a des échéances mensuelles.")
    other = submit(api, member, title=f"Carte bancaire {tag}", body="Plafond trop bas.")
    for post in (in_title, in_body, other):
        visible(api, post["id"])

    # stems and accents: "echeance" finds "Échéances", "prêts" finds "prêt", "compte" "comptes"
    assert found(api, f"echeance {tag}") == [in_title["id"], in_body["id"]]  # title first
    assert found(api, f"prêts {tag}") == [in_title["id"], in_body["id"]]
    # the site's search page ranks them the same way (it asked for the newest first)
    page = api.get("/search", params={"q": f"echeance {tag}"}, headers={"Accept": "text/html"})
    shown = [p for p in re.findall(r'href="/posts/([^"#?]+)"', page.text)
             if p in (in_title["id"], in_body["id"])]
    assert list(dict.fromkeys(shown)) == [in_title["id"], in_body["id"]]
    assert found(api, f"compte {tag}") == [in_body["id"]]
    # a prefix while typing
    assert found(api, f"{tag} immo") == [in_body["id"]]
    assert found(api, f"{tag} immobilier") == [in_body["id"]]
    # an explicit sort instead of relevance: newest first
    newest = ok(api.get("/api/v1/posts", params={"q": f"echeance {tag}", "sort": "new"}))
    dates = [p["published_at"] for p in newest["items"]]
    assert len(dates) == 2 and dates == sorted(dates, reverse=True)

    # replies' text is searched too (and its post then ranks by the weights it matched)
    reply = ok(api.post(f"/api/v1/posts/{other['id']}/replies", user=helper,
                        json={"body": "Demandez une augmentation temporaire du plafond."}), 201)
    reply_visible(api, reply["id"])
    assert wait_for(lambda: found(api, f"augmentations {tag}") == [other["id"]], timeout=20,
                    message="a reply's words found")

    # an edit replaces the words: the old ones no longer find the post
    ok(api.patch(f"/api/v1/posts/{other['id']}", user=member,
                 json={"body": "Retrait refusé au distributeur."}))
    visible(api, other["id"], revision=2)
    assert wait_for(lambda: found(api, f"retraits {tag}") == [other["id"]], timeout=20,
                    message="the edit's words found")
    # (no post holds them all any more: the search says its matches are partial)
    assert ok(api.get("/api/v1/posts", params={"q": f"plafonds bas {tag}"}))["search"][
        "partial"] is True

    # relevance pages with cursors, like every list
    page = ok(api.get("/api/v1/posts", params={"q": tag, "limit": 2}))
    rest = ok(api.get("/api/v1/posts", params={"q": tag, "limit": 2,
                                               "cursor": page["next_cursor"]}))
    assert len(page["items"]) == 2 and len(rest["items"]) == 1 and rest["next_cursor"] is None
    assert {p["id"] for p in page["items"] + rest["items"]} == {
        in_title["id"], in_body["id"], other["id"]}
    problem(api.get("/api/v1/posts", params={"q": tag, "cursor": "@@not-ours@@"}), 400)

    # a deleted post is found no more
    assert api.delete(f"/api/v1/posts/{in_body['id']}", user=member).status_code == 204
    assert in_body["id"] not in found(api, f"compte {tag}")


def test_similar_questions_are_suggested_while_typing_a_title(api):
    member = api.new_user()
    tag = marker()
    close = submit(api, member, title=f"Comment débloquer ma carte bancaire {tag} ?")
    far = submit(api, member, title=f"Ouvrir un livret {tag}", kind="question")
    idea = submit(api, member, kind="idea", title=f"Débloquer la carte dans l'appli {tag}")
    for post in (close, far, idea):
        visible(api, post["id"])

    similar = ok(api.get("/api/v1/posts/similar",
                         params={"title": f"carte bloquée débloquer {tag}"}))["items"]
    ids = [p["id"] for p in similar]
    assert ids[:2] == [close["id"], idea["id"]] or ids[:2] == [idea["id"], close["id"]]
    assert far["id"] not in ids or ids.index(far["id"]) > 1
    questions = ok(api.get("/api/v1/posts/similar", params={
        "title": f"débloquer carte {tag}", "kind": "question"}))["items"]
    assert [p["id"] for p in questions][:1] == [close["id"]]
    assert all(p["kind"] == "question" for p in questions)
    assert "author" in questions[0] and "excerpt" in questions[0]
    problem(api.get("/api/v1/posts/similar", params={"title": "ab"}), 400)
    assert ok(api.get("/api/v1/posts/similar", params={"title": "zzzz yyyy xxxx"}))[
        "items"] == []


def test_verbs_and_their_participles_and_grouped_numbers_find_each_other(api):
    """"bloquer" finds "bloquée" and back, typed with accents or without; "1500" finds
    "1 500,00 €" (a no-break space between the groups, as French writes it)."""
    member = api.new_user()
    tag = marker()
    blocked = submit(api, member, title=f"Ma CB est bloquée {tag}",
                     body="Après trois codes faux, plus rien ne passe.")
    to_block = submit(api, member, title=f"Pouvoir bloquer temporairement sa carte {tag}",
                      body="Sans faire opposition.")
    amount = submit(api, member, title=f"Remboursement anticipé {tag}",
                    body="Il me reste 1\u00a0500,00\u00a0€ à rembourser.")
    for post in (blocked, to_block, amount):
        visible(api, post["id"])

    both = {blocked["id"], to_block["id"]}
    for word in ("bloquer", "bloquée", "bloquee", "bloqués"):
        assert set(found(api, f"{word} {tag}")) == both, word  # not the query's last word
        assert set(found(api, f"{tag} {word}")) == both, word
    assert found(api, f"1500 {tag}") == [amount["id"]]
    assert found(api, f"1 500 € {tag}") == [amount["id"]]
    assert found(api, f"500 {tag}") == [amount["id"]]


def test_a_short_title_is_similar_to_a_question_sharing_one_rare_word(api):
    """"RIB introuvable" suggests "Où trouver mon RIB dans l'application ?": one shared word is
    enough when few posts hold it (`rare`: as "RIB"), after those sharing more words."""
    member = api.new_user()
    rare = marker()
    where = submit(api, member, title=f"Où trouver mon {rare} dans l'application ?")
    lost = submit(api, member, title=f"Mon {rare} reste introuvable")
    for post in (where, lost):
        visible(api, post["id"])
    ids = [p["id"] for p in ok(api.get("/api/v1/posts/similar", params={
        "title": f"{rare} introuvable", "kind": "question"}))["items"]]
    assert ids[0] == lost["id"] and where["id"] in ids  # two words shared, then one
