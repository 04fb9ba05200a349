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

Forgiving a query (`parse_search`, run by queries.py):

- abbreviations members write (`SYNONYMS`: "cb" finds "carte", "dab" finds "distributeur", and
  the other way round unless the abbreviation is also a common word: "tel");
- a "quoted phrase" requires its words, adjacent and in order: its words are looked up as any
  others, then `Phrase.found_in` checks the candidate posts' own text (title, tags, body — not
  replies: a phrase only said in a reply does not find the post);
- a word found nowhere is replaced by the closest word of the vocabulary (`search_vocabulary`,
  the distinct indexed words with the number of entries holding each, kept by the projection
  from the entries' ``words`` — the words as folded, of 3 to `FUZZY_MAX` letters, no stems):
  at most 1 edit away (2 from `FUZZY_LONG` letters), looked up by the deletion keys both sides
  share (`deletion_keys`, a multikey index: no scan), the nearest then the most common winning;
- a rare word of a search that finds little is answered with a suggestion ("did you mean"):
  the closest word of the vocabulary held by many more entries (`more_common`), searched only
  when the member follows it — a typo a few posts share finds those posts;
- when no post holds every word, the posts holding most of them come first (`partial`).

>>> sorted(word_terms("Bloquée"))
['bloqu', 'bloque', 'bloquee']
>>> tokens("Prêt immobilier : taux à 3,5 % ?")
['prêt', 'immobilier', 'taux', '3', '5']
>>> joined_numbers("1 500,00 € sur 12 000 000")
['1500', '12000000']
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
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
    """One query word: the terms it matches exactly, and a prefix (the last word only); in a
    search, the word as typed (lower-cased) and whether a quoted phrase holds it."""

    terms: tuple[str, ...]
    prefix: str | None = None
    typed: str = ""
    quoted: bool = False
    # of `terms`, those only its abbreviations' or what they stand for ("cb" for "carte"): a
    # post found through them weighs less than one holding the word itself (`score_postings`)
    through_synonyms: tuple[str, ...] = ()

    def own(self) -> WordQuery:
        """The word without its synonyms' terms (what it finds as typed, with its prefix)."""
        return replace(self, terms=tuple(t for t in self.terms
                                         if t not in self.through_synonyms),
                       through_synonyms=())

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


def entry(post_id: str, source: str, terms: dict[str, int], words: Iterable[str] = ()
          ) -> dict | None:
    """The `search_terms` document of one source of a post (`terms`: from `index_terms`;
    `words`: from `written_words`, those the vocabulary counts), or None when it has no term.
    Sorted, so that the same texts always give the same document."""
    if not terms:
        return None
    ordered = sorted(terms)
    return {"_id": f"{post_id}|{source}", "post_id": post_id, "source": source,
            "terms": ordered, "heavy": {term: terms[term] for term in ordered if terms[term] > 1},
            **({"words": sorted(words)} if words else {})}


EXACT = 2  # a word's own match weighs twice one through an abbreviation (`through_synonyms`)


def score_postings(word: WordQuery, postings: list[dict], exact: bool = True) -> dict[str, int]:
    """post id -> relevance of one word: per entry (a post's source) the best weight of the
    terms it matched (1 unless one of them is `heavy`), summed; times EXACT unless the
    entries were found through the word's synonyms only (`exact` False)."""
    scores: dict[str, int] = {}
    factor = EXACT if exact else 1
    for posting in postings:
        weight = max((w for term, w in (posting.get("heavy") or {}).items()
                      if word.matches(term)), default=1)
        scores[posting["post_id"]] = scores.get(posting["post_id"], 0) + int(weight) * factor
    return scores


def word_scores(word: WordQuery, postings: Callable[[dict], list[dict]]) -> dict[str, int]:
    """post id -> relevance of one word, from `postings` (the term index's entries meeting a
    condition): its own matches weigh EXACT times, scored by its own terms only (a title
    saying "CB" does not make "carte" in the text a title match), and the posts found only
    through its synonyms weigh less (one read more for a word that has some)."""
    if not word.through_synonyms:
        return score_postings(word, postings(word.condition()))
    own = word.own()
    through = score_postings(word, postings({"terms": {"$in": list(word.through_synonyms)}}),
                             exact=False)
    return with_synonym_scores(score_postings(own, postings(own.condition())), through)


def with_synonym_scores(own: dict[str, int], through: dict[str, int]) -> dict[str, int]:
    """A word's scores: its own matches, and the posts found only through its synonyms (a
    post found both ways keeps the better score)."""
    return {**through, **{post_id: max(score, through.get(post_id, 0))
                          for post_id, score in own.items()}}


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


# -- forgiving searches (`parse_search`; queries.py runs them)

# abbreviation -> the word it stands for, as French bank customers write them: a query of either
# finds both, except for the abbreviations in ONE_WAY, which are common words too ("tel" is also
# "such": "téléphone" must not find every "tel quel"). "rib", "pel", "cel", "ldds" need no entry:
# they are written as such and indexed as typed.
SYNONYMS = {"cb": "carte", "dab": "distributeur", "gab": "distributeur",
            "appli": "application", "tel": "téléphone", "prlv": "prélèvement",
            "cpte": "compte", "vir": "virement"}
ONE_WAY = frozenset({"tel"})
FUZZY_MIN = 4  # letters a word needs to be corrected: shorter ones have too many neighbours
FUZZY_LONG = 8  # from this many letters two edits are forgiven, one below
FUZZY_MAX = 20  # longer words are neither corrected nor keyed (a key per pair of letters)
FUZZY_CANDIDATES = 200  # vocabulary entries read per word found nowhere (or rare)
# "did you mean": offered when a search finds at most SUGGEST_BELOW posts, for a word held by at
# most SUGGEST_RARE of them, when a close word is held by SUGGEST_RATIO times as many entries
# (and by SUGGEST_MIN_COUNT at least): a typo that a few posts share ("virment" in one post)
# finds those, and the word everyone writes is one click away
SUGGEST_BELOW = 5
SUGGEST_RARE = 2
SUGGEST_RATIO = 5
SUGGEST_MIN_COUNT = 3
SUGGEST_CHECKED = 50  # entries of a suggested word read to find a post the reader may see
PHRASE_CANDIDATES = 500  # posts whose texts a quoted phrase is looked for in, the best first
WORD_RANK = 1_000_000  # a search's score: words matched first, relevance (always less) next
_QUOTED = re.compile(r'"([^"]+)"|«([^»]+)»|“([^”]+)”')


@lru_cache(maxsize=1)
def _expansions() -> dict[str, tuple[str, ...]]:
    found: dict[str, set[str]] = {}
    for short, meaning in SYNONYMS.items():
        found.setdefault(short, set()).add(meaning)
        if short not in ONE_WAY:
            found.setdefault(fold(meaning), set()).add(short)
    return {word: tuple(sorted(others)) for word, others in found.items()}


def synonyms(word: str) -> tuple[str, ...]:
    """The words a query word also finds.

    >>> synonyms("CB"), synonyms("carte"), synonyms("téléphone")
    (('carte',), ('cb',), ())
    """
    return _expansions().get(_folded_word(word.lower()), ())


@dataclass(frozen=True)
class Phrase:
    """A quoted phrase: its words (stop words too: "livret a"), adjacent and in order."""

    words: tuple[str, ...]

    def found_in(self, *texts: str | None) -> bool:
        """Does one of the texts hold the phrase (each word in any of its forms)?

        >>> Phrase(("carte", "bloquée")).found_in("Ma carte est bloquée", "Cartes bloquées !")
        True
        """
        size = len(self.words)
        for text in texts:
            written = _WORD.findall((text or "").lower())
            for start in range(len(written) - size + 1):
                if all(_same_word(typed, seen)
                       for typed, seen in zip(self.words, written[start:start + size],
                                              strict=True)):
                    return True
        return False


def _same_word(typed: str, written: str) -> bool:
    return typed == written or bool(word_terms(typed) & word_terms(written))


@dataclass(frozen=True)
class Search:
    """A parsed search: its words (`WordQuery`, with `typed` and `quoted`) and quoted phrases."""

    words: tuple[WordQuery, ...]
    phrases: tuple[Phrase, ...] = ()


def parse_search(query: str) -> Search:
    """The words of a search (at most MAX_QUERY_TOKENS), each with its synonyms' terms unless
    quoted; the last word, unquoted, also as a prefix; the phrases of two words or more.

    >>> found = parse_search('"Carte bloquée" cb')
    >>> [(w.typed, w.quoted, w.prefix) for w in found.words], found.phrases
    ([('carte', True, None), ('bloquée', True, None), ('cb', False, None)], \
(Phrase(words=('carte', 'bloquée')),))
    """
    typed: dict[str, tuple[str, bool]] = {}  # folded -> (the word as typed first, quoted)
    phrases = []
    for text, quoted in _segments(query):
        if quoted and len(_WORD.findall(text)) > 1:
            phrases.append(Phrase(tuple(_WORD.findall(text.lower()))))
        for word in tokens(_GROUPED.sub(_joined, text)):
            first = typed.get(_folded_word(word))
            typed[_folded_word(word)] = (first[0] if first else word,
                                         quoted or bool(first and first[1]))
    found = list(typed.items())[:MAX_QUERY_TOKENS]
    words = []
    for position, (folded, (word, quoted)) in enumerate(found):
        last = position == len(found) - 1
        prefix = folded if last and not quoted and len(folded) >= PREFIX_MIN else None
        words.append(search_word(word, prefix, quoted))
    return Search(tuple(words), tuple(phrases))


def _segments(query: str) -> list[tuple[str, bool]]:
    """The query cut into (text, quoted) pieces, in order."""
    pieces, position = [], 0
    for quoted in _QUOTED.finditer(query):
        pieces.append((query[position:quoted.start()], False))
        pieces.append((next(group for group in quoted.groups() if group is not None), True))
        position = quoted.end()
    return [*pieces, (query[position:], False)]


def search_word(word: str, prefix: str | None = None, quoted: bool = False) -> WordQuery:
    """One word of a search: its terms, and its synonyms' unless quoted (a quote means it)."""
    own = set(word_terms(word))
    others: set[str] = set()
    for other in () if quoted else synonyms(word):
        others |= word_terms(other)
    return WordQuery(tuple(sorted(own | others)), prefix, word.lower(), quoted,
                     tuple(sorted(others - own)))


def combine_search(words: list[WordQuery], per_word: list[dict[str, int]]
                   ) -> tuple[dict[str, tuple[int, int]], bool]:
    """post id -> (words matched, relevance), and whether the matches are partial: the posts
    holding every word, else (several words) those holding any — a quoted one always — to be
    ranked by the number they hold."""
    matches = combine(per_word)
    if matches or len(per_word) < 2:
        return matches, False
    partial = combine(per_word, require_all=False)
    for word, scores in zip(words, per_word, strict=True):
        if word.quoted:
            partial = {post_id: found for post_id, found in partial.items() if post_id in scores}
    return partial, bool(partial)


def rank_score(found: tuple[int, int]) -> int:
    """The ranking score of a match (`combine`'s (words, relevance)): the words matched first."""
    return found[0] * WORD_RANK + found[1]


# -- correcting a word found nowhere, from the vocabulary of indexed words

def fuzzy_edits(folded: str) -> int:
    """Edits forgiven in a query word (0: too short or long, or not only letters, to guess)."""
    if not folded.isalpha() or not FUZZY_MIN <= len(folded) <= FUZZY_MAX:
        return 0
    return 2 if len(folded) >= FUZZY_LONG else 1


def deletion_keys(word: str, edits: int) -> list[str]:
    """The word and what deleting up to `edits` of its letters leaves: two words at most
    `edits` edits apart (insertions, deletions, substitutions, swapped neighbours) share one.

    >>> deletion_keys("carte", 1)
    ['arte', 'care', 'cart', 'carte', 'cate', 'crte']
    """
    keys = frontier = {word}
    for _ in range(edits):
        frontier = {shorter[:i] + shorter[i + 1:] for shorter in frontier
                    for i in range(len(shorter))}
        keys = keys | frontier
    return sorted(keys)


@lru_cache(maxsize=65536)
def vocabulary_keys(term: str) -> tuple[str, ...]:
    """The keys the vocabulary holds for one of its words: those of any query word it may
    correct (two edits from a query of FUZZY_LONG letters, which a word two shorter can be).
    Once per word and process: a community's texts repeat their words, and these keys were
    most of the cost of indexing a text."""
    if not term.isalpha() or not FUZZY_MIN - 1 <= len(term) <= FUZZY_MAX:
        return ()
    return tuple(deletion_keys(term, 2 if len(term) >= FUZZY_LONG - 2 else 1))


def edit_distance(a: str, b: str, limit: int) -> int:
    """Insertions, deletions, substitutions and swaps of neighbours from a to b (limit + 1
    when more than limit).

    >>> edit_distance("virment", "virement", 1), edit_distance("carrte", "carte", 1)
    (1, 1)
    >>> edit_distance("bloqeu", "bloque", 1), edit_distance("compte", "conte", 1)
    (1, 2)
    """
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before, row = None, list(range(len(b) + 1))
    for i, left in enumerate(a, 1):
        current = [i]
        for j, right in enumerate(b, 1):
            cost = min(row[j] + 1, current[j - 1] + 1, row[j - 1] + (left != right))
            if before and i > 1 and j > 1 and left == b[j - 2] and a[i - 2] == right:
                cost = min(cost, before[j - 2] + 1)
            current.append(cost)
        before, row = row, current
    return min(row[-1], limit + 1)


def closest(folded: str, candidates: list[dict], min_count: int = 1) -> dict | None:
    """The vocabulary entry a word found nowhere most likely meant (`candidates`: entries
    sharing a deletion key with it): the fewest edits, then the most entries holding it; of
    those held by `min_count` entries at least."""
    edits = fuzzy_edits(folded)
    scored = [(edit_distance(folded, found["_id"], edits), -found["count"], found["_id"], found)
              for found in candidates if found.get("label")
              and found.get("count", 0) >= max(min_count, 1) and found["_id"] != folded]
    best = min((score for score in scored if score[0] <= edits), default=None)
    return best[3] if best else None


def more_common(folded: str, candidates: list[dict]) -> dict | None:
    """The vocabulary entry a rare word was likely meant to be ("did you mean"): the closest
    held by SUGGEST_RATIO times the entries holding the word itself, and SUGGEST_MIN_COUNT.

    >>> more_common("virment", [{"_id": "virment", "label": "virment", "count": 1},
    ...                         {"_id": "virement", "label": "virement", "count": 40}])["label"]
    'virement'
    """
    own = next((found.get("count", 0) for found in candidates if found["_id"] == folded), 0)
    return closest(folded, candidates, max(SUGGEST_MIN_COUNT, SUGGEST_RATIO * own))


def corrected(query: str, corrections: list[tuple[str, str]]) -> str:
    """The query as searched: each (typed, used) word replaced.

    >>> corrected("Virment SEPA", [("virment", "virement")])
    'virement SEPA'
    """
    for typed, used in corrections:
        query = re.sub(rf"(?<!\w){re.escape(typed)}(?!\w)", lambda _, used=used: used, query,
                       flags=re.IGNORECASE)
    return query


def written_words(fields: dict[str, str | None]) -> dict[str, str]:
    """folded word -> as written (lower-cased), of the texts of one source: the words the
    vocabulary counts (those it can correct to: `vocabulary_keys`); of two spellings, the one
    with accents, as the word is shown. Stems and numbers are no suggestion: not counted."""
    out: dict[str, str] = {}
    for text in fields.values():
        for word in tokens(text):
            folded = _folded_word(word)
            if out.get(folded, folded) == folded and vocabulary_keys(folded):
                out[folded] = word
    return out


def vocabulary_updates(before: list[str], after: dict[str, str]) -> list[tuple[str, dict]]:
    """(word, update) of the vocabulary when an entry's words go from `before` to `after`
    (folded -> as written): the count +1 for a word added, with the label shown and, for a
    new word, the keys it is found by; -1 for a word dropped. `$max` keeps the label with
    accents ("é" sorts after "e"), whichever text wrote it first."""
    added = [(word, {"$inc": {"count": 1}, "$max": {"label": after[word]},
                     "$setOnInsert": {"keys": list(vocabulary_keys(word))}})
             for word in sorted(set(after) - set(before))]
    return added + [(word, {"$inc": {"count": -1}}) for word in sorted(set(before) - set(after))]


def marked(text: str, words: tuple[WordQuery, ...]) -> list[tuple[str, bool]]:
    """The text in pieces, each True when it is a word the search matched (to highlight).

    >>> marked("Ma CB bloquée", parse_search("carte bloquer").words)
    [('Ma ', False), ('CB', True), (' ', False), ('bloquée', True)]
    """
    pieces, position = [], 0
    for found in _WORD.finditer(text):
        if any(word.matches(term) for term in word_terms(found.group()) for word in words):
            pieces += [(text[position:found.start()], False), (found.group(), True)]
            position = found.end()
    return [piece for piece in (*pieces, (text[position:], False)) if piece[0]]
