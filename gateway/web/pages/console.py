"""The community managers' console (`/console/...`): the moderation queue first.

Every console URL answers 404 to anyone who is not a community manager or an admin (members,
anonymous visitors, advisors): the console's existence is not advertised. Every action goes
through the same RPC, with the same actor, as its `/api/v1` route, so the services' own
authorization decides (a CM cannot do an admin's action from here either).

The queue is designed for speed: the oldest item opens with the queue, the detector's findings
are highlighted, the proposed masked version is already in the editor, and one key acts
(console.js: j/k, a, e; r only goes to the refusal's reason: a refusal cannot be undone, so
it takes a second, deliberate key on its button); with JavaScript each decision swaps in the
next item without a reload, and the list follows other CMs' decisions by polling the API with
an ETag.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from marshmallow import Schema, fields, validate
from nameko.rpc import RpcProxy

from gateway.routes.moderation import ITEM_PATH
from services.moderation.detector import tags_text
from services.moderation.domain import UNDOABLE, WAITING
from services.moderation.schemas import (
    CM_HOLD_REASONS,
    CONFIRMABLE_KINDS,
    DETECTOR_KINDS,
    QUEUE_FILTERS,
    REJECT_REASONS,
    DecisionSchema,
)
from services.shared import ids
from services.shared.actors import (
    ADVISOR,
    MODERATOR_ROLES,
    holds_any,
    is_moderator,
    is_person,
    roles,
)
from services.shared.errors import NotFound

from ..i18n import DISPLAY_ZONE, format_date, parse_time
from ..page import PageCall, gather, page
from ..social_cases import network_label
from .account import field_errors
from .public import RULES_REASONS  # the refusals a CM cites: those the rules explain

QUEUE_PAGE = 30
# the console's decisions whose undo is offered: those that leave the item in domain.UNDOABLE
UNDOABLE_DECISIONS = ("approve", "redact")
AUTHOR_HISTORY = 5
AUTHOR_FLAGS = 50  # flags on the author's contributions counted on the queue ("50+" beyond)
CLOSE_TO_TARGET = 0.75  # an item past three quarters of its target is shown as close
# the decisions said in their own words (`wording()`): keep online / remove / edit, not mask
WORDED_DONE = ("approve_flags", "reject_flags", "redact_flags", "redact_edit")
USERS_PER_CALL = 100  # identity.get_users takes at most 100 ids
EXTERNAL_AUTHOR = "external:"  # a social case nobody matched: "external:<channel>"
# what the detector, redaction and rejection forms say when a field is refused
DECISION_MESSAGES = {"reason_code": "console.invalid_reason", "title": "console.invalid_title",
                     "body": "console.invalid_body",
                     "not_confidential": "console.invalid_not_confidential",
                     # an approval refused: a bank identifier is never published as written
                     "decision": "console.invalid_decision"}


class QueueScreenQuery(Schema):
    reason = fields.String(validate=validate.OneOf(QUEUE_FILTERS))
    cursor = fields.String(allow_none=True, validate=validate.Length(max=500))
    item = ids.MODERATION_ITEM.field()
    done = fields.String(validate=validate.OneOf(["approve", "reject", "redact", "undo",
                                                  *WORDED_DONE]))
    undo = ids.MODERATION_ITEM.field()  # the item just decided, while its undo is offered
    # the refusal's reason (its code): the confirmation says what the author was told
    told = fields.String(validate=validate.OneOf(list(REJECT_REASONS)))
    # the item just decided, which the confirmation names (`done_item`): its id, never its title
    decided = ids.MODERATION_ITEM.field()


def require_roles(call: PageCall, allowed: Iterable[str]) -> None:
    """404 for whoever may not use this console screen (its URLs are not advertised)."""
    if not (is_person(call.actor) and holds_any(roles(call.actor), allowed)):
        raise NotFound("no such page", {"path": call.request.path})


def require_console(call: PageCall) -> None:
    """The community managers' screens: CMs and admins."""
    require_roles(call, MODERATOR_ROLES)


def form_problem(call: PageCall, errors: dict[str, Any] | None,
                 keys: dict[str, str], detail: str | None = None) -> dict[str, Any]:
    """A refused console form as its screens show it: one sentence, then each field's message
    in the reader's language (the member pages' `field_errors`: never a validator's text)."""
    return {"detail": detail or call.t("console.fix_fields"),
            "errors": field_errors(call, errors, keys)}


