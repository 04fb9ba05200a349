"""A search that forgives, through the gateway: a word found nowhere corrected from the indexed
words ("virment" → "virement"), abbreviations ("cb" finds "carte"), partial matches when no post
holds every word (the most words first), "quoted phrases" kept as written; what was searched is
said in `search`."""
from __future__ import annotations

from services.shared.slugs import fold

from ..conftest import wait_for
from .steps import ok, staff, submit, visible
from .test_search_french import marker


def searched(api, q):
    answer = ok(api.get("/api/v1/posts", params={"q": q, "limit": 100}))
    return [p["id"] for p in answer["items"]], answer["search"]


def published(api, member, *texts):
    posts = [submit(api, member, title=title, body=body) for title, body in texts]
    for post in posts:
        visible(api, post["id"])
    return [post["id"] for post in posts]


def test_a_word_found_nowhere_is_corrected_and_exact_words_are_kept(api):
    member, tag = api.new_user(), marker()
    transfer, card, debit = published(
        api, member, (f"Virement bloqué {tag}", "Mon virement SEPA ne part pas."),
        (f"Carte avalée {tag}", "Le distributeur a gardé ma carte."),
        (f"Prélèvement inconnu {tag}", "Un prélèvement que je ne reconnais pas."))

    ids, search = searched(api, f"virment {tag}")
    assert ids == [transfer]
    assert search["corrections"] == [{"typed": "virment", "used": "virement"}]
    assert search["query"] == f"virement {tag}" and search["partial"] is False
    ids, search = searched(api, f"carrte {tag}")
    assert ids == [card] and search["corrections"][0]["used"] == "carte"
    # a long word forgives two edits; the word shown is the one written with its accents
    ids, search = searched(api, f"prélvment {tag}")
    assert ids == [debit]
    assert [fold(c["used"]) for c in search["corrections"]] == ["prelevement"]
    assert search["corrections"][0]["used"] == "prélèvement"

    # a word that exists is searched as typed, never "corrected"
    ids, search = searched(api, f"virement {tag}")
    assert ids == [transfer] and search["corrections"] == [] and search["query"] == \
        f"virement {tag}"
    # a short word, or one too far from any, is not guessed: nothing found, nothing said
    ids, search = searched(api, f"xqzwvk {tag}")
    assert search["corrections"] == []


def test_abbreviations_find_the_words_they_stand_for(api):
    member, tag = api.new_user(), marker()
    cb, dab, app = published(
        api, member, (f"Ma CB ne marche plus {tag}", "Refusée partout depuis hier."),
        (f"Le DAB a avalé mes billets {tag}", "Rien n'est sorti."),
        (f"Nouvelle application {tag}", "Elle ne s'ouvre plus."))
    assert searched(api, f"carte {tag}")[0] == [cb]
    assert searched(api, f"cb {tag}")[0] == [cb]
    assert searched(api, f"distributeur {tag}")[0] == [dab]
    assert searched(api, f"{tag} appli")[0] == [app]


def test_the_word_itself_ranks_before_its_abbreviation(api):
    """Two titles alike but for "carte" and "CB": a search for either word lists the post that
    says it first, the other next (the newer first were they weighed alike)."""
    member, tag = api.new_user(), marker()
    card, cb = published(api, member, (f"Ma carte refusée {tag}", "Depuis hier."),
                         (f"Ma CB refusée {tag}", "Depuis hier."))
    assert searched(api, f"carte {tag}")[0] == [card, cb]
    assert searched(api, f"cb {tag}")[0] == [cb, card]


def test_partial_matches_rank_the_posts_holding_most_words_first(api):
    member, tag = api.new_user(), marker()
    both, one = published(
        api, member, (f"Frais de tenue de compte {tag}", "Trop élevés cette année."),
        (f"Frais bancaires {tag}", "Ils augmentent."))
    # "qxwzy" is in no post: today's answer would be empty
    ids, search = searched(api, f"frais compte {tag} qxwzyvvk")
    assert search["partial"] is True
    assert ids[0] == both and one in ids
    # every word found: only the posts holding them all, not partial
    ids, search = searched(api, f"frais compte {tag}")
    assert ids == [both] and search["partial"] is False


