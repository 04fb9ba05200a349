"""Notifications' pure rules: who is notified of what, preferences, mentions, what a message
may say, digests and retries.

Rules every notification obeys:

- one event never notifies the same member twice: the candidates of an event are collapsed
  per member to the most specific type (`PRIORITY`), and stored under a deterministic id
  (the event id and the member; for a mention, the contribution and the member, so an edit
  does not mention anyone twice);
- a member is never notified of their own action (`actor_of` the event);
- a muted thread notifies its muter of nothing but mentions;
- messages are written from a whitelist of public fields (`render`): a private message is only
  ever announced, never quoted, and rejected or redacted originals are never in any field we
  receive in the first place (moderation publishes redacted versions only); a refused post's
  title, when it was public once, is masked by the detector and told to its author in the
  site only, never in an e-mail, a digest or a phone's notification.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from services.conversations.schemas import CHANNELS, NETWORK_NAMES  # a mention's network
from services.moderation import detector  # pure: a refused title masked as moderation does
from services.posts.schemas import EDIT_EVENTS, by_another
from services.shared import i18n
from services.shared import members as members_kit
from services.shared.envelope import Envelope, NewEvent
from services.shared.members import handle, parse_mentions  # noqa: F401 (projections, tests)
from services.shared.validation import as_single_line

TYPES = ("reply", "answer_accepted", "mention", "followed_activity", "watched_activity",
         "idea_status", "moderation", "private_message", "sla_breach", "account_security")
EMAIL_MODES = ("off", "immediate", "daily")

# most specific first: the type a member gets when an event concerns them in several ways
PRIORITY = ("account_security", "moderation", "answer_accepted", "private_message", "mention",
            "reply", "idea_status", "watched_activity", "followed_activity", "sla_breach")

DEFAULTS: dict[str, dict[str, Any]] = {
    "reply": {"email": "immediate", "push": True},
    "answer_accepted": {"email": "immediate", "push": True},
    "mention": {"email": "immediate", "push": True},
    "followed_activity": {"email": "immediate", "push": False},
    "watched_activity": {"email": "daily", "push": False},
    "idea_status": {"email": "immediate", "push": True},
    "moderation": {"email": "immediate", "push": True},
    "private_message": {"email": "immediate", "push": True},
    "sla_breach": {"email": "immediate", "push": False},
    "account_security": {"email": "immediate", "push": False},
}
CONFIDENTIAL = frozenset({"private_message"})  # announced, never quoted
# E-mailed at once whatever the member chose: a bank tells its customer whenever access to the
# account changes (a password, a second factor), and someone who took the account over must
# not be able to silence it first.
ALWAYS_EMAILED = ("account_security",)


# --- preferences --------------------------------------------------------------------------------

def preferences(chosen: dict[str, dict[str, Any]] | None) -> dict[str, dict[str, Any]]:
    """Every type's channels: the member's choices over the defaults (in-app is always on)."""
    chosen = chosen or {}
    return {kind: {"in_app": True, **DEFAULTS[kind],
                   **{k: v for k, v in (chosen.get(kind) or {}).items() if k != "in_app"},
                   **({"email": "immediate"} if kind in ALWAYS_EMAILED else {})}
            for kind in TYPES}


def change_preferences(chosen: dict[str, dict[str, Any]] | None,
                       changes: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]] | None:
    """The member's new choices, or None when nothing changes (idempotent PUT)."""
    current = {kind: dict(values) for kind, values in (chosen or {}).items()}
    updated = {kind: dict(values) for kind, values in current.items()}
    for kind, values in changes.items():
        updated.setdefault(kind, {}).update(
            {k: v for k, v in values.items() if k in ("email", "push")})
    if preferences(updated) == preferences(current):
        return None
    return {kind: values for kind, values in updated.items() if values}


def preferences_changed(member_id: str, last: dict[str, Any] | None,
                        changes: dict[str, Any]) -> list[NewEvent]:
    """`notifications.preferences_changed` with the member's new choices and digest, after the
    `last` one (its payload; None before any), or nothing when `changes` change nothing."""
    last = last or {}
    chosen, digest = last.get("types") or {}, last.get("digest")
    updated = change_preferences(chosen, changes.get("types") or {})
    new_digest = {**(digest or {}), **changes["digest"]} if changes.get("digest") else digest
    if updated is None and new_digest == digest:
        return []
    return [NewEvent("notifications.preferences_changed", {
        "member_id": member_id, "types": chosen if updated is None else updated,
        "digest": new_digest})]


