"""French search rules (services/posts/search.py): what a query word matches, pure."""
from __future__ import annotations

import pytest

from services.posts import search


def matches(query: str, *texts: str) -> bool:
    """Does every word of `query` find a term of `texts` (as the term index would)?"""
    indexed = search.index_terms({"body": " ".join(texts)})
    for word in search.parse_query(query):
        if not (set(word.terms) & set(indexed) or (word.prefix and any(
                term.startswith(word.prefix) for term in indexed))):
            return False
    return True


@pytest.mark.parametrize("query, text", [
    ("echeance", "Les échéances de mon prêt"),
    ("prêts", "Prêt immobilier à taux fixe"),
    ("compte", "Mes comptes joints"),
    ("immo", "Crédit immobilier"),
    ("bloquee", "Carte bloquée à l'étranger"),
    ("CARTE BLOQUÉE", "ma carte est bloquee"),
    ("épargner", "l'épargne salariale"),
    ("virements instantanés", "Un virement instantané ?"),
])
def test_french_words_find_their_forms(query, text):
    assert matches(query, text)


@pytest.mark.parametrize("query, text", [
    (query, text)
    for forms in (("bloquer", "bloquée", "bloquee", "bloqués"), ("voler", "volée", "volee"),
                  ("refuser", "refusée", "refusee"), ("annuler", "annulée", "annulee"))
    for query in forms for text in forms])
def test_a_verb_and_its_participles_find_each_other_with_or_without_accents(query, text):
    """The stem of the word as written ("bloquée" -> "bloqu", as "bloquer"), not of the word
    folded first ("bloquee" -> "bloque"); typed without accents, "bloquee" stands for
    "bloquée" too. Each form also in the middle of a query (no prefix to help it)."""
    assert matches(query, f"Ma CB est {text} depuis hier")
    assert matches(f"{query} CB", f"Ma CB est {text} depuis hier")


@pytest.mark.parametrize("query, text", [
    ("1500", "Il reste 1 500,00 € à payer"),
    ("1500", "Il reste 1\u00a0500,00\u00a0€ à payer"),  # no-break space
    ("1500", "Il reste 1\u202f500 € à payer"),  # narrow no-break space
    ("1 500", "Il reste 1500 € à payer"),  # a query's grouped number is the joined one
    ("1 500 €", "Il reste 1 500,00 € à payer"),
    ("12000000", "un prêt de 12 000 000 €"),
    ("500", "Il reste 1 500,00 € à payer"),  # each group stays a word of its own
])
def test_numbers_grouped_by_spaces_are_found_as_typed(query, text):
    assert matches(query, text)


@pytest.mark.parametrize("query, text", [
    ("1500", "en 2023 150 personnes"),  # not a group of three digits
    ("2023150", "en 2023 150 personnes"),
    ("1 500", "page 1, 500 mots"),
])
def test_numbers_not_grouped_are_not_joined(query, text):
    assert not matches(query, text)


@pytest.mark.parametrize("query, text", [
    ("assurance", "Crédit immobilier"),
    ("prêt voiture", "Prêt immobilier"),  # every word is required
    ("im", "immobilier"),  # prefixes from 3 letters
])
def test_unrelated_words_do_not_match(query, text):
    assert not matches(query, text)


def test_a_match_through_an_abbreviation_weighs_less_than_the_word_itself():
    """"carte" finds the posts saying "CB" too, after those saying "carte" where both say it
    alike; a post found both ways keeps its better score."""
    [word] = search.parse_search("carte").words
    assert "cb" in word.terms and word.through_synonyms == ("cb",)
    assert "cb" not in word.own().terms and word.own().prefix == word.prefix
    title = {"post_id": "said-carte", "heavy": {"cart": 3, "carte": 3}}
    abbreviated = {"post_id": "said-cb", "heavy": {"cb": 3}}
    own = search.score_postings(word.own(), [title])
    through = search.score_postings(word, [abbreviated, {"post_id": "said-carte"}], exact=False)
    scores = search.with_synonym_scores(own, through)
    assert scores == {"said-carte": 3 * search.EXACT, "said-cb": 3}
    assert search.parse_search('"carte"').words[0].through_synonyms == ()  # quoted: as typed


