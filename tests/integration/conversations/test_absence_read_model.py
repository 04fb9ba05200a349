"""conversations' ``absences`` read model (services/conversations/absence.py), fed by identity's
`identity.advisor_absence_set`: applied once in effect — an event applied again, or a late
redelivery of an older declaration after the advisor came back, changes nothing — and read by
the rule as « who covers for this advisor today »."""
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.conversations import absence
from services.conversations.projections import VIEWS
from services.shared.projections import ProjectionRunner

from ..notifications.events import received

pytestmark = pytest.mark.integration


def declared(advisor_id, version, backup_id, until):
    return received(absence.ABSENCE_SET, f"user-{advisor_id}", version, {
        "advisor_id": advisor_id, "backup_id": backup_id, "until": until})


def test_absences_apply_once_and_in_the_advisors_order(logged_store):
    store, _ = logged_store("conversations")
    runner = ProjectionRunner(VIEWS, store)
    advisor, backup, other = (f"u-{uuid.uuid4().hex[:8]}" for _ in range(3))
    now = datetime.now(UTC)
    until = (now.date() + timedelta(days=5)).isoformat()
    away = declared(advisor, 1, backup, until)

    runner.record_and_apply(away)
    runner.record_and_apply(away)  # re-delivered
    assert absence.backups(runner.rm, advisor, now) == {advisor: backup}
    assert absence.backups(runner.rm, other, now) == {}  # nobody declared
    assert absence.backups(runner.rm, None, now) == {}  # a conversation without advisor

    # the day they are back, and after it, nobody covers any more
    back_day = datetime.fromisoformat(until).replace(tzinfo=UTC)
    assert absence.backups(runner.rm, advisor, back_day - timedelta(seconds=1)) == {
        advisor: backup}
    assert absence.backups(runner.rm, advisor, back_day) == {}

    # back early (v2), then the older declaration (v1) is delivered again: still back
    runner.record_and_apply(declared(advisor, 2, None, None))
    runner.record_and_apply(away)
    assert absence.backups(runner.rm, advisor, now) == {}
    assert runner.rm[absence.COLLECTION].find_one({"_id": advisor})["until"] is None
