"""conversations' ``absences`` read model (services/conversations/absence.py), fed by identity's
`identity.advisor_absence_set`: applied once in effect — an event applied again, or a late
redelivery of an older declaration after the advisor came back, changes nothing — and read by
the rule as « who covers for this advisor today »."""
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.conversations import absence
from services.conversations.projections import VIEWS
from services.shared.members import ADVISOR_ABSENCE_SET
from services.shared.projections import ProjectionRunner

from ..notifications.events import received

pytestmark = pytest.mark.integration


def declared(advisor_id, version, backup_id, until):
    return received(ADVISOR_ABSENCE_SET, f"user-{advisor_id}", version, {
        "advisor_id": advisor_id, "backup_id": backup_id, "until": until})


def identity_event(event_type, user_id, version, **payload):
    return received(event_type, f"user-{user_id}", version, {"user_id": user_id, **payload})


def test_absences_apply_once_and_in_the_advisors_order(logged_store):
    store, _ = logged_store("conversations")
    runner = ProjectionRunner(VIEWS, store)
    advisor, backup, other = (f"u-{uuid.uuid4().hex[:8]}" for _ in range(3))
    runner.record_and_apply(identity_event("identity.role_granted", backup, 1, role="advisor"))
    now = datetime.now(UTC)
    until = (now.date() + timedelta(days=5)).isoformat()
    away = declared(advisor, 1, backup, until)

    runner.record_and_apply(away)
    runner.record_and_apply(away)  # re-delivered
    since = runner.rm[absence.COLLECTION].find_one({"_id": advisor})["since"]
    assert absence.backups(runner.rm, advisor, now) == {advisor: {"id": backup, "since": since}}
    assert absence.backups(runner.rm, other, now) == {}  # nobody declared
    assert absence.backups(runner.rm, None, now) == {}  # a conversation without advisor

    # the day they are back (from midnight at the bank, Paris: 23:00 UTC the day before in
    # winter), and after it, nobody covers any more
    back_day = datetime.fromisoformat(until).replace(tzinfo=ZoneInfo("Europe/Paris"))
    assert absence.backups(runner.rm, advisor, back_day - timedelta(seconds=1)) == {
        advisor: {"id": backup, "since": since}}
    assert absence.backups(runner.rm, advisor, back_day) == {}

    # back early (v2), then the older declaration (v1) is delivered again: still back
    runner.record_and_apply(declared(advisor, 2, None, None))
    runner.record_and_apply(away)
    assert absence.backups(runner.rm, advisor, now) == {}
    assert runner.rm[absence.COLLECTION].find_one({"_id": advisor})["until"] is None


def test_a_backup_no_longer_staff_or_erased_is_brought_in_by_no_absence(logged_store):
    """Declared when the backup was staff; the role revoked since (or the account erased): the
    rule, like a colleague adding them by hand, brings them in no more (`domain.may_join`)."""
    store, _ = logged_store("conversations")
    runner = ProjectionRunner(VIEWS, store)
    now = datetime.now(UTC)
    until = (now.date() + timedelta(days=5)).isoformat()
    for ends in ("revoked", "erased"):
        advisor, backup = (f"u-{uuid.uuid4().hex[:8]}" for _ in range(2))
        runner.record_and_apply(identity_event("identity.user_registered", backup, 1,
                                               roles=["member"], display_name="Bo Relais"))
        runner.record_and_apply(identity_event("identity.role_granted", backup, 2,
                                               role="advisor"))
        runner.record_and_apply(declared(advisor, 1, backup, until))
        assert absence.backups(runner.rm, advisor, now), ends
        if ends == "revoked":
            runner.record_and_apply(identity_event("identity.role_revoked", backup, 3,
                                                   role="advisor"))
        else:
            runner.record_and_apply(identity_event("identity.user_erased", backup, 3,
                                                   erased_at=now.isoformat()))
        assert absence.backups(runner.rm, advisor, now) == {}, ends