def shown_problem(call: PageCall, body: dict[str, Any], keys: dict[str, str]
                  ) -> dict[str, Any]:
    """A service's refusal (a problem's body) as a console screen shows it: the field errors
    as `form_problem` says them, else the service's detail (in the reader's language)."""
    if body.get("errors"):
        return form_problem(call, body["errors"], keys)
    return body


def display_names(call: PageCall, identity: Any, user_ids: Iterable[str | None]
                  ) -> dict[str, str]:
    """Display names of the people a console page names, 100 per call, in parallel. An
    unmatched social author ("external:<channel>") is named as such, and an account that no
    longer exists is left out (the page says "member"): neither may break the page."""
    wanted = sorted({user_id for user_id in user_ids if user_id})
    people = [user_id for user_id in wanted if ids.USER.matches(user_id)]
    chunks = [people[at:at + USERS_PER_CALL] for at in range(0, len(people), USERS_PER_CALL)]
    found = gather(**{f"c{n}": identity.get_users.call_async(chunk)
                      for n, chunk in enumerate(chunks)})
    names = {user["id"]: user.get("display_name") or "" for reply in found.values()
             for user in reply.get("items") or []}
    for user_id in wanted:
        if user_id.startswith(EXTERNAL_AUTHOR):
            names[user_id] = call.t("staff.external_author", channel=network_label(
                call.t, user_id.removeprefix(EXTERNAL_AUTHOR)))
    return names


def highlighted(text: str | None, findings: list[dict[str, Any]], field: str
                ) -> list[dict[str, Any]]:
    """`text` cut into pieces, those the detector found marked with their kind (for <mark>)."""
    text = text or ""
    pieces, at = [], 0
    for finding in sorted((f for f in findings if f.get("field") == field),
                          key=lambda f: f["start"]):
        start, end = max(finding["start"], at), min(finding["end"], len(text))
        if start >= end:
            continue
        if start > at:
            pieces.append({"text": text[at:start], "kind": None})
        pieces.append({"text": text[start:end], "kind": finding["kind"]})
        at = end
    if at < len(text) or not pieces:
        pieces.append({"text": text[at:], "kind": None})
    return pieces


def approval_checks(call: PageCall, item: dict[str, Any] | None) -> dict[str, Any]:
    """What an approval of `item` meets (moderation decides; this only says it beforehand):
    the kinds found that are never approved (`never`: redact or reject), and the contact
    details the CM must state are public to approve (`confirm`: one checkbox each)."""
    found = {finding["kind"] for finding in (item or {}).get("findings") or []}
    kinds = [kind for kind in DETECTOR_KINDS if kind in found]
    never = [kind for kind in kinds if kind not in CONFIRMABLE_KINDS]
    return {"never": never, "confirm": [kind for kind in kinds if kind in CONFIRMABLE_KINDS],
            "never_names": ", ".join(call.t(f"console.kind_{kind}") for kind in never)}


def decided_elsewhere(call: PageCall, identity: Any, item: dict[str, Any]
                      ) -> dict[str, Any] | None:
    """How an item another CM (or this one, in another tab) decided meanwhile is told: the
    sentence that names who made the decision (their display name, as staff see it; "you";
    nobody when it is not a person), the decision and the time it was made — all of which the
    item carries (`decided_by`, `decided_at`), in the words its buttons had: a flagged
    contribution's (kept online, removed, an edited version published — `wording`'s `flags`)
    unless the detector found something in it (approved, refused, a masked version). None for
    an item withdrawn (its own wording says why)."""
    if item.get("state") not in ("approved", "rejected", "redacted"):
        return None
    # decided, the item keeps no text to scan: the kinds its hold recorded stand for `findings`
    flagged = "_flags" if item.get("review") == "flags" and not item.get("detector_kinds") \
        else ""
    by = item.get("decided_by")
    if by and by == (call.actor or {}).get("id"):
        who, name = "_you", None
    else:
        name = display_names(call, identity, [by]).get(by) if by else None
        who = "_by" if name else ""
    return {"text": call.t(f"console.decided{flagged}_{item['state']}{who}", name=name,
                           at=decided_when(call, parse_time(item.get("decided_at"))))}


