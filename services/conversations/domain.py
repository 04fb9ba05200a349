"""Private dialogue: pure rules (no I/O). A conversation is the stream ``conv-<id>``.

What travels in events is references only (conversation, message, author and participant ids,
the customer's advisor's id, the post of an escalation, the social channel): the subject and
the message bodies are written to the service's own ``messages`` collection, keyed by message
id, before the event that references them is appended (see docs/architecture.md, "Private
dialogue").

Access: a conversation is readable and writable by its participants only; a conversation in the
staff queue (``pool == "staff"``, no advisor known) is also open to community managers (and
admins, who hold every staff role), who join it as participants when they act in it. Anyone else
gets `NotFound` — never `Forbidden` — so a conversation's existence does not leak.

The member's advisor holds a seat of its own (`advisor_id`): when identity assigns the member
another advisor, every conversation of the member moves the seat (`advisor_changed`): the new
advisor joins with the whole history, the former one leaves and reads nothing more. A second
escalation of the same post by staff who are not in its conversation is refused (`NotFound`):
escalating is no way into somebody else's private dialogue.
"""
from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from services.shared import actors, i18n
from services.shared.actors import (
    ADVISOR,
    Actor,
    is_moderator,
    is_staff,
    require_member,
    roles,
    still_staff,
)
from services.shared.commands import fresh_uuid
from services.shared.envelope import Envelope, NewEvent
from services.shared.errors import Conflict, Forbidden, NotFound, Unprocessable

STARTED = "conversations.conversation_started"
MESSAGE_POSTED = "conversations.message_posted"
PARTICIPANT_ADDED = "conversations.participant_added"
ESCALATED = "conversations.escalated"
ADVISOR_CHANGED = "conversations.advisor_changed"
WAIT_SETTLED = "conversations.wait_settled"
PARTICIPANT_LEFT = "conversations.participant_left"
ADDED_BY_ABSENCE = "absence"  # `participant_added.added_by` when an absence's rule brought them
NOTE_ADDED = "conversations.note_added"

STAFF_POOL = "staff"
ORIGINS = ("member", "escalation", "social", "advisor")  # advisor: `reach_out`

_NAMESPACE = uuid.UUID("6f1c1c52-3d53-4d1a-9f5e-2b7f0c1e9a41")


# -- ids ------------------------------------------------------------------------------------------

def stream(conversation_id: str) -> str:
    return f"conv-{conversation_id}"


def new_conversation_id() -> str:
    return fresh_uuid("conversation").hex  # the same on a retry of the same command


def new_message_id() -> str:
    return fresh_uuid("message").hex


def _derived(*parts: str) -> str:
    return uuid.uuid5(_NAMESPACE, "\x1f".join(parts)).hex


def escalation_conversation_id(post_id: str) -> str:
    """One conversation per escalated post: escalating twice finds the same one."""
    return _derived("escalation", post_id)


def escalation_words(language: str | None, title: str | None, message: str | None,
                     subject_max: int) -> tuple[str, str]:
    """(first message, subject) of a conversation staff open from a public post: the staff's
    own message, else Agora's words; both in the member's language (written once, into the
    dialogue), the subject cut to `subject_max`."""
    body = message or (i18n.text(language, "conversation.escalated", title=title) if title
                       else i18n.text(language, "conversation.escalated_untitled"))
    subject = i18n.text(language, "conversation.escalated_subject",
                        title=title or i18n.text(language, "conversation.your_post"))
    return body, subject[:subject_max]


def social_case_id(member_id: str | None, channel: str, handle: str) -> str:
    """The open social case: per member across every channel ("one conversation across
    channels"), per (channel, handle) while the author is not matched to a member."""
    if member_id:
        return _derived("social", "member", member_id)
    return _derived("social", "handle", channel, handle.lower())


def email_hash(email: str, lookup: Callable[[str], str]) -> str:
    """How a member's e-mail is kept for matching mentions: the keyed hash (`lookup`, a
    `LookupHash`: never a bare SHA-256, which a list of addresses would reverse) of the address
    normalised as identity does (NFKC, trimmed, lower-cased)."""
    return lookup(unicodedata.normalize("NFKC", email or "").strip().lower())


