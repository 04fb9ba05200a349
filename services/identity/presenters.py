"""What identity's RPCs return, shaped from the `users` read model and the account collections
(never a password hash, never token material)."""
from __future__ import annotations

from services.shared.actors import ROLES

from . import domain


def public_profile(user: dict) -> dict:
    roles = user.get("roles") or ["member"]
    return {
        "id": user["_id"],
        "display_name": user.get("display_name", ""),
        "bio": user.get("bio", ""),
        "roles": sorted(roles, key=ROLES.index) if set(roles) <= set(ROLES)
        else sorted(roles),
        "badges": domain.badges(roles, user.get("verified_customer", False)),
        "joined_at": user.get("joined_at"),
    }


def session_view(document: dict) -> dict:
    """A session for the data export: when and from where, never token material."""
    return {key: _iso(document.get(key)) for key in (
        "created_at", "refreshed_at", "expires_at", "revoked_at")} | {
        "id": document["_id"], "client": document.get("client"),
        "revoked_reason": document.get("revoked_reason")}


def login_view(document: dict) -> dict:
    return {"at": _iso(document.get("at")), "outcome": document.get("outcome"),
            "client": document.get("client"), "action": document.get("action", "login")}


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def private_profile(user: dict, advisor: dict | None) -> dict:
    assignment = user.get("advisor")
    return {
        **public_profile(user),
        "email": user.get("email", ""),
        "email_verified": bool(user.get("email_verified")),
        "customer": bool(user.get("customer")),
        "verified_customer": bool(user.get("verified_customer")),
        "advisor": advisor_view(assignment, advisor) if assignment and advisor else None,
        "language": user.get("language") or "fr",
    }


def advisor_view(assignment: dict, advisor: dict) -> dict:
    return {"advisor": public_profile(advisor), "branch": assignment["branch"],
            "assigned_at": assignment.get("assigned_at")}


def my_advisor_view(assignment: dict, advisor: dict, away: dict | None) -> dict:
    """`GET /me/advisor`: the assignment, and whether the advisor is away (`away`: until
    when, and the colleague answering meanwhile; None when not)."""
    return {**advisor_view(assignment, advisor), "away": away}
