"""posts: questions, ideas, discussions, articles, replies and votes (nameko entrypoints).

Thin: parse arguments, load state, let `domain` decide, append, apply inline, answer from
`queries` (reads; lists planned by `listing` and `search`; shapes in `presenters`). The
moderation round trip is event-driven (see docs/architecture.md, "Posts and moderation"):
submissions append a private content event that moderation scans, and moderation's verdicts come
back through `on_moderation_event`.
"""
from __future__ import annotations

import logging
from typing import Any

from nameko.rpc import rpc

from services.moderation import detector  # pure: tags given back are masked as drafts are
from services.shared import commands, ids, members
from services.shared.actors import Actor, require_moderator
from services.shared.consumer import reliable_handler
from services.shared.decisions import Decisions
from services.shared.envelope import CommandContext, Envelope, utc_now
from services.shared.errors import (
    EXPECTED_ERRORS,
    ConcurrencyConflict,
    NotFound,
)
from services.shared.event_store import Appends, len_version
from services.shared.event_store_provider import EventStoreProvider
from services.shared.observability import HealthEndpoints
from services.shared.overlap import at_once
from services.shared.periods import PeriodArgs
from services.shared.projections import ReadModelsProvider, WrittenDocuments
from services.shared.slugs import category_slug
from services.shared.validation import load_input
from services.shared.write_limits import WriteLimitsProvider