def social_message_id(sender_id: str, external_id: str) -> str:
    """A mention is known by the sending bank system (its credential's actor id) and the id
    that system gave it: sent again, whatever else differs (member, channel, text), it is the
    same message, and lands where the first one did (`mention_member`)."""
    return _derived("social-message", sender_id, external_id)


def external_author(channel: str) -> str:
    """The author of a mention matched to no member."""
    return f"external:{channel}"


def mention_member(author_id: str) -> str | None:
    """The member a mention received earlier was matched to (its stored author), if any."""
    return None if author_id.startswith("external:") else author_id


def require_mentioned_member(member_id: str | None, member: dict[str, Any] | None) -> None:
    """A mention that names a `member_id` names a member conversations knows (from identity's
    events): an id that matches nobody is the sending system's bug, refused (422) rather than
    turned into a case for nobody — a customer's complaint would wait, unmatched, in the staff
    queue. (No member_id, or a matched_email that matches nobody: an unmatched case.)"""
    if member_id and member is None:
        raise Unprocessable.from_catalogue("unknown_member_to_match", {"fields": {"member_id": [
            "no member has this id: send the id identity gave the member, or matched_email, "
            "or neither for an unmatched case"]}})


# -- actors ---------------------------------------------------------------------------------------

def require_user(actor: Actor | None) -> Actor:
    return require_member(actor, refusal="sign_in_conversations")


def require_staff(actor: Actor | None) -> Actor:
    return actors.require_staff(actor, refusal="sign_in_conversations")


def require_advisor(actor: Actor | None) -> Actor:
    """An advisor's customers are theirs: only the `advisor` role has a portfolio."""
    actor = require_user(actor)
    if ADVISOR not in roles(actor):
        raise Forbidden.from_catalogue("advisors_only")
    return actor


def require_service(actor: Actor | None) -> Actor:
    """The social-listening intake is called by a bank system with a service credential."""
    if not actor or actor.get("kind") != "service":
        raise Forbidden("service credential required")
    return actor


# -- state ----------------------------------------------------------------------------------------

@dataclass
class Conversation:
    id: str | None = None
    version: int = 0
    member_id: str | None = None
    participants: list[str] = field(default_factory=list)
    pool: str | None = None
    origin: str | None = None
    post_id: str | None = None
    advisor_id: str | None = None  # the member's advisor's seat (moves on reassignment)
    message_ids: set[str] = field(default_factory=set)
    last_message_id: str | None = None
    last_author_id: str | None = None
    settled_up_to: str | None = None  # the last message staff marked as needing no reply
    note_ids: set[str] = field(default_factory=set)  # staff's internal notes (`add_note`)
    # who joined as an absent advisor's backup (`added_by: "absence"`) and then left -> when
    # they left: that absence does not bring them back (absence.py `cover`)
    cover_left: dict[str, str] = field(default_factory=dict)
    _covering: set[str] = field(default_factory=set)

    @property
    def exists(self) -> bool:
        return self.version > 0

    @property
    def waiting(self) -> bool:
        """Its customer wrote last and staff neither answered nor marked it handled since."""
        return bool(self.member_id) and self.last_author_id == self.member_id \
            and self.settled_up_to != self.last_message_id


def fold(events: Iterable[Envelope]) -> Conversation:
    state = Conversation()
    for event in events:
        p = event.payload
        state.version = event.stream_version
        if event.type == STARTED:
            state.id = p["conversation_id"]
            state.member_id = p["member_id"]
            state.participants = list(p["participant_ids"])
            state.pool = p.get("pool")
            state.origin = p["origin"]
            state.post_id = p.get("post_id")
            state.advisor_id = seated_advisor(p)
        elif event.type == ADVISOR_CHANGED:
            state.participants = list(p["participant_ids"])
            state.advisor_id = p["advisor_id"]
            state.pool = None  # the member's advisor looks after it now
        elif event.type == PARTICIPANT_ADDED:
            state.participants = list(p["participant_ids"])
            if p.get("added_by") == ADDED_BY_ABSENCE:
                state._covering.add(p["participant_id"])
            state.pool = None  # picked up by staff: out of the queue (as the read model)
        elif event.type == PARTICIPANT_LEFT:
            state.participants = list(p["participant_ids"])
            if p["participant_id"] in state._covering:
                state._covering.discard(p["participant_id"])
                state.cover_left[p["participant_id"]] = event.occurred_at
            state.pool = left_pool(state.member_id, state.participants)
        elif event.type == MESSAGE_POSTED:
            state.message_ids.add(p["message_id"])
            state.last_message_id, state.last_author_id = p["message_id"], p["author_id"]
        elif event.type == WAIT_SETTLED:
            state.settled_up_to = p["up_to_message_id"]
        elif event.type == NOTE_ADDED:
            state.note_ids.add(p["note_id"])
    return state