def channels(chosen: dict[str, dict[str, Any]] | None, kind: str) -> dict[str, Any]:
    return preferences(chosen)[kind]


# --- mentions -----------------------------------------------------------------------------------

# `handle`, `mentions` and who a mention names are the kit's (services/shared/members.py),
# shared with posts, which links mentions and unlinks an erased member's

def mentions_in(*texts: str | None) -> list[list[tuple[int, tuple[str, ...]]]]:
    """The readings of every @mention of `texts` (`members.mentions`), in order."""
    return [readings for text in texts for _, readings in members_kit.mentions(text)]


def resolve_mentions(found: Iterable[list[tuple[int, tuple[str, ...]]]],
                     members: Iterable[dict[str, Any]]) -> set[str]:
    """Member ids mentioned: each mention's longest reading naming someone, by id or by
    handle; a handle several members hold names one of them (`members.mention_owner`: staff
    first, then whoever held it first), never nobody — a copier must not silence anyone."""
    return {member for _, member in members_kit.resolve_mentions(found, members).values()}


# --- who is notified of what ---------------------------------------------------------------------

@dataclass(frozen=True)
class Facts:
    """What the rules need to know beyond the event (gathered from the read models)."""

    followers: frozenset[str] = frozenset()  # of the event's author
    watchers: frozenset[str] = frozenset()   # of the thread
    voters: frozenset[str] = frozenset()     # of the idea
    muted: frozenset[str] = frozenset()      # members who muted the thread
    mentioned: frozenset[str] = frozenset()  # member ids @mentioned in the text
    staff: frozenset[str] = frozenset()      # community managers


@dataclass(frozen=True)
class Notice:
    recipient: str
    type: str
    key: str = field(default="", compare=False)  # dedupe key; "" = "<event id>:<recipient>"


# which facts each event needs (the projection gathers only those)
NEEDS: dict[str, tuple[str, ...]] = {
    "posts.post_published": ("followers", "mentioned"),
    "posts.post_edited": ("mentioned",),
    "posts.reply_published": ("watchers", "muted", "mentioned"),
    "posts.reply_edited": ("mentioned",),
    "posts.idea_status_changed": ("watchers", "voters", "muted"),
    "posts.idea_merged": ("watchers", "voters", "muted"),
    "moderation.sla_breached": ("staff",),
}
# identity's private facts about access to an account, told to its owner ("account_security")
SECURITY_EVENTS = ("identity.registration_attempted", "identity.password_changed",
                   "identity.mfa_enabled", "identity.mfa_disabled",
                   "identity.recovery_code_used")
PASSWORD_RESET_REQUESTED = "identity.password_reset_requested"  # a link to e-mail, no notice
EMAIL_VERIFICATION_REQUESTED = "identity.email_verification_requested"  # the same: a link
NOTIFYING = (*NEEDS, "posts.answer_accepted", "moderation.item_rejected",
             "moderation.item_redacted", "moderation.item_approved",
             "conversations.message_posted", *SECURITY_EVENTS)


def actor_of(event: Envelope) -> str | None:
    """Who did what the event says (never notified of it). Nobody for a security fact: the
    owner is told even of what they did themselves (it may not have been them)."""
    p = event.payload
    if event.type in SECURITY_EVENTS:
        return None
    if event.type in ("posts.post_published", "posts.reply_published",
                      "conversations.message_posted"):
        return p["author_id"]
    if event.type in EDIT_EVENTS:
        return p.get("editor_id") or p["author_id"]
    return {"posts.answer_accepted": p.get("accepted_by"),
            "posts.idea_status_changed": p.get("changed_by"),
            "posts.idea_merged": p.get("merged_by")}.get(event.type, event.actor)


def target_of(event: Envelope) -> str:
    p = event.payload
    return p.get("reply_id") or p.get("target_id") or p.get("post_id") or event.stream_id


