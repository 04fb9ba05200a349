"""RPC messages are transient, and replies are not publisher-confirmed.

nameko publishes every RPC request and reply as a *persistent* message with a publisher confirm
waited for. Neither buys anything for a request-reply exchange, and both cost on every request
of the platform (a ping, a home page, a new post), in RabbitMQ and in the processes:

- *Persistence* lets a message outlive a broker restart, but the caller's reply queue does not
  (nameko's `rpc.reply-*` queues are not durable) and the caller's connection breaks with the
  broker: a request that survived would run for nobody. What survives a *service* crash is the
  message in the `rpc-<service>` queue, which is durable either way (transient messages stay in a
  queue until the broker itself stops). Persistent messages to a durable queue go through the
  broker's disk path; transient ones do not (`python -m bench messages --rpc` measures the
  broker's CPU per round trip both ways).
- *A confirm on the reply*: the caller's wait for the reply is the only acknowledgement that
  matters; the responder's worker waiting for the broker's confirm only delays its teardown
  (where the outbox relay is woken). An unconfirmed reply lost with the broker is the same
  timeout at the caller as a confirmed one lost with the caller's reply queue.
- *The request keeps its confirm*: nameko publishes it `mandatory`, and the confirm is what
  makes a request to a service nobody ever declared fail at once (`UnknownService`) instead of
  waiting for the RPC timeout. A transient message is confirmed as soon as it is routed.

Events are untouched: the outbox relay and the reliable consumer publish them persistent and
confirmed (outbox.py, consumer.py), and at-least-once delivery rests on that.

`use_transient_rpc_messages()` installs both publishers on nameko's RPC proxy and responder;
services/shared/config.py calls it, so every process (`agora run`, tests, benches) gets it.
"""
from __future__ import annotations

from nameko import rpc
from nameko.amqp.publish import Publisher
from nameko.constants import NON_PERSISTENT


class RpcRequestPublisher(Publisher):
    """An RPC request: transient, confirmed (the `mandatory` check needs the confirm)."""

    delivery_mode = NON_PERSISTENT


class RpcReplyPublisher(Publisher):
    """An RPC reply: transient, not confirmed (the caller's wait is the acknowledgement)."""

    delivery_mode = NON_PERSISTENT
    use_confirms = False


def use_transient_rpc_messages() -> None:
    rpc.MethodProxy.publisher_cls = RpcRequestPublisher
    rpc.Responder.publisher_cls = RpcReplyPublisher