def test_a_words_own_match_is_weighed_by_its_own_terms():
    """A title saying "CB" over a text saying "carte": "carte" finds the text (its own match,
    weight 1) and the title through "CB" (a title's weight, not doubled) — not a title match
    of "carte" doubled, as when its own match was weighed with the synonyms' terms too."""
    [word] = search.parse_search("carte").words
    entry = {"post_id": "cb-title", "heavy": {"cb": 3}}  # the post's one entry: both terms

    def postings(condition):
        return [entry]  # what the index gives each read: the entry holds "carte" and "cb"

    assert search.word_scores(word, postings) == {"cb-title": 3}
    assert search.score_postings(word.own(), [entry]) == {"cb-title": 1 * search.EXACT}
    [plain] = search.parse_search("virement").words  # no synonyms: one read, its own terms
    reads = []
    assert search.word_scores(plain, lambda c: reads.append(c) or [
        {"post_id": "p", "heavy": {"vir": 3}}]) == {"p": 3 * search.EXACT} and len(reads) == 1


def test_title_words_weigh_more_and_weights_add_up_per_source():
    terms = search.index_terms({"title": "Prêt immobilier", "tags": "épargne",
                                "body": "un prêt pour la maison"})
    assert terms["pret"] == 3 and terms["epargn"] == 2 and terms["maison"] == 1
    entry = search.entry("p1", "post", terms)
    assert entry["terms"] == sorted(terms) and entry["heavy"] == {
        term: weight for term, weight in terms.items() if weight > 1}
    [word] = search.parse_query("prêts")  # its terms: in p1's title (3), p1's reply, p2's body
    scores = search.score_postings(word, [
        entry, {"post_id": "p1", "source": "r1"}, {"post_id": "p2", "source": "post",
                                                   "heavy": {"epargn": 2}}])
    assert scores == {"p1": 4 * search.EXACT, "p2": 1 * search.EXACT}
    [prefix] = search.parse_query("épar")  # a prefix of "epargne" (tags: 2), not of "pret"
    assert search.score_postings(prefix, [entry]) == {"p1": 2 * search.EXACT}
    combined = search.combine([{"p1": 4, "p2": 1}, {"p1": 3}])
    assert combined == {"p1": (2, 7)}
    assert search.combine([{"p1": 4, "p2": 1}, {"p1": 3}], require_all=False) == {
        "p1": (2, 7), "p2": (1, 1)}


def test_a_word_typed_twice_with_and_without_accents_is_one_query_word():
    [word] = search.parse_query("prêt pret PRÊT")
    assert set(word.terms) == {"pret"} and word.prefix == "pret"


def test_stop_words_and_elisions_are_not_searched():
    assert search.tokens("L'épargne de l'an, qu'il dit") == ["épargne", "an", "dit"]
    assert search.parse_query("le la les") == []


@pytest.mark.parametrize("query, common", [
    ("le la de", True), ("Le, LA : dé ?", True), ("l'", True),
    ("le prêt", False), ("", False), ("  ", False), ("?!", False)])
def test_a_query_of_stop_words_only_is_too_common(query, common):
    """What the site's search page says instead of "no contribution holds these words"."""
    assert search.too_common(query) is common


def test_a_text_s_tokens_are_its_words_folded_once_each():
    """`tokens`: the distinct lower-cased `words` of the texts (accents kept, for the stemmer),
    in order, at most MAX_TOKENS — each word folded once, to find the stop words (a replay
    indexes every published text: folding each word twice was a fifth of tokenizing)."""
    texts = ("L'épargne d'un prêt : Échéances, échéances et EPARGNE à 3,5 %", None, "qu'il",
             " ".join(f"mot{n}" for n in range(search.MAX_TOKENS + 5)))
    distinct = list(dict.fromkeys(w for text in texts for w in search.words(text)))
    assert search.tokens(*texts[:3]) == ["épargne", "prêt", "échéances", "epargne", "3", "5"]
    assert search.tokens(*texts) == distinct[:search.MAX_TOKENS]
    search._folded_word.cache_clear()
    search.tokens(texts[0])
    folds = search._folded_word.cache_info()
    assert folds.hits + folds.misses == len(search._WORD.findall(texts[0]))


def _per_word(*posts_per_word: list[str]) -> list[dict[str, int]]:
    return [{post_id: 1 for post_id in posts} for posts in posts_per_word]


