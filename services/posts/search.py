"""Keyword search in French without `$text`: a term index of stems, ranked by relevance.

Every published post has entries in ``search_terms``, one per (post, source) — source ``post``
for its title, tags and body, a reply id for each published reply's text — holding its terms (a
multikey index on them serves the lookups) and, in ``heavy``, the terms weighing more than 1:
the weight of the strongest field the term appears in (title 3, tags 2, body and replies 1).
One document per source, not per term: a replay of posts inserted 7.5 documents per event when
each term had its own, and the database's insert rate bounded the rebuild. A word gives several
terms, so that what a member types finds what another wrote:

- its Snowball French stem, taken with its accents and folded after ("bloquée" -> "bloqu", as
  "bloquer"; "échéances" -> "echeanc"): the stemmer knows French endings by their accents;
- the stem of the folded word ("bloquee" -> "bloque", which stemming "bloquée" does not give),
  and for a word ending in "ee"/"ees" the stem of its "ée"/"ées" form: typed without accents,
  "bloquee" finds "bloquer" too;
- the folded word itself ("immobilier"), for prefixes while typing ("immo" -> "immobilier");
- a number grouped by spaces, as French writes thousands ("1 500,00 €"), also as its digits
  joined ("1500"), as a query types it; a query's grouped number is the joined one only.

A query matches posts holding every one of its words (any of the word's terms; the last word
also as a prefix of at least `PREFIX_MIN` letters), each looked up by equality or a range on the
indexed `terms` (MongoDB and the stand-in alike: no `$text`; the range is an `$elemMatch`, so
that one term meets both of its bounds). Relevance is the sum of the weights matched, per source
(a word in the title and in two replies counts 3 + 1 + 1); ties go to the newest. Each word
reads at most `MAX_POSTINGS` entries, so a word in every post costs a bounded read (the search
then ranks the posts it saw).

>>> sorted(word_terms("Bloquée"))
['bloqu', 'bloque', 'bloquee']
>>> tokens("Prêt immobilier : taux à 3,5 % ?")
['prêt', 'immobilier', 'taux', '3', '5']
>>> joined_numbers("1 500,00 € sur 12 000 000")
['1500', '12000000']
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

from services.shared.slugs import fold

MAX_TOKENS = 1000  # per text; a very long body is still found by its first thousand words
MAX_QUERY_TOKENS = 8
MAX_POSTINGS = 5000  # (post, source) entries read per query word
PREFIX_MIN = 3
# similar posts while a title is typed (`similar_matches`): a short title may share one word only
SIMILAR_FEW_WORDS = 3
SIMILAR_RARE_POSTS = 50  # a word found in more posts than this says little about a question
SIMILAR_ONE_WORD = 3  # suggestions sharing a single word, at most
WEIGHTS = {"title": 3, "tags": 2, "body": 1, "reply": 1}
_WORD = re.compile(r"[^\W_]+")
# thousands grouped by a space, a no-break or a thin one ("1 500", "12 000 000")
_GROUPED = re.compile(r"(?<!\d)\d{1,3}(?:[ \u00a0\u202f\u2009]\d{3})+(?!\d)")
_GROUP_SPACE = re.compile(r"[ \u00a0\u202f\u2009]")
# a word of at least this many letters ending in "ee"/"ees" most likely lost the accent of a
# participle ("bloquee"); shorter ones are other words ("fee")
GUESS_ACCENT_MIN = 5
# elided articles and pronouns (l'épargne, d'un, qu'il), too short to mean anything alone
_STOP = frozenset({"a", "l", "d", "s", "n", "j", "c", "m", "t", "y", "qu", "le", "la", "les",
                   "de", "des", "du", "un", "une", "et", "ou", "en", "au", "aux", "pour",
                   "par", "sur", "est", "je", "il", "on", "ce", "que", "qui", "ne", "pas"})


@lru_cache(maxsize=1)
def _stemmer():
    return snowballstemmer.stemmer("french")


# one word folded once per process, not twice per occurrence: a community's texts repeat
# their words, and folding (Unicode decomposition) was the largest cost of indexing a text
_folded_word = lru_cache(maxsize=65536)(fold)


def words(text: str | None) -> list[str]:
    """Lower-cased words (accents kept), without the stop words."""
    return [w for w in _WORD.findall((text or "").lower()) if _folded_word(w) not in _STOP]


def tokens(*texts: str | None) -> list[str]:
    """Distinct lower-cased words, accents kept (the stemmer needs them), in order of first
    appearance, without the stop words (at most MAX_TOKENS); each word folded once, to find
    the stop words."""
    seen: dict[str, None] = {}
    for text in texts:
        for word in _WORD.findall((text or "").lower()):
            if _folded_word(word) not in _STOP:
                seen.setdefault(word, None)
                if len(seen) >= MAX_TOKENS:
                    return list(seen)
    return list(seen)


def joined_numbers(text: str | None) -> list[str]:
    """The numbers of a text grouped by spaces, their digits joined."""
    return [_joined(grouped) for grouped in _GROUPED.finditer(text or "")]


def _joined(grouped: re.Match) -> str:
    return _GROUP_SPACE.sub("", grouped.group())


def too_common(query: str | None) -> bool:
    """Has the query words, all of them too common to search (stop words: "le la de")?"""
    return bool(_WORD.search(query or "")) and not tokens(query)


def _accented(folded: str) -> str | None:
    """The participle a word typed without accents may stand for ("bloquees" -> "bloquées")."""
    if len(folded) >= GUESS_ACCENT_MIN:
        for bare, accented in (("ees", "ées"), ("ee", "ée")):
            if folded.endswith(bare):
                return folded[:-len(bare)] + accented
    return None


@lru_cache(maxsize=65536)
def word_terms(word: str) -> frozenset[str]:
    """The terms a word is indexed and looked up under (stems both ways, and the word)."""
    lowered = word.lower()
    folded = fold(lowered)
    stem = _stemmer()
    guessed = _accented(folded)
    stems = (stem.stemWord(lowered), stem.stemWord(folded),
             stem.stemWord(guessed) if guessed else "")
    return frozenset(t for t in (*(fold(found) for found in stems), folded) if t)


def index_terms(fields: dict[str, str | None]) -> dict[str, int]:
    """term -> weight for the texts of one source (`fields`: WEIGHTS key -> text)."""
    out: dict[str, int] = {}
    for name, text in fields.items():
        weight = WEIGHTS[name]
        for word in tokens(text, *joined_numbers(text)):
            for term in word_terms(word):
                if out.get(term, 0) < weight:
                    out[term] = weight
    return out


@dataclass(frozen=True)
class WordQuery:
    """One query word: the terms it matches exactly, and a prefix (the last word only)."""

    terms: tuple[str, ...]
    prefix: str | None = None

    def condition(self) -> dict:
        clauses: list[dict] = [{"terms": {"$in": list(self.terms)}}]
        if self.prefix:
            clauses.append({"terms": {"$elemMatch": self._range()}})
        return clauses[0] if len(clauses) == 1 else {"$or": clauses}

    def _range(self) -> dict:
        return {"$gte": self.prefix, "$lt": self.prefix + "\x7f"}

    def matches(self, term: str) -> bool:
        """Does `term` answer this word (as `condition()` selects an entry)?"""
        if term in self.terms:
            return True
        bounds = self._range() if self.prefix else None
        return bool(bounds) and bounds["$gte"] <= term < bounds["$lt"]


def parse_query(query: str, prefix_last: bool = True) -> list[WordQuery]:
    """The words of a query (at most MAX_QUERY_TOKENS); the last one may be a prefix.

    >>> [(sorted(w.terms), w.prefix) for w in parse_query("prêts immo")]
    [(['pret', 'prets'], None), (['immo'], 'immo')]
    """
    distinct: dict[str, str] = {}  # folded -> the word as typed first ("prêt pret": one word)
    for word in tokens(_GROUPED.sub(_joined, query)):
        distinct.setdefault(_folded_word(word), word)
    found = list(distinct.items())[:MAX_QUERY_TOKENS]
    out = []
    for position, (folded, word) in enumerate(found):
        last = position == len(found) - 1
        # the terms hold the folded word: a prefix of it
        prefix = folded if prefix_last and last and len(folded) >= PREFIX_MIN else None
        out.append(WordQuery(tuple(sorted(word_terms(word))), prefix))
    return out


def entry(post_id: str, source: str, terms: dict[str, int]) -> dict | None:
    """The `search_terms` document of one source of a post (`terms`: from `index_terms`), or
    None when it has no term. Sorted, so that the same texts always give the same document."""
    if not terms:
        return None
    ordered = sorted(terms)
    return {"_id": f"{post_id}|{source}", "post_id": post_id, "source": source,
            "terms": ordered, "heavy": {term: terms[term] for term in ordered if terms[term] > 1}}


def score_postings(word: WordQuery, postings: list[dict]) -> dict[str, int]:
    """post id -> relevance of one word: per entry (a post's source) the best weight of the
    terms it matched (1 unless one of them is `heavy`), summed."""
    scores: dict[str, int] = {}
    for posting in postings:
        weight = max((w for term, w in (posting.get("heavy") or {}).items()
                      if word.matches(term)), default=1)
        scores[posting["post_id"]] = scores.get(posting["post_id"], 0) + int(weight)
    return scores


def combine(per_word: list[dict[str, int]], require_all: bool = True
            ) -> dict[str, tuple[int, int]]:
    """post id -> (words matched, relevance); every word required, or any (similar)."""
    if not per_word:
        return {}
    ids = set(per_word[0])
    for scores in per_word[1:]:
        ids = ids & set(scores) if require_all else ids | set(scores)
    return {post_id: (sum(post_id in s for s in per_word),
                      sum(s.get(post_id, 0) for s in per_word)) for post_id in ids}


def similar_matches(per_word: list[dict[str, int]]) -> dict[str, tuple[int, int]]:
    """post id -> (words shared, relevance) of the posts like a title being typed (`per_word`:
    each of its words' scores): those sharing two of its words (its only one, if it has one),
    and for a short title (at most SIMILAR_FEW_WORDS words) those sharing one rare word — found
    in at most SIMILAR_RARE_POSTS posts: "RIB introuvable" is about the RIB of "Où trouver mon
    RIB ?", while "carte perdue" is not about every post saying "carte"."""
    matches = combine(per_word, require_all=False)
    needed = min(2, len(per_word))
    rare: set[str] = set()
    if len(per_word) <= SIMILAR_FEW_WORDS:
        for scores in per_word:
            if len(scores) <= SIMILAR_RARE_POSTS:
                rare.update(scores)
    return {post_id: found for post_id, found in matches.items()
            if found[0] >= needed or post_id in rare}


def rank_similar(documents: list[dict], matches: dict[str, tuple[int, int]], words: int
                 ) -> list[dict]:
    """The similar posts (`matches`: from `similar_matches`; `words`: in the title), the most
    words shared first, then relevance, then the newest; of those sharing one word of a title
    of several, SIMILAR_ONE_WORD at most (they are the weakest suggestions: a few, not a list)."""
    ranked = sorted(documents, key=lambda doc: (
        -matches[doc["_id"]][0], -matches[doc["_id"]][1], -(doc.get("published_ts") or 0)))
    if words < 2:
        return ranked
    sharing_more = sum(matches[doc["_id"]][0] >= 2 for doc in ranked)
    return ranked[:sharing_more + SIMILAR_ONE_WORD]
