"""How fast a member writes (services/shared/write_limits.py), against the real database: a burst
allowance per minute, a ceiling per hour, staff not limited, 0 meaning no limit. The moments are
given (`now`), so an hour passes without waiting for it."""
from datetime import UTC, datetime, timedelta

import pytest

from services.shared import i18n
from services.shared.errors import TooManyRequests
from services.shared.write_limits import MESSAGES, WriteLimits, limits_from

pytestmark = pytest.mark.integration

MEMBER = {"id": "u-writer", "roles": ["member"]}
ADVISOR = {"id": "u-advisor", "roles": ["member", "advisor"]}
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def limits(mongo_client, db_prefix):
    limits = WriteLimits(mongo_client[f"{db_prefix}_posts"]["write_throttle"],
                         {"reply": (3, 5), "post": (0, 0)})
    limits.ensure_indexes()
    return limits


def write(limits, actor, kind, at):
    assert limits.written(actor, kind, lambda: "written", at) == "written"


def refusal(limits, actor, kind, at) -> TooManyRequests:
    with pytest.raises(TooManyRequests) as refused:
        write(limits, actor, kind, at)
    return refused.value


def test_a_burst_waits_for_the_minute_and_the_hour_caps_the_rest(limits):
    for second in range(3):
        write(limits, MEMBER, "reply", START + timedelta(seconds=second))
    burst = refusal(limits, MEMBER, "reply", START + timedelta(seconds=10))
    # the first of the three leaves the minute at 9:01:00, 50 seconds later
    assert burst.details == {"retry_after": 50} and burst.catalogue["key"] == "too_many_replies"
    assert burst.catalogue["params"] == {"minutes": 1}
    write(limits, ADVISOR, "reply", START + timedelta(seconds=10))  # staff are not limited
    write(limits, {**MEMBER, "id": "u-other"}, "reply", START + timedelta(seconds=10))

    later = START + timedelta(minutes=2)
    write(limits, MEMBER, "reply", later)
    write(limits, MEMBER, "reply", later + timedelta(seconds=1))
    hourly = refusal(limits, MEMBER, "reply", START + timedelta(minutes=5))
    # five within the hour: the next one when the first leaves it, at 10:00:00
    assert hourly.details == {"retry_after": 55 * 60} and hourly.catalogue["params"] == {
        "minutes": 55}
    write(limits, MEMBER, "reply", START + timedelta(hours=1, seconds=1))


def test_a_refused_write_is_not_counted_and_zero_means_no_limit(limits):
    for second in range(2):
        write(limits, MEMBER, "reply", START + timedelta(seconds=second))
    def refused_by_the_domain():  # the write itself failed (a locked thread, bad input)
        raise ValueError("refused")
    with pytest.raises(ValueError):
        limits.written(MEMBER, "reply", refused_by_the_domain, START + timedelta(seconds=2))
    write(limits, MEMBER, "reply", START + timedelta(seconds=3))  # still the third
    refusal(limits, MEMBER, "reply", START + timedelta(seconds=4))
    for second in range(20):  # posts: (0, 0), nothing read or written
        write(limits, MEMBER, "post", START + timedelta(seconds=second))
    assert limits.keys(MEMBER, "post") == {}
    assert limits.throttle.collection.count_documents({"key": "post:u-writer"}) == 0


def test_one_key_per_write_is_stored_for_both_windows(limits):
    write(limits, MEMBER, "reply", START)
    assert limits.throttle.collection.count_documents({"key": "reply:u-writer"}) == 1


def test_settings_and_messages():
    assert limits_from({}, ("post", "message")) == {"post": (3, 15), "message": (10, 120)}
    assert limits_from({"AGORA": {"post_limit_per_minute": "0", "post_limit_per_hour": "40"}},
                       ("post",)) == {"post": (0, 40)}
    for key in MESSAGES.values():
        for language in i18n.LANGUAGES:
            assert "2" in i18n.error_text(language, key, {"minutes": 2})
