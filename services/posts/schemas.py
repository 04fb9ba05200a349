"""Posts: event payload schemas (registered, versioned) and RPC argument schemas.

Streams and what travels where (docs/asyncapi.yaml documents every type):

- post stream ``<post_id>`` and reply stream ``<reply_id>``: PUBLIC events only
  (``posts.events``). They carry the text and tags of *published* content only — never a
  submission that moderation has not released, never the original of a redacted text.
- content stream ``<target_id>.r<revision>``: one PRIVATE event, ``posts.content_submitted``
  (``posts.private``), the submitted title/body/tags moderation scans. Other bank systems cannot
  bind to it.
- vote stream ``vote.<target_id>.<member_id>``: PUBLIC ``posts.post_voted`` / ``post_unvoted`` /
  ``reply_voted`` / ``reply_unvoted``.

A stream is either all public or all private: a consumer of the public exchange sees every
version of every stream it receives, so per-stream version guards never wait for a version that
was published elsewhere.
"""
from __future__ import annotations

from datetime import UTC, datetime

from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates,
    validates_schema,
)

from services.shared.actors import GRANTABLE
from services.shared.members import HANDLE_MAX
from services.shared.payloads import REGISTRY
from services.shared.slugs import (
    CATEGORY_SLUG_MAX,
    TAG_MAX,
    InvalidTag,
    category_slug,
    normalize_tag,
    slugify,
)
from services.shared.validation import FilledString, multi_line, single_line

KINDS = ("question", "idea", "discussion", "article")
IDEA_STATUSES = ("submitted", "under_review", "planned", "delivered", "declined",
                 "already_exists")
REPLY_KINDS = ("answer", "comment")
TARGET_TYPES = ("post", "reply")

def _ident(**kwargs):
    return fields.String(validate=validate.Length(min=1, max=120), **kwargs)


def _text(max_length: int, **kwargs):
    return fields.String(validate=validate.Length(max=max_length), **kwargs)


def _staff_role():
    """Which staff role wrote it (community_manager, advisor, admin); None for a member."""
    return fields.String(required=True, allow_none=True, validate=validate.OneOf(GRANTABLE))


TITLE_MAX = 200
QUERY_MAX = 200  # a search's `q` (a suggested query longer than this is not offered)
BODY_MAX = 20000
TAG_RE = r"^[a-z0-9][a-z0-9\-]{0,39}$"  # a tag's slug (services/shared/slugs.py)
CATEGORY_RE = r"^[a-z0-9][a-z0-9\-]{0,59}$"  # a category's slug
CATEGORY_NAME_MAX = 80
CATEGORY_DESCRIPTION_MAX = 500


class Tag(fields.String):
    """A tag as written, normalised ("Épargne Logement" -> "épargne-logement"); the rule it
    breaks otherwise (services/shared/slugs.py)."""

    written = True  # a tag given to a post; a tag looked up may be one stored before a rule

    def _deserialize(self, value, attr, data, **kwargs):
        text = single_line(super()._deserialize(value, attr, data, **kwargs))  # refused, not
        try:  # quietly stripped: a line break in a tag is someone trying something
            return normalize_tag(text, self.written)
        except InvalidTag as error:
            raise ValidationError(str(error)) from None


class TagSlug(Tag):
    """A tag named in a path or a filter, as its slug ("Épargne" -> "epargne")."""

    written = False

    def _deserialize(self, value, attr, data, **kwargs):
        return slugify(super()._deserialize(value, attr, data, **kwargs), TAG_MAX)