from . import domain, merging, presenters, verdicts
from .projections import VIEWS
from .queries import PostsQueries
from .schemas import (
    AcceptedReplySchema,
    CategoryCreateSchema,
    CategoryEditSchema,
    CategoryListQuerySchema,
    FeatureSchema,
    IdeaStatusSchema,
    MentionHandlesSchema,
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


class PostsService(Decisions, HealthEndpoints):
    name = "posts"
    store = EventStoreProvider()
    views = ReadModelsProvider(VIEWS)
    limits = WriteLimitsProvider("post", "reply", "edit")  # how fast a member writes (429)

    @property
    def queries(self) -> PostsQueries:
        return PostsQueries(self.views)

    # -- the write side: contributions' state, submissions -----------------------------------

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

    def _submit(self, stream_id: str, decide, actor: Actor | None, new: bool = False,
                keep: tuple[str, ...] = ()) -> WrittenDocuments | None:
        """A submission: first the public announcement on the contribution's stream (optimistic
        concurrency decides the revision number), then the text on its private content stream.
        Moderation only ever sees a text whose announcement is already committed.

        `new`: the stream id was just minted by this command (`domain.new_post_id`,
        `new_reply_id`), so nobody else has written to it and there is nothing to load: an
        earlier execution of the same command (a retry with its key) is found by the append
        itself, through its slot.

        `keep`: read models whose documents the inline apply's writes return, for an answer
        built from them (`WrittenDocuments`, returned) instead of read back."""
        commits = self.store.execute_all(stream_id, lambda history: _appends_of(
            history, stream_id, decide(domain.fold(history))), self._context(actor), new=new)
        written = self.views.keeping(*keep) if keep else None
        self.views.apply_commits(commits, cursor_after_reply=True, into=written)
        return written

    # -- posts -------------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def create_post(self, actor, data):
        data = load_input(PostCreateSchema, data)
        category = self.queries.require_category(data)
        post_id = domain.new_post_id()
        return self.limits.written(actor, "post", lambda: self._create(
            "post", post_id, actor, lambda state: domain.submit_post(
                actor, data, post_id, bool(category.get("staff_only")))))

    def _create(self, target_type: str, target_id: str, actor: Actor | None, decide):
        """A new post or reply (`target_id` minted by the command): its submission, answered
        from what the inline apply wrote; the author's public summary does not depend on the
        writes, so it is read beside them."""
        collection = "posts" if target_type == "post" else "replies"
        written, author = at_once(
            lambda: self._submit(target_id, decide, actor, new=True,
                                 keep=(collection, "drafts")),
            lambda: self.queries.summary_of(actor))
        # a retry (same key) may find its post published and, for an idea, voted by its author
        return self.queries.new_contribution(collection, target_id, actor, written, author,
                                             unvoted=not commands.keyed())

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_post(self, actor, post_id):
        return self.queries.post(post_id, actor)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def contribution_hidden_for_review(self, actor, target_type, target_id):
        """For a post or reply ("post"/"reply") get_post/get_reply answers 404: if it was
        public and is out of public view for review now, its thread's post id, else None —
        nothing of the text itself. The site explains it to its readers (the API's GETs keep
        their plain 404); a text never published stays unknown: None, as for no text."""
        return self.queries.hidden_for_review(target_type, target_id)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def community_statistics(self, actor, period):
        """What members published over a period, as it stands now (published, not hidden or
        deleted since): contributions by kind, ideas by status, the questions' answer rate, the
        top contributors (CMs and admins: the console's community health)."""
        require_moderator(actor)
        return self.queries.community_statistics(load_input(PeriodArgs, period))

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_posts(self, actor, query=None):
        return self.queries.posts(load_input(PostListQuerySchema, query), actor)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def similar_posts(self, actor, query=None):
        """Published posts sharing words with a title being typed, most similar first (to
        suggest existing questions before a duplicate is posted)."""
        return self.queries.similar(load_input(SimilarQuerySchema, query), actor)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def mention_owners(self, actor, handles):
        """handle -> the member a mention of it names, for those of `handles` (at most
        MENTION_HANDLES) some member holds: the site suggests after "@" only the names that
        name the author shown (a namesake who held the name first takes its mentions)."""
        return self.queries.mention_owners(load_input(MentionHandlesSchema, {"handles": handles}))

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def preview(self, actor, data):
        return presenters.preview(load_input(PreviewSchema, data)["body"])

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def edit_post(self, actor, post_id, data):
        data = load_input(PostEditSchema, data)
        self._post(post_id)  # 404 before anything else
        category = self.queries.require_category(data)
        self.limits.written(actor, "edit", lambda: self._submit(
            post_id, lambda state: domain.submit_edit(
                actor, state, data, state.locked, self._returned_tags(state),
                bool(category.get("staff_only"))), actor))
        return self.queries.post(post_id, actor)

    def _returned_tags(self, state: domain.Contribution) -> list[str]:
        """The tags of a never published post's last revision, from its private text, which its
        resubmission keeps unless it names others: a rejected one's as given back (masked as
        its draft), a waiting one's as its author submitted them (moderation reads them again
        with the correction)."""
        if state.state not in ("rejected", "pending") or state.published_revision:
            return []
        submitted = self.store.load(domain.content_stream(state.id, state.last_revision))
        tags = submitted[0].payload["tags"] if submitted else None
        tags = state.tags if tags is None else tags
        return detector.mask_tags(tags) if state.state == "rejected" else list(tags)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def delete_post(self, actor, post_id):
        self._post(post_id)
        self._decide(post_id, lambda history: domain.delete(actor, self._folded(history, "post")),
                     actor)
        return {"id": post_id, "state": "deleted"}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def history(self, actor, post_id):
        return self.queries.history("posts", post_id, actor)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def reply_history(self, actor, reply_id):
        return self.queries.history("replies", reply_id, actor)

    # -- categories and tags -----------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_categories(self, actor=None, query=None):
        return self.queries.categories(load_input(CategoryListQuerySchema, query or {}))

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_category(self, actor, slug):
        return self.queries.category(slug)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def create_category(self, actor, data):
        data = load_input(CategoryCreateSchema, data)
        slug = data.get("slug") or category_slug(data["name"]["fr"])
        next_position = self.queries.next_category_position()
        self._decide(domain.category_stream(slug or "-"), lambda history: domain.create_category(
            actor, domain.fold_category(history), slug, data, next_position), actor)
        self.queries.forget_category(slug)
        return self.queries.category(slug)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def update_category(self, actor, slug, data):
        data = load_input(CategoryEditSchema, data)
        self._decide(domain.category_stream(slug), lambda history: domain.update_category(
            actor, domain.fold_category(history), slug, data), actor)
        self.queries.forget_category(slug)
        return self.queries.category(slug)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def archive_category(self, actor, slug, archived=True):
        """Archive (or bring back) a category: its posts keep it, new ones may not name it."""
        self._decide(domain.category_stream(slug), lambda history: domain.archive_category(
            actor, domain.fold_category(history), slug, bool(archived)), actor)
        self.queries.forget_category(slug)
        return self.queries.category(slug)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def popular_tags(self, actor, query=None):
        """The most used tags (published posts), optionally those starting with `prefix`
        (accents and case ignored)."""
        return self.queries.popular_tags(load_input(TagQuerySchema, query))

    # -- replies -----------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def add_reply(self, actor, post_id, data):
        data = load_input(ReplyCreateSchema, data)
        post = self._post(post_id)
        reply_id = domain.new_reply_id()
        return self.limits.written(actor, "reply", lambda: self._create(
            "reply", reply_id, actor, lambda state: domain.submit_reply(
                actor, post, data, reply_id)))

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_replies(self, actor, post_id, query=None):
        return self.queries.replies(post_id, load_input(PageQuerySchema, query), actor)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_reply(self, actor, reply_id):
        return self.queries.reply(reply_id, actor)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def edit_reply(self, actor, reply_id, data):
        data = load_input(ReplyEditSchema, data)
        locked = self._post(self._reply(reply_id).post_id).locked  # a frozen thread
        self.limits.written(actor, "edit", lambda: self._submit(
            reply_id, lambda state: domain.submit_edit(actor, state, data, locked), actor))
        return self.queries.reply(reply_id, actor)

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
        collection = "posts" if target_type == "post" else "replies"
        written = self.views.keeping(collection)  # the count as the vote's own write left it
        self._decide(domain.vote_stream(target_id, actor["id"]),
                     lambda history: domain.vote(actor, target, domain.fold_vote(history), on,
                                                 locked), actor, into=written)
        counted = written.written(collection).get(target_id)
        votes = counted.get("votes", 0) if counted is not None \
            else self.queries.votes(collection, target_id)  # no write of ours: read it
        return {"id": target_id, "voted": bool(on), "votes": votes}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def my_waiting(self, actor):
        """The member's own posts and replies not public yet, and those refused recently before
        anyone saw them (queries.waiting)."""
        return self.queries.waiting(domain.require_member(actor))

    # -- GDPR: the member's export ----------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def export_member(self, actor):
        """What posts holds about the member (GDPR art. 15 and 20): every post and reply they
        wrote, in every state, as they see it themselves (review state, pending text), with its
        published revisions, and the votes they cast. Only the actor's own data: it takes no id."""
        return self.queries.export(domain.require_member(actor))

    # -- questions and ideas -----------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def accept_reply(self, actor, post_id, data):
        data = load_input(AcceptedReplySchema, data)
        self._post(post_id)
        reply = self._reply(data["reply_id"])
        self._decide(post_id, lambda history: domain.accept_answer(
            actor, self._folded(history, "post"), reply), actor)
        return self.queries.post(post_id, actor)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def set_idea_status(self, actor, post_id, data):
        data = load_input(IdeaStatusSchema, data)
        self._post(post_id)
        self._decide(post_id, lambda history: domain.change_idea_status(
            actor, self._folded(history, "post"), data["status"], data["note"],
            data.get("release")), actor)
        return self.queries.post(post_id, actor)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def merge_idea(self, actor, post_id, target_id):
        self._post(post_id)
        target = self._post(target_id)
        self._decide(post_id, lambda history: domain.merge_idea(
            actor, self._folded(history, "post"), target), actor)
        self._move_votes(post_id, self._context(actor))
        return {"source": self.queries.post(post_id, actor),
                "target": self.queries.post(target_id, actor)}

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def merge_preview(self, actor, post_id, target_id):
        """What merging `post_id` into `target_id` would move, before the CM confirms: the
        votes (a voter already on the target keeps one vote there) — the same checks as the
        merge itself, nothing written."""
        source, target = self._post(post_id), self._post(target_id)
        domain.check_merge(actor, source, target)
        voters, on_target = self.queries.voters(post_id), set(self.queries.voters(target_id))
        return {"source": self.queries.post(post_id, actor),
                "target": self.queries.post(target_id, actor),
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
        return self.queries.post(post_id, actor)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def set_locked(self, actor, post_id, on=True):
        return self._staff_flag(actor, post_id, "locked", on)

    def _staff_flag(self, actor, post_id: str, flag: str, on: bool) -> dict[str, Any]:
        self._post(post_id)
        self._decide(post_id, lambda history: domain.set_flag(
            actor, self._folded(history, "post"), flag, bool(on)), actor)
        return self.queries.post(post_id, actor)

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

    def _move_votes(self, source_id: str, context: CommandContext,
                    voters: list[str] | None = None) -> int:
        return merging.move_votes(self.store, self.queries, self._post, self._decide, source_id,
                                  context, voters)

    # -- events --------------------------------------------------------------------------------

    @reliable_handler("posts", "posts.*", idempotent=True)
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
        elif event.type == "posts.post_voted" and event.payload["reason"] in (
                "member", "author") and self.queries.merged_into(event.payload["post_id"]):
            # a vote that raced the merge
            self._move_votes(event.payload["post_id"], context,
                             voters=[event.payload["voter_id"]])

    @reliable_handler("posts", "posts.content_submitted", private=True, idempotent=True)
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

    @reliable_handler("conversations", "conversations.*", idempotent=True)
    def on_conversations_event(self, event: Envelope):
        """An escalation marks the public thread as handled privately (references only)."""
        self.views.record_and_apply(event)

    @reliable_handler("moderation", "moderation.*", idempotent=True, batch=True)
    def on_moderation_event(self, events: list[Envelope]):
        """Verdicts: publish, reject, redact, hide or restore the contribution they concern."""
        self.views.record_and_apply_all(events)
        for event in events:
            self._rule(event)

    def _rule(self, event: Envelope) -> None:
        context = CommandContext(correlation_id=self.correlation).caused_by(event)
        commit = verdicts.apply(self.store, self.views, event, context, self._folded)
        if verdicts.publishes_an_idea(commit):
            self._cast_authors_vote(event.payload["target_id"], context)  # at once


def _appends_of(history, stream_id: str, submission: domain.Submission) -> Appends:
    """A submission's two commits, in this order, in one insert: decided again on the fresh
    stream when another writer appended first (an edit races moderation's verdicts on the same
    contribution), and a conflict stores nothing, the announcement being the insert's first
    commit. Their inline applies run side by side, their cursors move after the reply (the
    submitted handlers make one effect when run twice: `_own` is versioned, the draft an
    upsert of the same text, unless ruled on)."""
    return [(stream_id, len_version(history), submission.public),
            (domain.content_stream(submission.target_id, submission.revision), 0,
             submission.content)]
