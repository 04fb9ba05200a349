"""posts: questions, ideas, discussions, articles, replies and votes (nameko entrypoints).

Thin: parse arguments, load state, let `domain` decide, append, apply inline, present. The
moderation round trip is event-driven (see docs/architecture.md, "Posts and moderation"):
submissions append a private content event that moderation scans, and moderation's verdicts come
back through `on_moderation_event`.
"""
from __future__ import annotations

import logging
from typing import Any

from nameko.rpc import rpc

from services.shared import ids, members, pagination
from services.shared.actors import Actor, is_moderator, require_moderator
from services.shared.consumer import reliable_handler
from services.shared.decisions import Decisions
from services.shared.envelope import CommandContext, Envelope, utc_now
from services.shared.errors import (
    EXPECTED_ERRORS,
    ConcurrencyConflict,
    NotFound,
    Unprocessable,
)
from services.shared.event_store import len_version
from services.shared.observability import HealthEndpoints
from services.shared.outbox import EventStoreProvider
from services.shared.periods import PeriodArgs, between
from services.shared.projections import ReadModelsProvider
from services.shared.slugs import TAG_MAX, category_slug, slugify
from services.shared.validation import load_input

from . import domain, listing, presenters, search
from .projections import VIEWS
from .schemas import (
    IDEA_STATUSES,
    KINDS,
    AcceptedReplySchema,
    CategoryCreateSchema,
    CategoryEditSchema,
    CategoryListQuerySchema,
    FeatureSchema,
    IdeaStatusSchema,
    PageQuerySchema,
    PostCreateSchema,
    PostEditSchema,
    PostListQuerySchema,
    PreviewSchema,
    ReplyCreateSchema,
    ReplyEditSchema,
    SimilarQuerySchema,
    TagQuerySchema,
)

log = logging.getLogger(__name__)

MAX_CATEGORIES = 500  # a list admins manage by hand

VERDICTS = {"moderation.item_held": "held", "moderation.item_approved": "approved",
            "moderation.item_rejected": "rejected", "moderation.item_redacted": "redacted"}


