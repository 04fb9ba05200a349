"""Members' public summaries (services/shared/members.py) are read once every few seconds per
process, and the process that applies an identity event shows it at once — also when the
event lands while a read of the old summary is on the wire.

A projection of a service of its own (`shows`) tracks the summaries, as every service that
shows authors does; identity's events reach it through a `ProjectionRunner`, one by one and
in a batch (whose writes are buffered until the batch ends)."""
import uuid

import pytest

from services.shared import members
from services.shared.expiring import ExpiringCache
from services.shared.projections import Projection, ProjectionRunner, ReadModels
from services.shared.shredding import ERASED_DISPLAY_NAME

from ..notifications.events import received

pytestmark = pytest.mark.integration


@pytest.fixture
def shows(logged_store):
    """(a runner of the `shows` projection, the log of what its client sends)."""
    store, sent = logged_store("shows")
    projection = Projection("shows_views", service="shows", collections=[])
    members.track_member_summaries(projection)
    return ProjectionRunner(projection, store), sent


def registered(member_id, name):
    return received("identity.user_registered", f"user-{member_id}", 1, {
        "user_id": member_id, "display_name": name, "roles": ["member"]})


def renamed(member_id, name, version=2):
    return received("identity.profile_updated", f"user-{member_id}", version, {
        "user_id": member_id, "display_name": name})


def erased(member_id, version):
    return received(members.USER_ERASED, f"user-{member_id}", version, {"user_id": member_id})


def summary_reads(sent):
    return len(sent.matching("find", members.SUMMARIES))


def new_member():
    return f"m-{uuid.uuid4().hex[:8]}"


def test_a_summary_read_is_kept_a_few_seconds(shows):
    runner, sent = shows
    ada, bob = new_member(), new_member()
    runner.record_and_apply_all([registered(ada, "Ada"), registered(bob, "Bob")])
    sent.clear()
    first = members.summaries(runner.rm, [ada, bob, ada, None])
    assert [first[ada]["display_name"], first[bob]["display_name"]] == ["Ada", "Bob"]
    assert members.summaries(runner.rm, [bob]) == {bob: first[bob]}
    assert members.summary_for(runner.rm, ada) == first[ada]
    assert summary_reads(sent) == 1  # one `$in` for both, then none
    carol = new_member()  # not known yet: read, with only what is not held
    assert members.summaries(runner.rm, [ada, carol])[carol]["display_name"] == ""
    assert summary_reads(sent) == 2
    assert sent.matching("find", members.SUMMARIES)[-1].command["filter"] == {
        "_id": {"$in": [carol]}}


@pytest.mark.parametrize("batched", [False, True], ids=["one by one", "in a batch"])
def test_the_process_that_applies_an_identity_event_shows_it_at_once(shows, batched):
    runner, sent = shows
    ada = new_member()
    runner.record_and_apply(registered(ada, "Ada"))
    assert members.summary_for(runner.rm, ada)["display_name"] == "Ada"  # now held

    def apply(*events):
        if batched:  # the summary's write waits in the batch's buffer until the batch ends
            runner.record_and_apply_all([*events, registered(new_member(), "Someone else")])
        else:
            for event in events:
                runner.record_and_apply(event)

    apply(renamed(ada, "Ada Lovelace"))
    assert members.summary_for(runner.rm, ada)["display_name"] == "Ada Lovelace"
    apply(erased(ada, 3))
    shown = members.summary_for(runner.rm, ada)
    assert shown["display_name"] == ERASED_DISPLAY_NAME and shown["badges"] == []
    assert members.summary_for(runner.rm, ada) == shown and summary_reads(sent) == 3


class _Overtaken(ReadModels):
    """Read models whose summaries' read, once its documents are in, lets `meanwhile` run
    before it returns them: an identity event applied while the read was on the wire."""

    def __init__(self, rm, meanwhile):
        super().__init__(rm.db, rm.suffix)
        self.meanwhile = meanwhile

    def __getitem__(self, name):
        collection, meanwhile = super().__getitem__(name), self.meanwhile

        class Slow:
            def find(self, *args, **kwargs):
                documents = list(collection.find(*args, **kwargs))
                meanwhile()
                return documents
        return Slow() if name == members.SUMMARIES else collection


def test_a_read_an_identity_event_overtook_is_answered_but_not_kept(shows):
    runner, sent = shows
    ada = new_member()
    runner.record_and_apply(registered(ada, "Ada"))
    overtaken = _Overtaken(runner.rm, lambda: runner.record_and_apply(renamed(ada, "Ada L.")))
    assert members.summary_for(overtaken, ada)["display_name"] == "Ada"  # as read
    sent.clear()
    assert members.summary_for(runner.rm, ada)["display_name"] == "Ada L."  # read again
    assert summary_reads(sent) == 1


def test_a_summary_is_read_again_after_summary_seconds(shows, monkeypatch):
    runner, sent = shows
    now = [0.0]
    monkeypatch.setattr(members, "_RECENT", ExpiringCache(
        ttl_seconds=members.SUMMARY_SECONDS, max_entries=100, clock=lambda: now[0]))
    ada = new_member()
    runner.record_and_apply(registered(ada, "Ada"))
    sent.clear()
    # written by another process (a replica that applied the rename): not seen here...
    runner.rm[members.SUMMARIES].update_one({"_id": ada}, {"$set": {"display_name": "Ada L."}})
    members.summary_for(runner.rm, ada)
    runner.rm[members.SUMMARIES].update_one({"_id": ada}, {"$set": {"display_name": "Ada B."}})
    now[0] += members.SUMMARY_SECONDS - 0.1
    assert members.summary_for(runner.rm, ada)["display_name"] == "Ada L."
    now[0] += 0.1  # ...for longer than SUMMARY_SECONDS
    assert members.summary_for(runner.rm, ada)["display_name"] == "Ada B."
    assert summary_reads(sent) == 2


def test_a_page_read_during_a_batch_after_its_rename_does_not_keep_the_old_name(shows):
    """A page served while a batch is applied (another green thread, reading the database,
    not the batch's buffer) right after the batch forgot a summary: it must find the new one
    written, or it would keep the old name for SUMMARY_SECONDS."""
    runner, _ = shows
    ada = new_member()
    runner.record_and_apply(registered(ada, "Ada"))
    page = ReadModels(runner.rm.db)
    shown = []
    runner.projection.also_on("identity.profile_updated")(
        lambda rm, event: shown.append(members.summary_for(page, ada)["display_name"]))
    runner.record_and_apply_all([renamed(ada, "Ada L."), registered(new_member(), "Bob")])
    assert shown == ["Ada L."]
    assert members.summary_for(runner.rm, ada)["display_name"] == "Ada L."
