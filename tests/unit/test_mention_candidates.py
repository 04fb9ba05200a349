"""Whom the reply form suggests after "@" (gateway/web/pages/public.py): the thread's authors on
the page, each once, never the reader, an erased member or a name no mention can name — and
only those a mention of their name names (a namesake who held the name first takes it)."""
from __future__ import annotations

from gateway.web.pages.public import mention_candidates, thread_authors
from services.shared.members import ERASED_DISPLAY_NAME, handle


def authored(member_id: str, name: str) -> dict:
    return {"author": {"id": member_id, "display_name": name}}


def test_the_thread_s_authors_are_suggested_once_each_with_what_names_them():
    authors = thread_authors(
        {"id": "me"}, authored("zoe", "Zoé N’Diaye"), authored("me", "Moi"),
        authored("zoe", "Zoé N’Diaye"), authored("gone", ERASED_DISPLAY_NAME),
        authored("ivan", "Иван Петров"), {"author": None}, authored("lea", "Léa"))
    assert authors == {"zoe": "Zoé N’Diaye", "lea": "Léa"}
    found = mention_candidates(authors, {"zoendiaye": "zoe", "lea": "lea"})
    assert found == [{"name": "Zoé N’Diaye", "mention": "ZoéNDiaye"},
                     {"name": "Léa", "mention": "Léa"}]
    assert all(handle(person["mention"]) == handle(person["name"]) for person in found)
    # a name in another alphabet has no handle: "@ИванПетров" would name nobody
    assert handle("Иван Петров") == ""


def test_an_author_whose_name_a_namesake_holds_first_is_not_suggested():
    """"@LéaMartin" names the Léa Martin who held the name first (members.mention_owner): the
    later one, who wrote in the thread, is not offered — the mention would notify the other."""
    authors = thread_authors(None, authored("second", "Léa Martin"), authored("zoe", "Zoé"))
    assert mention_candidates(authors, {"leamartin": "first", "zoe": "zoe"}) == [
        {"name": "Zoé", "mention": "Zoé"}]
    assert mention_candidates(authors, {}) == []  # nobody holds them (yet): nobody named