def seated_advisor(started: dict[str, Any]) -> str | None:
    """The advisor a conversation started with (one rule for the domain and the read model)."""
    return started.get("advisor_id", _legacy_advisor(started))


def _legacy_advisor(started: dict[str, Any]) -> str | None:
    """Conversations started before `advisor_id` was recorded: the advisor was the seat after
    the member's (and after the escalating staff member's, for an escalation)."""
    participants, seat = started["participant_ids"], 2 if started["origin"] == "escalation" else 1
    if started.get("pool") or len(participants) <= seat:
        return None
    return participants[seat]


# -- access ---------------------------------------------------------------------------------------

def can_read(actor: Actor | None, conversation: dict[str, Any] | Conversation) -> bool:
    """Participants; CMs/admins also on a conversation waiting in the staff queue."""
    if not actor or not actor.get("id") or actor.get("kind") == "service":
        return False
    participants, pool = _access_fields(conversation)
    if actor["id"] in participants:
        return True
    return pool == STAFF_POOL and is_moderator(actor)  # CMs and admins pick up the queue


def can_see_timeline(actor: Actor | None, member: dict[str, Any] | None) -> bool:
    """A customer's timeline across channels: their advisor, and CMs/admins."""
    return bool(member and actor and actor.get("id")) and (
        is_moderator(actor) or member.get("advisor_id") == actor["id"])


def require_access(actor: Actor | None, conversation: dict[str, Any] | Conversation | None,
                   conversation_id: str) -> None:
    """`NotFound` for anyone who may not read it (its existence is private too)."""
    if conversation is None or not can_read(actor, conversation):
        raise NotFound("no such conversation", {"id": conversation_id})


def _access_fields(conversation: dict[str, Any] | Conversation) -> tuple[list[str], str | None]:
    if isinstance(conversation, Conversation):
        if not conversation.exists:
            return [], None
        return conversation.participants, conversation.pool
    return list(conversation.get("participant_ids") or ()), conversation.get("pool")


# -- commands -------------------------------------------------------------------------------------

def _started(conversation_id: str, member_id: str, participants: list[str], pool: str | None,
             origin: str, advisor_id: str | None, post_id: str | None = None,
             channel: str | None = None) -> NewEvent:
    payload: dict[str, Any] = {"conversation_id": conversation_id, "member_id": member_id,
                               "participant_ids": participants, "pool": pool, "origin": origin,
                               "advisor_id": _seated(advisor_id, participants)}
    if post_id:
        payload["post_id"] = post_id
    if channel:
        payload["channel"] = channel
    return NewEvent(STARTED, payload)


def _seated(advisor_id: str | None, participants: list[str]) -> str | None:
    """The member's advisor when they hold a seat in the conversation (`advisor_id`)."""
    return advisor_id if advisor_id in participants else None


def posted(s: Conversation, message_id: str, author_id: str,
            channel: str | None = None) -> NewEvent:
    payload: dict[str, Any] = {"conversation_id": s.id, "message_id": message_id,
                               "author_id": author_id, "participant_ids": list(s.participants)}
    if s.member_id:  # the customer's side (a member's page, even for staff: their own)
        payload["member_id"] = s.member_id
    # the customer's advisor, null when none (their notice names them, other staff are "the
    # team"); absent only from the messages written before it was carried
    payload["advisor_id"] = s.advisor_id
    if channel:
        payload["channel"] = channel
    return NewEvent(MESSAGE_POSTED, payload)


def _participants(member_id: str, advisor_id: str | None) -> tuple[list[str], str | None]:
    if advisor_id and advisor_id != member_id:
        return [member_id, advisor_id], None
    return [member_id], STAFF_POOL


