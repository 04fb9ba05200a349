"""Posts' reads over its read models (projections.py): one post or reply as the actor may see it,
lists and searches (planned by listing.py and search.py), replies, revisions, categories, tags,
votes, the member's export, the community figures. The entrypoints in service.py call these and
return; the shapes are presenters.py's.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from services.shared import ids, members, pagination
from services.shared.actors import Actor, is_moderator
from services.shared.envelope import utc_now
from services.shared.errors import NotFound, Unprocessable
from services.shared.expiring import ExpiringCache
from services.shared.overlap import at_once
from services.shared.periods import between, micros
from services.shared.projections import ReadModels, WrittenDocuments
from services.shared.slugs import TAG_MAX, fold, slugify

from . import domain, listing, presenters, search
from .schemas import IDEA_STATUSES, KINDS, QUERY_MAX, by_another

MAX_CATEGORIES = 500  # a list admins manage by hand
# a contribution's drafts read for its author's: one per revision waiting or given back (a few;
# past these, a CM's edits all newer than the author's, the author's is not shown)
DRAFTS_READ = 5
WAITING_SHOWN = 20  # of each: a member rarely has more than a few texts waiting
# A text refused before anyone saw it stays on its author's list while its refusal is recent
# (less than REFUSED_DAYS ago): their way back to correct and send it again, or delete it.
REFUSED_DAYS = 30
# Whether a category exists and is archived, checked by every new post: kept CATEGORY_TTL
# seconds per process. This process forgets a category it changes (service.py); a change made
# through another posts replica is seen within CATEGORY_TTL (a post may still be filed under a
# category archived less than that ago — archiving only stops new posts, it hides nothing).
CATEGORY_TTL = 10.0
CATEGORY_STATES = ExpiringCache(ttl_seconds=CATEGORY_TTL, max_entries=MAX_CATEGORIES)


def _without(docs: list[dict[str, Any]], others: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`docs` but those also in `others` (by id)."""
    taken = {doc["_id"] for doc in others}
    return [doc for doc in docs if doc["_id"] not in taken]