class PostsService(Decisions, HealthEndpoints):
    name = "posts"
    store = EventStoreProvider()
    views = ReadModelsProvider(VIEWS)

    # -- helpers -----------------------------------------------------------------------------

    def _target(self, target_type: str, target_id: str) -> domain.Contribution:
        ids.contribution(target_type).require(target_id)  # never another kind of stream
        state = self._folded(self.store.load(target_id), target_type)
        if state.target_type != target_type:
            raise NotFound.from_catalogue(f"no_such_{target_type}", {"id": target_id})
        state.id = state.id or target_id
        return state

    def _post(self, post_id: str) -> domain.Contribution:
        return self._target("post", post_id)

    def _reply(self, reply_id: str) -> domain.Contribution:
        return self._target("reply", reply_id)

    def _submit(self, stream_id: str, decide, actor: Actor | None) -> None:
        """A submission: first the public announcement on the contribution's stream (optimistic
        concurrency decides the revision number), then the text on its private content stream.
        Moderation only ever sees a text whose announcement is already committed."""
        history = self.store.load(stream_id)
        submission: domain.Submission = decide(domain.fold(history))
        context = self._context(actor)
        public = self.store.append(stream_id, len_version(history), submission.public, context)
        content = self.store.append(domain.content_stream(submission.target_id,
                                                          submission.revision),
                                    0, submission.content, context)
        self.views.apply_commit(public)
        self.views.apply_commit(content)

    def _doc(self, collection: str, doc_id: str, actor: Actor | None) -> dict[str, Any]:
        ids.contribution("post" if collection == "posts" else "reply").require(doc_id)
        doc = self.views[collection].find_one({"_id": doc_id})
        if doc is None or not doc.get("state") or not domain.can_read(actor, doc):
            raise NotFound.from_catalogue(
                "no_such_post" if collection == "posts" else "no_such_reply", {"id": doc_id})
        return doc

    def _draft(self, doc: dict[str, Any], actor: Actor | None) -> dict[str, Any] | None:
        if not actor or actor.get("id") != doc.get("author_id"):
            return None
        drafts = self.views["drafts"].find({"target_id": doc["_id"]}).sort("revision", -1)
        return next(iter(drafts.limit(1)), None)

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

    def _present_post(self, post_id: str, actor: Actor | None) -> dict[str, Any]:
        doc = self._doc("posts", post_id, actor)
        return presenters.post(doc, actor, draft=self._draft(doc, actor),
                               my_vote=self._my_votes(actor, [post_id]).get(post_id),
                               authors=self._authors([doc]))

    def _present_reply(self, reply_id: str, actor: Actor | None) -> dict[str, Any]:
        doc = self._doc("replies", reply_id, actor)
        return presenters.reply(doc, actor, draft=self._draft(doc, actor),
                                my_vote=self._my_votes(actor, [reply_id]).get(reply_id),
                                authors=self._authors([doc]))

    # -- posts -------------------------------------------------------------------------------

    def _require_category(self, data: dict[str, Any]) -> None:
        """Posts name a category of the list admins manage (422 otherwise)."""
        slug = data.get("category")
        if slug is None:
            return
        found = self.views["categories"].find_one({"_id": slug}, {"archived": 1})
        if found is None:
            raise Unprocessable.from_catalogue("no_such_category", {"fields": {"category": [
                f"no such category: {slug!r}; choose one of GET /api/v1/categories"]}},
                slug=slug)
        if found.get("archived"):
            raise Unprocessable.from_catalogue("category_archived", {"fields": {"category": [
                f"the category {slug!r} is archived; choose one of "
                "GET /api/v1/categories?archived=false"]}}, slug=slug)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def create_post(self, actor, data):
        data = load_input(PostCreateSchema, data)
        self._require_category(data)
        post_id = domain.new_post_id()
        self._submit(post_id, lambda state: domain.submit_post(actor, data, post_id), actor)
        return self._present_post(post_id, actor)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_post(self, actor, post_id):
        return self._present_post(post_id, actor)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def community_statistics(self, actor, period):
        """What members published over a period, as it stands now (published, not hidden or
        deleted since): contributions by kind, ideas by status, the questions' answer rate, the
        top contributors (CMs and admins: the console's community health)."""
        require_moderator(actor)
        period = load_input(PeriodArgs, period)
        published = {"state": "published", "published_ts": between(period)}
        posts = list(self.views["posts"].find(published, {
            "kind": 1, "author_id": 1, "idea_status": 1, "reply_count": 1}))
        replies = list(self.views["replies"].find(published, {"author_id": 1}))
        return domain.community_figures(posts, replies, KINDS, IDEA_STATUSES)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_posts(self, actor, query=None):
        query = load_input(PostListQuerySchema, query)
        plan = listing.plan_posts(query)
        if query.get("q"):  # a search ranks its matches; nothing is pinned above them
            return self._post_page(actor, *self._search(query, plan))
        pins = listing.plan_pins(query, plan, int(utc_now().timestamp() * 1_000_000))
        pinned = list(self.views["posts"].find(pins.filter).sort(pins.sort)
                      .limit(pins.limit)) if pins else []
        unpinned = listing.without(plan.filter, [doc["_id"] for doc in pinned])
        documents = list(self.views["posts"].find(unpinned).sort(plan.sort)
                         .limit(plan.limit + 1))
        items, cursor = pagination.page(documents, plan.field, plan.limit)
        if not query.get("cursor"):  # pinned ones head the first page
            items = [{**doc, "pinned": True} for doc in pinned] + items
        return self._post_page(actor, items, cursor)

    def _matches(self, words: list[search.WordQuery], require_all: bool = True
                 ) -> dict[str, tuple[int, int]]:
        """post id -> (words matched, relevance), from the term index (one indexed read per
        word, at most MAX_POSTINGS entries each)."""
        per_word = [search.score_postings(list(
            self.views["search_terms"].find(word.condition(), {"post_id": 1, "source": 1, "w": 1})
            .limit(search.MAX_POSTINGS))) for word in words]
        return search.combine(per_word, require_all)

    def _search(self, query: dict[str, Any], plan: listing.Plan
                ) -> tuple[list[dict[str, Any]], str | None]:
        matches = self._matches(search.parse_query(query["q"]))
        if not matches:
            return [], None
        found = {"_id": {"$in": sorted(matches)}}
        if plan.relevance:
            documents = list(self.views["posts"].find({"$and": [plan.conditions, found]}))
            return listing.rank(documents, {i: score for i, (_, score) in matches.items()},
                                plan.limit, query.get("cursor"))
        documents = list(self.views["posts"].find({"$and": [plan.filter, found]})
                         .sort(plan.sort).limit(plan.limit + 1))
        return pagination.page(documents, plan.field, plan.limit)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def similar_posts(self, actor, query=None):
        """Published posts sharing words with a title being typed, most similar first (to
        suggest existing questions before a duplicate is posted)."""
        query = load_input(SimilarQuerySchema, query)
        words = search.parse_query(query["title"])
        matches = self._matches(words, require_all=False)
        needed = min(2, len(words))
        matches = {i: m for i, m in matches.items() if m[0] >= needed}
        if not matches:
            return {"items": [], "next_cursor": None}
        conditions: dict[str, Any] = {"_id": {"$in": sorted(matches)}, "state": "published",
                                      "merged_into": None}
        if query.get("kind"):
            conditions["kind"] = query["kind"]
        documents = sorted(self.views["posts"].find(conditions), key=lambda d: (
            -matches[d["_id"]][0], -matches[d["_id"]][1], -(d.get("published_ts") or 0)))
        return self._post_page(actor, documents[:query["limit"]], None)

    def _post_page(self, actor, items: list[dict[str, Any]], cursor: str | None
                   ) -> dict[str, Any]:
        votes = self._my_votes(actor, [doc["_id"] for doc in items])
        authors = self._authors(items)
        return {"items": [presenters.post(doc, actor, full=False, my_vote=votes.get(doc["_id"]),
                                          authors=authors) for doc in items],
                "next_cursor": cursor}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def preview(self, actor, data):
        return presenters.preview(load_input(PreviewSchema, data)["body"])

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def edit_post(self, actor, post_id, data):
        data = load_input(PostEditSchema, data)
        self._post(post_id)  # 404 before anything else
        self._require_category(data)
        self._submit(post_id, lambda state: domain.submit_edit(actor, state, data, state.locked),
                     actor)
        return self._present_post(post_id, actor)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def delete_post(self, actor, post_id):
        self._post(post_id)
        self._decide(post_id, lambda history: domain.delete(actor, self._folded(history, "post")),
                     actor)
        return {"id": post_id, "state": "deleted"}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def history(self, actor, post_id):
        return self._history("posts", post_id, actor)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def reply_history(self, actor, reply_id):
        return self._history("replies", reply_id, actor)

    def _history(self, collection: str, target_id: str, actor) -> dict[str, Any]:
        """Every published revision, oldest first (a redacted one as redacted)."""
        doc = self._doc(collection, target_id, actor)
        entries = self.views["history"].find({"target_id": target_id}).sort("revision", 1)
        return {"id": target_id, "state": doc.get("state"),
                "revisions": [presenters.history_entry(entry) for entry in entries]}

    # -- categories and tags -----------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_categories(self, actor=None, query=None):
        """Every category, in the admins' order (then by slug); `archived`: false for those
        new posts may name, true for the archived ones."""
        query = load_input(CategoryListQuerySchema, query or {})
        condition = {} if query.get("archived") is None else (
            {"archived": True} if query["archived"] else {"archived": {"$ne": True}})
        documents = self.views["categories"].find(condition).sort([("position", 1), ("_id", 1)])
        return {"items": [presenters.category(doc) for doc in documents.limit(MAX_CATEGORIES)]}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_category(self, actor, slug):
        doc = self.views["categories"].find_one({"_id": slug}) if isinstance(slug, str) else None
        if doc is None:
            raise NotFound.from_catalogue("no_such_category", {"slug": slug}, slug=slug)
        return presenters.category(doc)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def create_category(self, actor, data):
        data = load_input(CategoryCreateSchema, data)
        slug = data.get("slug") or category_slug(data["name"]["fr"])
        last = next(iter(self.views["categories"].find({}, {"position": 1})
                         .sort([("position", -1), ("_id", -1)]).limit(1)), None)
        next_position = (last["position"] + 1) if last else 0
        self._decide(domain.category_stream(slug or "-"), lambda history: domain.create_category(
            actor, domain.fold_category(history), slug, data, next_position), actor)
        return self.get_category(actor, slug)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def update_category(self, actor, slug, data):
        data = load_input(CategoryEditSchema, data)
        self._decide(domain.category_stream(slug), lambda history: domain.update_category(
            actor, domain.fold_category(history), slug, data), actor)
        return self.get_category(actor, slug)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def archive_category(self, actor, slug, archived=True):
        """Archive (or bring back) a category: its posts keep it, new ones may not name it."""
        self._decide(domain.category_stream(slug), lambda history: domain.archive_category(
            actor, domain.fold_category(history), slug, bool(archived)), actor)
        return self.get_category(actor, slug)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def popular_tags(self, actor, query=None):
        """The most used tags (published posts), optionally those starting with `prefix`
        (accents and case ignored)."""
        query = load_input(TagQuerySchema, query)
        condition: dict[str, Any] = {"count": {"$gt": 0}}
        prefix = slugify(query.get("prefix") or "", TAG_MAX)
        if prefix:
            condition["_id"] = {"$gte": prefix, "$lt": prefix + "\x7f"}
        documents = self.views["tag_counts"].find(condition).sort(
            [("count", -1), ("_id", 1)]).limit(query["limit"])
        return {"items": [{"tag": doc.get("label") or doc["_id"], "slug": doc["_id"],
                           "count": doc["count"]} for doc in documents]}

    # -- replies -----------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def add_reply(self, actor, post_id, data):
        data = load_input(ReplyCreateSchema, data)
        post = self._post(post_id)
        reply_id = domain.new_reply_id()
        self._submit(reply_id, lambda state: domain.submit_reply(actor, post, data, reply_id),
                     actor)
        return self._present_reply(reply_id, actor)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_replies(self, actor, post_id, query=None):
        query = load_input(PageQuerySchema, query)
        self._doc("posts", post_id, actor)
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
        authors = self._authors(items)
        return {"items": [presenters.reply(doc, actor, draft=self._draft(doc, actor),
                                           my_vote=votes.get(doc["_id"]), authors=authors)
                          for doc in items],
                "next_cursor": cursor}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_reply(self, actor, reply_id):
        return self._present_reply(reply_id, actor)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def edit_reply(self, actor, reply_id, data):
        data = load_input(ReplyEditSchema, data)
        locked = self._post(self._reply(reply_id).post_id).locked  # a frozen thread
        self._submit(reply_id, lambda state: domain.submit_edit(actor, state, data, locked),
                     actor)
        return self._present_reply(reply_id, actor)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def delete_reply(self, actor, reply_id):
        self._reply(reply_id)
        self._decide(reply_id,
                     lambda history: domain.delete(actor, self._folded(history, "reply")), actor)
        return {"id": reply_id, "state": "deleted"}

    # -- votes -------------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def vote(self, actor, target_type, target_id, on=True):
        """PUT (on=True) / DELETE (on=False) the actor's vote; idempotent; returns the count."""
        actor = domain.require_member(actor)
        target = self._post(target_id) if target_type == "post" else self._reply(target_id)
        locked = (target if target_type == "post" else self._post(target.post_id)).locked
        self._decide(domain.vote_stream(target_id, actor["id"]),
                     lambda history: domain.vote(actor, target, domain.fold_vote(history), on,
                                                 locked), actor)
        collection = "posts" if target_type == "post" else "replies"
        doc = self.views[collection].find_one({"_id": target_id}, {"votes": 1}) or {}
        return {"id": target_id, "voted": bool(on), "votes": doc.get("votes", 0)}

    # -- GDPR: the member's export ----------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def export_member(self, actor):
        """What posts holds about the member (GDPR art. 15 and 20): every post and reply they
        wrote, in every state, as they see it themselves (review state, pending text), with its
        published revisions, and the votes they cast. Only the actor's own data: it takes no id."""
        actor = domain.require_member(actor)
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

    # -- questions and ideas -----------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def accept_reply(self, actor, post_id, data):
        data = load_input(AcceptedReplySchema, data)
        self._post(post_id)
        reply = self._reply(data["reply_id"])
        self._decide(post_id, lambda history: domain.accept_answer(
            actor, self._folded(history, "post"), reply), actor)
        return self._present_post(post_id, actor)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def set_idea_status(self, actor, post_id, data):
        data = load_input(IdeaStatusSchema, data)
        self._post(post_id)
        self._decide(post_id, lambda history: domain.change_idea_status(
            actor, self._folded(history, "post"), data["status"], data["note"],
            data.get("release")), actor)
        return self._present_post(post_id, actor)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def merge_idea(self, actor, post_id, target_id):
        self._post(post_id)
        target = self._post(target_id)
        self._decide(post_id, lambda history: domain.merge_idea(
            actor, self._folded(history, "post"), target), actor)
        self._move_votes(post_id, self._context(actor))
        return {"source": self._present_post(post_id, actor),
                "target": self._present_post(target_id, actor)}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def merge_preview(self, actor, post_id, target_id):
        """What merging `post_id` into `target_id` would move, before the CM confirms: the
        votes (a voter already on the target keeps one vote there) — the same checks as the
        merge itself, nothing written."""
        source, target = self._post(post_id), self._post(target_id)
        domain.check_merge(actor, source, target)
        voters = [doc["voter_id"] for doc in self.views["votes"].find(
            {"target_id": post_id, "active": True}, {"voter_id": 1})]
        on_target = {doc["voter_id"] for doc in self.views["votes"].find(
            {"target_id": target_id, "active": True}, {"voter_id": 1})}
        return {"source": self._present_post(post_id, actor),
                "target": self._present_post(target_id, actor),
                "votes_moving": len([v for v in voters if v not in on_target]),
                "voters_already_on_target": len([v for v in voters if v in on_target])}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def set_featured(self, actor, post_id, on=True, pin=None):
        """Feature (with `pin`: position and/or pinned_until) or stop featuring a post."""
        if not on:
            return self._staff_flag(actor, post_id, "featured", False)
        pin = load_input(FeatureSchema, pin or {})
        self._post(post_id)
        self._decide(post_id, lambda history: domain.feature(
            actor, self._folded(history, "post"), pin["position"], pin["pinned_until"],
            utc_now().isoformat()), actor)
        return self._present_post(post_id, actor)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def set_locked(self, actor, post_id, on=True):
        return self._staff_flag(actor, post_id, "locked", on)

    def _staff_flag(self, actor, post_id: str, flag: str, on: bool) -> dict[str, Any]:
        self._post(post_id)
        self._decide(post_id, lambda history: domain.set_flag(
            actor, self._folded(history, "post"), flag, bool(on)), actor)
        return self._present_post(post_id, actor)

    @staticmethod
    def _folded(history: list[Envelope], target_type: str) -> domain.Contribution:
        state = domain.fold(history)
        state.target_type = state.target_type or target_type
        return state

    def _cast_authors_vote(self, post_id: str, context: CommandContext) -> None:
        """An idea starts with its author's vote (domain.author_vote: once, idempotent)."""
        idea = self._post(post_id)
        if domain.counts_its_authors_vote(idea) and idea.author_id:
            self._decide(domain.vote_stream(post_id, idea.author_id),
                         lambda history: domain.author_vote(idea, history), None, context)

    # -- merge: votes move ---------------------------------------------------------------------

    def _move_votes(self, source_id: str, context: CommandContext,
                    voters: list[str] | None = None) -> int:
        """Move the votes of a merged idea to its target (each voter at most once there).

        Idempotent and restartable: for each voter the target's vote is added first, then the
        source's withdrawn, each decided on fresh state — a crash in between is finished by the
        next run (the merge RPC, then the `posts.idea_merged` reaction, both run it)."""
        source = self._post(source_id)
        if not source.merged_into:
            return 0
        target = self._post(source.merged_into)
        if voters is None:
            voters = [doc["voter_id"] for doc in self.views["votes"].find(
                {"target_id": source_id, "active": True}, {"voter_id": 1})]
        moved = 0
        for voter in voters:
            source_stream = domain.vote_stream(source_id, voter)
            target_stream = domain.vote_stream(target.id, voter)

            def join(history, voter=voter, source_stream=source_stream):
                source_vote = domain.fold_vote(self.store.load(source_stream))
                return domain.move_vote(source, target, source_vote, domain.fold_vote(history),
                                        voter)[1]

            def leave(history, voter=voter, target_stream=target_stream):
                target_vote = domain.fold_vote(self.store.load(target_stream))
                return domain.move_vote(source, target, domain.fold_vote(history), target_vote,
                                        voter)[0]

            self._decide(target_stream, join, None, context)
            moved += self._decide(source_stream, leave, None, context) is not None
        return moved

    # -- events --------------------------------------------------------------------------------

    @reliable_handler("posts", "posts.*")
    def project(self, event: Envelope):
        """Own public events, also from the bus (if the writer died before applying them);
        plus the merge reactions: votes of a merged idea move to its target."""
        self.views.apply(event)
        context = CommandContext(correlation_id=self.correlation).caused_by(event)
        if event.type == "posts.idea_merged":
            self._move_votes(event.payload["post_id"], context)
        elif event.type == "posts.post_published" and event.payload.get("kind") == "idea":
            # also cast when publishing it (on_moderation_event); here if that process died
            self._cast_authors_vote(event.payload["post_id"], context)
        elif event.type == "posts.post_voted" and event.payload["reason"] in ("member", "author"):
            doc = self.views["posts"].find_one({"_id": event.payload["post_id"]},
                                               {"merged_into": 1}) or {}
            if doc.get("merged_into"):  # a vote that raced the merge
                self._move_votes(event.payload["post_id"], context,
                                 voters=[event.payload["voter_id"]])

    @reliable_handler("posts", "posts.content_submitted", private=True)
    def project_private(self, event: Envelope):
        self.views.apply(event)

    @reliable_handler("identity", "identity.*")
    def on_identity_event(self, event: Envelope):
        """Authors' public summaries (name, badges, avatar) shown with their contributions; on
        erasure, first the member's mentions are unlinked (their summary still has the name
        that finds them)."""
        if event.type == members.USER_ERASED:
            self._unlink_mentions(event)
        self.views.record_and_apply(event)

    def _unlink_mentions(self, event: Envelope) -> None:
        """One commit on the member's erasure stream (`posts.mentions_unlinked`): a redelivered
        tombstone finds it there (conflict on version 1) and does nothing more."""
        member_id = event.payload["user_id"]
        summary = self.views[members.SUMMARIES].find_one({"_id": member_id},
                                                         {"display_name": 1}) or {}
        tokens = domain.mention_tokens(member_id, summary.get("display_name"))
        revisions = [
            {**revision, "target_type": mention["target_type"], "post_id": mention["post_id"]}
            for mention in self.views["mentions"].find({"tokens": {"$in": tokens}})
            for revision in self.views["history"].find({"target_id": mention["_id"]})]
        events = domain.unlink_mentions(member_id, tokens, revisions)
        if not events:
            return
        context = CommandContext(correlation_id=self.correlation).caused_by(event)
        try:
            commit = self.store.append(domain.erasure_stream(member_id), 0, events, context)
        except ConcurrencyConflict:
            return  # done by an earlier delivery of the tombstone
        self.views.apply_commit(commit)

    @reliable_handler("conversations", "conversations.*")
    def on_conversations_event(self, event: Envelope):
        """An escalation marks the public thread as handled privately (references only)."""
        self.views.record_and_apply(event)

    @reliable_handler("moderation", "moderation.*")
    def on_moderation_event(self, event: Envelope):
        """Verdicts: publish, reject, redact, hide or restore the contribution they concern."""
        self.views.record_and_apply(event)
        verdict = VERDICTS.get(event.type)
        if verdict is None:
            return
        p = event.payload
        content = None
        if p["review"] == "content" and verdict in ("approved", "redacted"):
            submitted = self.store.load(domain.content_stream(p["target_id"], p["revision"]))
            if not submitted:
                log.warning("verdict on %s r%s without its content; ignored", p["target_id"],
                            p["revision"])
                return
            content = submitted[0].payload

        def decide(history):
            state = self._folded(history, p["target_type"])
            return domain.on_review(state, verdict, p["review"], p["revision"], content=content,
                                    title=p.get("title"), body=p.get("body"),
                                    reason_code=p.get("reason_code"))

        context = CommandContext(correlation_id=self.correlation).caused_by(event)
        # a conflict beyond the retries raises: the reliable handler tries again later
        commit = self.store.execute(p["target_id"], decide, context, retries=10)
        self.views.apply_commit(commit)
        if commit is not None and any(e.type == "posts.post_published"
                                      and e.payload.get("kind") == "idea" for e in commit.events):
            self._cast_authors_vote(p["target_id"], context)  # a published idea: at once