def start(actor: Actor | None, conversation_id: str, message_id: str,
          advisor_id: str | None) -> list[NewEvent]:
    """A member opens a conversation with their advisor, or with the staff queue when none is
    assigned. The subject and first message are stored under `message_id` by the caller."""
    actor = require_user(actor)
    participants, pool = _participants(actor["id"], advisor_id)
    state = Conversation(id=conversation_id, member_id=actor["id"], participants=participants,
                         pool=pool, advisor_id=_seated(advisor_id, participants))
    return [_started(conversation_id, actor["id"], participants, pool, "member", advisor_id),
            posted(state, message_id, actor["id"])]


def is_own_customer(actor: Actor | None, member: dict[str, Any] | None) -> bool:
    """Whether `actor` is this customer's own advisor (the one seated for them in `members`)."""
    return bool(member and actor and actor.get("id") and ADVISOR in roles(actor)
                and member.get("advisor_id") == actor["id"] and member.get("_id") != actor["id"])


def require_own_customer(actor: Actor | None, member: dict[str, Any] | None) -> None:
    """Only the customer's own advisor writes to them first; anyone else — another advisor, a
    CM, the customer — gets `NotFound`, as the customer's timeline answers: whose customer
    someone is does not leak."""
    if not is_own_customer(actor, member):
        raise NotFound("no such customer", {"id": (member or {}).get("_id")})


def reach_out(actor: Actor | None, s: Conversation, conversation_id: str, message_id: str,
              member: dict[str, Any] | None) -> list[NewEvent]:
    """An advisor writes first to one of their customers (`origin: "advisor"`): the customer
    and the advisor are its participants, the first message is the advisor's, so nobody waits
    for staff (the customer has not written). The subject and message are stored under
    `message_id` by the caller. A retried command (the same idempotency key: the same ids)
    finds its conversation and adds nothing."""
    actor = require_user(actor)
    require_own_customer(actor, member)
    if s.exists:
        return []
    participants = [member["_id"], actor["id"]]
    state = Conversation(id=conversation_id, member_id=member["_id"], participants=participants,
                         advisor_id=actor["id"])
    return [_started(conversation_id, member["_id"], participants, None, "advisor", actor["id"]),
            posted(state, message_id, actor["id"])]


def post_message(actor: Actor | None, s: Conversation, message_id: str,
                 closed: bool = False) -> list[NewEvent]:
    """A participant writes; a CM picking up a queued conversation joins it first. A closed
    conversation (its member erased their account) takes no new message: 409 for those who
    may read it, 404 as ever for the others."""
    actor = require_user(actor)
    require_access(actor, s, s.id or "")
    if closed:
        raise Conflict.from_catalogue("conversation_closed", {"id": s.id})
    if message_id in s.message_ids:
        return []  # a retried command
    events: list[NewEvent] = []
    if actor["id"] not in s.participants:  # only queue staff get here (can_read)
        events.append(joined(s, actor["id"], actor["id"]))
    events.append(posted(s, message_id, actor["id"]))
    return events


def may_join(roles: Iterable[str] | None, erased: bool = False) -> bool:
    """Whether someone may be brought into a conversation — by a colleague or by an absence's
    rule alike (roles as the members read model holds them when deciding)."""
    return still_staff(roles, erased)


def joined(s: Conversation, participant_id: str, added_by: str) -> NewEvent:
    s.participants = [*s.participants, participant_id]
    return NewEvent(PARTICIPANT_ADDED, {"conversation_id": s.id, "participant_id": participant_id,
                                        "added_by": added_by,
                                        "participant_ids": list(s.participants),
                                        "staff_ids": staff_of(s)})


def add_participant(actor: Actor | None, s: Conversation, participant_id: str,
                    participant_roles: Iterable[str], *,
                    participant_erased: bool) -> list[NewEvent]:
    """Staff who can read the conversation bring in another advisor, CM or admin; a member
    cannot add anyone (and never another member). An erased account is refused as a member
    is — the same 422, message and field — so the answer tells nothing about who erased
    their account (the members read model keeps an erased colleague's roles). No default for
    `participant_erased`: a caller that forgot it would let an erased account in. Erasure is
    checked before « already a participant », so an erased colleague still listed gets the 422
    too, not a silent no-op."""
    actor = require_user(actor)
    require_access(actor, s, s.id or "")
    if not is_staff(actor):
        raise Forbidden("only bank staff add participants")
    if not may_join(participant_roles, participant_erased):
        raise Unprocessable("only bank staff can be added to a conversation",
                            {"user_id": participant_id})
    if participant_id in s.participants:
        return []
    events = []
    if actor["id"] not in s.participants:
        events.append(joined(s, actor["id"], actor["id"]))
    if participant_id != actor["id"]:  # a CM inviting themselves joins once
        events.append(joined(s, participant_id, actor["id"]))
    return events


