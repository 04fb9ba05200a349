"""The command context the gateway sends and the ids a command mints (no infrastructure)."""
import time

import pytest

from services.shared import commands

pytestmark = pytest.mark.unit


def minted(context, service="posts", method="create_post", purposes=("post", "post", "reply")):
    token = commands.enter(context, service, method)
    try:
        return [commands.fresh_uuid(purpose) for purpose in purposes]
    finally:
        commands.leave(token)


def test_a_keyed_command_mints_the_same_ids_on_every_execution():
    context = commands.rpc_context("user:u1", "key-1", time.time() + 10)
    first = minted(context)
    assert minted(context) == first
    assert len(set(first)) == 3  # the n-th id of a purpose differs from the (n-1)-th


def test_ids_differ_by_key_caller_and_command():
    deadline = time.time() + 10
    base = minted(commands.rpc_context("user:u1", "key-1", deadline))
    assert minted(commands.rpc_context("user:u1", "key-2", deadline)) != base
    assert minted(commands.rpc_context("user:u2", "key-1", deadline)) != base
    assert minted(commands.rpc_context("user:u1", "key-1", deadline),
                  method="add_reply") != base


def test_without_a_key_ids_are_random_and_nothing_is_scoped():
    context = commands.rpc_context("user:u1", None, time.time() + 10)
    assert commands.KEY_CONTEXT not in context
    assert minted(context) != minted(context)
    assert minted({}) != minted({})
    assert commands.current() is None


def test_the_context_travels_as_plain_header_values():
    context = commands.rpc_context("client:10.0.0.1", "k", 1_700_000_000.25)
    assert context == {commands.KEY_CONTEXT: "client:10.0.0.1\nk",
                       commands.DEADLINE_CONTEXT: 1_700_000_000_250}


def test_keyed_says_whether_the_command_may_be_a_retry():
    assert commands.keyed() is False  # no command at all
    for key, expected in (("key-1", True), (None, False)):
        token = commands.enter(commands.rpc_context("user:u1", key, time.time() + 10),
                               "posts", "create_post")
        try:
            assert commands.keyed() is expected
        finally:
            commands.leave(token)
    assert commands.keyed() is False
