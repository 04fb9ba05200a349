"""What the counting proxies of bench/wirecount.py read from the MongoDB and AMQP wire protocols
(frames built here byte for byte, as the drivers send them)."""
from __future__ import annotations

import struct
from collections import Counter
from contextlib import contextmanager

import bson

from bench.wirecount import (
    AMQP_HEADER,
    OP_MSG,
    OP_QUERY,
    AmqpProxy,
    MongoProxy,
    MongoTimer,
    amqp_publish,
    command_shape,
    database_round_trips,
    mongo_command,
)


def _op_msg(body: dict, sequence: list[dict] | None = None) -> bytes:
    sections = b""
    if sequence is not None:  # kind 1 first: drivers may put the documents' sequence anywhere
        documents = b"".join(bson.encode(doc) for doc in sequence)
        identifier = b"documents\x00"
        sections += b"\x01" + struct.pack("<i", 4 + len(identifier) + len(documents)) \
            + identifier + documents
    sections += b"\x00" + bson.encode(body)
    payload = struct.pack("<I", 0) + sections
    return struct.pack("<iiii", 16 + len(payload), 7, 0, OP_MSG) + payload


@contextmanager
def _amqp_proxy():
    """A proxy whose parser is fed by hand (nothing listens on its port)."""
    proxy = AmqpProxy("127.0.0.1", 1)
    try:
        yield proxy, proxy.parser()
    finally:
        proxy.stop()


def _op_query(full_name: str, body: dict) -> bytes:
    payload = struct.pack("<i", 0) + full_name.encode() + b"\x00" + struct.pack("<ii", 0, -1) \
        + bson.encode(body)
    return struct.pack("<iiii", 16 + len(payload), 1, 0, OP_QUERY) + payload


def _amqp_method(class_id: int, method_id: int, arguments: bytes, channel: int = 1) -> bytes:
    payload = struct.pack(">HH", class_id, method_id) + arguments
    return struct.pack(">BHI", 1, channel, len(payload)) + payload + b"\xce"


def _publish(exchange: str, routing_key: str) -> bytes:
    arguments = struct.pack(">H", 0) + bytes([len(exchange)]) + exchange.encode() \
        + bytes([len(routing_key)]) + routing_key.encode() + b"\x00"
    return _amqp_method(60, 40, arguments)


def test_a_command_is_named_with_its_database_and_collection():
    message = _op_msg({"find": "items", "filter": {"author_id": "u1"}, "$db": "p_feeds"})
    assert mongo_command(message) == ("p_feeds", "find", "items")


def test_an_insert_whose_documents_travel_in_a_sequence_is_still_one_insert():
    message = _op_msg({"insert": "events", "$db": "p_posts"},
                      sequence=[{"_id": 1}, {"_id": 2}])
    assert mongo_command(message) == ("p_posts", "insert", "events")


def test_get_more_names_its_collection():
    message = _op_msg({"getMore": bson.Int64(12), "collection": "events", "$db": "p_posts"})
    assert mongo_command(message) == ("p_posts", "getMore", "events")


def test_the_legacy_handshake_is_read_and_counted_as_monitoring():
    message = _op_query("admin.$cmd", {"isMaster": 1})
    assert mongo_command(message) == ("admin", "isMaster", "")
    counts = Counter({("admin", "isMaster", ""): 3, ("p_posts", "find", "posts"): 2,
                      ("admin", "hello", ""): 1})
    assert database_round_trips(counts) == Counter({("p_posts", "find", "posts"): 2})


def test_a_publish_frame_gives_its_exchange_and_routing_key():
    assert amqp_publish(_publish("nameko-rpc", "posts.create_post")) == (
        "nameko-rpc", "posts.create_post")
    assert amqp_publish(_publish("", "reply-queue")) == ("", "reply-queue")


def test_other_frames_are_not_publishes():
    basic_ack = _amqp_method(60, 80, struct.pack(">QB", 1, 0))
    heartbeat = struct.pack(">BHI", 8, 0, 0) + b"\xce"
    assert amqp_publish(basic_ack) is None
    assert amqp_publish(heartbeat) is None