def leave(actor: Actor | None, s: Conversation) -> list[NewEvent]:
    """A colleague who was brought in (added, or who picked it up) leaves: they read nothing
    more. Neither its customer nor the member's advisor may (403): the dialogue is theirs, and
    the advisor's seat moves only by reassignment (`change_advisor`). Whoever is not (or no
    longer) a participant gets nothing done and no error, whether it exists or not: leaving
    twice is no new fact, and the answer tells nobody which conversations exist."""
    actor = require_user(actor)
    if not s.exists or actor["id"] not in s.participants:
        return []
    if actor["id"] == s.member_id or actor["id"] == s.advisor_id:
        raise Forbidden.from_catalogue("cannot_leave_conversation")
    participants = [p for p in s.participants if p != actor["id"]]
    return [NewEvent(PARTICIPANT_LEFT, {"conversation_id": s.id, "participant_id": actor["id"],
                                        "participant_ids": participants,
                                        "staff_ids": [p for p in staff_of(s) if p != actor["id"]]})]


def staff_of(s: Conversation) -> list[str]:
    """Its staff participants, never its customer: whom the staff-only events (a note, someone
    joining or leaving, « traitée ») name, so that the gateway's live channel tells them and
    nobody else (gateway/live.py `route_event` cannot look the customer up)."""
    return [p for p in s.participants if p != s.member_id]


def left_pool(member_id: str | None, participants: list[str]) -> str | None:
    """After someone left: no staff left in it (a CM who had picked it up from the queue left
    it), the conversation goes back to the staff queue, so that its customer is not left
    without anyone to answer them."""
    return STAFF_POOL if not [p for p in participants if p != member_id] else None


def settle_wait(actor: Actor | None, s: Conversation, closed: bool = False) -> list[NewEvent]:
    """Staff who may read the conversation mark its customer's last message as needing no
    reply (a closing « Merci ! »): it stops waiting for staff, without counting as an answer.
    Nothing happens when nobody waits (answered, settled already, closed: a retry or a second
    click is no new fact); the customer's next message makes it wait again. The customer is
    not told: it is staff's own bookkeeping. A member (even its customer) may not: 403."""
    actor = require_user(actor)
    require_access(actor, s, s.id or "")
    if not is_staff(actor) or actor["id"] == s.member_id:
        raise Forbidden("only bank staff answering the conversation mark it handled")
    if closed or not s.waiting:
        return []
    return [NewEvent(WAIT_SETTLED, {"conversation_id": s.id, "settled_by": actor["id"],
                                    "up_to_message_id": s.last_message_id,
                                    "staff_ids": staff_of(s)})]


# -- staff's internal notes -----------------------------------------------------------------------

def new_note_id() -> str:
    return fresh_uuid("note").hex  # the same on a retry of the same command


def can_read_notes(actor: Actor | None, conversation: dict[str, Any] | Conversation) -> bool:
    """Internal notes (staff between themselves: the advisor, a colleague covering, CMs) are
    never the customer's to see: staff who may read the conversation, not its member — even a
    staff member reading their own conversation as a customer."""
    if not can_read(actor, conversation) or not is_staff(actor):
        return False
    member_id = conversation.member_id if isinstance(conversation, Conversation) \
        else conversation.get("member_id")
    return actor["id"] != member_id


def require_notes_access(actor: Actor | None,
                         conversation: dict[str, Any] | Conversation | None,
                         conversation_id: str) -> None:
    """`NotFound`, exactly as for an unknown conversation, for anyone else — the member
    included: that notes exist is none of their business either."""
    if conversation is None or not can_read_notes(actor, conversation):
        raise NotFound("no such conversation", {"id": conversation_id})


