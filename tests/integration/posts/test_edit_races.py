"""An edit decided on a stream another writer has just appended to (moderation's verdict on
the previous revision, another CM's edit) is decided again on the fresh stream, as every
command is (`EventStore.execute`): the editor gets their revision, not a 409."""
from __future__ import annotations

import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ServiceRpcProxy

from services.posts import domain
from services.posts.service import PostsService
from services.shared.envelope import CommandContext, utc_now
from services.shared.event_store import COMMAND_RETRIES, len_version
from services.shared.event_store_provider import EventStoreProvider

from .fixtures import cm, member, new_post, published, started

pytestmark = pytest.mark.integration


@pytest.fixture
def posts_and_store(request, container_factory, service_config):
    config, containers = started(request, container_factory, service_config)
    provider = next(d for d in containers[PostsService].dependencies
                    if isinstance(d, EventStoreProvider))
    with ServiceRpcProxy("posts", config, timeout=15) as posts:
        yield posts, provider.store


def _beaten(monkeypatch, store, stream_id: str, times: int) -> list[int]:
    """After each of the next `times` decisions' loads of `stream_id`, another writer appends
    to it (a CM features or unfeatures the post, which does not bear on an edit) before the
    command that loaded it appends; returns each load's length. An edit's first load only
    says 404 or not (`PostsService._post`): no writer beats it."""
    load, lengths = store.load, []

    def beaten(loaded_id, *args, **kwargs):
        history = load(loaded_id, *args, **kwargs)
        if loaded_id == stream_id:
            lengths.append(len(history))
            if 1 < len(lengths) <= times + 1:
                state, staff = domain.fold(history), cm("cm-2")
                events = (domain.set_flag(staff, state, "featured", False) if state.featured
                          else domain.feature(staff, state, None, None, utc_now().isoformat()))
                store.append(stream_id, len_version(history), events, CommandContext())
        return history
    monkeypatch.setattr(store, "load", beaten)
    return lengths


@pytest.mark.parametrize("editor", ["author", "cm"])
def test_an_edit_that_another_writer_beat_is_decided_again(
        monkeypatch, posts_and_store, editor):
    posts, store = posts_and_store
    author = member()
    post = published(posts, new_post(posts, author, title="Plafond de ma carte")["id"])
    lengths = _beaten(monkeypatch, store, post["id"], times=COMMAND_RETRIES)
    actor = author if editor == "author" else cm()
    edited = posts.edit_post(actor, post["id"], {"body": "Et pour un virement ?"})
    # the 404 check, then each beaten decision on the stream as it was loaded, then the last
    assert lengths == [2, *range(2, COMMAND_RETRIES + 3)]
    history = store.load(post["id"])
    submitted = [e for e in history if e.type == "posts.post_edit_submitted"]
    assert [e.payload["revision"] for e in submitted] == [2]  # one revision, not one per try
    assert edited["body"] == post["body"]  # shown once moderation approves revision 2


def test_an_edit_beaten_more_often_than_commands_retry_is_a_conflict(monkeypatch,
                                                                    posts_and_store):
    posts, store = posts_and_store
    author = member()
    post = published(posts, new_post(posts, author)["id"])
    _beaten(monkeypatch, store, post["id"], times=COMMAND_RETRIES + 1)
    with pytest.raises(RemoteError) as raised:
        posts.edit_post(author, post["id"], {"body": "Une autre question."})
    assert raised.value.exc_type == "ConcurrencyConflict"  # the gateway's 409
    assert not [e for e in store.load(post["id"]) if e.type == "posts.post_edit_submitted"]
