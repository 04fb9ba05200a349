"""`Spare` (gateway/web/page.py): a read a page can go without never costs the page — not when
the service has no running instance (nameko raises `UnknownService` as the call is sent, before
any answer is waited for), nor when it fails, nor when it does not answer in time."""
from __future__ import annotations

import eventlet
from nameko.exceptions import RemoteError, UnknownService

from gateway.web import page


class Method:
    """What `Spare` uses of a nameko method proxy: its names and `call_async`."""

    service_name, method_name = "notifications", "inbox"

    def __init__(self, send):
        self.send = send

    def call_async(self, *args):
        return self.send(*args)


class Reply:
    def __init__(self, result):
        self._result = result

    def result(self):
        return self._result()


def unknown(*_args):
    raise UnknownService("notifications")


def failing():
    raise RemoteError("ServiceUnavailable", "down")


def silent():
    eventlet.Event().wait()  # never sent


def test_an_answer_in_time_is_the_result():
    assert page.Spare(Method(lambda *_: Reply(lambda: {"items": []})), "actor").answer() == {
        "items": []}


def test_a_service_without_instance_a_failure_and_a_silence_are_the_default(monkeypatch,
                                                                             caplog):
    monkeypatch.setattr(page, "SPARE_SECONDS", 0.05)
    assert page.Spare(Method(unknown), "actor").answer(set()) == set()
    assert page.Spare(Method(lambda *_: Reply(failing)), "actor").answer("none") == "none"
    assert page.Spare(Method(lambda *_: Reply(silent)), "actor").answer() is None
    said = [record.getMessage() for record in caplog.records]
    assert any("notifications.inbox not asked" in line for line in said)
    assert any("notifications.inbox failed" in line for line in said)
    assert any("did not answer within 0.05 s" in line for line in said)