def test_a_short_title_is_similar_to_a_post_sharing_one_rare_word():
    """"RIB introuvable" and "Où trouver mon RIB dans l'application ?" share "rib" only: a word
    few posts hold, enough for a short title; a word many posts hold ("carte") is not."""
    common = [f"c{n}" for n in range(search.SIMILAR_RARE_POSTS + 1)]
    rib, introuvable = ["rib-post", "both"], ["both", "other"]
    assert search.similar_matches(_per_word(rib, introuvable)) == {
        "rib-post": (1, 1), "both": (2, 2), "other": (1, 1)}
    # "carte" in many posts: only those sharing two words, or sharing the rare word
    assert search.similar_matches(_per_word([*common, "both"], rib)) == {
        "rib-post": (1, 1), "both": (2, 2)}
    # a longer title asks for two shared words, rare or not
    assert search.similar_matches(_per_word(rib, introuvable, ["x"], ["y"])) == {"both": (2, 2)}
    # a one-word title: every post holding it (as before)
    assert search.similar_matches(_per_word(common)) == {p: (1, 1) for p in common}


def test_similar_posts_rank_by_words_shared_and_few_share_one_word_only():
    matches = {"one-old": (1, 3), "one-new": (1, 3), "two": (2, 2), "one-weak": (1, 1),
               "one-fourth": (1, 1)}
    documents = [{"_id": post_id, "published_ts": ts} for post_id, ts in (
        ("one-old", 1), ("one-new", 5), ("two", 2), ("one-weak", 9), ("one-fourth", 3))]
    ranked = [doc["_id"] for doc in search.rank_similar(documents, matches, words=2)]
    assert ranked == ["two", "one-new", "one-old", "one-weak"][:1 + search.SIMILAR_ONE_WORD]
    # a one-word title: its matches all share its only word, none is weaker
    assert len(search.rank_similar(documents, matches, words=1)) == len(documents)


# -- forgiving searches: corrections, abbreviations, phrases, highlights


def test_the_search_module_examples_hold():
    import doctest
    assert doctest.testmod(search).failed == 0


def vocabulary(*texts: str) -> list[dict]:
    """The vocabulary documents the projection keeps for these texts (one entry each)."""
    counts: dict[str, dict] = {}
    for text in texts:
        for word, update in search.vocabulary_updates([], search.written_words({"body": text})):
            doc = counts.setdefault(word, {"_id": word, "count": 0, "label": "",
                                           **update["$setOnInsert"]})
            doc["count"] += update["$inc"]["count"]
            doc["label"] = max(doc["label"], update["$max"]["label"])
    return list(counts.values())


def correct(typed: str, docs: list[dict]) -> str | None:
    """What a word found nowhere is corrected to, the vocabulary read as queries.py reads it."""
    folded = search.fold(typed.lower())
    keys = set(search.deletion_keys(folded, search.fuzzy_edits(folded)))
    best = search.closest(folded, [doc for doc in docs if keys & set(doc.get("keys") or [])])
    return best["label"] if best else None


@pytest.mark.parametrize("typed, meant", [
    ("virment", "virement"), ("carrte", "carte"), ("prélevment", "prélèvement"),
    ("prelvment", "prélèvement"), ("bloqeu", "bloque"), ("VIREMNET", "virement"),
])
def test_a_typo_is_corrected_to_the_closest_indexed_word(typed, meant):
    docs = vocabulary("Mon virement est parti", "Ma carte", "Un prélèvement inconnu",
                      "Le compte bloque", "prelevement")
    assert correct(typed, docs) == meant


def test_corrections_stay_bounded():
    docs = vocabulary("Mon virement est parti, ma carte aussi")
    assert correct("vrmnt", docs) is None  # 3 edits from "virement"
    assert correct("crt", docs) is None  # too short to guess
    assert correct("carteee", docs) is None  # 2 edits: only 1 below 8 letters
    # the nearest wins, then the most common
    assert correct("cartes", vocabulary("carte", "cartel", "cartel", "cartel")) == "cartel"
    assert correct("carta", vocabulary("carte", "carte", "carton")) == "carte"
    # a word no entry holds any more is never suggested
    gone = [{**doc, "count": 0} for doc in vocabulary("virement")]
    assert correct("virment", gone) is None
    assert len(search.vocabulary_keys("anticonstitutionnel")) <= 200
    assert search.vocabulary_keys("1500") == () and search.fuzzy_edits("1500") == 0


