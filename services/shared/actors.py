"""Who acts: the role vocabulary and the checks every service and the gateway share.

An *actor* is what the gateway passes with every RPC, built from the access token::

    {"id": "u1", "kind": "user", "roles": ["member", "community_manager"], "language": "fr"}

`kind` is "user" for a person (the default) or "service" for a bank system calling with a client
credential (the social-channel intake). Roles are identity's; a service never looks them up, it
trusts the token the gateway verified. Defined once here so that "staff" or "moderator" means the
same thing in every service, in the gateway's route levels and in the console.

    >>> is_staff({"id": "u1", "roles": ["member", "advisor"]})
    True
    >>> is_moderator({"id": "u1", "roles": ["advisor"]})
    False
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .errors import AgoraError, Forbidden, Unauthenticated

Actor = dict[str, Any]

MEMBER = "member"
ADVISOR = "advisor"
COMMUNITY_MANAGER = "community_manager"
ADMIN = "admin"

ROLES = (MEMBER, ADVISOR, COMMUNITY_MANAGER, ADMIN)  # in the order they are listed
GRANTABLE = (ADVISOR, COMMUNITY_MANAGER, ADMIN)  # member is everyone's, never granted
STAFF_ROLES = frozenset(GRANTABLE)  # the bank's people
MODERATOR_ROLES = frozenset({COMMUNITY_MANAGER, ADMIN})  # who moderates and runs the community

USER, SERVICE = "user", "service"  # actor kinds


def roles(actor: Actor | None) -> set[str]:
    return set((actor or {}).get("roles") or ())


def holds_any(role_names: Iterable[str] | None, wanted: Iterable[str]) -> bool:
    """Whether a list of roles (a token's, a stored account's) meets any of `wanted`."""
    return bool(set(role_names or ()) & set(wanted))


def is_staff(actor: Actor | None) -> bool:
    return holds_any(roles(actor), STAFF_ROLES)


def still_staff(role_names: Iterable[str] | None, erased: bool = False) -> bool:
    """Whether a stored account is bank staff *now* (its roles as last read) and not erased:
    who may be brought into a customer's conversation, by a colleague or by an absence's rule,
    and who still covers for an absent advisor (conversations and identity decide alike)."""
    return not erased and holds_any(role_names, STAFF_ROLES)


def is_moderator(actor: Actor | None) -> bool:
    return holds_any(roles(actor), MODERATOR_ROLES)


def is_person(actor: Actor | None) -> bool:
    """A signed-in person (not an anonymous caller, not a bank system's credential)."""
    return bool(actor and actor.get("id") and actor.get("kind", USER) == USER)


def require_member(actor: Actor | None, refusal: str = "sign_in_first",
                   error: type[AgoraError] = Unauthenticated) -> Actor:
    """The actor, who must be a signed-in person (401 otherwise). `refusal`: the catalogue key
    of the message, when a service says why in its own words."""
    if not is_person(actor):
        raise error.from_catalogue(refusal)
    return actor  # type: ignore[return-value]


def require_staff(actor: Actor | None, refusal: str = "sign_in_first") -> Actor:
    """One of the bank's people (401 with `refusal` when not signed in, 403 otherwise)."""
    actor = require_member(actor, refusal)
    if not is_staff(actor):
        raise Forbidden.from_catalogue("bank_staff_only")
    return actor


def require_moderator(actor: Actor | None, action: str | None = None) -> Actor:
    """A community manager or an admin (403, naming `action` — a key of the catalogue's `action`
    section — when given). Role checks answer 403 to anyone else, signed in or not: the gateway
    has already asked anonymous callers to sign in, so a service only says who may."""
    if not (is_person(actor) and is_moderator(actor)):
        if action is None:
            raise Forbidden.from_catalogue("moderators_only")
        raise Forbidden.from_catalogue("moderators_can", terms={"action": f"action.{action}"})
    return actor  # type: ignore[return-value]


def require_admin(actor: Actor | None, action: str) -> Actor:
    """An admin (403 naming `action`, a key of the catalogue's `action` section)."""
    if not (is_person(actor) and ADMIN in roles(actor)):
        raise Forbidden.from_catalogue("admins_can", terms={"action": f"action.{action}"})
    return actor  # type: ignore[return-value]
