"""A text whose review comes only after a later revision was published, or after it was
deleted — a first text too, which its author may delete while it is being checked — (its
delivery was retried, or re-driven from the dead letters, meanwhile): nothing is left to
decide on it, so it opens no item in the queue."""
from __future__ import annotations

from contextlib import contextmanager

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


@pytest.mark.parametrize("since", ["a later revision published", "the post deleted",
                                   "a first text deleted while checked"])
def test_a_text_reviewed_late_opens_no_item(request, container_factory, service_config, since):
    config, containers = started(request, container_factory, service_config)
    connection = pika.BlockingConnection(pika.URLParameters(config["AMQP_URI"]))
    channel = connection.channel()
    author = member()
    first = since == "a first text deleted while checked"
    with ServiceRpcProxy("posts", config, timeout=15) as posts:
        if not first:
            post = new_post(posts, author, title="Plafond de ma carte",
                            body="Comment l'augmenter ?")
            published(posts, post["id"])
        # moderation is down while the author sends a text naming their IBAN (an edit, or a
        # first text): its review waits in moderation's queue, where the test takes it, as a
        # failed delivery leaves it
        containers[ModerationService].stop()
        iban = f"Mon IBAN est {IBAN}, et ma carte ?"
        if first:
            post = new_post(posts, author, title="Plafond de ma carte", body=iban)
        else:
            posts.edit_post(author, post["id"], {"body": iban})
        late = wait_for(lambda: _taken(channel), message="the text's review queued")
        with _restarted_moderation(container_factory, config) as moderation:
            if since == "a later revision published":
                posts.edit_post(author, post["id"], {"body": "Comment augmenter le plafond ?"})
                seen = {"state": "published", "excerpt": "Comment augmenter le plafond ?"}
            else:  # the author deletes it (a first text still being checked too)
                posts.delete_post(author, post["id"])
                seen = {"state": "deleted"}
            # moderation has applied it (its own view of the author's contributions says so)
            wait_for(lambda: seen.items() <= moderation.member_contributions(
                cm(), author["id"])["items"][0].items(), message=f"moderation saw {since}")
            # the review comes back (re-driven), and a new post's review after it: that one
            # published, the queue (first in, first out) has dealt with the late one
            channel.basic_publish("", REVIEWS, late[2], late[1])
            published(posts, new_post(posts, member(), body="Et les virements ?")["id"])
            queued = moderation.queue(cm(), {"limit": 200})["items"]
            assert [item for item in queued if item["target_id"] == post["id"]] == []
            with pytest.raises(RemoteError) as gone:
                moderation.get_item(cm(), f"{post['id']}.r{1 if first else 2}")
            assert gone.value.exc_type == "NotFound"
    connection.close()


def _taken(channel):
    method, properties, body = channel.basic_get(REVIEWS, auto_ack=True)
    return (method, properties, body) if method else None


@contextmanager
def _restarted_moderation(container_factory, config):
    container = container_factory(
        ModerationService, {**config, "WEB_SERVER_ADDRESS": f"127.0.0.1:{find_free_port()}"})
    container.start()
    with ServiceRpcProxy("moderation", config, timeout=15) as moderation:
        yield moderation