class PostsQueries:
    def __init__(self, views: ReadModels):
        self.views = views

    # -- one contribution

    def doc(self, collection: str, doc_id: str, actor: Actor | None) -> dict[str, Any]:
        """The post's or reply's document if the actor may read it, else 404."""
        ids.contribution("post" if collection == "posts" else "reply").require(doc_id)
        doc = self.views[collection].find_one({"_id": doc_id})
        if not self._readable(doc, actor):
            raise NotFound.from_catalogue(
                "no_such_post" if collection == "posts" else "no_such_reply", {"id": doc_id})
        return doc

    def hidden_for_review(self, target_type: str, target_id: str) -> str | None:
        """If the post or reply was public and is out of public view for review now
        (`domain.hidden_for_review`), the id of its thread (the post's own id, or the reply's
        post's): nothing of the text itself — its thread is public (or says so itself).
        None otherwise, as for no such text."""
        ids.contribution(target_type).require(target_id)
        doc = self.views["posts" if target_type == "post" else "replies"].find_one(
            {"_id": target_id}, {"state": 1, "post_id": 1})
        if doc is None or not domain.hidden_for_review(doc):
            return None
        return target_id if target_type == "post" else doc["post_id"]

    @staticmethod
    def _readable(doc: dict[str, Any] | None, actor: Actor | None) -> bool:
        return doc is not None and bool(doc.get("state")) and domain.can_read(actor, doc)

    def _draft(self, doc: dict[str, Any], actor: Actor | None) -> dict[str, Any] | None:
        """The author's newest draft: one they submitted themselves — a CM's edit waiting for
        review, or given back refused, is not theirs to see or correct (a draft from before
        `submitted_by` was kept is the author's)."""
        if not actor or actor.get("id") != doc.get("author_id"):
            return None
        drafts = self.views["drafts"].find({"target_id": doc["_id"]}).sort("revision", -1)
        return next((draft for draft in drafts.limit(DRAFTS_READ)
                     if not by_another(actor["id"], draft.get("submitted_by"))), None)

    def _my_votes(self, actor: Actor | None, target_ids: list[str]) -> dict[str, bool]:
        if not actor or not target_ids:
            return {}
        found = self.views["votes"].find(
            {"_id": {"$in": [f"{t}:{actor['id']}" for t in target_ids]}, "active": True},
            {"target_id": 1})
        voted = {doc["target_id"] for doc in found}
        return {t: t in voted for t in target_ids}

    def _authors(self, documents: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        return members.summaries(self.views.rm, [doc.get("author_id") for doc in documents])

    def _mentioned(self, documents: list[dict[str, Any] | None]) -> dict[str, str]:
        """The members the shown bodies @mention (as written -> id): linked on the page."""
        return members.named_mentions(self.views.rm, *(
            (doc or {}).get("body") for doc in documents
            if (doc or {}).get("state") in ("published", "hidden")))

    def mention_owners(self, query: dict[str, Any]) -> dict[str, str]:
        return members.mention_owners(self.views.rm, query["handles"])

    def post(self, post_id: str, actor: Actor | None, unvoted: bool = False,
             by_actor: bool = False) -> dict[str, Any]:
        """`unvoted`: the post was created by this very command and nobody can have voted for
        it yet (its events are published once the command answered), so there is no vote to
        read. `by_actor`: the actor wrote it (this very command created it), so what the
        answer adds — the author's draft and public summary — is read side by side with the
        document instead of after it."""
        votes = [] if unvoted else [lambda: self._my_votes(actor, [post_id]).get(post_id)]
        written = {"_id": post_id, "author_id": (actor or {}).get("id")}
        if by_actor and actor:
            doc, draft, authors, *vote = at_once(
                lambda: self.doc("posts", post_id, actor), lambda: self._draft(written, actor),
                lambda: self._authors([written]), *votes)
            if doc.get("author_id") != actor["id"]:  # not the actor's after all: read again
                return self.post(post_id, actor, unvoted)
        else:
            doc = self.doc("posts", post_id, actor)
            draft, authors, *vote = at_once(
                lambda: self._draft(doc, actor), lambda: self._authors([doc]), *votes)
        my_vote = vote[0] if vote else (False if actor else None)
        doc = self._after_publication("posts", doc, draft, actor)
        return presenters.post(doc, actor, draft=draft, my_vote=my_vote, authors=authors,
                               mentioned=self._mentioned([doc]))

    def _after_publication(self, collection: str, doc: dict[str, Any],
                           draft: dict[str, Any] | None, actor: Actor | None) -> dict[str, Any]:
        """The document, read again when its author found it pending and its draft gone: a
        publication's apply writes the document before it deletes the draft (projections.py,
        `_text_visible`), so a draft found gone means the document read before it may be behind
        — shown as it was, the author's own text would be missing from it."""
        if (draft is None and doc.get("state") == "pending" and actor
                and actor.get("id") == doc.get("author_id")):
            return self.doc(collection, doc["_id"], actor)
        return doc

    def summary_of(self, actor: Actor | None) -> dict[str, dict[str, Any]]:
        """The actor's public summary, as `_authors` gives it for what they wrote."""
        return self._authors([{"author_id": (actor or {}).get("id")}])

    def new_contribution(self, collection: str, target_id: str, actor: Actor | None,
                         written: WrittenDocuments | None, authors: dict[str, dict[str, Any]],
                         unvoted: bool) -> dict[str, Any]:
        """The answer of the command that has just created the post or reply (`collection`):
        its document and the author's draft as the command's inline apply left them
        (`written`: the writes returned them), with `authors` (the author's summary, read
        beside the writes) and no vote (`unvoted`, as `post`'s). What the apply did not write
        — moderation ruled on the text first, another applier took the events, a keyed retry
        found them applied — is read as for any answer, and so is one that may have votes."""
        doc = written.written(collection).get(target_id) if written is not None else None
        drafts = [draft for draft in (written.written("drafts").values() if written else ())
                  if draft.get("target_id") == target_id
                  and not by_another((actor or {}).get("id"), draft.get("submitted_by"))]
        if not (unvoted and drafts and self._readable(doc, actor)
                and doc.get("author_id") == (actor or {}).get("id")):
            return self.post(target_id, actor, unvoted, by_actor=True) \
                if collection == "posts" else self.reply(target_id, actor)
        draft = max(drafts, key=lambda found: found["revision"])  # the newest, as `_draft`
        present = presenters.post if collection == "posts" else presenters.reply
        return present(doc, actor, draft=draft, my_vote=False, authors=authors,
                       mentioned=self._mentioned([doc]))

    def reply(self, reply_id: str, actor: Actor | None) -> dict[str, Any]:
        doc = self.doc("replies", reply_id, actor)
        draft = self._draft(doc, actor)
        doc = self._after_publication("replies", doc, draft, actor)
        return presenters.reply(doc, actor, draft=draft,
                                my_vote=self._my_votes(actor, [reply_id]).get(reply_id),
                                authors=self._authors([doc]), mentioned=self._mentioned([doc]))

    def history(self, collection: str, target_id: str, actor: Actor | None) -> dict[str, Any]:
        """Every published revision, oldest first (a redacted one as redacted)."""
        doc = self.doc(collection, target_id, actor)
        entries = self.views["history"].find({"target_id": target_id}).sort("revision", 1)
        return {"id": target_id, "state": doc.get("state"),
                "revisions": [presenters.history_entry(entry) for entry in entries]}

    def votes(self, collection: str, target_id: str) -> int:
        doc = self.views[collection].find_one({"_id": target_id}, {"votes": 1}) or {}
        return doc.get("votes", 0)

    def voters(self, post_id: str) -> list[str]:
        """Who votes for the post now."""
        return [doc["voter_id"] for doc in self.views["votes"].find(
            {"target_id": post_id, "active": True}, {"voter_id": 1})]

    def merged_into(self, post_id: str) -> str | None:
        doc = self.views["posts"].find_one({"_id": post_id}, {"merged_into": 1}) or {}
        return doc.get("merged_into")

    # -- lists and searches

    def posts(self, query: dict[str, Any], actor: Actor | None) -> dict[str, Any]:
        """A page of posts (listing.py plans the filter and sort); pinned ones head the first
        page, except in a search, which ranks its matches."""
        plan = listing.plan_posts(query)
        if query.get("q"):
            items, cursor, outcome = self._search(query, plan)
            return {**self._page(actor, items, cursor), "search": outcome}
        pins = listing.plan_pins(query, plan, int(utc_now().timestamp() * 1_000_000))
        pinned = list(self.views["posts"].find(pins.filter).sort(pins.sort)
                      .limit(pins.limit)) if pins else []
        unpinned = listing.without(plan.filter, [doc["_id"] for doc in pinned])
        documents = list(self.views["posts"].find(unpinned).sort(plan.sort)
                         .limit(plan.limit + 1))
        items, cursor = pagination.page(documents, plan.field, plan.limit)
        if not query.get("cursor"):  # pinned ones head the first page
            items = [{**doc, "pinned": True} for doc in pinned] + items
        return self._page(actor, items, cursor)

    def _scores(self, words: list[search.WordQuery]) -> list[dict[str, int]]:
        """Per word, post id -> relevance, from the term index (one indexed read per word, at
        most MAX_POSTINGS entries each; a second for a word with synonyms, whose matches
        through them weigh less: "carte" first finds the posts saying "carte", then "CB")."""
        return [search.word_scores(word, self._postings) for word in words]

    def _postings(self, condition: dict[str, Any]) -> list[dict[str, Any]]:
        return list(self.views["search_terms"].find(condition, {"post_id": 1, "heavy": 1})
                    .limit(search.MAX_POSTINGS))

    def _search(self, query: dict[str, Any], plan: listing.Plan
                ) -> tuple[list[dict[str, Any]], str | None, dict[str, Any]]:
        """The page of a search, and what it searched (`search` of the answer): the query with
        its corrected words, whether the posts hold only some of the words, and the search it
        suggests when it finds little. Round trips: one per word (two for a word with
        synonyms), one per word found nowhere (the vocabulary) and one more when that corrects
        it (a third when its word found no post of this page and the listing is by date), one
        per rare word when few posts are found (the vocabulary) and two more when that
        suggests a word, one for the phrases' texts, one for the posts."""
        asked = search.parse_search(query["q"])
        words, per_word, corrections = self._forgive(list(asked.words),
                                                     self._scores(asked.words))
        matches, partial = search.combine_search(words, per_word)
        if asked.phrases and matches:
            matches = self._with_phrases(matches, asked.phrases)
        documents, cursor, listed = self._ranked(query, plan, matches) if matches \
            else ([], None, set())
        corrections = self._shown_corrections(corrections, words, per_word, documents,
                                              matches, listed, plan)
        searched = search.corrected(query["q"], corrections)
        suggestions = self._suggest(words, per_word, {used for _, used in corrections}, plan) \
            if len(matches) <= search.SUGGEST_BELOW else []
        suggested = search.corrected(searched, suggestions)
        if suggested == searched or len(suggested) > QUERY_MAX:  # nothing to offer, or no link
            suggestions, suggested = [], None
        return documents, cursor, {
            "query": searched,
            "corrections": [{"typed": typed, "used": used} for typed, used in corrections],
            "partial": partial and bool(documents),
            "suggestions": [{"typed": typed, "suggested": used} for typed, used in suggestions],
            "suggested_query": suggested}

    def _ranked(self, query: dict[str, Any], plan: listing.Plan,
                matches: dict[str, tuple[int, int]]
                ) -> tuple[list[dict[str, Any]], str | None, set[str] | None]:
        """The page and its cursor, and the ids of every post the listing shows when it read
        them all to rank them (by relevance; None by date, which reads one page)."""
        found = {"_id": {"$in": sorted(matches)}}
        if plan.relevance:
            documents = list(self.views["posts"].find({"$and": [plan.conditions, found]}))
            page, cursor = listing.rank(documents, {i: search.rank_score(m)
                                                    for i, m in matches.items()},
                                        plan.limit, query.get("cursor"))
            return page, cursor, {doc["_id"] for doc in documents}
        documents = list(self.views["posts"].find({"$and": [plan.filter, found]})
                         .sort(plan.sort).limit(plan.limit + 1))
        return (*pagination.page(documents, plan.field, plan.limit), None)

    def _forgive(self, words: list[search.WordQuery], per_word: list[dict[str, int]]
                 ) -> tuple[list[search.WordQuery], list[dict[str, int]], list[tuple[str, str]]]:
        """Each word found nowhere (unquoted, long enough) replaced by the closest word of the
        vocabulary, if one is close enough: the words, their scores and the (typed, used)."""
        corrections = []
        for index, word in enumerate(words):
            folded = fold(word.typed)
            if per_word[index] or word.quoted or not search.fuzzy_edits(folded):
                continue
            best = search.closest(folded, self._close_words(folded))
            if best:
                words[index] = search.search_word(best["label"])
                per_word[index] = self._scores([words[index]])[0]
                corrections.append((word.typed, best["label"]))
        return words, per_word, corrections

    def _shown_corrections(self, corrections: list[tuple[str, str]],
                           words: list[search.WordQuery], per_word: list[dict[str, int]],
                           documents: list[dict[str, Any]], matches: dict[str, Any],
                           listed: set[str] | None, plan: listing.Plan
                           ) -> list[tuple[str, str]]:
        """The corrections whose word found a post this search lists: on this page, else on
        another (a partial match may rank it later: among `listed`, the ids the ranking read,
        or else one indexed read). The vocabulary counts posts taken out of view too, and a
        word only they hold (a name perhaps) is never told."""
        shown = {doc["_id"] for doc in documents}
        found = {word.typed: scores for word, scores in zip(words, per_word, strict=True)}
        kept = []
        for typed, used in corrections:
            held = found.get(used.lower(), {}).keys() & matches.keys()
            if held & shown or (held & listed if listed is not None
                                else self._any_shown(held - shown, plan)):
                kept.append((typed, used))
        return kept

    def _suggest(self, words: list[search.WordQuery], per_word: list[dict[str, int]],
                 corrected: set[str], plan: listing.Plan) -> list[tuple[str, str]]:
        """(typed, suggested) for each rare word (in at most SUGGEST_RARE posts, unquoted, not
        itself a correction) that a close word of the vocabulary is far more often written as,
        in a post this listing shows (the vocabulary counts hidden ones too: a word only they
        hold, a name perhaps, is never offered)."""
        suggestions = []
        for word, scores in zip(words, per_word, strict=True):
            folded = fold(word.typed)
            # a word found nowhere was corrected already, or has no close word at all
            if not scores or len(scores) > search.SUGGEST_RARE or word.quoted \
                    or word.typed in corrected or not search.fuzzy_edits(folded):
                continue
            best = search.more_common(folded, self._close_words(folded))
            if best and self._shown_with(best["label"], plan):
                suggestions.append((word.typed, best["label"]))
        return suggestions

    def _shown_with(self, word: str, plan: listing.Plan) -> bool:
        """Does a post of this listing hold `word` (among its first SUGGEST_CHECKED entries:
        two bounded indexed reads)?"""
        entries = self.views["search_terms"].find(search.search_word(word).own().condition(),
                                                  {"post_id": 1}).limit(search.SUGGEST_CHECKED)
        return self._any_shown({entry["post_id"] for entry in entries}, plan)

    def _any_shown(self, post_ids: Iterable[str], plan: listing.Plan) -> bool:
        """Does this listing show one of `post_ids` (one indexed read, none for no id)?"""
        ids = sorted(post_ids)
        return bool(ids) and self.views["posts"].find_one(
            {"$and": [plan.conditions, {"_id": {"$in": ids}}]}, {"_id": 1}) is not None

    def _close_words(self, folded: str) -> list[dict[str, Any]]:
        """The vocabulary's words a deletion key away from `folded` (one indexed read)."""
        return list(self.views["search_vocabulary"].find(
            {"keys": {"$in": search.deletion_keys(folded, search.fuzzy_edits(folded))}},
            {"count": 1, "label": 1}).limit(search.FUZZY_CANDIDATES))

    def _with_phrases(self, matches: dict[str, tuple[int, int]], phrases: tuple[search.Phrase, ...]
                      ) -> dict[str, tuple[int, int]]:
        """The matches whose own text (title, tags, body) holds every quoted phrase: of the
        PHRASE_CANDIDATES most relevant (a bounded read of texts; the others are not shown)."""
        best = sorted(matches, key=lambda i: (-search.rank_score(matches[i]), i))
        texts = self.views["posts"].find({"_id": {"$in": best[:search.PHRASE_CANDIDATES]}},
                                         {"title": 1, "tags": 1, "body": 1})
        kept = {doc["_id"] for doc in texts
                if all(phrase.found_in(doc.get("title"), *(doc.get("tags") or []), doc.get("body"))
                       for phrase in phrases)}
        return {post_id: found for post_id, found in matches.items() if post_id in kept}

    def similar(self, query: dict[str, Any], actor: Actor | None) -> dict[str, Any]:
        """Published posts sharing words with a title being typed, most similar first."""
        words = search.parse_query(query["title"])
        matches = search.similar_matches(self._scores(words))
        if not matches:
            return {"items": [], "next_cursor": None}
        conditions: dict[str, Any] = {"_id": {"$in": sorted(matches)}, "state": "published",
                                      "merged_into": None}
        if query.get("kind"):
            conditions["kind"] = query["kind"]
        documents = search.rank_similar(list(self.views["posts"].find(conditions)), matches,
                                         len(words))
        return self._page(actor, documents[:query["limit"]], None)

    def _page(self, actor: Actor | None, items: list[dict[str, Any]], cursor: str | None
              ) -> dict[str, Any]:
        votes = self._my_votes(actor, [doc["_id"] for doc in items])
        authors = self._authors(items)
        return {"items": [presenters.post(doc, actor, full=False, my_vote=votes.get(doc["_id"]),
                                          authors=authors) for doc in items],
                "next_cursor": cursor}

    def replies(self, post_id: str, query: dict[str, Any], actor: Actor | None
                ) -> dict[str, Any]:
        """A post's replies, oldest first: published ones, plus the actor's own waiting or
        refused ones (CMs: every reply still in the thread)."""
        self.doc("posts", post_id, actor)
        visible: dict[str, Any] = {"state": "published"}
        if actor and is_moderator(actor):
            visible = {"state": {"$in": ["published", "pending", "hidden"]}}
        elif actor:
            visible = {"$or": [visible, {"author_id": actor["id"],
                                         "state": {"$in": ["pending", "hidden", "rejected"]}}]}
        after = pagination.after_cursor("created_ts", 1, query.get("cursor"))
        conditions = [{"post_id": post_id}, visible] + ([after] if after else [])
        limit = query["limit"]
        documents = list(self.views["replies"].find({"$and": conditions})
                         .sort([("created_ts", 1), ("_id", 1)]).limit(limit + 1))
        items, cursor = pagination.page(documents, "created_ts", limit)
        votes = self._my_votes(actor, [doc["_id"] for doc in items])
        authors, mentioned = self._authors(items), self._mentioned(items)
        return {"items": [presenters.reply(doc, actor, draft=self._draft(doc, actor),
                                           my_vote=votes.get(doc["_id"]), authors=authors,
                                           mentioned=mentioned)
                          for doc in items],
                "next_cursor": cursor}

    # -- categories and tags

    def categories(self, query: dict[str, Any]) -> dict[str, Any]:
        """Every category, in the admins' order (then by slug); `archived`: false for those
        new posts may name, true for the archived ones."""
        condition = {} if query.get("archived") is None else (
            {"archived": True} if query["archived"] else {"archived": {"$ne": True}})
        documents = self.views["categories"].find(condition).sort([("position", 1), ("_id", 1)])
        return {"items": [presenters.category(doc) for doc in documents.limit(MAX_CATEGORIES)]}

    def category(self, slug: Any) -> dict[str, Any]:
        doc = self.views["categories"].find_one({"_id": slug}) if isinstance(slug, str) else None
        if doc is None:
            raise NotFound.from_catalogue("no_such_category", {"slug": slug}, slug=slug)
        return presenters.category(doc)

    def require_category(self, data: dict[str, Any]) -> dict[str, Any]:
        """Posts name an open category of the list admins manage (422 otherwise): its state
        (`archived`, `staff_only`), {} when `data` names none. An unknown one is not named in
        the refusal: `data` holds the slug the input folded to ("$where" -> "where"), which
        the member never wrote."""
        slug = data.get("category")
        if slug is None:
            return {}
        key = (self.views.rm.db.name, slug)  # one process may serve several databases (tests)
        found = CATEGORY_STATES.get(key)
        if found is None:
            found = self.views["categories"].find_one({"_id": slug},
                                                       {"archived": 1, "staff_only": 1})
            if found is not None:  # an unknown slug is read again: it may be created any time
                CATEGORY_STATES.put(key, found)
        if found is None:
            raise Unprocessable.from_catalogue("unknown_category", {"fields": {"category": [
                "no such category; choose one of GET /api/v1/categories"]}})
        if found.get("archived"):
            raise Unprocessable.from_catalogue("category_archived", {"fields": {"category": [
                f"the category {slug!r} is archived; choose one of "
                "GET /api/v1/categories?archived=false"]}}, slug=slug)
        return found

    def forget_category(self, slug: str) -> None:
        """This process changed the category: the next post reads its state again."""
        CATEGORY_STATES.forget((self.views.rm.db.name, slug))

    def next_category_position(self) -> int:
        last = next(iter(self.views["categories"].find({}, {"position": 1})
                         .sort([("position", -1), ("_id", -1)]).limit(1)), None)
        return (last["position"] + 1) if last else 0

    def popular_tags(self, query: dict[str, Any]) -> dict[str, Any]:
        """The most used tags (published posts), optionally those starting with `prefix`
        (accents and case ignored)."""
        condition: dict[str, Any] = {"count": {"$gt": 0}}
        prefix = slugify(query.get("prefix") or "", TAG_MAX)
        if prefix:
            condition["_id"] = {"$gte": prefix, "$lt": prefix + "\x7f"}
        documents = self.views["tag_counts"].find(condition).sort(
            [("count", -1), ("_id", 1)]).limit(query["limit"])
        return {"items": [{"tag": doc.get("label") or doc["_id"], "slug": doc["_id"],
                           "count": doc["count"]} for doc in documents]}

    # -- what the member wrote that is not public yet

    def waiting(self, actor: Actor) -> dict[str, Any]:
        """The member's own posts and replies never published yet (being checked, or held for
        a CM), newest first, WAITING_SHOWN of each (`waiting_more`: either kind has more than
        that), as their author sees them: the page they left is no longer the only way back to
        a held text. Beside them, those refused before anyone saw them and refused less than
        REFUSED_DAYS ago (`refused_*`, with the reason in `review`; `refused_more` as
        `waiting_more`): their way back to correct and send one again (it waits again then) —
        not one taken down after it was published, which stays as it is. A reply comes with
        its thread's title while the member may read that thread. The `author_state` and
        `author` indexes bound the four finds; drafts and threads are one read each, by ids."""
        since = micros(utc_now() - timedelta(days=REFUSED_DAYS))
        # counted from the refusal: a text held for weeks, or corrected and refused again,
        # still gets its days (refusals from before `rejection.at_ts` was kept are not listed)
        refused = {"state": "rejected", "published_at": None, "rejection.at_ts": {"$gte": since}}
        posts, replies = self._own_texts(actor, {"state": "pending"})
        refused_posts, refused_replies = self._own_texts(actor, refused)
        # one more than shown was read: whether a group has more than its list says
        waiting_more = any(len(docs) > WAITING_SHOWN for docs in (posts, replies))
        refused_more = any(len(docs) > WAITING_SHOWN for docs in (refused_posts, refused_replies))
        posts, replies, refused_posts, refused_replies = (
            docs[:WAITING_SHOWN] for docs in (posts, replies, refused_posts, refused_replies))
        # a text refused between the two reads is in both: the later read is its state
        posts, replies = _without(posts, refused_posts), _without(replies, refused_replies)
        every = posts + replies + refused_posts + refused_replies
        drafts = self._own_drafts(actor, [doc["_id"] for doc in every])
        authors = self._authors(every)
        titles = self._readable_titles(actor, replies + refused_replies)

        def post(doc: dict[str, Any]) -> dict[str, Any]:
            return presenters.post(doc, actor, full=False, draft=drafts.get(doc["_id"]),
                                   authors=authors)

        def reply(doc: dict[str, Any]) -> dict[str, Any]:
            return {**presenters.reply(doc, actor, draft=drafts.get(doc["_id"]), authors=authors),
                    "post_title": titles.get(doc["post_id"])}
        return {"posts": [post(doc) for doc in posts],
                "replies": [reply(doc) for doc in replies],
                "refused_posts": [post(doc) for doc in refused_posts],
                "refused_replies": [reply(doc) for doc in refused_replies],
                "waiting_more": waiting_more, "refused_more": refused_more}

    def _own_texts(self, actor: Actor, condition: dict[str, Any]
                   ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The member's posts and replies meeting `condition`, newest first, WAITING_SHOWN + 1
        of each (the one more says there are more; the `author_state` and `author` indexes)."""
        mine = {"author_id": actor["id"], **condition}
        return tuple(list(self.views[collection].find(mine).sort([("created_ts", -1)])
                          .limit(WAITING_SHOWN + 1)) for collection in ("posts", "replies"))

    def _own_drafts(self, actor: Actor, target_ids: list[str]) -> dict[str, dict[str, Any]]:
        """target id -> the member's newest draft of it (as `_draft`, for many at once)."""
        newest: dict[str, dict[str, Any]] = {}
        if not target_ids:
            return newest
        for draft in self.views["drafts"].find({"target_id": {"$in": target_ids}}):
            if by_another(actor["id"], draft.get("submitted_by")):
                continue
            if draft["revision"] > newest.get(draft["target_id"], {}).get("revision", 0):
                newest[draft["target_id"]] = draft
        return newest

    def _readable_titles(self, actor: Actor, replies: list[dict[str, Any]]) -> dict[str, str]:
        """post id -> title, for the threads of `replies` the actor may read (a thread taken
        down since keeps its title from them)."""
        post_ids = sorted({doc["post_id"] for doc in replies})
        if not post_ids:
            return {}
        threads = self.views["posts"].find({"_id": {"$in": post_ids}},
                                           {"title": 1, "state": 1, "author_id": 1})
        return {doc["_id"]: doc["title"] for doc in threads
                if doc.get("title") and doc.get("state") and domain.can_read(actor, doc)}

    # -- the member's export, the community figures

    def export(self, actor: Actor) -> dict[str, Any]:
        """Every post and reply the member wrote, in every state, as they see it themselves
        (review state, pending text), with its published revisions, and the votes they cast."""
        member_id = actor["id"]
        posts = list(self.views["posts"].find({"author_id": member_id}))
        replies = list(self.views["replies"].find({"author_id": member_id}))
        written = [doc["_id"] for doc in posts + replies]
        revisions: dict[str, list[dict[str, Any]]] = {}
        for entry in self.views["history"].find({"target_id": {"$in": written}}):
            revisions.setdefault(entry["target_id"], []).append(entry)
        drafts: dict[str, dict[str, Any]] = {}
        for draft in self.views["drafts"].find({"target_id": {"$in": written}}):
            if draft["revision"] >= drafts.get(draft["target_id"], {}).get("revision", 0):
                drafts[draft["target_id"]] = draft

        def exported(present, doc: dict[str, Any]) -> dict[str, Any]:
            kept = sorted(revisions.get(doc["_id"], []), key=lambda entry: entry["revision"])
            return {**present(doc, actor, draft=drafts.get(doc["_id"])),
                    "revisions": [presenters.history_entry(entry) for entry in kept]}

        votes = self.views["votes"].find({"voter_id": member_id, "active": True})
        return {"posts": [exported(presenters.post, doc) for doc in posts],
                "replies": [exported(presenters.reply, doc) for doc in replies],
                "votes": [{"target_type": doc["target_type"], "target_id": doc["target_id"],
                           "at": doc.get("at")} for doc in votes]}

    def community_statistics(self, period: dict[str, Any]) -> dict[str, Any]:
        """What members published over a period, as it stands now (domain.community_figures)."""
        published = {"state": "published", "published_ts": between(period)}
        posts = list(self.views["posts"].find(published, {
            "kind": 1, "author_id": 1, "idea_status": 1, "reply_count": 1}))
        replies = list(self.views["replies"].find(published, {"author_id": 1}))
        return domain.community_figures(posts, replies, KINDS, IDEA_STATUSES)