def a_staff_edit(event: Envelope) -> bool:
    """An edit of someone's text by another (posts lets only a CM edit another's text): its
    author is told, as of any CM decision about their text."""
    p = event.payload
    return event.type in EDIT_EVENTS and by_another(p["author_id"], p.get("editor_id"))


def of_anothers_edit(event: Envelope) -> bool:
    """A decision about a revision someone else than its author submitted (a CM's edit of
    their text): nothing to tell its author of it — the edit, once published, tells them
    (`a_staff_edit`), and a refused one leaves their text as it was."""
    p = event.payload
    return by_another(p["author_id"], p.get("submitted_by"))


def a_cm_approved(event: Envelope) -> bool:
    """A CM's approval of a text its author submitted: they are told. An automatic approval
    (most texts) or a flag round's approval says nothing."""
    p = event.payload
    return not p["auto"] and p["review"] == "content" and not of_anothers_edit(event)


# A CM's refusal or redaction of a submitted revision is what posts then does with it — or
# not: posts ignores a verdict about a revision its author corrected since (never published),
# or about a contribution deleted meanwhile. Its author is told once posts' own outcome for that
# revision says it happened (`ruling` of both events, joined by the projection). Rejections
# come only from verdicts, and so do publications marked redacted: an author's ordinary
# publication is no outcome to wait for.
VERDICTS_POSTS_APPLY = ("moderation.item_rejected", "moderation.item_redacted")
REJECTIONS = ("posts.post_rejected", "posts.reply_rejected", "posts.post_edit_rejected",
              "posts.reply_edit_rejected")
PUBLICATIONS = ("posts.post_published", "posts.reply_published", *EDIT_EVENTS)


def ruling(event: Envelope) -> tuple[str, int, str] | None:
    """The contribution, revision and decision ("rejected", "redacted") of a moderation verdict
    posts applies, or of posts' event applying one; None for anything else (a flag round's
    redaction is posts' `*_redacted`, told from moderation's event alone)."""
    p, t = event.payload, event.type
    if t in VERDICTS_POSTS_APPLY:
        decision = t.rsplit("_", 1)[1]
        if decision == "redacted" and p["review"] != "content":
            return None
        return p["target_id"], int(p["revision"]), decision
    if t in REJECTIONS:
        return target_of(event), int(p["revision"]), "rejected"
    if t in PUBLICATIONS and p.get("redacted"):
        return target_of(event), int(p["revision"]), "redacted"
    return None


def told_once_posts_applied(event: Envelope) -> bool:
    """Whether a moderation verdict waits for posts' outcome before its author is told: a
    content review's. A flag round's is about the visible text, which posts always has: told at
    once, as it always was."""
    return event.type in VERDICTS_POSTS_APPLY and event.payload["review"] == "content"


def candidates(event: Envelope, facts: Facts) -> list[Notice]:
    """Everyone the event concerns, with why (several entries per member are possible)."""
    p, t = event.payload, event.type
    out: list[Notice] = []

    def add(members: Iterable[str], kind: str) -> None:
        out.extend(Notice(member, kind) for member in members)

    mention_key = f"mention:{target_of(event)}:"
    out.extend(Notice(member, "mention", mention_key + member) for member in facts.mentioned)
    if t == "posts.post_published":
        add(facts.followers, "followed_activity")
    elif t == "posts.reply_published":
        add(set([p["post_author_id"]]) - facts.muted, "reply")
        add(facts.watchers - facts.muted, "watched_activity")
    elif t == "posts.answer_accepted":
        add([p["reply_author_id"]], "answer_accepted")
    elif t in ("posts.idea_status_changed", "posts.idea_merged"):
        # a merge tells the duplicate's people where their vote and follow went
        add((facts.voters | facts.watchers | {p["author_id"]}) - facts.muted, "idea_status")
    elif t in ("moderation.item_rejected", "moderation.item_redacted") or (
            t == "moderation.item_approved" and a_cm_approved(event)):
        if not of_anothers_edit(event):
            add([p["author_id"]], "moderation")  # a CM decided
    elif a_staff_edit(event):
        add([p["author_id"]], "moderation")  # a CM rewrote it
    elif t == "moderation.sla_breached":  # the CMs, and the staff of a waiting conversation
        add(facts.staff | set(p.get("staff_ids") or []), "sla_breach")
    elif t == "conversations.message_posted":
        add(p["participant_ids"], "private_message")
    elif t in SECURITY_EVENTS:  # the account's owner, never who tried or acted
        add([p["user_id"]], "account_security")
    return out


