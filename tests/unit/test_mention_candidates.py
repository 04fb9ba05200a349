"""Whom the reply form suggests after "@" (gateway/web/pages/public.py `mention_candidates`):
the thread's authors on the page, each once, never the reader, an erased member or a name no
mention can name."""
from __future__ import annotations

from gateway.web.pages.public import mention_candidates
from services.shared.members import ERASED_DISPLAY_NAME, handle


def authored(member_id: str, name: str) -> dict:
    return {"author": {"id": member_id, "display_name": name}}


def test_the_thread_s_authors_are_suggested_once_each_with_what_names_them():
    found = mention_candidates(
        {"id": "me"}, authored("zoe", "Zoé N’Diaye"), authored("me", "Moi"),
        authored("zoe", "Zoé N’Diaye"), authored("gone", ERASED_DISPLAY_NAME),
        authored("ivan", "Иван Петров"), {"author": None}, authored("lea", "Léa"))
    assert found == [{"name": "Zoé N’Diaye", "mention": "ZoéNDiaye"},
                     {"name": "Léa", "mention": "Léa"}]
    assert all(handle(person["mention"]) == handle(person["name"]) for person in found)
    # a name in another alphabet has no handle: "@ИванПетров" would name nobody
    assert handle("Иван Петров") == ""