def test_the_mongo_parser_counts_messages_split_and_joined_anyhow():
    proxy = MongoProxy("127.0.0.1", 1)
    try:
        parser = proxy.parser()
        stream = _op_msg({"find": "a", "$db": "d"}) + _op_msg({"insert": "b", "$db": "d"}) \
            + _op_msg({"find": "a", "$db": "d"})
        for start in range(0, len(stream), 7):  # TCP cuts wherever it likes
            parser.feed(stream[start:start + 7])
        assert proxy.snapshot() == Counter({("d", "find", "a"): 2, ("d", "insert", "b"): 1})
    finally:
        proxy.stop()


def test_the_amqp_parser_skips_the_protocol_header_and_counts_publishes_only():
    with _amqp_proxy() as (proxy, parser):
        body_header = struct.pack(">BHI", 2, 1, 14) + b"\x00" * 14 + b"\xce"
        parser.feed(AMQP_HEADER + _publish("posts.events", "posts.post_published")[:5])
        parser.feed(_publish("posts.events", "posts.post_published")[5:] + body_header
                    + _publish("nameko-rpc", "feeds.home"))
        assert proxy.snapshot() == Counter({("posts.events", "posts.post_published"): 1,
                                            ("nameko-rpc", "feeds.home"): 1})


def test_a_command_shape_names_fields_and_operators_never_values():
    find = _op_msg({"find": "events", "filter": {"stream_id": "s1", "version": {"$gt": 2},
                                                 "$or": [{"a": 1}, {"b": {"$in": [1, 2]}}]},
                    "sort": {"version": -1}, "limit": 1, "$db": "x_posts"})
    assert command_shape(find) == ("x_posts", "find", "events",
                                   "stream_id,version$gt,$or[a|b$in] sort version- limit")
    update = _op_msg({"update": "posts", "updates": [
        {"q": {"_id": "p1", "_applied": {"$ne": "e"}}, "u": {"$set": {"x": 1}, "$push": {}}}],
        "$db": "x_posts"})
    assert command_shape(update) == ("x_posts", "update", "posts", "_id,_applied$ne $push$set")
    count = _op_msg({"aggregate": "inbox", "pipeline": [
        {"$match": {"member_id": "m", "read": False}}, {"$group": {"_id": 1}}], "$db": "n"})
    assert command_shape(count) == ("n", "aggregate", "inbox", "$match(member_id,read) $group")
    inserts = _op_msg({"insert": "items", "$db": "f"}, sequence=[{"_id": 1}, {"_id": 2}])
    assert command_shape(inserts) == ("f", "insert", "items", "bulk")


def test_the_timer_files_each_reply_under_its_request_shape():
    timer = MongoTimer("127.0.0.1", 1)
    requests = timer.parser()
    replies = timer.reply_parser(requests)
    find = _op_msg({"find": "posts", "filter": {"_id": "p"}, "$db": "x_posts"})
    requests.feed(find)
    reply = struct.pack("<iiii", 16 + 5, 99, 7, OP_MSG) + b"\x00" * 5  # responseTo: request 7
    replies.feed(reply)
    replies.feed(struct.pack("<iiii", 16, 100, 12345, OP_MSG))  # answers nothing we sent
    ((shape, (count, seconds, size)),) = timer.snapshot().items()
    assert shape == ("x_posts", "find", "posts", "_id") and count == 1 and size == 21
    assert seconds >= 0
    timer.stop()


def test_the_amqp_parser_counts_every_method_a_client_sends_by_name():
    with _amqp_proxy() as (proxy, parser):
        body_header = struct.pack(">BHI", 2, 1, 14) + b"\x00" * 14 + b"\xce"
        heartbeat = struct.pack(">BHI", 8, 0, 0) + b"\xce"
        parser.feed(AMQP_HEADER + _amqp_method(20, 10, b"\x00") + _amqp_method(85, 10, b"\x00")
                    + _publish("posts.events", "posts.post_published") + body_header
                    + heartbeat + _amqp_method(60, 80, struct.pack(">QB", 1, 0))
                    + _amqp_method(60, 80, struct.pack(">QB", 2, 0)))
        assert proxy.methods() == Counter({"channel.open": 1, "confirm.select": 1,
                                           "basic.publish": 1, "basic.ack": 2})
        assert proxy.snapshot() == Counter({("posts.events", "posts.post_published"): 1})