def notices_for(event: Envelope, facts: Facts) -> list[Notice]:
    """At most one notice per member (the most specific), never to the actor, with its id."""
    actor = actor_of(event)
    chosen: dict[str, Notice] = {}
    for notice in candidates(event, facts):
        if not notice.recipient or notice.recipient == actor:
            continue
        current = chosen.get(notice.recipient)
        if current is None or PRIORITY.index(notice.type) < PRIORITY.index(current.type):
            chosen[notice.recipient] = notice
    return [Notice(n.recipient, n.type, n.key or f"{event.id}:{n.recipient}")
            for n in sorted(chosen.values(), key=lambda n: n.recipient)]


# the events whose notifications show only what the event carries (`details` reads no title)
SHOWN_FROM_THE_EVENT = ("posts.post_published", "posts.post_edited", *SECURITY_EVENTS)


def security_change(event: Envelope) -> str:
    """What a security fact says happened (`notice.security_<it>` and its e-mail's subject)."""
    p = event.payload
    if event.type == "identity.password_changed":
        return "password_reset" if p.get("method") == "reset" else "password_changed"
    if event.type == "identity.mfa_disabled":
        return "mfa_reset" if p.get("reason") == "admin_reset" else "mfa_disabled"
    return event.type.split(".", 1)[1]  # registration_attempted, mfa_enabled, ...


def details(event: Envelope, titles: dict[str, Any]) -> dict[str, Any]:
    """What a notification of this event shows: public fields only. `titles`: the published
    title and kind of the post concerned, when known."""
    p, t = event.payload, event.type
    out: dict[str, Any] = {"post_id": p.get("post_id"), "kind": p.get("kind"),
                           "title": titles.get("title")}
    if t.startswith("posts.reply_"):
        out.update(reply_id=p["reply_id"], kind=p.get("post_kind") or titles.get("kind"),
                   reply_kind=p["kind"])
    elif t in ("posts.post_published", "posts.post_edited"):
        out["title"] = p["title"]
    elif t == "posts.answer_accepted":
        out["reply_id"] = p["reply_id"]
    elif t == "posts.idea_status_changed":
        out.update(status=p["to_status"], note=p["note"])
    elif t == "posts.idea_merged":
        out.update(status="already_exists", note=None, merged_into=p["into_id"],
                   into_title=titles.get("into_title"))
    elif t.startswith("moderation.item_"):
        decision = t.rsplit("_", 1)[1]
        out.update(decision=decision, target_type=p["target_type"], kind=titles.get("kind"),
                   reply_id=p["target_id"] if p["target_type"] == "reply" else None,
                   title=None)
        if decision == "rejected":  # a reply's thread is public: it says which of the
            # member's replies it was; a post's own title (known once it was public) may be
            # why it was refused: masked, for its author in the site only (`render`)
            reply = p["target_type"] == "reply"
            out.update(reason=p["reason"], reason_code=p.get("reason_code"),
                       title=titles.get("title") if reply else None,
                       refused_title=None if reply or not titles.get("title")
                       else detector.mask(titles["title"]),
                       # a post published already, its next revision reviewed: an edit
                       refused_edit=not reply and p["review"] == "content"
                       and bool(titles.get("revision")))
        elif decision == "redacted":
            out["title"] = p.get("title") or titles.get("title")  # the redacted version
        elif p["target_type"] == "post":
            out["title"] = titles.get("title")
    elif t == "moderation.sla_breached":
        out.update(kind="question", title=titles.get("title"), waited=p["target_seconds"],
                   channel=p.get("channel") or "site")
        if p.get("conversation_id"):  # ids only: the conversation's subject stays private
            out.update(kind=None, title=None, conversation_id=p["conversation_id"])
    elif t == "conversations.message_posted":  # ids only: the message stays in conversations
        out = {"conversation_id": p["conversation_id"], "post_id": None, "kind": None,
               "title": None,
               # the customer wrote (named in the site to the staff who answer them)
               "from_customer": bool(p.get("member_id")) and p["author_id"] == p["member_id"],
               # their advisor wrote (named in the site to the customer), or other staff;
               # None: a message from before the event carried the advisor (said as then)
               "by_advisor": p["author_id"] == p["advisor_id"] if "advisor_id" in p else None,
               "channel": p.get("channel")}  # a social-media mention, by its network
    elif t in SECURITY_EVENTS:  # what changed; never a secret, never who or where from
        out = {"post_id": None, "kind": None, "title": None, "security": security_change(event),
               "remaining": p.get("remaining")}
    if a_staff_edit(event):  # the text the CM left is the public one: its title may be shown
        out.update(decision="edited", target_type=t.split("_", 1)[0].removeprefix("posts."))
    return out


