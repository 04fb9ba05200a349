"""The erasure report's counting (pure): personal fields of the member's events, sealed or in
clear; nothing else counts."""
import doctest

import pytest

from services.ops import erasure_status
from services.ops.erasure_status import count_personal_values, identity_streams

pytestmark = pytest.mark.unit

SEALED = {"sealed": "v1", "subject": "u1", "nonce": "bm9uY2U=", "data": "ZGF0YQ=="}


def test_the_examples_hold():
    assert doctest.testmod(erasure_status).failed == 0


def test_only_the_members_personal_fields_count():
    commits = [
        {"events": [
            {"type": "identity.user_registered",
             "payload": {"user_id": "u1", "display_name": SEALED, "customer": True}},
            # someone else's event in clear is not this member's
            {"type": "identity.profile_updated",
             "payload": {"user_id": "u2", "display_name": "Bob", "bio": "b"}},
            # not a personal field, not a personal event
            {"type": "identity.user_verified", "payload": {"user_id": "u1", "badge": "x"}},
            {"type": "identity.user_erased", "payload": {"user_id": "u1", "erased_at": "t"}},
        ]},
        {"events": [{"type": "identity.contact_changed",
                     "payload": {"user_id": "u1", "email": "ada@example.org"}}]},
        {"events": [{"type": "identity.user_registered",
                     "payload": {"user_id": "u1", "display_name": {
                         "sealed": "v1", "subject": "u1", "erased": True}}}]},
    ]
    assert count_personal_values(commits, "u1") == {"sealed": 2, "clear": 1}
    assert count_personal_values([], "u1") == {"sealed": 0, "clear": 0}


def test_identitys_own_streams_and_the_copies_of_others():
    assert identity_streams("identity", "u1") == ["user-u1", "account-u1"]
    assert identity_streams("notifications", "u1") == ["identity:user-u1",
                                                       "identity:account-u1"]