def decided_when(call: PageCall, moment: datetime | None) -> str:
    """When a decision was made, as a CM reads it beside their own clock: « à 10 h 42 » today
    (Paris time, as every date on the site); another day's, with its date."""
    if moment is None:
        return call.t("console.decided_recently")
    local = moment.astimezone(DISPLAY_ZONE)
    clock = call.t("console.time_of_day", hour=str(local.hour), minute=f"{local:%M}",
                   hour12=str(local.hour % 12 or 12), half="AM" if local.hour < 12 else "PM")
    if local.date() == datetime.now(DISPLAY_ZONE).date():
        return call.t("console.decided_at_today", time=clock)
    return call.t("console.decided_at_day", day=format_date(call.language, local), time=clock)


def done_item(call: PageCall, moderation: Any, identity: Any, item_id: str | None
              ) -> str | None:
    """The item a confirmation names, so that a CM deciding fast knows what its undo undoes:
    its kind, its author and how long it had waited (as the list said it; a closed flags round
    keeps no wait) — never its text: a decided item keeps no masked headline, and a title never
    travels in an address. None when moderation no longer knows it."""
    item, _ = call.attempt(moderation.get_item, call.actor, item_id) if item_id else (None, None)
    if not item:
        return None
    author = item.get("author_id")
    name = (display_names(call, identity, [author]).get(author) if author else None) \
        or call.t("common.member")
    held, decided = parse_time(item.get("held_at")), parse_time(item.get("decided_at"))
    kind = call.t(f"console.target_{item.get('target_type') or 'post'}")
    if held and decided:
        return call.t("console.done_item_waited", kind=kind, name=name, waited=duration(
            call, decided.timestamp() - held.timestamp()))
    return call.t("console.done_item", kind=kind, name=name)


def wording(item: dict[str, Any] | None) -> str | None:
    """How the decisions on `item` are worded. The detector's (None: mask and publish, approve
    as is, refuse) when it found something; else `flags` for a flagged contribution still
    public (keep online, edit and publish, remove), `edit` for a text out of public view — held
    for review, or taken down by flags or by an undo — (approve, edit and publish, refuse)."""
    if not item or item.get("findings") or item.get("state") not in WAITING:
        return None
    # a flags item waits open (or escalated) while its contribution is visible; held, it is not
    live = item.get("review") == "flags" and item.get("state") in ("open", "review")
    return "flags" if live else "edit"


def thread_href(item: dict[str, Any]) -> str:
    """Where members read the item's contribution: its thread (a reply: its place in it)."""
    anchor = f"#reply-{item['target_id']}" if item.get("target_type") == "reply" else ""
    return f"/posts/{item['post_id']}{anchor}"


def public_now(item: dict[str, Any]) -> str | None:
    """What members see of the item's contribution right now (console.public_<...>): a CM
    judging a flagged reply must know it is live, one judging an edit that the previous
    version is. None when moderation does not know (an item without its contribution)."""
    state = item.get("target_state")
    if item.get("review") == "flags":
        # the flags item's own state is moderation's decision, known before the contribution's
        # (posts applies it, then moderation reads it back): a CM who just held or undid must
        # not read "visible publicly" in red, nor "hidden" right after an approval
        if item.get("state") == "held" and state == "published":
            return "hidden"
        if item.get("state") == "approved" and state == "hidden":
            return "live"
    if state in ("deleted", "rejected", "hidden"):
        return state
    if state == "published":
        return "previous" if item.get("review") == "content" else "live"
    if state == "pending":
        return "never"
    return None


def urgency(item: dict[str, Any]) -> str:
    """ok | close | past: an item's wait against its response-time target."""
    target = item.get("target_seconds") or 0
    if item.get("breached"):
        return "past"
    if target and (item.get("waiting_seconds") or 0) >= CLOSE_TO_TARGET * target:
        return "close"
    return "ok"