# --- what a message may say --------------------------------------------------------------------

RENDERED_FIELDS = ("type", "actor_name", "by_team", "kind", "reply_kind", "title", "status",
                   "note", "reason", "reason_code", "decision", "target_type", "waited",
                   "merged_into", "into_title", "channel", "security", "remaining",
                   "from_customer", "by_advisor", "own_conversation", "refused_title",
                   "refused_edit")
KINDS = ("question", "idea", "discussion", "article")

# The site's pages a notification links to; the gateway declares those routes with these same
# constants (gateway/web/pages/notifications.py, public.py), so a link here is a page there.
PREFERENCES_PAGE = "/notifications/preferences"
REPLY_PAGE = "/replies/{id}"  # the page of its thread that shows the reply, at the reply
CONVERSATION_PAGE = "/conversations/{id}"  # a member's own conversation
CONSOLE_CONVERSATION_PAGE = "/console/conversations/{id}"  # staff answer in the console
SECURITY_PAGE = "/me/security"  # a member's second factor (an account-security notice's link)
FORGOTTEN_PASSWORD_PAGE = "/password/forgot"  # ask for a reset link ("it was not me")
PASSWORD_RESET_PAGE = "/password/reset"  # a reset link's page: ?token=...
EMAIL_VERIFICATION_PAGE = "/verify-email"  # an address confirmation link's page: ?token=...


def in_both_languages(key: str, separator: str = " / ", **params: Any) -> str:
    """`key`'s text in French then English: a security notice e-mailed to an owner who never
    chose a language (it reaches an address, whoever reads there)."""
    return separator.join(i18n.text(language, key, **params) for language in i18n.LANGUAGES)


def with_actor_name(notice: dict[str, Any], names: dict[str, str],
                    language: str | None = None) -> dict[str, Any]:
    """The notice with who acted, by name: the community team for staff decisions (in the
    reader's language), else the member's current display name (None when not known yet)."""
    name = i18n.text(language, "team") if notice.get("by_team") else \
        names.get(notice.get("actor_id") or "")
    return {**notice, "actor_name": name}


