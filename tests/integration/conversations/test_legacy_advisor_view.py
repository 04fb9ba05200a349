"""Conversations started before `advisor_id` was written into their first event: the domain
read their advisor from the seats (`domain.seated_advisor`), the read model left it null, so the
console named that advisor an invited colleague and offered them « Quitter », which the service
refused (403). Both now read it the one way (a replay fills in the rows written before)."""
from __future__ import annotations

import functools

import pytest

from services.conversations import domain
from services.conversations.projections import VIEWS
from services.shared.envelope import CommandContext, NewEvent
from tests.integration import as_they_come
from tests.unit.streams import stored

pytestmark = pytest.mark.integration

MODELS = ("conversations",)
LEGACY_STARTED = {"conversation_id": "c-legacy", "member_id": "m1",
                  "participant_ids": ["m1", "a1"], "pool": None, "origin": "member"}


@pytest.fixture
def fresh(mongo_client, db_prefix):
    return as_they_come.fresh_stores(mongo_client, f"{db_prefix}_conv_legacy", "conversations")


applied = functools.partial(as_they_come.applied, VIEWS, names=MODELS)


def test_a_conversation_started_before_advisor_id_has_its_advisor_in_the_read_model(fresh):
    events = stored([NewEvent(domain.STARTED, dict(LEGACY_STARTED))],
                    domain.stream("c-legacy"), context=CommandContext(actor="m1"))
    assert domain.fold(events).advisor_id == "a1"
    [row] = applied(fresh(), events, batched=False)["conversations"]
    assert row["advisor_id"] == "a1"