def add_note(actor: Actor | None, s: Conversation, note_id: str,
             closed: bool = False) -> list[NewEvent]:
    """Staff who may read the conversation leave a note for their colleagues (the body is
    stored under `note_id` by the caller, sealed like the messages). It is no message: nobody
    waits or stops waiting, the customer is neither shown nor told, no one joins. A closed
    conversation (its member erased: their key is gone) takes none: 409, as for messages."""
    actor = require_user(actor)
    require_notes_access(actor, s, s.id or "")
    if closed:
        raise Conflict.from_catalogue("conversation_closed", {"id": s.id})
    if note_id in s.note_ids:
        return []  # a retried command
    return [NewEvent(NOTE_ADDED, {"conversation_id": s.id, "note_id": note_id,
                                  "author_id": actor["id"], "staff_ids": staff_of(s)})]


def escalate(actor: Actor | None, s: Conversation, conversation_id: str, post: dict[str, Any],
             message_id: str) -> list[NewEvent]:
    """Staff take a public post into a private conversation with its author (idempotent: the
    conversation id is derived from the post). The escalating staff member and the author's
    advisor (if any) are the staff participants.

    Escalated already: its participants get the same conversation back; anyone else gets
    `NotFound` and joins nothing — the conversation is the member's private dialogue with the
    staff in it, who bring others in deliberately (`add_participant`)."""
    actor = require_staff(actor)
    if s.exists:
        if actor["id"] in s.participants:
            return []
        raise NotFound("no such conversation: this post is handled privately by other staff, "
                       "who can add you to its conversation", {"post_id": post["_id"]})
    member_id = post["author_id"]
    if member_id == actor["id"]:
        raise Unprocessable("you cannot escalate your own post", {"post_id": post["_id"]})
    participants = [member_id, actor["id"]]
    advisor_id = post.get("advisor_id")
    if advisor_id and advisor_id not in participants:
        participants.append(advisor_id)
    state = Conversation(id=conversation_id, member_id=member_id, participants=participants,
                         advisor_id=_seated(advisor_id, participants))
    return [_started(conversation_id, member_id, participants, None, "escalation",
                     advisor_id, post_id=post["_id"]),
            posted(state, message_id, actor["id"]),
            NewEvent(ESCALATED, {"conversation_id": conversation_id, "post_id": post["_id"],
                                 "escalated_by": actor["id"]})]


def intake_mention(s: Conversation, conversation_id: str, member_id: str | None,
                   advisor_id: str | None, channel: str, handle: str,
                   message_id: str) -> list[NewEvent]:
    """A social mention becomes a message of the member's open social case (opened with their
    advisor, or in the staff queue), or of an unmatched case in the staff queue."""
    events: list[NewEvent] = []
    if not s.exists:
        participants, pool = _participants(member_id, advisor_id) if member_id \
            else ([], STAFF_POOL)
        customer = member_id or external_author(channel)
        s = Conversation(id=conversation_id, member_id=customer, participants=participants,
                         pool=pool, advisor_id=_seated(advisor_id, participants))
        events.append(_started(conversation_id, customer,
                               participants, pool, "social", advisor_id, channel=channel))
    if message_id in s.message_ids:
        return []  # the same mention delivered again
    events.append(posted(s, message_id, member_id or external_author(channel), channel=channel))
    return events


def change_advisor(s: Conversation, advisor_id: str) -> list[NewEvent]:
    """The member was assigned `advisor_id` (identity): the advisor's seat moves to them. The
    new advisor joins with the whole history; the former one leaves — even if they came in
    another way (escalating, added by staff): the bank's rule is that a customer's private
    dialogue follows the customer, not the advisor. Idempotent (a re-delivered assignment)."""
    if not s.exists or s.member_id == advisor_id:
        return []
    former = s.advisor_id
    if former == advisor_id and advisor_id in s.participants:
        return []
    participants = [p for p in s.participants if p != former]
    if advisor_id not in participants:
        participants.append(advisor_id)
    return [NewEvent(ADVISOR_CHANGED, {"conversation_id": s.id, "member_id": s.member_id,
                                       "advisor_id": advisor_id, "former_advisor_id": former,
                                       "participant_ids": participants})]