def render(notice: dict[str, Any], language: str | None = None, in_app: bool = True) -> str:
    """One line saying what happened, in the reader's language (French by default), from
    whitelisted public fields only; `in_app` False for what is read outside the site (e-mail,
    digest, phone), where the reader may not be signed in."""
    n = {key: notice.get(key) for key in RENDERED_FIELDS}
    kind = n["type"]

    def say(key: str, **params: Any) -> str:
        return i18n.text(language, key, **params)

    who = say("team") if n["by_team"] else (n["actor_name"] or say("someone"))
    noun_key = n["kind"] if n["kind"] in KINDS else "contribution"
    noun = say(f"noun.{noun_key}")
    about = say("quoted", title=n["title"]) if n["title"] else ""
    if kind in CONFIDENTIAL:  # never the subject nor the text; who wrote, in the site only
        if not in_app:  # an e-mail, a digest, a phone's lock screen: nothing of the dialogue
            return say("notice.private_message_elsewhere")
        return _private_line(n, say)
    if kind == "account_security":  # read signed in, or chosen: the reader's language
        key, remaining = security_key(notice, "notice"), notice.get("remaining") or 0
        return say(key, remaining=remaining) if in_app or language else \
            in_both_languages(key, "\n\n", remaining=remaining)
    if kind == "reply":
        verb = "reply_answer" if n["reply_kind"] == "answer" else "reply_comment"
        return say(f"notice.{verb}", who=who, noun=noun, about=about)
    if kind in ("answer_accepted", "mention", "watched_activity"):
        return say(f"notice.{kind}", who=who, about=about) if about else \
            say(f"notice.{kind}_untitled", who=who)
    if kind == "followed_activity":
        return say("notice.followed_activity", who=who, new_noun=say(f"new_noun.{noun_key}"),
                   about=about)
    if kind == "idea_status" and n["merged_into"]:
        into = say("quoted", title=n["into_title"]) if n["into_title"] else \
            say("notice.idea_merged_untitled_target")
        return say("notice.idea_merged", about=about, into=into)
    if kind == "idea_status":  # the status by the name the site shows it under
        status = n["status"] or "submitted"
        label = say(f"idea_status.{status}") if i18n.has(f"idea_status.{status}") else status
        text = (n["note"] or "").strip()  # a blank note would leave a dangling " — "
        note = say("notice.note", note=text) if text else ""
        return say("notice.idea_status", about=about, status=label, note=note)
    if kind == "moderation":
        thing = say("noun.reply") if n["target_type"] == "reply" else noun
        if n["decision"] == "rejected":
            # a notice from before reason codes holds English words: the catch-all says it
            reason = i18n.reject_reason(language, n["reason_code"] or "other", n["reason"])
            if n["target_type"] == "reply" and about:  # the public thread it was refused in
                line = say("notice.moderation_rejected_in", thing=thing, about=about,
                           reason=i18n.in_sentence(reason))
            else:  # the post's own title, masked, only to its author signed in
                own = say("quoted", title=n["refused_title"]) \
                    if in_app and n["refused_title"] else ""
                which = "notice.moderation_edit_rejected" if n["refused_edit"] else \
                    "notice.moderation_rejected"
                line = say(which, thing=thing, about=own, reason=i18n.in_sentence(reason))
            return with_period(line)
        if n["decision"] == "redacted":
            return say("notice.moderation_redacted", thing=thing, about=about)
        if n["decision"] == "edited":
            return say("notice.moderation_edited", thing=thing, about=about)
        return say("notice.moderation_approved", thing=thing, about=about)
    if kind == "sla_breach":
        channel = n["channel"] or "site"
        waiting = say(f"notice.sla_{channel}") if channel in ("private", "social") else \
            say("notice.sla_question", about=about)
        return say("notice.sla_breach", waiting=waiting,
                   duration=duration(n["waited"], language))
    return say("notice.fallback")


def _private_line(n: dict[str, Any], say) -> str:
    """Who wrote, read in the site: a social-media mention by its network; the customer, named
    to the staff who answer them; the customer's own advisor, named (and said to be theirs) to
    the customer; other staff as the bank's team to the customer (the member's page names
    staff as "the bank's team" but their advisor). A notice from before these were carried,
    or whose writer's name is not known yet: a new private message."""
    name, channel = n["actor_name"], n["channel"]
    if channel in CHANNELS:  # a public mention the bank received, not a private message
        return say("notice.social_mention", who=name or say("someone"),
                   network=NETWORK_NAMES.get(channel) or say("notice.network_other"))
    if n["from_customer"] and name:
        return say("notice.private_message_from", who=name)
    if n["own_conversation"] and n["by_advisor"]:
        return say("notice.private_message_advisor", who=name) if name else \
            say("notice.private_message_your_advisor")
    if n["own_conversation"] and n["by_advisor"] is False:  # other staff, to the customer
        return say("notice.private_message_team")
    return say("notice.private_message")


def with_period(line: str) -> str:
    """A line ending with a reason, ended as a sentence: a period, unless the reason already
    ends with one (or ! ? …)."""
    return line if line.rstrip().endswith((".", "!", "?", "…")) else line.rstrip() + "."


def duration(seconds: float | None, language: str | None = None) -> str:
    seconds = int(seconds or 0)
    comma = i18n.language_or_default(language) == "fr"
    for unit, size in (("h", 3600), ("min", 60)):
        if seconds >= size:
            value = f"{seconds / size:g}" if seconds % size == 0 else f"{seconds / size:.1f}"
            return f"{value.replace('.', ',') if comma else value} {unit}"
    return f"{seconds} s"


