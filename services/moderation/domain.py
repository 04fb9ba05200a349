"""Moderation: pure rules. State = fold(events); commands + state -> new events. No I/O.

- `review`: what happens to a submitted text (post, reply, edit): the confidential-data detector
  runs whatever the policy; the policy (global switch, premoderated categories, members with
  fewer than N approved contributions — staff exempt) may hold it too. Nothing to hold -> an
  automatic ``item_approved``.
- `decide`: a CM's decision on a held item: approve, reject (reason code), redact (the CM's text,
  which must itself be free of confidential data; a post's tags that make up a finding are
  removed). Each decision takes its own fields only. An
  approval publishes the text as written, so it is refused while the detector finds a bank
  identifier in it (IBAN, RIB, card or account number: `NEVER_PUBLIC`), and needs the CM's
  statement (`not_confidential`, kept in the event and the audit trail) for each kind of
  contact details it finds (e-mail, phone: a bank's public number is not a member's).
- `withdraw`: an item nobody needs to decide any more leaves the queue undecided: its
  contribution was deleted or refused otherwise, or its author erased their account (a text of
  theirs never published is never published), or a later revision of the text was published
  over a waiting edit, or its author corrected a text never published while it waited (the
  CMs review the correction instead).
- `take_down`: a CM takes a public contribution out of public view from its thread (held for
  review, or refused at once with a reason), and `undoable` says which decisions a CM's undo
  takes back that way (those that left it public: approved, redacted).
- `flag`: one flag per member per round; when trusted flags reach the policy's threshold the
  contribution is held (hidden) pending review, in the same commit — unless a trusted flagger
  of the round has already hidden many contributions lately (mass hiding): then the item is
  escalated to the CMs' queue and stays visible until a CM decides.
- `is_trusted`: whose flags count towards hiding. Staff always; a member only when sock
  puppets cannot cheaply be one: an account old enough, enough approved contributions, and
  not flagging this round from the same address as another flagger.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from services.posts.schemas import CORRECTION_EVENTS, EDIT_EVENTS
from services.shared import i18n
from services.shared.actors import (
    STAFF_ROLES,
    Actor,
    holds_any,
    is_staff,
    require_moderator,
)
from services.shared.commands import fresh_uuid
from services.shared.envelope import Envelope, NewEvent
from services.shared.errors import Conflict, Forbidden, NotFound, Unprocessable

from . import detector
from .schemas import CONFIRMABLE_KINDS, FLAG_REASONS, FLAG_REJECT_REASONS, REJECT_REASONS

DEFAULT_POLICY: dict[str, Any] = {
    "premoderation": False,
    "premoderated_categories": [],
    "new_member_threshold": 0,
    "flags_to_hide": 3,
    "trusted_min_approved": 5,
    "trusted_min_age_days": 14,
    "flags_target_hours": 24,  # the flags queue's own response-time target
}


# what the detector finds that no approval publishes: bank identifiers (redact or reject)
NEVER_PUBLIC = tuple(kind for kind in detector.KINDS if kind not in CONFIRMABLE_KINDS)
# the fields each decision takes (any other one given is refused: a reason code sent with an
# approval means the CM may have meant to reject, a body that they meant to redact)
DECISION_FIELDS = {"approve": ("not_confidential",), "reject": ("reason_code",),
                   "redact": ("title", "body")}


# item states the CMs' queue shows: held (hidden), review (escalated, visible), open (flagged,
# visible: every member's flag reaches the flags queue). Then approved, rejected or redacted by
# a CM, or withdrawn (`withdraw`: nothing left to decide).
WAITING = ["held", "review", "open"]


def review_item_id(target_id: str, revision: int) -> str:
    return f"{target_id}.r{revision}"


def flags_item_id(target_id: str) -> str:
    return f"{target_id}.flags"


def flag_words_stream(target_id: str, round_: int, flagger_id: str) -> str:
    """A flagger's words on one round's flag: a private stream of its own, as the flag item's
    stream is public (a stream's events are all public or all private)."""
    return f"flag-words.{target_id}.{round_}.{flagger_id}"


def member_stream(member_id: str) -> str:
    return f"member.{member_id}"


# --- detection --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Scan:
    kinds: list[str]  # distinct kinds found, in detector.KINDS order
    masked_title: str | None
    masked_body: str
    masked_tags: list[str] | None = None  # those forming a finding removed (None: a reply)

    def proposal(self) -> dict[str, Any]:
        """The masked version a redaction starts from (the queue's editor)."""
        return {"title": self.masked_title, "body": self.masked_body, "tags": self.masked_tags}


def scan(title: str | None, body: str, tags: list[str] | None = None) -> Scan:
    """What the detector finds in a text under review — a post's tags included, read as the
    member typed them (`detector.tags_text`) — and the masked version a CM starts from."""
    title_findings = detector.detect(title) if title else []
    body_findings = detector.detect(body)
    tag_findings = detector.detect(detector.tags_text(tags))
    found = {f.kind for f in [*title_findings, *body_findings, *tag_findings]}
    return Scan(kinds=[kind for kind in detector.KINDS if kind in found],
                masked_title=detector.mask(title, title_findings) if title else title,
                masked_body=detector.mask(body, body_findings),
                masked_tags=None if tags is None else detector.mask_tags(tags))


def findings(text: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Where the detector finds confidential data in a text under review, so that a CM sees
    it highlighted: field (title | body | tags: offsets in `detector.tags_text`), kind and
    code-point offsets; never the value."""
    text = text or {}
    fields = {"title": text.get("title"), "body": text.get("body"),
              "tags": detector.tags_text(text.get("tags"))}
    found = []
    for name, value in fields.items():
        for finding in detector.detect(value) if value else []:
            found.append({"field": name, "kind": finding.kind, "start": finding.start,
                          "end": finding.end})
    return found


# --- items ------------------------------------------------------------------------------------

@dataclass
class Item:
    id: str = ""
    review: str = ""  # content | flags
    target_type: str = ""
    target_id: str = ""
    post_id: str = ""
    revision: int = 0
    author_id: str = ""
    submitted_by: str = ""  # content: who submitted the revision (a CM editing another's text)
    # new | held | approved | rejected | redacted | open (flags, not held)
    # | review (flags escalated to the CMs without hiding: mass hiding suspected)
    state: str = "new"
    detector_kinds: list[str] = field(default_factory=list)
    round: int = 1
    flaggers: set[str] = field(default_factory=set)  # this round
    trusted_flaggers: set[str] = field(default_factory=set)  # this round

    @property
    def trusted_flags(self) -> int:
        return len(self.trusted_flaggers)

    def ref(self) -> dict[str, Any]:
        return {"item_id": self.id, "review": self.review, "target_type": self.target_type,
                "target_id": self.target_id, "post_id": self.post_id, "revision": self.revision,
                "author_id": self.author_id,
                **({"submitted_by": self.submitted_by} if self.submitted_by else {})}


def fold_item(events: Iterable[Envelope]) -> Item:
    item = Item()
    for event in events:
        p = event.payload
        fact = event.type.split(".", 1)[1]
        if fact == "item_flagged":
            item.id, item.review = p["item_id"], "flags"
            item.target_type, item.target_id = p["target_type"], p["target_id"]
            item.post_id, item.author_id = p["post_id"], p["author_id"]
            if p["round"] != item.round:
                item.round, item.flaggers, item.trusted_flaggers = p["round"], set(), set()
            item.flaggers.add(p["flagger_id"])
            if p["trusted"]:
                item.trusted_flaggers.add(p["flagger_id"])
            if item.state not in ("held", "review"):
                item.state = "open"  # a new round after a decision is open again
            continue
        item.id = p["item_id"]
        for name in ("review", "target_type", "target_id", "post_id", "revision", "author_id"):
            setattr(item, name, p[name])
        item.submitted_by = p.get("submitted_by", item.submitted_by)
        if fact == "item_held":
            item.state = "held"
            item.detector_kinds = list(p["detector_kinds"])
        elif fact == "item_escalated":
            item.state = "review"
        elif fact in ("item_approved", "item_rejected", "item_redacted", "item_withdrawn"):
            item.state = fact.removeprefix("item_")
            if item.review == "flags":  # the decision closes this round of flags
                item.round, item.flaggers, item.trusted_flaggers = item.round + 1, set(), set()
    return item


def review(item: Item, content: dict[str, Any], policy: dict[str, Any], author_approved: int,
           found: Scan, published: dict[str, Any] | None = None) -> list[NewEvent]:
    """Decide what happens to a submitted text (idempotent: an item is reviewed once).
    A revision older than the one `published` since, or of a contribution deleted (or taken
    down) since, has nothing left to decide: its review came late (retried, or re-driven from
    the dead letters) and posts ignores a verdict on it — no item, so no CM spends time on it
    nor its author hears of it (`withdrawals` takes out the ones already waiting then)."""
    if item.state != "new" or superseded(content, published):
        return []
    ref = {"item_id": review_item_id(content["target_id"], content["revision"]),
           "review": "content", "target_type": content["target_type"],
           "target_id": content["target_id"], "post_id": content["post_id"],
           "revision": content["revision"], "author_id": content["author_id"],
           **({"submitted_by": content["submitted_by"]} if content.get("submitted_by") else {})}
    rules = policy_rules(content, policy, author_approved)
    reasons = (["policy"] if rules else []) + (["detector"] if found.kinds else []) + \
        (["sent_again"] if sent_again_by_member(content) else [])
    if not reasons:
        return [NewEvent("moderation.item_approved", {**ref, "auto": True,
                                                      "not_confidential": []})]
    return [NewEvent("moderation.item_held", {
        **ref, "reasons": reasons, "policy_rules": rules, "detector_kinds": found.kinds,
        "flag_count": 0})]


def superseded(content: dict[str, Any], published: dict[str, Any] | None) -> bool:
    """Whether a submitted revision is older than the one `published` since (moderation's
    `targets` document: `revision`, `state`) or than a text never published sent again since
    (`submitted_revision`: its author corrected it while it waited), or its contribution was
    deleted since, or taken down for good after it was published (a text refused before
    publication has no `revision`: its author may send it again)."""
    published = published or {}
    state, revision = published.get("state"), published.get("revision") or 0
    latest = max(revision, published.get("submitted_revision") or 0)
    return state == "deleted" or (state == "rejected" and revision > 0) or \
        content["revision"] < latest


def submitted_by_staff(content: dict[str, Any]) -> bool:
    """The revision was written by the bank's people: trusted by the policy and after a
    refusal (never by the detector)."""
    return holds_any(content.get("submitter_roles"), STAFF_ROLES)


def counts_approvals(content: dict[str, Any], policy: dict[str, Any]) -> bool:
    """Whether `policy_rules` needs the author's count of approved contributions."""
    return bool(int(policy.get("new_member_threshold") or 0)) and \
        not submitted_by_staff(content)


def sent_again_by_member(content: dict[str, Any]) -> bool:
    """The revision after one a person refused (a text never published, or an edit), sent by
    a member: a person reads it again (the detector passes what it cannot understand: an
    insult, spam, the same text reworded)."""
    return bool(content.get("sent_again")) and not submitted_by_staff(content)


def policy_rules(content: dict[str, Any], policy: dict[str, Any], author_approved: int
                 ) -> list[str]:
    """The pre-moderation rules that hold this text (staff are trusted: none apply)."""
    if submitted_by_staff(content):
        return []
    rules = []
    if policy.get("premoderation"):
        rules.append("global")
    if content.get("category") in (policy.get("premoderated_categories") or []):
        rules.append("category")
    threshold = int(policy.get("new_member_threshold") or 0)
    if threshold and author_approved < threshold:
        rules.append("new_member")
    return rules


def decide(actor: Actor | None, item: Item, data: dict[str, Any],
           proposal: Scan | None = None, found: Scan | None = None) -> list[NewEvent]:
    """A CM's decision on a held item. `data`: DecisionSchema; `proposal`: the masked version of
    the text under review (the default for a redaction's title, and its tags); `found`: the
    detector's scan of the text an approval would publish (None: nothing found)."""
    actor = require_moderator(actor)
    if item.state == "new":
        raise NotFound("no such moderation item", {"id": item.id})
    if item.state not in ("held", "review", "open"):
        raise Conflict.from_catalogue("item_not_waiting", {"state": item.state},
                                      terms={"state": f"moderation_state.{item.state}"})
    decision = data["decision"]
    _only_fields_of(decision, data)
    if decision == "approve":  # flags not hiding anything: dismissed, the content stays
        return [NewEvent("moderation.item_approved", {
            **item.ref(), "auto": False,
            "not_confidential": _approvable(found, data.get("not_confidential") or [])})]
    # an escalated or merely flagged item is still visible: hide it in the same commit as the
    # decision, so posts applies the rejection or redaction exactly as for any item held by flags
    hide = [_held_by_flags(item)] if item.state in ("review", "open") else []
    return hide + _decision_events(item, decision, data, proposal)


def _only_fields_of(decision: str, data: dict[str, Any]) -> None:
    """422 on every field that belongs to another decision."""
    foreign = {name: other for other, names in DECISION_FIELDS.items() if other != decision
               for name in names if data.get(name) not in (None, "", [])}
    if foreign:
        raise Unprocessable.from_catalogue(
            "decision_fields", {"fields": {name: [f"only with the decision {other}"]
                                           for name, other in foreign.items()}},
            decision=decision, fields=", ".join(sorted(foreign)))


def _approvable(found: Scan | None, stated: list[str]) -> list[str]:
    """The contact kinds an approval publishes with the CM's statement; 422 when the text
    holds a bank identifier (never approved: redact or reject), or contact details the CM has
    not stated are public. The errors name kinds, never values, in French and English."""
    kinds = list(found.kinds) if found else []
    never = [kind for kind in kinds if kind in NEVER_PUBLIC]
    if never:
        raise Unprocessable.from_catalogue("approve_never_public", {
            "kinds": never, **_kind_errors("decision", "field.never_public", never)})
    unconfirmed = [kind for kind in kinds if kind not in stated]
    if unconfirmed:
        raise Unprocessable.from_catalogue("approve_unconfirmed", {
            "kinds": unconfirmed,
            **_kind_errors("not_confidential", "field.confirm_public", unconfirmed)})
    return kinds


def _kind_errors(name: str, key: str, kinds: list[str]) -> dict[str, Any]:
    """`fields` (English, as every service writes them) and `fields_i18n` (per language: the
    kinds' names differ) for one field naming `kinds`."""
    by_language = {language: {name: [i18n.text(language, key, kinds=detector.kind_names(
        kinds, language))]} for language in i18n.LANGUAGES}
    return {"fields": by_language["en"], "fields_i18n": by_language}


def _decision_events(item: Item, decision: str, data: dict[str, Any],
                     proposal: Scan | None) -> list[NewEvent]:
    if decision == "reject":
        code = data.get("reason_code")
        if not code:
            raise Unprocessable("a rejection needs a reason code",
                                {"fields": {"reason_code": ["required to reject"]}})
        return [NewEvent("moderation.item_rejected", {**item.ref(), "reason_code": code,
                                                      "reason": REJECT_REASONS[code]})]
    body = data.get("body")
    if not body:
        raise Unprocessable("a redaction needs the redacted body",
                            {"fields": {"body": ["required to redact"]}})
    title = tags = None
    if item.target_type == "post":
        title = data.get("title") or (proposal.masked_title if proposal else None)
        if not title:
            raise Unprocessable("a redaction of a post needs its title",
                                {"fields": {"title": ["required to redact"]}})
        # the tags that make up what the detector found are removed (no text to edit: a tag
        # is a word or a number); tags unknown here are all removed rather than published
        tags = (proposal.masked_tags if proposal else None) or []
    left = scan(title, body, tags).kinds
    if left:
        raise Unprocessable("the redacted text still contains confidential data",
                            {"kinds": left,
                             "fields": {"body": [f"still contains: {', '.join(left)}"]}})
    return [NewEvent("moderation.item_redacted", {
        **item.ref(), "title": title, "body": body, "tags": tags,
        "detector_kinds": item.detector_kinds})]


GONE_CONTRIBUTION = {f"posts.{target}_{fact}": cause for target in ("post", "reply")
                     for fact, cause in (("deleted", "contribution_deleted"),
                                         ("rejected", "contribution_rejected"))}


def withdrawals(event: Envelope) -> list[tuple[dict[str, Any], str]]:
    """The waiting items a posts event leaves nothing to decide on, as (the items' scope in
    moderation's `items`, the cause): a contribution deleted, or refused by another item's
    decision (its items); a revision published (the edits of it waiting before it); a text
    never published sent again (its revisions waiting before it). Nothing for
    the other events (some name no contribution: `mentions_unlinked`)."""
    p = event.payload
    cause = GONE_CONTRIBUTION.get(event.type)
    if cause:
        return [({"target_id": p.get("reply_id") or p["post_id"]}, cause)]
    if event.type in EDIT_EVENTS:  # a revision published over the edits waiting before it
        return [({"target_id": p.get("reply_id") or p["post_id"], "review": "content",
                  "revision": {"$lt": p["revision"]}}, "edit_superseded")]
    if event.type in CORRECTION_EVENTS:  # a text never published, corrected while it waited:
        # the CMs review its latest version only (a refused one's older item is decided)
        return [({"target_id": p.get("reply_id") or p["post_id"], "review": "content",
                  "revision": {"$lt": p["revision"]}}, "resubmitted")]
    return []


def withdraw(item: Item, cause: str) -> list[NewEvent]:
    """An item nobody needs to decide any more (`WITHDRAWAL_CAUSES`) leaves the queue; one that
    is not waiting stays as it is (idempotent)."""
    if item.state not in WAITING:
        return []
    return [NewEvent("moderation.item_withdrawn", {**item.ref(), "cause": cause})]


# what a CM's undo of a decision does: a decision that left the contribution public (approved,
# redacted; for flags, dismissed) is undone by taking it out of public view again, back in the
# queue on its flags item (``item_held``, reason ``undo``, `undoes` naming the decision's item).
# A refusal is not undone: its author has been told, and a never-published text given back
# to correct (they may send it again).
UNDOABLE = ("approved", "redacted")


def take_down(actor: Actor | None, item: Item, target: dict[str, Any] | None,
              reason_code: str | None = None, why: str = "staff",
              undoes: str | None = None) -> list[NewEvent]:
    """A CM takes a public contribution out of public view from its flags item (`item`):
    held for review (`reason_code` None: the console decides next), or held and refused at
    once with `reason_code` (its author is told as for any refusal). Idempotent: a
    contribution already held, or already refused this way, yields nothing."""
    require_moderator(actor)
    state = (target or {}).get("state")
    if item.state == "rejected" and reason_code:
        return []  # refused already (a refusal is final): the same request again
    if state not in ("published", "hidden") or item.state == "rejected":
        raise NotFound.from_catalogue(f"no_such_{(target or {}).get('target_type', 'post')}",
                                      {"id": item.id})
    ref = {"item_id": flags_item_id(target["_id"]), "review": "flags",
           "target_type": target["target_type"], "target_id": target["_id"],
           "post_id": target["post_id"], "revision": int(target.get("revision") or 1),
           "author_id": target["author_id"]}
    events = []
    if item.state != "held":
        events.append(NewEvent("moderation.item_held", {
            **ref, "reasons": [why], "policy_rules": [], "detector_kinds": [],
            "flag_count": len(item.flaggers), **({"undoes": undoes} if undoes else {})}))
    if reason_code:
        events.append(NewEvent("moderation.item_rejected", {
            **ref, "reason_code": reason_code, "reason": REJECT_REASONS[reason_code]}))
    return events


def undoable(decided: Item) -> None:
    """409 unless `decided` is a decision an undo takes back (`UNDOABLE`)."""
    if decided.state == "new":
        raise NotFound("no such moderation item", {"id": decided.id})
    if decided.state not in UNDOABLE:
        raise Conflict.from_catalogue("undo_not_possible", {"state": decided.state},
                                      terms={"state": f"moderation_state.{decided.state}"})


def suggested_rejection(item: dict[str, Any]) -> str | None:
    """The refusal reason an item calls for, offered first to the CM (who may pick another):
    a flagged contribution's most given flag reason (the earliest listed on a tie), a text the
    detector held personal data; None when nothing says (a text held by pre-moderation: the
    CM chooses)."""
    flags = item.get("flags") or {}
    if item.get("review") == "flags" and flags:
        top = max(FLAG_REASONS, key=lambda reason: (flags.get(reason, 0),
                                                    -FLAG_REASONS.index(reason)))
        return FLAG_REJECT_REASONS[top] if flags.get(top) else None
    if item.get("detector_kinds"):
        return "confidential_data"
    return None


def _held_by_flags(item: Item) -> NewEvent:
    return NewEvent("moderation.item_held", {
        **item.ref(), "reasons": ["flags"], "policy_rules": [], "detector_kinds": [],
        "flag_count": len(item.flaggers)})


def flag(actor: Actor | None, item: Item, target: dict[str, Any] | None, reason: str,
         trusted: bool, policy: dict[str, Any],
         mass_hiders: Collection[str] = ()) -> list[NewEvent]:
    """A member flags a published post or reply; enough trusted flags hold it (hidden).

    `mass_hiders`: flaggers who have already hidden many contributions lately. When one of the
    round's trusted flaggers is among them, reaching the threshold escalates the item to the
    CMs (``item_escalated``: queued, still visible) instead of hiding it at once."""
    if not actor or not actor.get("id"):
        raise Forbidden("sign in to flag")
    if not target or target.get("state") not in ("published", "hidden"):
        raise NotFound("no such post or reply")
    if target.get("author_id") == actor["id"]:
        raise Unprocessable("you cannot flag your own contribution")
    if actor["id"] in item.flaggers:
        return []  # one flag per member and round: idempotent
    item_id = flags_item_id(target["_id"])
    flagged = NewEvent("moderation.item_flagged", {
        "item_id": item_id, "target_type": target["target_type"], "target_id": target["_id"],
        "post_id": target["post_id"], "author_id": target["author_id"],
        "flagger_id": actor["id"], "reason": reason, "trusted": trusted, "round": item.round})
    events = [flagged]
    trusted_flaggers = item.trusted_flaggers | ({actor["id"]} if trusted else set())
    if item.state not in ("held", "review") and target.get("state") == "published" \
            and len(trusted_flaggers) >= int(policy.get("flags_to_hide") or 1):
        ref = {"item_id": item_id, "review": "flags", "target_type": target["target_type"],
               "target_id": target["_id"], "post_id": target["post_id"],
               "revision": int(target.get("revision") or 1), "author_id": target["author_id"],
               "flag_count": len(item.flaggers) + 1}
        if trusted_flaggers & set(mass_hiders):
            events.append(NewEvent("moderation.item_escalated", {
                **ref, "reasons": ["mass_flagging"]}))
        else:
            events.append(NewEvent("moderation.item_held", {
                **ref, "reasons": ["flags"], "policy_rules": [], "detector_kinds": []}))
    return events


def explain_flag(flagged: dict[str, Any], details: str | None,
                 history: list[Envelope]) -> list[NewEvent]:
    """The flagger's own words on their flag (`flagged`: what names it — item, target, flagger,
    round), once: the flag is one per member and round, its words too (a flag sent again keeps
    the first words, as it keeps the first reason)."""
    words = (details or "").strip()
    if history or not words:
        return []
    return [NewEvent("moderation.flag_explained", {
        **{key: flagged[key] for key in ("item_id", "target_type", "target_id", "flagger_id",
                                         "round")}, "details": words})]


@dataclass(frozen=True)
class FlaggerStanding:
    """What moderation knows of a flagger when they flag (gathered by the service)."""

    approved: int = 0                 # approved contributions
    member_since: str | None = None   # ISO time: registration, else first approved contribution
    shares_address: bool = False      # another flagger of this round used the same address


def is_trusted(actor: Actor, standing: FlaggerStanding, policy: dict[str, Any],
               now: datetime) -> bool:
    """Whose flags count towards hiding a contribution at once.

    Staff always. A member only with ALL of: `trusted_min_approved` approved contributions,
    an account at least `trusted_min_age_days` old, and an address no other flagger of the
    same round used — so a handful of fresh accounts with a few auto-approved replies, or
    several accounts flagging from one machine, never hide anyone's post on their own."""
    if is_staff(actor):
        return True
    if standing.shares_address:
        return False
    if standing.approved < int(policy.get("trusted_min_approved") or 0):
        return False
    min_age = timedelta(days=float(policy.get("trusted_min_age_days") or 0))
    if not min_age:
        return True
    if not standing.member_since:
        return False
    since = datetime.fromisoformat(standing.member_since)
    return now - since >= min_age


# --- policy and notes -------------------------------------------------------------------------

def change_policy(actor: Actor | None, current: dict[str, Any], new: dict[str, Any]
                  ) -> list[NewEvent]:
    require_moderator(actor)
    merged = {**DEFAULT_POLICY, **current, **new}
    merged["premoderated_categories"] = sorted(set(merged["premoderated_categories"]))
    previous = {**DEFAULT_POLICY, **current}
    if merged == previous:
        return []
    return [NewEvent("moderation.policy_changed", {"policy": merged, "previous": previous})]


def fold_policy(events: Iterable[Envelope]) -> dict[str, Any]:
    policy = dict(DEFAULT_POLICY)
    for event in events:
        policy = dict(event.payload["policy"])
    return policy


def note_member(actor: Actor | None, member_id: str, note: str) -> list[NewEvent]:
    require_moderator(actor)
    return [NewEvent("moderation.member_noted", {
        "member_id": member_id, "note_id": fresh_uuid("note").hex, "note": note})]
