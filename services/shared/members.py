"""Public member summaries: what a client shows next to every post, reply, feed item,
notification and conversation, so that it needs no extra call per author.

    {"id": "u1", "display_name": "Ada", "badges": ["bank_advisor"],
     "avatar": {"initial": "A", "color": "#1d4ed8"}}

Identity owns members. Every service that shows authors keeps its own copy of their public
summary in a `member_summaries` read model, fed by identity's public events on the `user-<id>`
stream (registration, profile, roles, verification, erasure) — recorded in its own log and
applied in stream order, so a replay rebuilds exactly what the live service shows. Declare it at
the end of a service's projections module::

    track_member_summaries(VIEWS)            # adds "member_summaries" and its handlers

and read it with `summaries(rm, ids)` / `summary_for(rm, id)`: what a page shows beside
every post, card, notice or message, so each process keeps what it read for
`SUMMARY_SECONDS` (a page of the same few authors, one after another, reads none).

Badges derive from roles and verification (`badges`), the avatar colour from the id alone
(`avatar_color`): a palette whose every colour has a contrast of at least 4.5:1 with white text,
so a client can use it as a background behind a white initial (WCAG 2.1 AA).
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from .actors import STAFF_ROLES, holds_any
from .envelope import Envelope
from .expiring import ExpiringCache
from .projections import Projection, ReadModels, update_versioned
from .shredding import ERASED_DISPLAY_NAME

SUMMARIES = "member_summaries"

BADGE_ADVISOR = "bank_advisor"
BADGE_COMMUNITY_MANAGER = "community_manager"
BADGE_CUSTOMER = "verified_customer"

# What an @mention of an erased member shows instead (one text for every reader, as the name).
# It names and links nobody, and no member can own that handle (`·` is not part of a handle).
ERASED_MENTION = "@ancien-membre·former-member"
ERASED_COLOR = "#595959"
UNKNOWN_INITIAL = "?"

# Tailwind's 700 shades: each has a contrast ratio
# >= 4.5:1 against #ffffff (tests/unit/test_members.py checks every one).
AVATAR_PALETTE = (
    "#b91c1c", "#c2410c", "#a16207", "#4d7c0f", "#15803d", "#047857", "#0f766e", "#0e7490",
    "#0369a1", "#1d4ed8", "#4338ca", "#6d28d9", "#7e22ce", "#a21caf", "#be185d", "#be123c",
)

# Who an erased member was, where a staff trail keeps the fact of an action and drops the person
# (as actor or as target): never a user id, so it names and resolves to nobody.
ERASED_MEMBER = "erased-member"

# identity's public tombstone: every service that keeps a copy of a member's data acts on it
USER_ERASED = "identity.user_erased"
# identity's advisor away with a backup (services/identity/absence.py declares it, conversations
# brings the backup in: services/conversations/absence.py)
ADVISOR_ABSENCE_SET = "identity.advisor_absence_set"

IDENTITY_EVENTS = (
    "identity.user_registered", "identity.profile_updated", "identity.role_granted",
    "identity.role_revoked", "identity.user_verified", "identity.user_verification_withdrawn",
    USER_ERASED,
)


def badges(roles: Iterable[str], verified_customer: bool) -> list[str]:
    """The public badges of a member, in a fixed order.

    >>> badges(["member", "community_manager"], True)
    ['community_manager', 'verified_customer']
    """
    roles = set(roles)
    out = []
    if "advisor" in roles:
        out.append(BADGE_ADVISOR)
    if "community_manager" in roles:
        out.append(BADGE_COMMUNITY_MANAGER)
    if verified_customer:
        out.append(BADGE_CUSTOMER)
    return out


def avatar_color(member_id: str) -> str:
    """A colour derived from the id only (stable across renames and replays).

    >>> avatar_color("u1") == avatar_color("u1")
    True
    """
    digest = hashlib.sha256(member_id.encode("utf-8")).digest()
    return AVATAR_PALETTE[int.from_bytes(digest[:4], "big") % len(AVATAR_PALETTE)]


def initial(display_name: str | None) -> str:
    """The first letter or digit of a name, upper-cased ("élodie" -> "É"); "?" if none.

    >>> initial("  @ada"), initial("élodie"), initial("")
    ('A', 'É', '?')
    """
    for ch in unicodedata.normalize("NFC", display_name or ""):
        if ch.isalnum():
            return ch.upper()
    return UNKNOWN_INITIAL


def summary(member_id: str, doc: dict[str, Any] | None) -> dict[str, Any]:
    """The public summary of `member_id` from its read-model document (None: not known yet).

    >>> summary("u1", {"display_name": "Ada", "roles": ["advisor"]})["badges"]
    ['bank_advisor']
    """
    doc = doc or {}
    if doc.get("erased"):
        return {"id": member_id, "display_name": ERASED_DISPLAY_NAME, "badges": [],
                "avatar": {"initial": initial(ERASED_DISPLAY_NAME), "color": ERASED_COLOR}}
    name = doc.get("display_name") or ""
    return {"id": member_id, "display_name": name,
            "badges": badges(doc.get("roles") or (), bool(doc.get("verified_customer"))),
            "avatar": {"initial": initial(name), "color": avatar_color(member_id)}}


# -- @mentions ----------------------------------------------------------------------------------

# An @mention is "@" and a handle or id ("@ZoeDupont", "@zoe.dupont", "@u42"), or "@" and a full
# name as written: its first word, then up to `NAME_WORDS - 1` more, each after one space and
# starting with a capital ("@Zoé Dupont a raison", "merci @Chloé N’Diaye"). The longest run of
# those words that names a member is the mention; a text that says no more mentions the first
# word's handle, as before ("@Zoé Pour" mentions @Zoé when no "Zoé Pour" exists).
_MENTION = re.compile(r"(?<![\w@])@([\w][\w.\-]{1,63})", re.UNICODE)
_NEXT_NAME_WORD = re.compile(r"[ \u00a0]([^\W\d_][\w.\-’']{0,40})")
NAME_WORDS = 4
_NOT_IN_A_MENTION = re.compile(r"[^\w.\-]|_")


DISPLAY_NAME_MAX = 60  # characters (identity's registration and profile)
# the longest handle a display name gives: NFKD spells a character in up to five ASCII letters
# or digits ("㎯" -> "rads2")
HANDLE_MAX = 5 * DISPLAY_NAME_MAX


def handle(name: str) -> str:
    """A display name as written after @: "Marie Dubois" -> "mariedubois" (accents, case,
    spaces, dots, dashes and underscores ignored), so @MarieDubois, @marie.dubois and
    @marie-dubois all mention her.

    >>> handle("Élodie Martin-Roux")
    'elodiemartinroux'
    """
    decomposed = unicodedata.normalize("NFKD", name or "")
    return "".join(ch for ch in decomposed if ch.isalnum() and ch.isascii()).lower()


def mention_of(display_name: str) -> str:
    """What to write after @ to mention the member named `display_name`: the name without the
    characters a mention cannot hold (spaces, apostrophes…), which reads back as the name's
    handle — the site's suggestions while typing insert it.

    >>> mention_of("Chloé N’Diaye"), handle(mention_of("Chloé N’Diaye")) == handle("Chloé N’Diaye")
    ('ChloéNDiaye', True)
    """
    written = _NOT_IN_A_MENTION.sub("", unicodedata.normalize("NFC", display_name or ""))
    return written.strip(".-")[:63]


def mentions(text: str | None) -> list[tuple[int, list[tuple[int, tuple[str, ...]]]]]:
    """Each @mention of `text`: (its start, its readings longest first), a reading being (its
    end, the tokens it stands for). The one-word reading's tokens are the word as written (it
    may be a user id) and its handle; a longer one's, the handle of its words.

    >>> mentions("merci @Zoé Dupont.")
    [(6, [(17, ('zoedupont',)), (10, ('Zoé', 'zoe'))])]
    """
    if not text or "@" not in text:  # every mention has one: no pattern search (a replay
        return []  # of posts parses every published text, mostly without any)
    found = []
    for match in _MENTION.finditer(text):
        word = match.group(1).rstrip(".-")
        end = match.start() + 1 + len(word)
        readings = [(end, tuple(dict.fromkeys(t for t in (word, handle(word)) if t)))]
        words, ended = [word], word != match.group(1)  # "@Zoé. Dupont": the sentence ended
        while not ended and len(words) < NAME_WORDS:
            following = _NEXT_NAME_WORD.match(text, end)
            if following is None or not following.group(1)[0].isupper():
                break
            words.append(following.group(1).rstrip(".-’'"))
            ended = words[-1] != following.group(1)
            end = following.start(1) + len(words[-1])
            readings.insert(0, (end, (handle(" ".join(words)),)))
        found.append((match.start(), readings))
    return found


def parse_mentions(*texts: str | None) -> set[str]:
    """Every token the texts may mention (each reading's: a user id or a handle).

    >>> sorted(parse_mentions("merci @Marie-Dubois."))
    ['Marie-Dubois', 'mariedubois']
    """
    return {token for text in texts for _, readings in mentions(text)
            for _, tokens in readings for token in tokens if token}


def mention_spans(text: str | None, tokens: Iterable[str]) -> list[list[int]]:
    """Where `text` @mentions one of `tokens` (a member's id and handle): [start, end) of each
    mention's longest reading among them, so the mention can be unlinked later without
    keeping whom it named.

    >>> mention_spans("merci @Marie-Dubois.", ["mariedubois"])
    [[6, 19]]
    """
    wanted = set(tokens)
    spans = []
    for start, readings in mentions(text):
        end = next((end for end, names in readings if wanted & set(names)), None)
        if end is not None:
            spans.append([start, end])
    return spans


# -- who a mention names --------------------------------------------------------------------------

def mention_owner(holders: Iterable[dict[str, Any]]) -> str | None:
    """Of the members holding one handle, the one a mention names: a staff member (members may
    not take a staff name, but a name held before that rule may read alike), else whoever has
    held the handle longest (`handle_since`: a later copier never silences nor takes the
    mentions of the member people meant), the first id when that does not tell them apart.
    docs/security.md, "Mentions"."""
    ranked = sorted(holders, key=lambda m: (not holds_any(m.get("roles"), STAFF_ROLES),
                                            m.get("handle_since") or 0, m["_id"]))
    return ranked[0]["_id"] if ranked else None


def holders_by_handle(members: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """handle -> the members holding it (those that have one)."""
    by_handle: dict[str, list[dict[str, Any]]] = {}
    for member in members:
        if member.get("handle"):
            by_handle.setdefault(member["handle"], []).append(member)
    return by_handle


def resolve_mentions(found: Iterable[list[tuple[int, tuple[str, ...]]]],
                     members: Iterable[dict[str, Any]]) -> dict[int, tuple[int, str]]:
    """For each mention (`mentions`' readings, longest first), the member its longest reading
    names — by id, or by handle (`mention_owner` when several hold it): {index: (the
    reading's end, member id)}."""
    members = list(members)
    by_id = {m["_id"]: m for m in members}
    by_handle = holders_by_handle(members)
    named: dict[int, tuple[int, str]] = {}
    for index, readings in enumerate(found):
        for end, tokens in readings:
            owner = next((token for token in tokens if token in by_id), None) or \
                next((mention_owner(by_handle[t]) for t in tokens if t in by_handle), None)
            if owner:
                named[index] = (end, owner)
                break
    return named


def unlink_spans(text: str | None, spans: Iterable[Iterable[int]]) -> str | None:
    """`text` with each span that still holds an @mention replaced by `ERASED_MENTION` (the last
    first, so earlier offsets hold); the rest of the text is its author's and stays.

    >>> unlink_spans("merci @Marie-Dubois.", [[6, 19]])
    'merci @ancien-membre·former-member.'
    """
    for start, end in sorted((list(span) for span in spans), reverse=True):
        if text and text[start:start + 1] == "@" and not text.startswith(ERASED_MENTION, start):
            text = text[:start] + ERASED_MENTION + text[end:]
    return text


# -- the read model ------------------------------------------------------------------------------

def apply_identity_event(rm: ReadModels, event: Envelope) -> None:
    """Fold one of identity's `user-<id>` events into the summary (idempotent, ordered by the
    stream version: an older event never overwrites a newer state; after erasure nothing
    personal comes back, since erasure is the stream's last word)."""
    p = event.payload
    member_id = p["user_id"]
    update: dict[str, Any]
    if event.type == "identity.user_registered":
        update = {"$set": _named(p["display_name"], event),
                  "$addToSet": {"roles": {"$each": list(p["roles"])}}}
    elif event.type == "identity.profile_updated":
        update = {"$set": _named(p["display_name"], event)} if p.get("display_name") else {}
    elif event.type == "identity.role_granted":
        update = {"$addToSet": {"roles": p["role"]}}
    elif event.type == "identity.role_revoked":
        update = {"$pull": {"roles": p["role"]}}
    elif event.type == "identity.user_verified":
        update = {"$set": {"verified_customer": True}}
    elif event.type == "identity.user_verification_withdrawn":
        update = {"$set": {"verified_customer": False}}
    elif event.type == USER_ERASED:
        update = {"$set": {"erased": True, "verified_customer": False, "roles": []},
                  "$unset": {"display_name": "", "handle": "", "handle_since": ""}}
    else:
        return
    update_versioned(rm[SUMMARIES], member_id, event, update)


def _named(display_name: str, event: Envelope) -> dict[str, Any]:
    """A new name, its @handle and since when it is held (`mention_owner`)."""
    since = int(datetime.fromisoformat(event.occurred_at).timestamp() * 1_000_000)
    return {"display_name": display_name, "handle": handle(display_name), "handle_since": since}


def track_member_summaries(projection: Projection) -> None:
    """Give `projection` the `member_summaries` collection and its identity handlers (after
    any handler the service already has for those events): the summary's write, then this
    process's memory of it forgotten. The service must receive every public identity event
    (`@reliable_handler("identity", "identity.*")` + `record_and_apply`), so each
    `user-<id>` stream arrives complete."""
    if SUMMARIES not in projection.collections:
        projection.collections.append(SUMMARIES)
    projection.also_on(*IDENTITY_EVENTS)(apply_identity_event)
    projection.also_on(*IDENTITY_EVENTS)(_forget_summary)


# Summaries read are kept SUMMARY_SECONDS per process: pages show the same few authors again
# and again (a feed of the people one follows, a thread, an inbox), and a new post's answer
# shows its author's. The process that applies an identity event forgets that member once the
# summary is written; another replica shows a new name, badge or an erasure at most
# SUMMARY_SECONDS later (docs/architecture.md, "Authors' public summaries").
SUMMARY_SECONDS = 5.0
_RECENT = ExpiringCache(ttl_seconds=SUMMARY_SECONDS, max_entries=10_000)


def _forget_summary(rm: ReadModels, event: Envelope) -> None:
    rm.unbuffered(SUMMARIES)  # a batch's buffered write reaches the database before the forget
    _RECENT.forget((rm.db.name, event.payload.get("user_id")))


def summaries(rm: ReadModels, member_ids: Iterable[str | None]) -> dict[str, dict[str, Any]]:
    """id -> public summary for every id given, at most SUMMARY_SECONDS old: one indexed
    `$in` read for those this process does not hold. The dicts are shared: not to be changed."""
    wanted = sorted({member_id for member_id in member_ids if member_id})
    known = {member_id: _RECENT.get((rm.db.name, member_id)) for member_id in wanted}
    missing = [member_id for member_id, found in known.items() if found is None]
    if not missing:
        return known
    since = _RECENT.changes  # an identity event applied during the read: answered, not kept
    found = {doc["_id"]: doc for doc in rm[SUMMARIES].find({"_id": {"$in": missing}})}
    for member_id in missing:
        known[member_id] = summary(member_id, found.get(member_id))
        _RECENT.put((rm.db.name, member_id), known[member_id], since=since)
    return known


def named_mentions(rm: ReadModels, *texts: str | None) -> dict[str, str]:
    """The @mentions of `texts` that name a member, as written -> member id ("@Zoé Dupont" ->
    "u42"): what a page links to the member's profile. One read of `member_summaries` by id
    and handle (its `handle` index), none for texts without "@"."""
    found = [(text, start, readings) for text in texts for start, readings in mentions(text)]
    tokens = sorted({token for _, _, readings in found for _, ts in readings for token in ts})
    if not tokens:
        return {}
    holders = _live_holders(rm, {"$or": [{"_id": {"$in": tokens}}, {"handle": {"$in": tokens}}]})
    named = resolve_mentions([readings for _, _, readings in found], holders)
    return {text[start:end]: member_id for index, (end, member_id) in named.items()
            for text, start, _ in [found[index]]}


def mention_owners(rm: ReadModels, handles: Iterable[str]) -> dict[str, str]:
    """handle -> the member a mention of it names (`mention_owner`), for the handles some
    member holds: one read of `member_summaries` by its `handle` index."""
    wanted = sorted({h for h in handles if h})
    if not wanted:
        return {}
    by_handle = holders_by_handle(_live_holders(rm, {"handle": {"$in": wanted}}))
    return {name: mention_owner(docs) for name, docs in by_handle.items()}


def _live_holders(rm: ReadModels, query: dict[str, Any]) -> list[dict[str, Any]]:
    """The members `query` finds in `member_summaries` who may be mentioned (not erased), with
    what `mention_owner` ranks them by."""
    return [holder for holder in rm[SUMMARIES].find(
        query, {"handle": 1, "roles": 1, "handle_since": 1, "erased": 1})
        if not holder.get("erased")]


def is_erased(rm: ReadModels, member_id: str) -> bool:
    """Whether identity's tombstone for `member_id` reached this service (a read by id; not
    kept in memory: an erasure shows at once)."""
    return rm[SUMMARIES].find_one({"_id": member_id, "erased": True}, {"_id": 1}) is not None


def summary_for(rm: ReadModels, member_id: str | None) -> dict[str, Any] | None:
    return summaries(rm, [member_id]).get(member_id) if member_id else None