def security_key(notice: dict[str, Any], section: str) -> str:
    """The catalogue key of an account-security notice's line (`notice`) or e-mail subject
    (`mail`); a registration attempt keeps its first keys (inboxes hold such notices)."""
    change = notice.get("security") or "registration_attempted"
    if change == "registration_attempted":
        return "notice.registration_attempted" if section == "notice" else \
            "mail.security_subject"
    return f"notice.security_{change}" if section == "notice" else \
        f"mail.security_subject_{change}"


def link(base_url: str, notice: dict[str, Any], staff: bool | None = None) -> str:
    """`staff`: whether the reader holds a staff role now (the inbox, at read time); None: the
    recipient's roles when notified (`for_staff`: an e-mail, sent about then).
    `own_conversation`: the recipient is the conversation's customer (the member's page)."""
    base = base_url.rstrip("/")
    if notice.get("type") in ALWAYS_EMAILED:
        return base + SECURITY_PAGE
    if notice.get("conversation_id"):  # staff answer in the console, a member on their page
        staff = notice.get("for_staff") if staff is None else staff
        # a staff member who is also a customer reads their own conversation as one
        page = CONSOLE_CONVERSATION_PAGE if staff and not notice.get("own_conversation") \
            else CONVERSATION_PAGE
        return base + page.format(id=notice["conversation_id"])
    if notice.get("type") in CONFIDENTIAL or not notice.get("post_id"):
        return f"{base}/notifications"
    if notice.get("merged_into"):  # where the vote went
        return f"{base}/posts/{notice['merged_into']}"
    if notice.get("reply_id"):  # past the thread's first page too
        return base + REPLY_PAGE.format(id=notice["reply_id"])
    return f"{base}/posts/{notice['post_id']}"


@dataclass(frozen=True)
class Message:
    subject: str
    text: str


def email(notice: dict[str, Any], base_url: str, language: str | None = None,
          timezone: str = "Europe/Paris") -> Message:
    """A notification's e-mail in the reader's language; an account-security one (sent to an
    address, whoever reads there) in both when the owner never chose one."""
    if notice.get("type") in ALWAYS_EMAILED:
        subject_key = security_key(notice, "mail")
        subject = i18n.text(language, subject_key) if language else \
            in_both_languages(subject_key)
        text = "\n\n— — —\n\n".join(
            _security_text(notice, base_url, reader, timezone)
            for reader in ([language] if language else i18n.LANGUAGES))
        return Message(f"[Agora] {subject}", text)
    line = render(notice, language, in_app=False)
    # A title stored before titles were validated may hold a line break: never in a header.
    subject = _short(as_single_line(line), 150)
    return Message(f"[Agora] {subject}",
                   f"{line}\n\n{link(base_url, notice)}\n\n{_footer(base_url, language)}")


def _security_text(notice: dict[str, Any], base_url: str, language: str,
                   timezone: str) -> str:
    """What changed, when, and what to do if it was not the owner; no unsubscribe footer:
    these cannot be turned off."""
    parts = [render(notice, language)]
    if notice.get("ts"):
        moment = datetime.fromtimestamp(notice["ts"] / 1_000_000, ZoneInfo(timezone))
        date = moment.strftime("%d/%m/%Y") if language == "fr" else moment.strftime("%Y-%m-%d")
        parts.append(i18n.text(language, "mail.security_when", date=date,
                               time=moment.strftime("%H:%M"), zone=timezone))
    if (notice.get("security") or "registration_attempted") != "registration_attempted":
        parts.append(i18n.text(language, "mail.security_not_you",
                               url=base_url.rstrip("/") + FORGOTTEN_PASSWORD_PAGE))
    parts.append(i18n.text(language, "mail.security_footer"))
    return "\n\n".join(parts)


