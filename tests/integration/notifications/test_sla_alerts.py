"""Response-time alerts: a question left unanswered beyond its target notifies the CMs."""
import pytest

from ...conftest import wait_for
from ..feeds.fixtures import actor, admin_actor, post, published, register
from .deliveries import mails, notified

pytestmark = pytest.mark.integration


@pytest.fixture
def stack_config(stack_config):
    return {**stack_config, "AGORA": {**stack_config["AGORA"], "sla_site_seconds": 1}}


def test_an_sla_breach_notifies_every_community_manager(rpc, mailsink):
    managers = [register(rpc, f"Manager {n}") for n in range(2)]
    for manager in managers:
        rpc.identity.set_roles(admin_actor(rpc.config), manager["id"], ["community_manager"])
    author, bystander = register(rpc), register(rpc)
    question = published(rpc, post(rpc, author, title="Personne ne répond ?"))
    wait_for(lambda: rpc.moderation.raise_sla_breaches() >= 1, timeout=20,
             message="the question breaches its 1 s target")
    for manager in managers:
        [alert] = notified(rpc, manager, "sla_breach")
        assert alert["post_id"] == question
        assert alert["text"] == "Une question « Personne ne répond ? » attend une réponse de " \
                                "l’équipe depuis plus de 1 s"
        mails(mailsink, manager, containing="attend une réponse de l’équipe")
    assert rpc.notifications.inbox(actor(bystander), None)["items"] == []
