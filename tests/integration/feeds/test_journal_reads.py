"""What a member's journal page reads, against the real database: a page is bounded by its own
size, not by how much the others wrote since the member's last post.

The database's planner is asked nothing (the stand-in has no `explain`): the page of a member
whose posts lie under thousands of newer ones is timed against the page of a member who just
posted, the two alternated on the same database. Read through an index that fixes the member
and the visibility and gives the page's order, both pages read about one page of documents;
read through the newest-first index of every visible item (what the stand-in's planner chose
when an index on the author alone tied with it), the first walks every newer item."""
import statistics
import time
import uuid

import pytest
from pymongo import MongoClient

from services.feeds import projections, timeline
from services.feeds.projections import VIEWS
from services.shared.projections import ReadModels

from ...conftest import MONGO_URI
from .test_home_reads import _published

pytestmark = pytest.mark.integration

NEWER_ITEMS = 10_000  # written by others after the quiet member's last post
PAGE = 20
ROUNDS = 7


@pytest.fixture
def rm(db_prefix):
    client = MongoClient(MONGO_URI)
    models = ReadModels(client[f"{db_prefix}_feeds"])
    VIEWS.ensure_indexes(models)
    projections.configure({})
    yield models
    client.close()


def _many_newer(rm: ReadModels, authors: list[str], count: int) -> None:
    """`count` visible posts by `authors`, each newer than everything before (one insert: a
    copy of a post the projection wrote, with its own id, author and time)."""
    template = rm["items"].find_one({"type": "post"})
    newest = max(int(doc["ts"]) for doc in rm["items"].find({}, {"ts": 1}))
    rm["items"].insert_many([
        {**template, "_id": f"p-{uuid.uuid4().hex[:12]}", "post_id": f"p-{n}",
         "author_id": authors[n % len(authors)], "ts": newest + 1 + n}
        for n in range(count)])


def _seconds(read) -> float:
    started = time.perf_counter()
    read()
    return time.perf_counter() - started


def test_a_journal_page_does_not_walk_what_others_wrote_since(rm):
    quiet, active = (f"u-{uuid.uuid4().hex[:8]}" for _ in range(2))
    for _ in range(PAGE + 5):
        _published(rm, quiet, f"p-{uuid.uuid4().hex[:10]}")
    others = [f"u-{uuid.uuid4().hex[:8]}" for _ in range(19)]
    _many_newer(rm, others, NEWER_ITEMS)
    for _ in range(PAGE + 5):
        _published(rm, active, f"p-{uuid.uuid4().hex[:10]}")
    query = {"limit": PAGE}
    pages = {member: (lambda member=member: timeline.activity(rm, member, query))
             for member in (quiet, active)}
    assert [len(read()["items"]) for read in pages.values()] == [PAGE, PAGE]
    timings = {member: [] for member in pages}
    for _ in range(ROUNDS):  # alternated: the machine's load falls on both alike
        for member, read in pages.items():
            timings[member].append(_seconds(read))
    quiet_page, active_page = (statistics.median(timings[m]) for m in (quiet, active))
    # one page of documents each: about the same time; a walk of the 10,000 newer items
    # takes some 40 times the active member's page on the stand-in
    assert quiet_page < 4 * active_page + 0.002, (quiet_page, active_page)


def test_the_upgrade_replaces_the_index_on_the_author_alone(db_prefix):
    client = MongoClient(MONGO_URI)
    try:
        models = ReadModels(client[f"{db_prefix}_feeds"])
        models["items"].create_index([("author_id", 1), ("ts", -1)], name="author")  # before
        VIEWS.ensure_indexes(models)
        VIEWS.ensure_indexes(models)  # every start declares them again
        names = set(models["items"].index_information())
        assert "author_page" in names and "author" not in names
    finally:
        client.close()
