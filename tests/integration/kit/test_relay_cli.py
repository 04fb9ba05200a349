"""`agora relay <service>` as the on-call SRE runs it while a pod's relay is alive: the lease is
that pod's, this command publishes nothing, and it says so — "0 event(s) published" read as
"nothing is pending" while the backlog grew (runbook, AgoraOutboxBacklogGrowing)."""
from datetime import timedelta

import pytest

from services.shared.envelope import utc_now
from services.shared.outbox import LEASES

from .test_dead_letters_cli import agora  # noqa: F401 (the fixture: `agora ...` in this test's vhost)

pytestmark = pytest.mark.integration


def test_relay_says_when_a_live_pods_relay_holds_the_lease(agora, mongo_client,  # noqa: F811
                                                           service_config):
    status, out, _ = agora("relay", "feeds")
    assert status == 0 and out.strip() == "feeds: 0 event(s) published"  # nobody else's lease

    leases = mongo_client[f"{service_config['MONGO_DB_PREFIX']}_feeds"][LEASES]
    leases.replace_one({"_id": "feeds"}, {"_id": "feeds", "owner": "feeds-pod-1:7:abc",
                                          "expires_at": utc_now() + timedelta(minutes=5)},
                       upsert=True)
    status, out, _ = agora("relay", "feeds")
    assert status == 0
    assert out.strip() == ("feeds: nothing published from here: a running pod's relay holds "
                           "the lease and publishes what is pending itself "
                           "(agora_outbox_backlog says how much)")
    assert leases.find_one({"_id": "feeds"})["owner"] == "feeds-pod-1:7:abc"  # left to it
