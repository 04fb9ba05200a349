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
    ("assurance", "Crédit immobilier"),
    ("prêt voiture", "Prêt immobilier"),  # every word is required
    ("im", "immobilier"),  # prefixes from 3 letters
])
def test_unrelated_words_do_not_match(query, text):
    assert not matches(query, text)


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
    assert scores == {"p1": 4, "p2": 1}
    [prefix] = search.parse_query("épar")  # a prefix of "epargne" (tags: 2), not of "pret"
    assert search.score_postings(prefix, [entry]) == {"p1": 2}
    combined = search.combine([{"p1": 4, "p2": 1}, {"p1": 3}])
    assert combined == {"p1": (2, 7)}
    assert search.combine([{"p1": 4, "p2": 1}, {"p1": 3}], require_all=False) == {
        "p1": (2, 7), "p2": (1, 1)}


def test_stop_words_and_elisions_are_not_searched():
    assert search.tokens("L'épargne de l'an, qu'il dit") == ["epargne", "an", "dit"]
    assert search.parse_query("le la les") == []


def test_a_text_s_tokens_are_its_words_folded_once_each():
    """`tokens`: the distinct folded `words` of the texts, in order, at most MAX_TOKENS — each
    word folded once (a replay indexes every published text: the second fold of each word, to
    find the stop words and then again to keep it, was a fifth of tokenizing)."""
    texts = ("L'épargne d'un prêt : Échéances, échéances et EPARGNE à 3,5 %", None, "qu'il",
             " ".join(f"mot{n}" for n in range(search.MAX_TOKENS + 5)))
    distinct = list(dict.fromkeys(search.fold(w) for text in texts for w in search.words(text)))
    assert search.tokens(*texts[:3]) == ["epargne", "pret", "echeances", "3", "5"]
    assert search.tokens(*texts) == distinct[:search.MAX_TOKENS]
    search._folded_word.cache_clear()
    search.tokens(texts[0])
    folds = search._folded_word.cache_info()
    assert folds.hits + folds.misses == len(search._WORD.findall(texts[0]))