class CategorySlug(fields.String):
    """A category by its slug, or by a name folding to it ("Épargne" -> "epargne")."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = single_line(super()._deserialize(value, attr, data, **kwargs))
        slug = category_slug(text) if len(text) <= 2 * CATEGORY_SLUG_MAX else ""
        if not slug:
            raise ValidationError("a category slug (letters, digits, hyphens), e.g. epargne")
        return slug


# --- shared payload parts ----------------------------------------------------------------------

class _PostRef(Schema):
    """Identity of a post in every post event: enough for a consumer to route without a lookup."""

    post_id = _ident(required=True)
    author_id = _ident(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    category = fields.String(required=True)
    # the tags as published: none before the first publication (submitted tags travel with the
    # text, privately, and are reviewed with it), the published ones while an edit waits
    tags = fields.List(fields.String(), required=True)


class _PublishedPost(_PostRef):
    revision = fields.Integer(required=True, validate=validate.Range(min=1))
    title = _text(TITLE_MAX, required=True)
    body = _text(BODY_MAX, required=True)
    redacted = fields.Boolean(required=True)  # True: "edited by the community team"
    official = fields.Boolean(required=True)  # written by bank staff


class _ReplyRef(Schema):
    reply_id = _ident(required=True)
    post_id = _ident(required=True)
    post_author_id = _ident(required=True)
    post_kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    author_id = _ident(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(REPLY_KINDS))
    official = fields.Boolean(required=True)  # answer by an advisor / CM / admin


class _PublishedReply(_ReplyRef):
    revision = fields.Integer(required=True, validate=validate.Range(min=1))
    body = _text(BODY_MAX, required=True)
    redacted = fields.Boolean(required=True)


class _Rejection(Schema):
    revision = fields.Integer(required=True)
    reason_code = fields.String(required=True)


# --- content (PRIVATE) -------------------------------------------------------------------------

@REGISTRY.register("posts.content_submitted", version=1, private=True)
class ContentSubmittedV1(Schema):
    """A new text to review: first version or an edit. Stream ``<target_id>.r<revision>``."""

    target_type = fields.String(required=True, validate=validate.OneOf(TARGET_TYPES))
    target_id = _ident(required=True)
    post_id = _ident(required=True)  # the post itself, or the reply's post
    revision = fields.Integer(required=True, validate=validate.Range(min=1))
    author_id = _ident(required=True)  # the contribution's author
    submitted_by = _ident(required=True)  # who wrote this revision (author, or a CM editing)
    submitter_roles = fields.List(fields.String(), required=True)
    kind = fields.String(required=True)  # post kind, or reply kind
    category = fields.String(required=True)
    title = _text(TITLE_MAX, required=True, allow_none=True)  # None for a reply
    body = _text(BODY_MAX, required=True)


@REGISTRY.register("posts.content_submitted", version=2, private=True)
class ContentSubmittedV2(ContentSubmittedV1):
    """v2: a post's `tags` travel here, with its text, and are reviewed with it: the public
    announcement carries only the tags already published (None for a reply)."""

    tags = fields.List(fields.String(), required=True, allow_none=True)
    # refused before publication, corrected and sent again: moderation holds it for a person
    # (optional, added within v2; absent: a first submission or an edit)
    sent_again = fields.Boolean()


@REGISTRY.upcaster("posts.content_submitted", from_version=1)
def _content_v1_to_v2(payload):
    return {**payload, "tags": None}  # before v2 the tags were in the announcement only


# --- post and reply streams (PUBLIC) ------------------------------------------------------------
# A post and a reply go through the same life (submitted, reviewed, published, edited, redacted,
# hidden, restored, deleted): each step is one event per kind of contribution, `posts.post_<step>`
# and `posts.reply_<step>`, with the same fields on top of the contribution's reference. Declared
# once for both, so the two can never drift apart.

def _revision():
    return fields.Integer(required=True)


def _editor():
    return _ident(required=True)


def _lifecycle(step: str, version: int, doc: str, *, published: bool = False,
               rejection: bool = False, **extra) -> None:
    """Register `posts.post_<step>` and `posts.reply_<step>` (payload schema `version`): the
    post's or the reply's reference (its published text when `published`), the rejection's
    reason when `rejection`, and `extra` fields (name -> a function making the field)."""
    for target, reference, text in (("post", _PostRef, _PublishedPost),
                                    ("reply", _ReplyRef, _PublishedReply)):
        bases = (text if published else reference,) + ((_Rejection,) if rejection else ())
        attributes = {name: make() for name, make in extra.items()}
        attributes["__doc__"] = doc.replace("{target}", target)
        name = f"{target}_{step}_v{version}".title().replace("_", "")
        REGISTRY.register(f"posts.{target}_{step}", version=version)(type(name, bases, attributes))


_lifecycle("submitted", 1, "A {target} exists and waits for moderation; not visible to others "
           "yet. No text.", revision=_revision)
_lifecycle("submitted", 2, "v2: which staff role wrote the {target} (`staff_role`, null for a "
           "member; before v2 only `official` said it was staff).", revision=_revision,
           staff_role=_staff_role)
_lifecycle("edit_submitted", 1, "A new revision of the {target} waits for moderation; the "
           "published one stays visible. No text.", revision=_revision, editor_id=_editor)
_lifecycle("resubmitted", 1, "Moderation rejected the {target} before publication; its author "
           "corrected it and submits it again (a new revision, reviewed like a first one). No "
           "text.", revision=_revision, editor_id=_editor)
_lifecycle("corrected", 1, "The author corrected their {target}, never published, while it "
           "still waited for moderation (a new revision, whole, reviewed like a first one; "
           "`replaces_revision`: the waiting revision, never published after it). No text.",
           revision=_revision, editor_id=_editor,
           replaces_revision=lambda: fields.Integer(required=True,
                                                    validate=validate.Range(min=1)))
_lifecycle("published", 1, "The {target} became visible (revision 1, possibly redacted by the "
           "CMs).", published=True)
_lifecycle("edited", 1, "A new revision replaced the {target}'s visible text (history keeps the "
           "older published ones).", published=True, editor_id=_editor)
_lifecycle("redacted", 1, "The CMs replaced the {target}'s visible text with a masked version "
           "(`redacted` is True).", published=True)
_lifecycle("rejected", 1, "Moderation refused the {target} (never visible, or removed after "
           "flags); reason for the author.", rejection=True)
_lifecycle("edit_rejected", 1, "Moderation refused an edit of the {target}; the previously "
           "published revision stays.", rejection=True)
_lifecycle("hidden", 1, "The {target} is hidden pending review (enough flags from trusted "
           "members).", reason=lambda: fields.String(required=True,
                                                     validate=validate.OneOf(["flags"])))
_lifecycle("restored", 1, "The {target} is visible again after a review of its flags.")
_lifecycle("deleted", 1, "Tombstone: the {target} and its text are gone from every read model.",
           deleted_by=_editor, by_staff=lambda: fields.Boolean(required=True))


@REGISTRY.upcaster("posts.post_submitted", from_version=1)
@REGISTRY.upcaster("posts.reply_submitted", from_version=1)
def _submitted_v1_to_v2(payload):
    return {**payload, "staff_role": None}


# --- post stream only (PUBLIC) ----------------------------------------------------------------

@REGISTRY.register("posts.answer_accepted", version=1)
class AnswerAcceptedV1(_PostRef):
    reply_id = _ident(required=True)
    reply_author_id = _ident(required=True)
    previous_reply_id = _ident(required=True, allow_none=True)
    accepted_by = _ident(required=True)


@REGISTRY.register("posts.idea_status_changed", version=1)
class IdeaStatusChangedV1(_PostRef):
    from_status = fields.String(required=True, validate=validate.OneOf(IDEA_STATUSES))
    to_status = fields.String(required=True, validate=validate.OneOf(IDEA_STATUSES))
    note = _text(2000, required=True)  # public note of the CM
    release = _text(300, load_default=None, allow_none=True)  # release / changelog reference
    changed_by = _ident(required=True)


@REGISTRY.register("posts.idea_merged", version=1)
class IdeaMergedV1(_PostRef):
    """This idea duplicates `into_id`: its votes move there (posts.post_unvoted / post_voted with
    reason "merged"), followers should follow (feeds), and it points to its target."""

    into_id = _ident(required=True)
    into_author_id = _ident(required=True)
    from_status = fields.String(required=True)
    merged_by = _ident(required=True)


@REGISTRY.register("posts.post_featured", version=1)
class PostFeaturedV1(_PostRef):
    by = _ident(required=True)


@REGISTRY.register("posts.post_featured", version=2)
class PostFeaturedV2(_PostRef):
    """Featured, and pinned at the top of the lists it matches: in `position` order (1 first;
    null after the numbered ones, most recently featured first) until `pinned_until` (UTC,
    ISO 8601; null: until unfeatured). Featuring again with other pin settings changes them."""

    by = _ident(required=True)
    position = fields.Integer(required=True, allow_none=True)
    pinned_until = fields.String(required=True, allow_none=True)


@REGISTRY.upcaster("posts.post_featured", from_version=1)
def _featured_v1_to_v2(payload):
    return {**payload, "position": None, "pinned_until": None}


@REGISTRY.register("posts.post_unfeatured", version=1)
class PostUnfeaturedV1(_PostRef):
    by = _ident(required=True)


@REGISTRY.register("posts.post_locked", version=1)
class PostLockedV1(_PostRef):
    """The thread is frozen: no new replies, no edits but by CMs, no votes."""

    by = _ident(required=True)


@REGISTRY.register("posts.post_unlocked", version=1)
class PostUnlockedV1(_PostRef):
    by = _ident(required=True)


# --- vote streams (PUBLIC) ---------------------------------------------------------------------

class _PostVote(Schema):
    post_id = _ident(required=True)
    post_author_id = _ident(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    voter_id = _ident(required=True)
    # "member": the voter's own act; "merged": moved by an idea merge; "author": the vote an
    # idea starts with, its author's (cast when it is first published)
    reason = fields.String(required=True, validate=validate.OneOf(["member", "merged",
                                                                   "author"]))
    merged_from = _ident(load_default=None, allow_none=True)  # on post_voted after a merge
    merged_into = _ident(load_default=None, allow_none=True)  # on post_unvoted after a merge


class _ReplyVote(Schema):
    reply_id = _ident(required=True)
    post_id = _ident(required=True)
    reply_author_id = _ident(required=True)
    voter_id = _ident(required=True)


@REGISTRY.register("posts.post_voted", version=1)
class PostVotedV1(_PostVote):
    pass


@REGISTRY.register("posts.post_unvoted", version=1)
class PostUnvotedV1(_PostVote):
    pass


@REGISTRY.register("posts.reply_voted", version=1)
class ReplyVotedV1(_ReplyVote):
    pass


@REGISTRY.register("posts.reply_unvoted", version=1)
class ReplyUnvotedV1(_ReplyVote):
    pass


class _UnlinkedText(Schema):
    """One published revision of a post or reply that @mentioned the erased member, as it reads
    now (published text: public like the `posts.*_published` event that carried it). The
    marker is longer than a handle: room for it beyond the usual maximum."""

    target_type = fields.String(required=True, validate=validate.OneOf(["post", "reply"]))
    target_id = _ident(required=True)
    post_id = _ident(required=True)
    revision = fields.Integer(required=True)
    title = _text(TITLE_MAX * 2, required=True, allow_none=True)  # None for a reply
    body = _text(BODY_MAX * 2, required=True)


@REGISTRY.register("posts.mentions_unlinked", version=1)
class MentionsUnlinkedV1(Schema):
    """A member erased their account: the published revisions that @mentioned them, with each
    mention replaced by "@ancien-membre·former-member" — never the name. Replace your copy of
    those revisions; replays apply it again (the name that recognised the mentions is
    shredded by then)."""

    member_id = _ident(required=True)
    texts = fields.List(fields.Nested(_UnlinkedText), required=True)


# --- RPC / HTTP arguments ----------------------------------------------------------------------
# The gateway validates request bodies and queries with these same schemas (and documents them
# in OpenAPI); the service validates again, since RPC is an entrypoint too.

# The orders of a list (the site's sort chips); a search also ranks by relevance, which means
# nothing without `q` (listing.py falls back to the newest first).
LIST_SORTS = ("new", "top", "active", "unanswered")
SORTS = (*LIST_SORTS, "relevance")


class PostCreateSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    title = FilledString(required=True,
                         validate=[validate.Length(min=3, max=TITLE_MAX), single_line])
    body = FilledString(required=True, validate=[validate.Length(min=1, max=BODY_MAX), multi_line])
    category = CategorySlug(required=True, metadata={
        "description": "an existing category's slug (GET /api/v1/categories)"})
    tags = fields.List(Tag(), load_default=list, validate=validate.Length(max=10), metadata={
        "description": "words (accents welcome), digits and hyphens; at most 40 characters "
                       "and 4 digits each; a word whose letters all read as Latin ones is "
                       "written in them (a Cyrillic \"е\" in \"еpargne\" gives \"epargne\"), "
                       "one mixing alphabets is refused. Reviewed with the title and body, read "
                       "in their order one space apart (a number typed over several tags holds "
                       "the post like one in its body); public once moderation releases the post"})


class PostEditSchema(Schema):
    title = FilledString(validate=[validate.Length(min=3, max=TITLE_MAX), single_line])
    body = FilledString(validate=[validate.Length(min=1, max=BODY_MAX), multi_line])
    category = CategorySlug()
    tags = fields.List(Tag(), validate=validate.Length(max=10))


class ReplyCreateSchema(Schema):
    body = FilledString(required=True, validate=[validate.Length(min=1, max=BODY_MAX), multi_line])


class ReplyEditSchema(Schema):
    body = FilledString(required=True, validate=[validate.Length(min=1, max=BODY_MAX), multi_line])


class PreviewSchema(Schema):
    """A text being written (a post's or a reply's body), to show as it will be published."""

    body = fields.String(required=True, validate=[validate.Length(min=1, max=BODY_MAX), multi_line])


MENTION_HANDLES = 100  # a thread page's authors (a page of replies and its post)


class MentionHandlesSchema(Schema):
    """The handles whose owners a page asks for (the authors it suggests after "@")."""

    handles = fields.List(fields.String(validate=validate.Length(min=1, max=HANDLE_MAX)),
                          required=True, validate=validate.Length(max=MENTION_HANDLES))


class PostListQuerySchema(Schema):
    kind = fields.String(validate=validate.OneOf(KINDS))
    category = CategorySlug()
    tag = TagSlug()
    status = fields.String(validate=validate.OneOf(IDEA_STATUSES))  # ideas
    author = fields.String(validate=validate.Length(max=120))
    answered = fields.Boolean()  # questions with / without a published answer
    accepted = fields.Boolean()  # questions with / without an accepted answer
    featured = fields.Boolean()
    locked = fields.Boolean(metadata={"description": "threads frozen by the community managers "
                                                     "(true) or open (false)"})
    q = fields.String(validate=validate.Length(min=1, max=QUERY_MAX), metadata={
        "description": "words to find, in French or not: stems, accents and case ignored, the "
                       "last word also as a prefix; titles weigh most, replies count too"})
    sort = fields.String(validate=validate.OneOf(SORTS), metadata={
        "description": "relevance (the default with q: most relevant, then newest) | new (the "
                       "default otherwise) | top | active | unanswered"})
    cursor = fields.String(allow_none=True, validate=validate.Length(max=500))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


MAX_PIN_POSITION = 100


class FeatureSchema(Schema):
    """PUT /posts/{id}/featured (optional body): how the post is pinned at the top of lists."""

    position = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(
        min=1, max=MAX_PIN_POSITION), metadata={"description": "1 first; none: after the "
                                                "numbered ones, most recently featured first"})
    pinned_until = fields.String(load_default=None, allow_none=True, metadata={
        "description": "ISO 8601 instant with a time zone; none: until unfeatured",
        "example": "2026-12-31T18:00:00+01:00"})

    @validates("pinned_until")
    def _instant(self, value, **kwargs):
        if value is not None:
            _aware_instant(value)

    @post_load
    def _in_utc(self, data, **kwargs):
        if data.get("pinned_until"):
            data["pinned_until"] = _aware_instant(data["pinned_until"]).astimezone(
                UTC).isoformat(timespec="seconds")
        return data


def _aware_instant(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError) as error:
        raise ValidationError("an ISO 8601 date and time") from error
    if moment.tzinfo is None:
        raise ValidationError("give a time zone (e.g. Z or +01:00)")
    return moment


class SimilarQuerySchema(Schema):
    title = fields.String(required=True,
                          validate=[validate.Length(min=3, max=TITLE_MAX), single_line],
                          metadata={"description": "the title being typed"})
    kind = fields.String(validate=validate.OneOf(KINDS))
    limit = fields.Integer(load_default=5, validate=validate.Range(min=1, max=20))


class PageQuerySchema(Schema):
    cursor = fields.String(allow_none=True, validate=validate.Length(max=500))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class AcceptedReplySchema(Schema):
    reply_id = fields.String(required=True, validate=validate.Length(min=1, max=120))


class IdeaStatusSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(IDEA_STATUSES))
    note = FilledString(required=True,
                        validate=[validate.Length(min=1, max=2000), single_line])
    release = fields.String(load_default=None, allow_none=True,
                            validate=[validate.Length(max=300), single_line])


# --- categories (admins manage the list; stream ``category.<slug>``, PUBLIC) ------------------

class LocalizedName(Schema):
    fr = fields.String(required=True,
                       validate=[validate.Length(min=1, max=CATEGORY_NAME_MAX), single_line])
    en = fields.String(required=True,
                       validate=[validate.Length(min=1, max=CATEGORY_NAME_MAX), single_line])


class LocalizedDescription(Schema):
    fr = fields.String(required=True,
                       validate=[validate.Length(max=CATEGORY_DESCRIPTION_MAX), multi_line])
    en = fields.String(required=True,
                       validate=[validate.Length(max=CATEGORY_DESCRIPTION_MAX), multi_line])


class _Category(Schema):
    slug = fields.String(required=True, validate=validate.Regexp(CATEGORY_RE))
    name = fields.Nested(LocalizedName, required=True)
    description = fields.Nested(LocalizedDescription, required=True)
    position = fields.Integer(required=True)
    by = _ident(required=True)


@REGISTRY.register("posts.category_created", version=1)
class CategoryCreatedV1(_Category):
    """An admin added a category (French and English name and description, list position)."""


@REGISTRY.register("posts.category_updated", version=1)
class CategoryUpdatedV1(_Category):
    """An admin renamed, described or moved a category: its whole new state."""


class _CategoryV2(_Category):
    # who may start a post in it: community managers and admins only when true (the team's
    # announcements); anyone otherwise
    staff_only = fields.Boolean(required=True)


@REGISTRY.register("posts.category_created", version=2)
class CategoryCreatedV2(_CategoryV2):
    """An admin added a category; v2: `staff_only` (only CMs and admins post in it)."""


@REGISTRY.register("posts.category_updated", version=2)
class CategoryUpdatedV2(_CategoryV2):
    """An admin renamed, described, moved or restricted a category: its whole new state; v2:
    `staff_only`."""


@REGISTRY.upcaster("posts.category_created", from_version=1)
@REGISTRY.upcaster("posts.category_updated", from_version=1)
def _category_v1_to_v2(payload):
    return {**payload, "staff_only": False}  # before v2 anyone posted in every category


@REGISTRY.register("posts.category_archived", version=1)
class CategoryArchivedV1(Schema):
    """An admin archived a category: it stays on its posts, nothing new can be posted in it."""

    slug = fields.String(required=True, validate=validate.Regexp(CATEGORY_RE))
    by = _ident(required=True)


@REGISTRY.register("posts.category_restored", version=1)
class CategoryRestoredV1(CategoryArchivedV1):
    """An admin brought an archived category back: posts may name it again."""


class CategoryListQuerySchema(Schema):
    archived = fields.Boolean(metadata={"description": "false: only the categories new posts "
                                                      "may name (the writing form's list); "
                                                      "true: only the archived; left out: all"})


class _CategoryTexts(Schema):
    position = fields.Integer(validate=validate.Range(min=0, max=10_000), metadata={
        "description": "order in the list (ascending); after the last one when left out"})


STAFF_ONLY = "only community managers and admins may start a post in it (announcements)"


class CategoryCreateSchema(_CategoryTexts):
    slug = CategorySlug(metadata={"description": "derived from the French name when left out "
                                                 "(\"Épargne logement\" -> epargne-logement)"})
    name = fields.Nested(LocalizedName, required=True)
    description = fields.Nested(LocalizedDescription,
                                load_default=lambda: {"fr": "", "en": ""})
    staff_only = fields.Boolean(load_default=False, metadata={"description": STAFF_ONLY})


class CategoryEditSchema(_CategoryTexts):
    name = fields.Nested(LocalizedName)
    description = fields.Nested(LocalizedDescription)
    staff_only = fields.Boolean(metadata={"description": STAFF_ONLY})

    @validates_schema
    def _something(self, data, **kwargs):
        if not data:
            raise ValidationError("give name, description, position and/or staff_only",
                                  "_schema")


class TagQuerySchema(Schema):
    prefix = fields.String(validate=[validate.Length(max=TAG_MAX), single_line], metadata={
        "description": "the start of a tag, accents and case ignored (\"epar\" -> épargne)"})
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


# --- what a receiver binds (`reliable_handler(..., only=...)`) ---------------------------------
# Streams made of these types only (domain.vote_stream: `vote_event`; domain.category_stream):
# a receiver that applies posts' streams whole but uses none of a family's types can leave the
# whole family unbound — no stream it takes then has a version it never receives.
POST_VOTE_EVENTS = ("posts.post_voted", "posts.post_unvoted")
REPLY_VOTE_EVENTS = ("posts.reply_voted", "posts.reply_unvoted")
CATEGORY_EVENTS = ("posts.category_created", "posts.category_updated",
                   "posts.category_archived", "posts.category_restored")
STREAM_FAMILIES = (POST_VOTE_EVENTS, REPLY_VOTE_EVENTS, CATEGORY_EVENTS)
# a published edit: a new revision of a text (its author's, or a CM's: `editor_id`)
EDIT_EVENTS = ("posts.post_edited", "posts.reply_edited")
# a text never published, corrected by its author while it waited (its older revision superseded)
CORRECTION_EVENTS = ("posts.post_corrected", "posts.reply_corrected")


def by_another(author_id: str | None, writer_id: str | None) -> bool:
    """Whether a revision was written by someone else than its author — a CM editing their
    text. `writer_id` is an edit's `editor_id` or a submission's `submitted_by`; without one
    (events and drafts from before these fields) the revision is the author's."""
    return writer_id not in (None, author_id)


def public_events_but(*families: tuple[str, ...]) -> tuple[str, ...]:
    """Every public posts event type (registered above) except the families given."""
    left_out = {event_type for family in families for event_type in family}
    return tuple(event_type for event_type in REGISTRY.event_types()
                 if event_type.startswith("posts.") and not REGISTRY.is_private(event_type)
                 and event_type not in left_out)
