"""RPC requests and replies travel as transient messages (services/shared/rpc_messages.py); a
request to a service nobody declared still fails at once, because requests stay confirmed."""
import kombu
import pytest
from nameko.exceptions import UnknownService
from nameko.rpc import rpc
from nameko.standalone.rpc import ServiceRpcProxy

from ...conftest import wait_for

pytestmark = pytest.mark.integration

PERSISTENT, TRANSIENT = 2, 1


class EchoService:
    name = "echo"

    @rpc
    def echo(self, value):
        return value


def test_rpc_requests_and_replies_are_transient_messages(container_factory, service_config):
    with kombu.Connection(service_config["AMQP_URI"]) as connection:
        # a queue of the test's own on the RPC exchange sees every request and every reply
        spy = kombu.Queue("rpc-spy", kombu.Exchange("nameko-rpc", type="topic", durable=True),
                          routing_key="#", channel=connection.channel(), auto_delete=True)
        spy.declare()
        container_factory(EchoService, service_config).start()
        with ServiceRpcProxy("echo", service_config, timeout=20) as proxy:
            assert proxy.echo("ping") == "ping"
        seen: list = []

        def request_and_reply_seen() -> bool:
            while (message := spy.get(no_ack=True)) is not None:
                seen.append(message)
            return len(seen) >= 2

        wait_for(request_and_reply_seen, timeout=20, message="the request and its reply")
    routing_keys = [message.delivery_info["routing_key"] for message in seen]
    assert len(seen) == 2 and "echo.echo" in routing_keys  # the request and the reply
    assert [message.properties["delivery_mode"] for message in seen] == [TRANSIENT, TRANSIENT]


def test_a_request_to_a_service_nobody_declared_fails_at_once(service_config):
    with ServiceRpcProxy("nobody", service_config, timeout=20) as proxy, \
            pytest.raises(UnknownService):
        proxy.anything()