def password_reset_email(token: str, base_url: str, minutes: int,
                         language: str | None = None) -> Message:
    """The reset link's e-mail: who asked (maybe not the owner), the link, how long it works,
    and that ignoring it changes nothing. In both languages when the owner never chose one."""
    url = f"{base_url.rstrip('/')}{PASSWORD_RESET_PAGE}?token={quote(token, safe='')}"
    readers = [language] if language else list(i18n.LANGUAGES)
    subject = " / ".join(i18n.text(reader, "mail.reset_subject") for reader in readers)
    return Message(f"[Agora] {subject}", "\n\n— — —\n\n".join(
        i18n.text(reader, "mail.reset_text", url=url, minutes=minutes) for reader in readers))


def email_verification_email(token: str, base_url: str, minutes: int,
                             language: str | None = None) -> Message:
    """The sign-up's confirmation link: the page that confirms the address (with a button:
    opening the link changes nothing), how long it works, and that ignoring it leaves the
    address unconfirmed. In both languages when the owner never chose one."""
    url = f"{base_url.rstrip('/')}{EMAIL_VERIFICATION_PAGE}?token={quote(token, safe='')}"
    readers = [language] if language else list(i18n.LANGUAGES)
    subject = " / ".join(i18n.text(reader, "mail.verify_subject") for reader in readers)
    return Message(f"[Agora] {subject}", "\n\n— — —\n\n".join(
        i18n.text(reader, "mail.verify_text", url=url, hours=max(1, round(minutes / 60)))
        for reader in readers))


def push(notice: dict[str, Any], language: str | None = None) -> Message:
    return Message("Agora", _short(render(notice, language, in_app=False), 120))


def digest(notices: list[dict[str, Any]], base_url: str, language: str | None = None
           ) -> Message:
    """One e-mail for a member's waiting notifications, grouped by type."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for notice in sorted(notices, key=lambda n: (PRIORITY.index(n["type"]), n.get("ts", 0))):
        groups.setdefault(notice["type"], []).append(notice)
    lines = []
    for kind, items in groups.items():
        heading = i18n.text(language, f"digest.{kind}") if i18n.has(f"digest.{kind}") else kind
        lines.append(f"{heading} ({len(items)})")
        lines += [f"- {render(item, language, in_app=False)}\n  {link(base_url, item)}"
                  for item in items]
        lines.append("")
    return Message(i18n.text(language, "mail.digest_subject", count=len(notices)),
                   "\n".join(lines) + "\n" + _footer(base_url, language))


def _footer(base_url: str, language: str | None = None) -> str:
    return i18n.text(language, "mail.footer", url=base_url.rstrip("/") + PREFERENCES_PAGE)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- digests: when --------------------------------------------------------------------------------

def digest_settings(chosen: dict[str, Any] | None, default_hour: int,
                    default_timezone: str) -> dict[str, Any]:
    """The member's digest hour (0-23, local) and time zone, over the configured defaults."""
    chosen = chosen or {}
    return {"hour": int(chosen.get("hour", default_hour)),
            "timezone": chosen.get("timezone") or default_timezone}


def digest_slot(now: float, hour: int, timezone: str) -> float:
    """The latest moment at or before `now` (epoch seconds) when the member's local clock showed
    `hour`:00 — the digest of items waiting since before then is due. A local hour skipped by
    a daylight-saving change falls on the next real instant (zoneinfo's fold rules).

    >>> from datetime import datetime, timezone as tz
    >>> noon_utc = datetime(2026, 12, 1, 12, 0, tzinfo=tz.utc).timestamp()
    >>> datetime.fromtimestamp(digest_slot(noon_utc, 8, "Europe/Paris"), tz.utc).isoformat()
    '2026-12-01T07:00:00+00:00'
    >>> datetime.fromtimestamp(digest_slot(noon_utc, 14, "Europe/Paris"), tz.utc).isoformat()
    '2026-11-30T13:00:00+00:00'
    """
    zone = ZoneInfo(timezone)
    local = datetime.fromtimestamp(now, zone)
    slot = datetime.combine(local.date(), time(hour), tzinfo=zone)
    if slot.timestamp() > now:
        slot = datetime.combine(local.date() - timedelta(days=1), time(hour), tzinfo=zone)
    return slot.timestamp()


# --- retries ------------------------------------------------------------------------------------

def retry_delay(attempts: int, base: float, cap: float) -> float:
    """Seconds before the next attempt after `attempts` failures (exponential, capped)."""
    return min(cap, base * 2 ** max(attempts - 1, 0))
