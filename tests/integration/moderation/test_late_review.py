"""An edit whose review comes only after a later revision was published (its delivery was
retried, or re-driven from the dead letters, while the author's next edit went through):
nothing is left to decide on it, so it opens no item in the queue."""
from __future__ import annotations

import pika
import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.utils import find_free_port

from services.moderation.service import ModerationService
from services.shared.consumer import handler_queue

from ...conftest import wait_for
from ..posts.fixtures import IBAN, cm, member, new_post, published, started

pytestmark = pytest.mark.integration

REVIEWS = handler_queue("posts", "posts.content_submitted", "moderation", "on_content_submitted")


def test_an_edit_reviewed_after_a_later_one_was_published_opens_no_item(
        request, container_factory, service_config):
    config, containers = started(request, container_factory, service_config)
    connection = pika.BlockingConnection(pika.URLParameters(config["AMQP_URI"]))
    channel = connection.channel()
    author = member()
    with ServiceRpcProxy("posts", config, timeout=15) as posts:
        post = new_post(posts, author, title="Plafond de ma carte", body="Comment l'augmenter ?")
        published(posts, post["id"])
        # moderation is down while the author sends an edit naming their IBAN: its review
        # waits in moderation's queue, where the test takes it, as a failed delivery leaves it
        containers[ModerationService].stop()
        posts.edit_post(author, post["id"], {"body": f"Mon IBAN est {IBAN}, et ma carte ?"})
        late = wait_for(lambda: _taken(channel), message="revision 2's review queued")
        _restart_moderation(container_factory, config)
        posts.edit_post(author, post["id"], {"body": "Comment augmenter le plafond, svp ?"})
        wait_for(lambda: posts.get_post(None, post["id"])["revision"] == 3,
                 message="revision 3 published")
        # revision 2's review comes back (re-driven), and a new post's review after it: that
        # one published, the queue (first in, first out) has dealt with revision 2
        channel.basic_publish("", REVIEWS, late[2], late[1])
        published(posts, new_post(posts, member(), body="Et les virements ?")["id"])
    with ServiceRpcProxy("moderation", config, timeout=15) as moderation:
        queued = moderation.queue(cm(), {"limit": 200})["items"]
        assert [item for item in queued if item["target_id"] == post["id"]] == []
        with pytest.raises(RemoteError) as gone:
            moderation.get_item(cm(), f"{post['id']}.r2")
        assert gone.value.exc_type == "NotFound"
    connection.close()


def _taken(channel):
    method, properties, body = channel.basic_get(REVIEWS, auto_ack=True)
    return (method, properties, body) if method else None


def _restart_moderation(container_factory, config):
    container = container_factory(
        ModerationService, {**config, "WEB_SERVER_ADDRESS": f"127.0.0.1:{find_free_port()}"})
    container.start()