def test_a_quoted_phrase_needs_its_words_adjacent_and_in_order(api):
    member, tag = api.new_user(), marker()
    phrase, apart = published(
        api, member, (f"Carte bloquée à l'étranger {tag}", "Depuis mon arrivée à Rome."),
        (f"Bloquée : ma carte {tag}", "La carte n'est pas à moi, l'agence est bloquée."))
    assert sorted(searched(api, f"carte bloquée {tag}")[0]) == sorted([phrase, apart])
    assert searched(api, f'"carte bloquée" {tag}')[0] == [phrase]
    assert searched(api, f'«cartes bloquées» {tag}')[0] == [phrase]  # its words in any form
    # a quoted word is required even when the others fall back to partial matches
    # (other tests' posts holding the phrase follow it: they hold fewer of the words)
    ids, search = searched(api, f'"carte bloquée" {tag} qxwzyvvk')
    assert ids[0] == phrase and apart not in ids and search["partial"] is True


def test_a_rare_word_that_looks_like_a_typo_gets_a_suggestion(api):
    """A typo a post shares finds that post, and the word many posts write is suggested ("did
    you mean"), not searched; a word many posts hold, or a rare word with no common neighbour,
    gets no suggestion."""
    member, tag = api.new_user(), marker()
    word = f"{tag}ment"  # invented, so that its count is this test's: 14 letters, 2 edits
    typo = word[:-2] + "t"  # one letter dropped
    common = published(api, member, *((f"Question {n} {word}", f"Sur le {word}, encore.")
                                       for n in range(5)))
    (rare,) = published(api, member, (f"Une question {typo}", "Écrit de travers."))

    ids, search = searched(api, typo)
    assert ids == [rare] and search["corrections"] == []
    assert search["suggestions"] == [{"typed": typo, "suggested": word}]
    assert search["suggested_query"] == word
    assert sorted(searched(api, search["suggested_query"])[0]) == sorted(common)

    ids, search = searched(api, f"question {typo}")  # the common word is kept as typed
    assert search["suggested_query"] == f"question {word}"
    _, search = searched(api, word)  # held by many: nothing to suggest
    assert search["suggestions"] == [] and search["suggested_query"] is None
    _, search = searched(api, f'"{typo}"')  # quoted: meant as written
    assert search["suggestions"] == []


def test_a_word_only_hidden_posts_hold_is_never_suggested(platform, api):
    """The vocabulary counts posts taken out of public view too; a suggestion must find a post
    the reader sees, or it would tell a word (a customer's name perhaps) only they hold."""
    member, tag, manager = api.new_user(), marker(), staff(platform)
    word = f"{tag}ment"
    typo = word[:-2] + "t"
    hidden = published(api, member, *((f"Question {n} {word}", "Hors de vue bientôt.")
                                      for n in range(5)))
    other = marker()
    (rare,) = published(api, member, (f"Une question {typo}", f"Écrit de travers {other}."))
    for post_id in hidden:
        ok(api.post(f"/api/v1/posts/{post_id}/hold", user=manager))
    wait_for(lambda: all(api.get(f"/api/v1/posts/{post_id}").status_code == 404
                         for post_id in hidden), timeout=20, message="out of public view")
    ids, search = searched(api, typo)
    assert ids == [rare] and search["suggestions"] == [] and search["suggested_query"] is None
    # nor corrected to when another word finds a post: the typo found nowhere, `other` shown
    ids, search = searched(api, f"{word[:-3]}nt {other}")
    assert ids == [rare] and search["corrections"] == [] and search["query"] == \
        f"{word[:-3]}nt {other}"


def test_a_correction_is_said_on_every_page_of_its_results(api):
    """A partial match may list the corrected word's post on a later page: the first page
    says what was searched all the same (not "results for" the typo)."""
    member, tag, other = api.new_user(), marker(), marker()
    first, later, newest = published(
        api, member, (f"{tag} {other}", f"Compte joint {tag} {other}."),
        (f"Question {tag}", "Mon virement SEPA n'est jamais arrivé."),
        (f"{tag} {other} encore", "Rien de plus."))
    query = f"{tag} {other} virrement"  # no post holds all three: the most words first
    answer = ok(api.get("/api/v1/posts", params={"q": query, "limit": 1}))
    [shown] = answer["items"]  # one of the two holding two words, not the corrected one's
    assert shown["id"] in (first, newest) and answer["search"]["partial"]
    assert answer["search"]["corrections"] == [{"typed": "virrement", "used": "virement"}]
    assert answer["search"]["query"] == f"{tag} {other} virement"
    ids, search = searched(api, query)
    assert set(ids[:2]) == {first, newest} and later in ids[2:]
    assert search["corrections"][0]["used"] == "virement"
    by_date = ok(api.get("/api/v1/posts", params={"q": query, "limit": 1, "sort": "new"}))
    assert [p["id"] for p in by_date["items"]] == [newest]  # read one page: asked apart
    assert by_date["search"]["corrections"] == [{"typed": "virrement", "used": "virement"}]