def duration(call: PageCall, seconds: float | None) -> str:
    """A wait, short: 45 s, 12 min, 3 h 05, 2 d (in the reader's language; a whole number of
    hours as that language says it: « 12 h 00 », "12 h" — console_clocks.js formatWait too)."""
    seconds = max(0, int(seconds or 0))
    if seconds < 60:
        return call.t("console.seconds", count=seconds)
    if seconds < 3600:
        return call.t("console.minutes", count=seconds // 60)
    if seconds < 48 * 3600:
        if not seconds % 3600 // 60:
            return call.t("console.hours_whole", hours=seconds // 3600)
        return call.t("console.hours", hours=seconds // 3600,
                      minutes=f"{seconds % 3600 // 60:02d}")
    return call.t("console.days", count=seconds // 86400)


# Where an item's page lands: its detail (the confirmation of the previous decision, then the
# item). On a phone the queue's list comes first, ~2,000 px above; on wider screens the detail
# is beside the list and console.css keeps the page at its top (scroll-margin).
DETAIL = "#queue-detail"


def queue_href(reason: str | None = None, item: str | None = None,
               cursor: str | None = None, done: str | None = None,
               undo: str | None = None, told: str | None = None,
               decided: str | None = None) -> str:
    params = [(k, v) for k, v in (("reason", reason), ("cursor", cursor), ("item", item),
                                  ("done", done), ("undo", undo), ("told", told),
                                  ("decided", decided)) if v]
    return "/console/moderation" + (f"?{urlencode(params)}" if params else "")


def item_href(reason: str | None, item: str) -> str:
    """An item's page, landing on its detail (`DETAIL`)."""
    return queue_href(reason, item) + DETAIL


class ConsolePages:
    moderation = RpcProxy("moderation")
    identity = RpcProxy("identity")

    @page("GET", "/console")
    def console_home_page(self, call: PageCall):
        """The first tab the staff member's roles open (the console's navigation: _nav.html)."""
        if is_person(call.actor) and ADVISOR in roles(call.actor) \
                and not is_moderator(call.actor):
            return call.redirect("/console/conversations")
        require_console(call)
        return call.redirect("/console/moderation")

    @page("GET", "/console/moderation", query=QueueScreenQuery)
    def console_queue_page(self, call: PageCall):
        require_console(call)
        return self._queue_screen(call, call.query)

    def _queue_screen(self, call: PageCall, query: dict[str, Any], status: int = 200,
                      problem: Any = None, draft: dict[str, Any] | None = None,
                      conflict: bool = False):
        """`conflict`: `problem` is a decision refused because the item no longer waits (409):
        the screen then says once how it was decided, not the service's refusal as well."""
        reason = query.get("reason")
        listing = {"limit": QUEUE_PAGE, **({"reason": reason} if reason else {}),
                   **({"cursor": query["cursor"]} if query.get("cursor") else {})}
        queue = self.moderation.queue(call.actor, listing)
        items = queue["items"]
        wanted = query.get("item")
        current = next((item for item in items if item["id"] == wanted), None)
        gone = False
        if wanted and current is None:
            # not on this page: decided meanwhile (by another CM), or further down the queue
            current, _ = call.attempt(self.moderation.get_item, call.actor, wanted)
            gone = current is not None and current.get("state") not in WAITING
        decided = decided_elsewhere(call, self.identity, current) if gone else None
        if decided and conflict:
            problem = None  # the decision came too late: `decided` says what became of it
        # asked for an item moderation does not have (a thread's "open in the console" on a
        # contribution nobody flagged or held): said, then the queue as usual
        unknown = bool(wanted) and current is None
        if current is None and items:
            current = items[0]
        author = notes = flags = None
        history: list[dict[str, Any]] = []
        if current is not None and not gone:
            # the author's record as moderation knows it: their other contributions whatever
            # became of them (refused ones too), and the flags raised on them
            author_id = current["author_id"]
            found = gather(
                author=self.identity.get_user.call_async(author_id),
                notes=self.moderation.member_notes.call_async(call.actor, author_id),
                history=self.moderation.member_contributions.call_async(
                    call.actor, author_id, {"limit": AUTHOR_HISTORY + 1}),
                flags=self.moderation.member_flags.call_async(
                    call.actor, author_id, {"side": "on", "limit": AUTHOR_FLAGS}))
            author, notes, flags = found["author"], found["notes"], found["flags"]
            history = [item for item in found["history"]["items"]
                       if item["id"] != current["target_id"]][:AUTHOR_HISTORY]
        # held by a CM (from its thread, or undoing a decision), not by flags: who, and when
        held_cause = None
        by_staff = next((why for why in current.get("reasons") or []
                         if why in CM_HOLD_REASONS), None) if current and not gone else None
        if by_staff and current.get("state") == "held":
            by = current.get("held_by")
            held_cause = {"key": f"console.flags_cause_{by_staff}", "name": (
                display_names(call, self.identity, [by]).get(by) if by else None)
                or call.t("common.member"), "at": current.get("taken_at")
                or current.get("held_at")}
        position = next((n for n, item in enumerate(items) if current and
                         item["id"] == current["id"]), None)
        neighbours = {
            "previous": items[position - 1]["id"] if position else None,
            "next": items[position + 1]["id"] if position is not None
            and position + 1 < len(items) else None,
        }
        filters = [{"reason": None, "label": "console.filter_all"}] + [
            {"reason": name, "label": f"console.filter_{name}"} for name in QUEUE_FILTERS]
        return call.render(
            "console/moderation.html", status=status, title=call.t("console.queue_title"),
            noindex=True, section="console", console_tab="moderation",
            items=items, waiting=queue.get("waiting", 0), current=current, gone=gone,
            decided=decided,
            author=author, notes=notes, history=history, neighbours=neighbours, reason=reason,
            flags_on_author={"count": len(flags["items"]), "more": bool(flags["next_cursor"])}
            if flags else None,
            filters=filters, reject_reasons=RULES_REASONS, done=query.get("done"),
            undo_item=query.get("undo"), undoable=UNDOABLE, unknown=unknown,
            told=query.get("told"), item_href=item_href,
            done_item=done_item(call, self.moderation, self.identity, query.get("decided"))
            if query.get("done") else None,
            next_page=queue_href(reason, cursor=queue["next_cursor"])
            if queue.get("next_cursor") else None,
            queue_href=queue_href, urgency=urgency, highlighted=highlighted, tags_text=tags_text,
            thread_href=thread_href, public_now=public_now, held_cause=held_cause,
            duration=lambda seconds: duration(call, seconds),
            problem=problem, draft=draft or {},
            approval=approval_checks(call, None if gone else current),
            wording=None if gone else wording(current),
            decision_query="?" + urlencode([(k, v) for k, v in (
                ("reason", reason), ("next_item", neighbours["next"]),
                ("wording", None if gone else wording(current))) if v]),
            poll_url="/api/v1/moderation/queue?" + urlencode(listing))

    @page("POST", "/console/moderation/items/{id}/decision", path_params=ITEM_PATH,
          form=DecisionSchema)
    def console_decide_page(self, call: PageCall):
        """approve | reject (reason code) | redact (the CM's text): the API's decision RPC."""
        require_console(call)
        # where to go next travels in the action's query (the form is the API's body)
        reason = call.request.args.get("reason") or None
        reason = reason if reason in QUEUE_FILTERS else None
        upcoming = call.request.args.get("next_item") or None
        back = {"reason": reason, "item": call.path["id"]}
        if call.form_errors:
            return self._queue_screen(call, back, 400, form_problem(
                call, call.form_errors, DECISION_MESSAGES), call.raw_form)
        _, problem = call.attempt(self.moderation.decide, call.actor, call.path["id"],
                                  call.form)
        if problem is not None:
            return self._queue_screen(call, back, problem.status, shown_problem(
                call, problem.body, DECISION_MESSAGES), call.raw_form,
                conflict=problem.status == 409)
        if upcoming is not None and not ids.MODERATION_ITEM.matches(upcoming):
            upcoming = None
        decision = call.form["decision"]
        # the confirmation in the words the buttons used (a flag dismissed is "kept online")
        worded = f"{decision}_{call.request.args.get('wording')}"
        # a decision that left the contribution public can be undone (domain.UNDOABLE): the
        # next screen offers it for a while, the decided item's page afterwards
        undo = call.path["id"] if decision in UNDOABLE_DECISIONS else None
        # a refusal's confirmation says what its author was told (it cannot be undone)
        told = call.form.get("reason_code") if decision == "reject" else None
        return call.redirect(queue_href(reason, upcoming, undo=undo, told=told,
                                        done=worded if worded in WORDED_DONE else decision,
                                        decided=call.path["id"])
                             + DETAIL)

    @page("POST", "/console/moderation/items/{id}/undo", path_params=ITEM_PATH)
    def console_undo_page(self, call: PageCall):
        """Undo a decision (the API's undo RPC): the contribution leaves public view again
        and its flags item, back in the queue, opens to be decided again."""
        require_console(call)
        reason = call.request.args.get("reason") or None
        reason = reason if reason in QUEUE_FILTERS else None
        item, problem = call.attempt(self.moderation.undo, call.actor, call.path["id"])
        if problem is not None:
            return self._queue_screen(call, {"reason": reason, "item": call.path["id"]},
                                      problem.status, shown_problem(call, problem.body, {}))
        return call.redirect(queue_href(reason, item["id"], done="undo") + DETAIL)
