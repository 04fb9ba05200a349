"""An advisor's absence, pure rules (services/identity/absence.py) and the shapes the gateway
answers: `until` tomorrow to 90 days ahead, the backup a colleague (nobody's address and a
member's refused alike), the same declaration twice is one event, and the views fit the
response schemas (a key missing there would be silently dropped)."""
from datetime import UTC, date, datetime

import pytest

from gateway.routes import identity as routes
from services.identity import absence
from services.identity.presenters import my_advisor_view
from services.shared.envelope import Envelope
from services.shared.errors import Forbidden, Unprocessable
from services.shared.members import ADVISOR_ABSENCE_SET

from .contracts import schema_keys

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 7, 17, 0, tzinfo=UTC)


def _event(version, payload):
    return Envelope(id=f"e{version}", type=ADVISOR_ABSENCE_SET, schema_version=1,
                    stream_id="user-a1", stream_version=version, occurred_at=NOW.isoformat(),
                    actor="a1", correlation_id=None, causation_id=None, payload=payload)


def test_until_is_ahead_and_at_most_ninety_days():
    assert absence.check_until(date(2026, 12, 8), NOW) == "2026-12-08"
    assert absence.check_until(date(2027, 3, 7), NOW) == "2027-03-07"  # 90 days
    for refused in (date(2026, 12, 7), date(2026, 12, 1), date(2027, 3, 8)):
        with pytest.raises(Unprocessable) as error:
            absence.check_until(refused, NOW)
        assert "until" in error.value.details["fields"]


def test_the_backup_is_a_colleague_not_oneself():
    nobody = pytest.raises(Unprocessable)
    with nobody as unknown:
        absence.check_backup("a1", None)
    with pytest.raises(Unprocessable) as member:
        absence.check_backup("a1", {"_id": "m1", "roles": ["member"]})
    assert unknown.value.details == member.value.details
    with pytest.raises(Unprocessable) as myself:
        absence.check_backup("a1", {"_id": "a1", "roles": ["member", "advisor"]})
    assert myself.value.details["fields"]["backup_email"] != unknown.value.details[
        "fields"]["backup_email"]
    assert absence.check_backup("a1", {"_id": "b1", "roles": ["community_manager"]}) == "b1"
    with pytest.raises(Forbidden):
        absence.require_advisor({"id": "c1", "roles": ["member", "community_manager"]})


def test_declared_once_back_once():
    set_ = {"advisor_id": "a1", "backup_id": "b1", "until": "2026-12-10"}
    assert [e.payload for e in absence.set_absence([], "a1", "b1", "2026-12-10")] == [set_]
    history = [_event(3, set_)]
    assert absence.set_absence(history, "a1", "b1", "2026-12-10") == []  # a retried PUT
    assert absence.end_absence([], "a1") == []
    back = absence.end_absence(history, "a1")
    assert [e.payload for e in back] == [{"advisor_id": "a1", "backup_id": None, "until": None}]
    assert absence.current([*history, _event(4, back[0].payload)]) is None
    assert absence.away(absence.current(history), NOW)
    assert not absence.away(absence.current(history), datetime(2026, 12, 10, tzinfo=UTC))


def test_views_fit_the_gateway_response_schemas():
    current = {"backup_id": "b1", "until": "2026-12-10"}
    view = absence.absence_view(current, {"display_name": "Bo", "email": "b@x.example"}, NOW)
    assert set(view) == schema_keys(routes.Absence)
    assert set(view["backup"]) == schema_keys(routes.AbsenceBackup)
    assert absence.absence_view(None, None, NOW) == {"until": None, "backup_id": None,
                                                     "backup": None}
    advisor = {"_id": "a1", "display_name": "Al", "roles": ["member", "advisor"],
               "joined_at": "t"}
    mine = my_advisor_view({"advisor_id": "a1", "branch": "Lyon"}, advisor, None)
    assert set(mine) == schema_keys(routes.MyAdvisor)
    assert set(routes.AdvisorAway._declared_fields) == {"until", "backup"}


def test_days_are_the_banks_not_utcs():
    """`until` is a day in Paris: back on the 10th means covered until 00:00 there (23:00 UTC
    in winter), and at 00:30 in Paris « today » is already the new day for the form too."""
    history = [_event(1, {"advisor_id": "a1", "backup_id": "b1", "until": "2026-12-10"})]
    late = datetime(2026, 12, 9, 22, 59, tzinfo=UTC)  # 23:59 in Paris on the 9th
    assert absence.away(absence.current(history), late)
    assert not absence.away(absence.current(history), datetime(2026, 12, 9, 23, 0, tzinfo=UTC))
    after_midnight = datetime(2026, 12, 7, 23, 30, tzinfo=UTC)  # the 8th, 00:30 in Paris
    with pytest.raises(Unprocessable):
        absence.check_until(date(2026, 12, 8), after_midnight)
    assert absence.check_until(date(2026, 12, 9), after_midnight) == "2026-12-09"