def suggest(typed: str, docs: list[dict]) -> str | None:
    """What a rare word is suggested as, the vocabulary read as queries.py reads it."""
    folded = search.fold(typed.lower())
    keys = set(search.deletion_keys(folded, search.fuzzy_edits(folded)))
    best = search.more_common(folded, [doc for doc in docs if keys & set(doc.get("keys") or [])])
    return best["label"] if best else None


def test_a_rare_word_is_suggested_as_the_close_word_many_more_entries_hold():
    five = ["Mon virement"] * 5
    assert suggest("virment", vocabulary("virment", *five)) == "virement"
    # as common, or not SUGGEST_RATIO times as common: the word was meant as typed
    assert suggest("virment", vocabulary("virment", "virment", *five)) is None
    assert suggest("virment", vocabulary("virment", *five[:4])) is None
    # a word no entry holds (corrected elsewhere) needs SUGGEST_MIN_COUNT entries of the other
    assert suggest("virment", vocabulary(*five[:3])) == "virement"
    assert suggest("virment", vocabulary(*five[:2])) is None
    assert suggest("vrmnt", vocabulary("vrmnt", *five * 4)) is None  # too far


def test_vocabulary_counts_follow_an_entrys_words():
    updates = dict(search.vocabulary_updates(["carte", "vieux"], {"carte": "carte",
                                                                  "neuf": "neuf"}))
    assert updates == {"neuf": {"$inc": {"count": 1}, "$max": {"label": "neuf"},
                                "$setOnInsert": {"keys": list(search.vocabulary_keys("neuf"))}},
                       "vieux": {"$inc": {"count": -1}}}
    # the spelling with accents is the label; numbers and stems are not counted
    assert search.written_words({"body": "Prelevement, prélèvement de 1 500 €"}) == {
        "prelevement": "prélèvement"}
    indexed = search.entry("p1", "post", search.index_terms({"body": "Cartes bloquées"}),
                           search.written_words({"body": "Cartes bloquées"}))
    assert indexed["words"] == ["bloquees", "cartes"] and "bloqu" in indexed["terms"]


@pytest.mark.parametrize("query, text", [
    ("cb", "Ma carte bancaire"), ("carte", "Ma CB est bloquée"), ("dab", "le distributeur"),
    ("distributeur", "Au GAB de la gare"), ("appli mobile", "l'application mobile"),
    ("tel", "mon téléphone"),
])
def test_abbreviations_find_what_they_stand_for(query, text):
    indexed = search.index_terms({"body": text})
    assert all(set(word.terms) & set(indexed) for word in search.parse_search(query).words)


def test_tel_is_a_word_too_so_telephone_does_not_find_it():
    indexed = search.index_terms({"body": "un tel virement"})
    assert not set(search.parse_search("téléphone").words[0].terms) & set(indexed)


def test_quoted_phrases_need_their_words_adjacent_and_in_order():
    parsed = search.parse_search('"livret a" épargne')
    assert [w.quoted for w in parsed.words] == [True, False]  # "a" is a stop word
    assert parsed.phrases[0].found_in("Mon livret A rapporte")
    assert not parsed.phrases[0].found_in("Un livret pour la cagnotte a rapporté")
    assert search.Phrase(("carte", "bloquée")).found_in("Cartes bloquées")
    assert not search.Phrase(("carte", "bloquée")).found_in("bloquée, la carte")
    # a quoted word takes no synonym and is no prefix
    assert search.parse_search('"cb"').words[0].terms == ("cb",)


def test_partial_matches_come_when_no_post_holds_every_word():
    words = search.parse_search('"carte" frais inconnu').words
    per_word = [{"p1": 3, "p2": 1}, {"p1": 1, "p3": 2}, {}]
    matches, partial = search.combine_search(list(words), per_word)
    assert partial and set(matches) == {"p1", "p2"}  # p3 lacks the quoted word
    assert search.rank_score(matches["p1"]) > search.rank_score(matches["p2"])
    assert search.combine_search(list(words[:2]), per_word[:2]) == ({"p1": (2, 4)}, False)


def test_highlights_mark_the_matched_words_in_any_form():
    words = search.parse_search("virement bloquer").words
    assert search.marked("Virements <b>bloqués</b> !", words) == [
        ("Virements", True), (" <b>", False), ("bloqués", True), ("</b> !", False)]
    assert search.marked("Ma CB", search.parse_search("carte").words) == [
        ("Ma ", False), ("CB", True)]
