"""The flag workflow: a member reports a published post or reply. Several steps over the abuse
counters (dependencies.py `FlagGuard`), the read models and the item's stream; the rules of
whose flags hide a contribution are domain.py's (`is_trusted`, `flag`)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.shared import ids
from services.shared.actors import is_staff
from services.shared.envelope import utc_now
from services.shared.errors import NotFound
from services.shared.event_store import Commit

from . import domain
from .queries import ModerationQueries


def flag(guard, store, queries: ModerationQueries, decide: Callable[..., Commit | None],
         actor: dict[str, Any], target_type: str, target_id: str, reason: str,
         client: str | None, details: str | None = None) -> dict[str, Any]:
    """Idempotent per member; limited per account and per client address (429). `decide` is
    the service's `_decide` (append, then apply to the read models)."""
    ids.contribution(target_type).require(target_id)  # `<id>.flags` must be a flag item
    target = queries.views["targets"].find_one({"_id": target_id})
    if target is None or target.get("target_type") != target_type:
        raise NotFound.from_catalogue(f"no_such_{target_type}", {"id": target_id})
    target = {**target, "target_type": target_type}
    now, flagger = utc_now(), actor["id"]
    keys = {} if is_staff(actor) else guard.flag_keys(flagger, client)
    guard.flags.check(keys, now, "too_many_flags")
    guard.flags.record(keys, now)
    item_id = domain.flags_item_id(target_id)
    item = domain.fold_item(store.load(item_id))
    policy = queries.policy()
    member = queries.views["members"].find_one({"_id": flagger}) or {}
    standing = domain.FlaggerStanding(
        approved=int(member.get("approved", 0)), member_since=member.get("since"),
        shares_address=guard.shares_address(item_id, item.round, flagger, client))
    trusted = domain.is_trusted(actor, standing, policy, now)
    guard.record_source(item_id, item.round, flagger, client, now)
    round_flaggers = item.trusted_flaggers | ({flagger} if trusted else set())
    mass_hiders = guard.mass_hiders(round_flaggers, now)
    commit = decide(item_id, lambda history: domain.flag(
        actor, domain.fold_item(history), target, reason, trusted, policy, mass_hiders), actor)
    held = bool(commit) and any(e.type == "moderation.item_held" for e in commit.events)
    if held:
        guard.record_hide(round_flaggers, now)
    if details:
        explain(decide, actor, commit, item, target, details)
    return {"target_type": target_type, "target_id": target_id, "flagged": True, "held": held}


def explain(decide: Callable[..., Commit | None], actor: dict[str, Any], commit: Commit | None,
            item: domain.Item, target: dict[str, Any], details: str) -> None:
    """The flagger's words, after their flag (on a private stream of their own): a flag sent
    again (nothing new to commit: the member flagged this round already) still gets the words
    its first sending may have lost."""
    flagged = next((e.payload for e in (commit.events if commit else [])
                    if e.type == "moderation.item_flagged"), None) or {
        "item_id": item.id or domain.flags_item_id(target["_id"]),
        "target_type": target["target_type"], "target_id": target["_id"],
        "flagger_id": actor["id"], "round": item.round}
    decide(domain.flag_words_stream(flagged["target_id"], flagged["round"], flagged["flagger_id"]),
           lambda history: domain.explain_flag(flagged, details, history), actor)
