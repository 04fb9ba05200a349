"""Numbers split by Markdown, line breaks, invisible characters or slashes (the detector's joined
view), through the gateway: an outside review saw such IBANs auto-approved and published on the
site, the API and the public `posts.events` exchange. They are held like any confidential number,
the CM's proposal masks them over their whole span, the compose preview names them, and no public
exchange ever carries them."""
from __future__ import annotations

import json
import re

import pytest

from ..conftest import wait_for
from ..integration.posts.fixtures import public_subscriber
from .steps import IBAN, ok, problem, queued, reply_visible, staff, submit, visible

GROUPS = IBAN.split()  # FR76 3000 6000 0112 3456 7890 189
TABLE = "| " + " | ".join(GROUPS) + " |"
TABLE_MASKED = "| FR76 | •••• | •••• | •••• | •••• | •••0 | 189 |"
BOLD_OVER_TWO_LINES = "**FR76** 3000 6000\n0112 3456 7890 189"
ZERO_WIDTH = "\u200b".join(GROUPS)
SLASHES = "/".join(GROUPS)
# The BBAN's digits with every separator gone: what no public text may hold in any spelling.
DIGITS = "".join(GROUPS)[4:24]


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _carries_the_iban(text: str) -> bool:
    """Whether a JSON document holds the IBAN, whatever separates its groups."""
    return any(DIGITS in re.sub(r"[^0-9A-Za-z]", "", found) for found in _strings(json.loads(text)))


def test_the_leak_check_reads_through_every_split_form():
    for written in (IBAN, TABLE, BOLD_OVER_TWO_LINES, ZERO_WIDTH, SLASHES):
        assert _carries_the_iban(json.dumps({"payload": {"body": written}})), written
    assert not _carries_the_iban(json.dumps({"payload": {"body": TABLE_MASKED}}))


@pytest.fixture
def bank_system(platform):
    received, close = public_subscriber(platform.amqp_uri)
    yield received
    close()


def test_a_split_iban_is_held_masked_over_its_span_and_never_public(platform, api, bank_system):
    manager, author, replier = staff(platform), api.new_user(), api.new_user()

    # The preview names it while the member writes (the site's warning without JavaScript).
    preview = ok(api.post("/api/v1/previews", user=author, json={"body": f"IBAN {SLASHES}"}))
    assert preview["confidential"] == ["iban"]

    # A question whose IBAN is in bold and typed over two lines: held, nowhere public.
    question = submit(api, author, title="Virement refusé",
                      body=f"Bonjour, mon IBAN : {BOLD_OVER_TWO_LINES}\nPourquoi ce refus ?")
    held = queued(api, manager, question["id"])
    assert held["reasons"] == ["detector"] and held["detector_kinds"] == ["iban"]
    problem(api.get(f"/api/v1/posts/{question['id']}"), 404)
    assert held["proposal"]["body"] == (
        "Bonjour, mon IBAN : **FR76** •••• ••••\n•••• •••• •••0 189\nPourquoi ce refus ?")
    ok(api.post(f"/api/v1/moderation/items/{held['id']}/decision", user=manager,
                json={"decision": "redact", "body": held["proposal"]["body"]}))
    visible(api, question["id"])

    # A reply whose IBAN fills a Markdown table's cells: held; the finding spans the cells.
    reply = ok(api.post(f"/api/v1/posts/{question['id']}/replies", user=replier,
                        json={"body": f"Le mien :\n\n{TABLE}\n\nMerci"}), 201)
    item = queued(api, manager, reply["id"])
    assert item["detector_kinds"] == ["iban"]
    (finding,) = item["findings"]
    body = item["content"]["body"]
    assert (finding["field"], body[finding["start"]:finding["end"]]) == (
        "body", " | ".join(GROUPS))
    assert item["proposal"]["body"] == f"Le mien :\n\n{TABLE_MASKED}\n\nMerci"
    problem(api.get(f"/api/v1/replies/{reply['id']}"), 404)
    refused = problem(api.post(f"/api/v1/moderation/items/{item['id']}/decision", user=manager,
                               json={"decision": "redact", "body": f"Le mien : {ZERO_WIDTH}"}),
                      422)
    assert "body" in refused["errors"]  # a redaction that still holds it, even invisibly split
    ok(api.post(f"/api/v1/moderation/items/{item['id']}/decision", user=manager,
                json={"decision": "redact", "body": item["proposal"]["body"]}))
    assert reply_visible(api, reply["id"])["body"] == item["proposal"]["body"]

    # An edit slipping it in with zero-width spaces: held, the published text stays.
    ok(api.patch(f"/api/v1/posts/{question['id']}", user=author,
                 json={"body": f"Mon IBAN, sans espaces visibles : {ZERO_WIDTH}"}))
    edit = queued(api, manager, question["id"])
    assert edit["revision"] == 2 and edit["detector_kinds"] == ["iban"]
    assert ok(api.get(f"/api/v1/posts/{question['id']}"))["body"] == held["proposal"]["body"]

    for path in (f"/api/v1/posts/{question['id']}", f"/api/v1/posts/{question['id']}/replies",
                 f"/api/v1/posts/{question['id']}/history", "/api/v1/feeds/public?limit=100"):
        assert not _carries_the_iban(api.get(path).text), path
    seen: list[str] = []

    def announced(event, target_id):
        return any(target_id in body and event in body for body in seen)

    wait_for(lambda: seen.extend(bank_system()) or (
        announced("posts.reply_published", reply["id"])
        and announced("posts.post_edit_submitted", question["id"])),
        message="the reply's publication and the edit on the public exchanges")
    assert not [body for body in seen if _carries_the_iban(body)]
