"""Posts routes: questions, ideas, discussions, articles, replies, votes (RPC to posts).

Request bodies and queries are validated with the posts service's own schemas
(services/posts/schemas.py); object-level rules (author? CM?) are decided by the service.
"""
from __future__ import annotations

from marshmallow import Schema, fields, post_dump, validate
from nameko.rpc import RpcProxy

from services.posts.schemas import (
    CATEGORY_RE,
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
from services.shared import i18n, ids
from services.shared.ids import path_schema

from ..calls import READER_LANGUAGE, Call, ReaderText, Reply
from ..http import route
from .identity import MemberSummary

# path parameters: each id checked for its exact shape (404 otherwise)
POST_PATH = path_schema(id=ids.POST)
REPLY_PATH = path_schema(id=ids.REPLY)
POST_PAIR_PATH = path_schema(id=ids.POST, target_id=ids.POST)

TAGS = ["posts"]


# -- responses (every key the posts presenters produce; tests/unit/test_posts_contracts.py) ---


class ReasonLabel(fields.String):
    """A rejection's reason in the reader's language (the site's wording, render.py)."""

    def __init__(self, **kwargs):
        super().__init__(dump_only=True, **kwargs)  # absent, never null: Review drops it

    def _serialize(self, value, attr, obj, **kwargs):
        if (obj or {}).get("state") != "rejected":
            return None
        return i18n.reject_reason(READER_LANGUAGE.get(), obj.get("reason_code"),
                                  obj.get("reason"))

    def get_value(self, obj, attr, accessor=None, default=None):
        return True  # computed from the review itself (`_serialize`)


class Review(Schema):
    state = fields.String(metadata={"description": "pending | held | rejected"})
    reasons = fields.List(fields.String(), metadata={"description": "why it is held: policy, "
                                                     "detector, flags, sent_again (sent again "
                                                     "after a refusal: a person reads it); "
                                                     "a `hidden` contribution: flags, staff "
                                                     "(a CM took it out of public view) or "
                                                     "undo (a CM undid the decision that "
                                                     "published it)"})
    reason_code = fields.String()
    reason = fields.String(metadata={"description": "why it was rejected (shown to the author)"})
    reason_label = ReasonLabel(metadata={
        "description": "rejected: the reason in the reader's language, as the site words it "
                       "(from `reason_code`)"})
    item_id = fields.String(metadata={
        "description": "CMs only, while held: the moderation item where it is decided "
                       "(GET /moderation/items/{id})"})

    @post_dump
    def _label_of_a_refusal_only(self, data, **kwargs):
        if data.get("reason_label") is None:
            data.pop("reason_label", None)
        return data


class PendingEdit(Review):
    revision = fields.Integer()
    by_author = fields.Boolean(metadata={
        "description": "false: a CM's edit of the author's text (shown to CMs only; its author "
                       "is told once it is published)"})


class Draft(Schema):
    revision = fields.Integer()
    title = fields.String(allow_none=True)
    body = fields.String()
    tags = fields.List(fields.String(), metadata={
        "description": "a post's tags as submitted: published once moderation releases them"})
    category = fields.String(allow_none=True, metadata={
        "description": "a post's draft only (absent for a reply): the category submitted with "
                       "it, published with the text once approved"})
    returned = fields.Boolean(metadata={
        "description": "moderation rejected this text: it is given back to correct; PATCH "
                       "the post (whole title and body) to submit it again"})
    masked = fields.Boolean(metadata={
        "description": "confidential data found in it is masked (as in the moderation queue)"})


class StatusNote(Schema):
    to = fields.String()
    note = fields.String()
    release = fields.String(allow_none=True)
    by = fields.String()
    at = fields.String()


class StatusChange(StatusNote):
    from_ = fields.String(data_key="from")


class Post(Schema):
    id = fields.String(required=True)
    kind = fields.String(metadata={"description": "question | idea | discussion | article"})
    state = fields.String(metadata={"description": "pending | published | hidden | rejected | "
                                    "deleted (only published ones are visible to others)"})
    deleted = fields.Boolean()
    deleted_at = fields.String(allow_none=True)
    author_id = fields.String()
    author = fields.Nested(MemberSummary, allow_none=True, metadata={
        "description": "the author's public summary (name, badges, avatar)"})
    staff_role = fields.String(allow_none=True, metadata={
        "description": "bank staff's role when staff wrote it: community_manager | advisor | "
                       "admin"})
    category = fields.String()
    tags = fields.List(fields.String())
    official = fields.Boolean(metadata={"description": "written by bank staff"})
    created_at = fields.String(allow_none=True)
    published_at = fields.String(allow_none=True)
    edited_at = fields.String(allow_none=True)
    revision = fields.Integer(allow_none=True)
    title = fields.String(allow_none=True)
    body = fields.String(metadata={"description": "Markdown source (safe subset)"})
    body_html = fields.String(metadata={"description": "sanitised HTML rendering of body; an "
                                        "@mention of a member is "
                                        "`<a class=\"mention\" href=\"/members/{id}\">`"})
    excerpt = fields.String(metadata={"description": "in lists, instead of body"})
    redacted = fields.Boolean()
    redaction_mark = ReaderText("mark.redacted", metadata={
        "description": "when redacted: the mark to show, in the reader's language",
        "example": "modifié par l'équipe de la communauté"})
    votes = fields.Integer()
    my_vote = fields.Boolean()
    reply_count = fields.Integer()
    answer_count = fields.Integer()
    accepted_reply_id = fields.String(allow_none=True)
    has_official_answer = fields.Boolean()
    featured = fields.Boolean()
    pinned = fields.Boolean(metadata={"description": "in a list: shown at the top because a CM "
                                      "pinned it (first page only; it is not repeated below)"})
    pin_position = fields.Integer(allow_none=True, metadata={"description": "featured: the "
                                  "CM-chosen order among pinned posts (1 first)"})
    pinned_until = fields.String(allow_none=True, metadata={"description": "featured: when the "
                                 "pin ends (null: until unfeatured)"})
    locked = fields.Boolean(metadata={"description": "a frozen thread: no new replies, no edits "
                                      "(except by CMs), no votes"})
    handled_privately = fields.Boolean(metadata={
        "description": "staff took this question to a private conversation with its author"})
    status = fields.String(allow_none=True, metadata={"description": "ideas: submitted | "
                           "under_review | planned | delivered | declined | already_exists"})
    status_note = fields.Nested(StatusChange, allow_none=True)
    status_history = fields.List(fields.Nested(StatusChange))
    merged_into = fields.String(allow_none=True, metadata={
        "description": "a duplicate idea (status already_exists): the idea its votes and "
                       "followers moved to"})
    merged_into_link = fields.String(allow_none=True, metadata={
        "description": "the API path of `merged_into` (the site links there)"})
    merged_at = fields.String(allow_none=True)
    merged_from = fields.List(fields.String())
    review = fields.Nested(Review, metadata={"description": "author and CMs only"})
    pending_edit = fields.Nested(PendingEdit, metadata={"description": "author and CMs only"})
    draft = fields.Nested(Draft, metadata={"description": "author only: the text waiting for "
                                           "moderation"})


class SearchCorrection(Schema):
    typed = fields.String(required=True, metadata={"description": "the word as typed, found "
                                                   "nowhere"})
    used = fields.String(required=True, metadata={"description": "the indexed word searched "
                                                  "instead (at most 1 edit away, 2 from 8 "
                                                  "letters)"})


class SearchSuggestion(Schema):
    typed = fields.String(required=True, metadata={"description": "a word of the query held by "
                                                   "few posts"})
    suggested = fields.String(required=True, metadata={
        "description": "a close word (1 edit away, 2 from 8 letters) many more posts hold"})


class SearchOutcome(Schema):
    query = fields.String(required=True, metadata={
        "description": "the query as searched: `q` with its corrected words (say \"Results "
                       "for …\" when `corrections` is not empty)"})
    corrections = fields.List(fields.Nested(SearchCorrection), required=True)
    partial = fields.Boolean(required=True, metadata={
        "description": "no post holds every word: these hold most of them, the most first"})
    suggestions = fields.List(fields.Nested(SearchSuggestion), required=True, metadata={
        "description": "when the search finds few posts: its rare words that look like a typo "
                       "of a word many posts hold (\"did you mean …\"); not searched"})
    suggested_query = fields.String(required=True, allow_none=True, metadata={
        "description": "`query` with the suggested words, to offer as a link; null when none"})


class PostPage(Schema):
    items = fields.List(fields.Nested(Post), required=True)
    next_cursor = fields.String(allow_none=True)
    search = fields.Nested(SearchOutcome, metadata={"description": "with `q` only: what was "
                                                    "searched"})


class ReplyOut(Schema):
    id = fields.String(required=True)
    post_id = fields.String()
    kind = fields.String(metadata={"description": "answer (to a question) | comment"})
    state = fields.String()
    deleted = fields.Boolean()
    deleted_at = fields.String(allow_none=True)
    author_id = fields.String()
    author = fields.Nested(MemberSummary, allow_none=True, metadata={
        "description": "the author's public summary (name, badges, avatar)"})
    official = fields.Boolean(metadata={"description": "official answer: bank staff"})
    staff_role = fields.String(allow_none=True, metadata={
        "description": "which staff role answered: community_manager | advisor | admin; "
                       "null for a member"})
    accepted = fields.Boolean()
    votes = fields.Integer()
    my_vote = fields.Boolean()
    created_at = fields.String(allow_none=True)
    published_at = fields.String(allow_none=True)
    edited_at = fields.String(allow_none=True)
    revision = fields.Integer(allow_none=True)
    body = fields.String()
    body_html = fields.String()
    redacted = fields.Boolean()
    redaction_mark = ReaderText("mark.redacted")
    review = fields.Nested(Review)
    pending_edit = fields.Nested(PendingEdit)
    draft = fields.Nested(Draft)


class WaitingReply(ReplyOut):
    post_title = fields.String(allow_none=True, metadata={"description": "its thread's title"})


class WaitingContributions(Schema):
    posts = fields.List(fields.Nested(Post), required=True, metadata={
        "description": "waiting: `state` pending, `review` says whether checked or held"})
    replies = fields.List(fields.Nested(WaitingReply), required=True)
    refused_posts = fields.List(fields.Nested(Post), required=True, metadata={
        "description": "refused before anyone saw them, in the last 30 days: `state` "
                       "rejected, `review.reason_code` and `review.reason_label` say why; "
                       "`draft` is the text given back to correct (PATCH it whole to send it "
                       "again: it moves to `posts`)"})
    refused_replies = fields.List(fields.Nested(WaitingReply), required=True, metadata={
        "description": "as `refused_posts`, for replies"})
    waiting_more = fields.Boolean(metadata={
        "description": "`posts` or `replies` has more than the 20 listed (the newest)"})
    refused_more = fields.Boolean(metadata={
        "description": "`refused_posts` or `refused_replies` has more than the 20 listed"})


class ReplyPage(Schema):
    items = fields.List(fields.Nested(ReplyOut), required=True)
    next_cursor = fields.String(allow_none=True)


class Revision(Schema):
    revision = fields.Integer(required=True)
    title = fields.String(allow_none=True)
    body = fields.String()
    body_html = fields.String()
    redacted = fields.Boolean()
    redaction_mark = ReaderText("mark.redacted")
    at = fields.String()
    editor_id = fields.String()


class History(Schema):
    id = fields.String(required=True)
    state = fields.String()
    revisions = fields.List(fields.Nested(Revision), required=True)


class VoteOut(Schema):
    id = fields.String(required=True)
    voted = fields.Boolean(required=True)
    votes = fields.Integer(required=True)


class Preview(Schema):
    body_html = fields.String(required=True, metadata={
        "description": "the body rendered as it will be published (the posts' Markdown subset)"})
    confidential = fields.List(fields.String(), required=True, metadata={
        "description": "kinds of confidential data found (iban, rib, card_number, email, "
                       "account_number, phone, customer_number, card_expiry, "
                       "card_security_code, pin_code, password): such a "
                       "text is held until a CM checks it"})


class MergeResult(Schema):
    source = fields.Nested(Post, required=True)
    target = fields.Nested(Post, required=True)


class MergePreview(Schema):
    source = fields.Nested(Post, required=True)
    target = fields.Nested(Post, required=True)
    votes_moving = fields.Integer(required=True, metadata={
        "description": "votes on the duplicate that become votes on the target"})
    voters_already_on_target = fields.Integer(required=True, metadata={
        "description": "voters of both ideas: they keep their one vote on the target"})
    watchers = fields.Integer(required=True, metadata={
        "description": "members watching the duplicate"})
    watchers_moving = fields.Integer(required=True, metadata={
        "description": "of those, the ones who will start watching the target"})


class CategorySlugPath(Schema):
    slug = fields.String(required=True, validate=validate.Regexp(CATEGORY_RE),
                         metadata={"example": "epargne-logement"})


class Localized(Schema):
    fr = fields.String(required=True)
    en = fields.String(required=True)


class Category(Schema):
    slug = fields.String(required=True, metadata={"example": "epargne-logement",
                                                  "description": "what posts and URLs use"})
    name = fields.Nested(Localized, required=True)
    description = fields.Nested(Localized, required=True)
    position = fields.Integer(required=True, metadata={"description": "ascending list order"})
    archived = fields.Boolean(metadata={"description": "archived by an admin: its posts keep "
                                                      "it, new posts may not name it"})
    staff_only = fields.Boolean(metadata={"description": "only community managers and admins "
                                                        "start posts in it (announcements): "
                                                        "403 to anyone else"})


class CategoryList(Schema):
    items = fields.List(fields.Nested(Category), required=True)


class PopularTag(Schema):
    tag = fields.String(required=True, metadata={"example": "épargne"})
    slug = fields.String(required=True, metadata={"example": "epargne", "description":
                                                  "for URLs, filters (?tag=) and following"})
    count = fields.Integer(required=True, metadata={"description": "published posts"})


class PopularTags(Schema):
    items = fields.List(fields.Nested(PopularTag), required=True)


class PostsRoutes:
    posts = RpcProxy("posts")
    feeds = RpcProxy("feeds")

    # -- posts

    @route("POST", "/api/v1/posts", auth="member", body=PostCreateSchema, response=Post,
           status=201, tags=TAGS, errors=[403, 422, 429])
    def create_post(self, call: Call):
        """Submit a post (visible to others once moderation has released it)

        Articles, and posts in a `staff_only` category, are for community managers and admins
        (403, field error on `category`). The answer has `state: pending`; the post becomes
        `published` when moderation releases it (at once when nothing has to be held), or
        shows `review.state: held` to its author while a CM looks at it. A member starts at
        most `AGORA_POST_LIMIT_PER_MINUTE` posts a minute and `AGORA_POST_LIMIT_PER_HOUR` an
        hour (3 and 15 by default; staff are not limited): 429 with Retry-After beyond.
        """
        post = self.posts.create_post(call.actor, call.body)
        return Reply(post, headers={"Location": f"/api/v1/posts/{post['id']}"})

    @route("GET", "/api/v1/posts", auth="public", query=PostListQuerySchema, response=PostPage,
           tags=TAGS)
    def list_posts(self, call: Call):
        """List published posts: filters, sorts (new, top, active, unanswered), search

        `q` finds posts holding every word, in their title, tags, text or replies — French
        stems ("compte" finds "comptes"), accents and case ignored ("echeance" finds
        "Échéances", "bloquer" finds "bloquée"), numbers with or without their thousands
        spaces ("1500" finds "1 500,00 €"), the last word also as a prefix ("immo" finds
        "immobilier"), common abbreviations ("cb" finds "carte", "dab" "distributeur") — ranked
        by relevance (title words weigh most), then date, unless `sort` says otherwise. A word
        found nowhere is replaced by the closest indexed word ("virment" → "virement"); when
        no post holds every word, those holding most of them come first; a "quoted phrase"
        must appear as written in a post's title, tags or text (not only in a reply).
        `search` says what was searched (`query`, `corrections`, `partial`).
        `answered=false` and `accepted=false` find questions without an answer / an accepted
        one. Follow `next_cursor` for the next page.
        """
        return self.posts.list_posts(call.actor, call.query)

    @route("POST", "/api/v1/previews", auth="member", body=PreviewSchema, response=Preview,
           tags=TAGS)
    def preview(self, call: Call):
        """Render a text being written (a post's or a reply's body) as it will be published

        Nothing is stored. `confidential` names the kinds of confidential data the moderation
        detector finds (never the values): such a text would be held until a CM checks it.
        """
        return self.posts.preview(call.actor, call.body)

    @route("GET", "/api/v1/posts/similar", auth="public", query=SimilarQuerySchema,
           response=PostPage, tags=TAGS)
    def similar_posts(self, call: Call):
        """Existing posts similar to a title being typed (suggested before posting a duplicate)

        Published posts sharing at least two of the title's words (one for a one-word title;
        French stems, accents ignored, the last word as a prefix), most similar first; a title
        of up to three words also suggests a few posts sharing one word that few posts hold
        ("RIB introuvable" suggests "Où trouver mon RIB ?"). `kind` narrows to questions,
        ideas...
        """
        return self.posts.similar_posts(call.actor, call.query)

    @route("GET", "/api/v1/posts/{id}", path_params=POST_PATH, auth="public", response=Post,
           tags=TAGS)
    def get_post(self, call: Call):
        """A post (its author and CMs also see it while it is pending or held)"""
        return self.posts.get_post(call.actor, call.path["id"])

    @route("PATCH", "/api/v1/posts/{id}", path_params=POST_PATH, auth="member", body=PostEditSchema,
           response=Post, tags=TAGS, errors=[403, 409, 422, 429])
    def edit_post(self, call: Call):
        """Edit a post (its author or a CM); the new revision goes through moderation

        A post never published is sent again whole (title and body; its tags and category
        unless given are its last revision's): refused, by its author or a CM; still pending
        (being checked or held), by its author only (a CM's edit is a 422: CMs redact it in the
        moderation queue) — the correction replaces the waiting revision, which is never
        published after it and leaves the CMs' queue (they review the correction only).
        A post the caller may not read (someone else's, still held or pending) is a 404, as
        for GET; moving it to a `staff_only` category is for CMs and admins (403). A member
        edits at most so many posts and replies (together) a minute and an hour (6 and 60 by
        default; staff are not limited): 429 with Retry-After beyond.
        """
        return self.posts.edit_post(call.actor, call.path["id"], call.body)

    @route("DELETE", "/api/v1/posts/{id}", path_params=POST_PATH, auth="member", status=204,
           tags=TAGS, errors=[403, 409])
    def delete_post(self, call: Call):
        """Delete a post (its author or a CM): a tombstone remains (404 when the caller may not
        read it, as for GET)"""
        self.posts.delete_post(call.actor, call.path["id"])
        return None

    @route("GET", "/api/v1/posts/{id}/history", path_params=POST_PATH, auth="public",
           response=History, tags=TAGS)
    def post_history(self, call: Call):
        """Every published revision of a post (redacted ones as redacted)"""
        return self.posts.history(call.actor, call.path["id"])

    # -- categories and tags

    @route("GET", "/api/v1/categories", auth="public", query=CategoryListQuerySchema,
           response=CategoryList, tags=["categories"])
    def list_categories(self, call: Call):
        """The categories, in the admins' order, named in French and English

        `archived=false` lists those a new post may name (the writing form's list).
        """
        return self.posts.list_categories(call.actor, call.query)

    @route("GET", "/api/v1/categories/{slug}", path_params=CategorySlugPath, auth="public",
           response=Category,
           tags=["categories"])
    def get_category(self, call: Call):
        """A category"""
        return self.posts.get_category(call.actor, call.path["slug"])

    @route("POST", "/api/v1/categories", auth="admin", body=CategoryCreateSchema,
           response=Category, status=201, tags=["categories"], errors=[409])
    def create_category(self, call: Call):
        """Add a category (admin): French and English name and description, position

        The slug is derived from the French name unless given ("Épargne logement" ->
        epargne-logement); creating the same category again is a no-op, another one with the
        same slug 409.
        """
        category = self.posts.create_category(call.actor, call.body)
        return Reply(category, headers={"Location": f"/api/v1/categories/{category['slug']}"})

    @route("PATCH", "/api/v1/categories/{slug}", path_params=CategorySlugPath, auth="admin",
           body=CategoryEditSchema,
           response=Category, tags=["categories"], errors=[409])
    def update_category(self, call: Call):
        """Rename, describe, move or restrict (`staff_only`) a category (admin); its slug
        stays"""
        return self.posts.update_category(call.actor, call.path["slug"], call.body)

    @route("PUT", "/api/v1/categories/{slug}/archived", path_params=CategorySlugPath,
           auth="admin", response=Category, tags=["categories"])
    def archive_category(self, call: Call):
        """Archive a category (admin): its posts keep it, new posts may not name it (422)"""
        return self.posts.archive_category(call.actor, call.path["slug"], True)

    @route("DELETE", "/api/v1/categories/{slug}/archived", path_params=CategorySlugPath,
           auth="admin", response=Category, tags=["categories"])
    def restore_category(self, call: Call):
        """Bring an archived category back (admin)"""
        return self.posts.archive_category(call.actor, call.path["slug"], False)

    @route("GET", "/api/v1/tags", auth="public", query=TagQuerySchema, response=PopularTags,
           tags=["categories"])
    def popular_tags(self, call: Call):
        """Popular tags with their number of published posts (`?prefix=` while typing)"""
        return self.posts.popular_tags(call.actor, call.query)

    # -- replies

    @route("POST", "/api/v1/posts/{id}/replies", path_params=POST_PATH, auth="member",
           body=ReplyCreateSchema, response=ReplyOut, status=201, tags=TAGS, errors=[422, 429])
    def add_reply(self, call: Call):
        """Reply: an answer to a question, a comment on anything else (moderated too)

        A member posts at most `AGORA_REPLY_LIMIT_PER_MINUTE` replies a minute and
        `AGORA_REPLY_LIMIT_PER_HOUR` an hour (6 and 60 by default; staff are not limited):
        429 with Retry-After beyond.
        """
        return self.posts.add_reply(call.actor, call.path["id"], call.body)

    @route("GET", "/api/v1/posts/{id}/replies", path_params=POST_PATH, auth="public",
           query=PageQuerySchema, response=ReplyPage, tags=TAGS)
    def list_replies(self, call: Call):
        """A post's replies, oldest first (plus your own ones waiting for moderation)"""
        return self.posts.list_replies(call.actor, call.path["id"], call.query)

    @route("GET", "/api/v1/me/waiting", auth="member", response=WaitingContributions, tags=TAGS)
    def my_waiting(self, call: Call):
        """Your posts and replies never published yet

        Being checked, or held until a community manager decides (`review` says which, and
        why), newest first, 20 of each (`waiting_more` / `refused_more` say whether there are
        more), with their text (`draft`); a reply with its thread's
        title while you may read that thread. Once decided, a text leaves `posts` / `replies`:
        published, or refused — then it is in `refused_posts` / `refused_replies` for 30 days
        after its refusal (`review.reason_code`, `review.reason_label`), until you delete it
        or send it again corrected (`PATCH` with the whole text: it waits again). A text taken
        down after it was published is not listed. An edit waiting on a published text is on
        that text (`pending_edit`).
        """
        return self.posts.my_waiting(call.actor)

    @route("GET", "/api/v1/replies/{id}", path_params=REPLY_PATH, auth="public", response=ReplyOut,
           tags=TAGS)
    def get_reply(self, call: Call):
        """A reply"""
        return self.posts.get_reply(call.actor, call.path["id"])

    @route("PATCH", "/api/v1/replies/{id}", path_params=REPLY_PATH, auth="member",
           body=ReplyEditSchema, response=ReplyOut, tags=TAGS, errors=[403, 409, 422, 429])
    def edit_reply(self, call: Call):
        """Edit a reply (its author or a CM); moderated, history kept

        A reply never published is sent again whole, as a post is (PATCH /api/v1/posts/{id}):
        still pending, by its author only, replacing the waiting revision. Counted with the
        member's edits of posts (429 with Retry-After beyond the limit).
        """
        return self.posts.edit_reply(call.actor, call.path["id"], call.body)

    @route("GET", "/api/v1/replies/{id}/history", path_params=REPLY_PATH, auth="public",
           response=History, tags=TAGS)
    def reply_history(self, call: Call):
        """Every published revision of a reply"""
        return self.posts.reply_history(call.actor, call.path["id"])

    @route("DELETE", "/api/v1/replies/{id}", path_params=REPLY_PATH, auth="member", status=204,
           tags=TAGS, errors=[403, 409])
    def delete_reply(self, call: Call):
        """Delete a reply (its author or a CM)"""
        self.posts.delete_reply(call.actor, call.path["id"])
        return None

    # -- votes

    @route("PUT", "/api/v1/posts/{id}/vote", path_params=POST_PATH, auth="member", response=VoteOut,
           tags=TAGS, errors=[409, 422])
    def vote_post(self, call: Call):
        """Vote for (like) a post: one vote per member, idempotent

        The own-vote rule: an idea starts with its author's vote (counted when it is first
        published; the author may withdraw it and give it again); the author of a question,
        discussion or article cannot vote for it (422)."""
        return self.posts.vote(call.actor, "post", call.path["id"], True)

    @route("DELETE", "/api/v1/posts/{id}/vote", path_params=POST_PATH, auth="member",
           response=VoteOut, tags=TAGS, errors=[409])
    def unvote_post(self, call: Call):
        """Withdraw my vote on a post (idempotent)"""
        return self.posts.vote(call.actor, "post", call.path["id"], False)

    @route("PUT", "/api/v1/replies/{id}/vote", path_params=REPLY_PATH, auth="member",
           response=VoteOut, tags=TAGS, errors=[409, 422])
    def vote_reply(self, call: Call):
        """Vote for a reply: one vote per member, idempotent; never for one's own reply (422)

        Every route taking a post's or a reply's id answers 404 to whoever may not read it
        (someone else's text still held or pending), as its GET does."""
        return self.posts.vote(call.actor, "reply", call.path["id"], True)

    @route("DELETE", "/api/v1/replies/{id}/vote", path_params=REPLY_PATH, auth="member",
           response=VoteOut, tags=TAGS, errors=[409])
    def unvote_reply(self, call: Call):
        """Withdraw my vote on a reply (idempotent)"""
        return self.posts.vote(call.actor, "reply", call.path["id"], False)

    # -- questions and ideas

    @route("PUT", "/api/v1/posts/{id}/accepted-reply", path_params=POST_PATH, auth="member",
           body=AcceptedReplySchema, response=Post, tags=TAGS, errors=[403, 409, 422])
    def accept_reply(self, call: Call):
        """Accept an answer to a question (its author or a CM)"""
        return self.posts.accept_reply(call.actor, call.path["id"], call.body)

    @route("PUT", "/api/v1/posts/{id}/status", path_params=POST_PATH, auth="community_manager",
           body=IdeaStatusSchema, response=Post, tags=TAGS, errors=[409, 422])
    def set_idea_status(self, call: Call):
        """Move an idea through its workflow with a public note (CM)"""
        return self.posts.set_idea_status(call.actor, call.path["id"], call.body)

    @route("GET", "/api/v1/posts/{id}/merge-into/{target_id}", path_params=POST_PAIR_PATH,
           auth="community_manager", response=MergePreview, tags=TAGS, errors=[422])
    def merge_idea_preview(self, call: Call):
        """What merging a duplicate idea into another would move, before doing it (CM)

        The same checks as the merge (two visible ideas, neither merged yet); nothing is
        written. Votes move (one per voter on the target); members watching the duplicate
        start watching the target.
        """
        source, target = call.path["id"], call.path["target_id"]
        votes = self.posts.merge_preview.call_async(call.actor, source, target)
        watchers = self.feeds.merge_watchers.call_async(call.actor, source, target)
        return {**votes.result(), **watchers.result()}

    @route("POST", "/api/v1/posts/{id}/merge-into/{target_id}", path_params=POST_PAIR_PATH,
           auth="community_manager", response=MergeResult, tags=TAGS, errors=[409, 422])
    def merge_idea(self, call: Call):
        """Merge a duplicate idea into another: its votes move, it points to its target (CM)"""
        return self.posts.merge_idea(call.actor, call.path["id"], call.path["target_id"])

    @route("PUT", "/api/v1/posts/{id}/featured", path_params=POST_PATH, auth="community_manager",
           body=FeatureSchema, body_required=False, response=Post, tags=TAGS, errors=[409, 422])
    def feature(self, call: Call):
        """Feature a post and pin it at the top of the lists (CM)

        Optional body: `position` (1 first; without one, after the numbered pins, most
        recently featured first) and `pinned_until` (an instant with a time zone; the pin ends
        then, the post stays featured). Pinned posts head the first page of every list of
        posts they match in the default order (not searches, nor `sort=top|active|
        unanswered`, where they take their place), marked `pinned`, and are not repeated below.
        Featuring again with other settings changes them.
        """
        return self.posts.set_featured(call.actor, call.path["id"], True, call.body or {})

    @route("DELETE", "/api/v1/posts/{id}/featured", path_params=POST_PATH, auth="community_manager",
           response=Post, tags=TAGS, errors=[409])
    def unfeature(self, call: Call):
        """Stop featuring a post (CM)"""
        return self.posts.set_featured(call.actor, call.path["id"], False)

    @route("PUT", "/api/v1/posts/{id}/locked", path_params=POST_PATH, auth="community_manager",
           response=Post, tags=TAGS, errors=[409, 422])
    def lock(self, call: Call):
        """Lock (freeze) a thread (CM)

        Nothing in a locked thread changes but by the community managers: no new replies, no
        edits of the post or of its replies by their authors, no votes or withdrawn votes on
        the post or its replies, no accepted answer chosen by the author (all 422). Authors
        may still delete their own text; flags still reach the moderators.
        """
        return self.posts.set_locked(call.actor, call.path["id"], True)

    @route("DELETE", "/api/v1/posts/{id}/locked", path_params=POST_PATH, auth="community_manager",
           response=Post, tags=TAGS, errors=[409])
    def unlock(self, call: Call):
        """Unlock a thread (CM)"""
        return self.posts.set_locked(call.actor, call.path["id"], False)
