"""Steps the conversations tests share."""
from __future__ import annotations

import uuid

from ...conftest import wait_for
from ..feeds.fixtures import admin_actor, register


def advised(rpc, conversations_db, advisor_name: str | None = None):
    """A customer and their advisor (named `advisor_name`, else a name of their own: two
    advisors of one test must not be named alike), once conversations has the assignment."""
    advisor, member = register(rpc, advisor_name or uuid.uuid4().hex[:12]), register(rpc)
    admin = admin_actor(rpc.config)
    rpc.identity.set_roles(admin, advisor["id"], ["member", "advisor"])
    advisor["roles"] = ["member", "advisor"]
    rpc.identity.set_verification(admin, member["id"], True)  # only customers have an advisor
    rpc.identity.assign_advisor(admin, member["id"], advisor["id"], "Nantes")
    wait_for(lambda: (conversations_db.members.find_one({"_id": member["id"]}) or {})
             .get("advisor_id") == advisor["id"], message="advisor assignment received")
    return member, advisor
