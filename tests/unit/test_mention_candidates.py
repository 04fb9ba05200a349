"""Whom the reply form suggests after "@" (gateway/web/pages/public.py): the thread's authors on
the page, each once, never the reader, an erased member or a name no mention can name — and
only those a mention of their name names (a namesake who held the name first takes it)."""
from __future__ import annotations

from gateway.web.pages.public import mention_candidates, thread_authors
from services.identity.names import display_name_problems
from services.posts.schemas import MentionHandlesSchema
from services.shared.members import DISPLAY_NAME_MAX, ERASED_DISPLAY_NAME, HANDLE_MAX, handle


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


def test_the_owners_read_takes_the_longest_handle_a_name_can_give():
    """NFKD spells some characters in several letters ("ﬃ" -> "ffi", "㎯" -> "rads2"): a
    name of DISPLAY_NAME_MAX such characters is a valid name whose handle the owners' read must
    take (refused, it would have cost the thread its suggestions)."""
    ligatures = "ﬃ" * (DISPLAY_NAME_MAX // 2)
    assert not display_name_problems(ligatures) and len(handle(ligatures)) > 64
    longest = handle("㎯" * DISPLAY_NAME_MAX)
    assert len(longest) == HANDLE_MAX
    assert MentionHandlesSchema().validate({"handles": [handle(ligatures), longest]}) == {}
    assert MentionHandlesSchema().validate({"handles": [longest + "x"]})  # longer: no name
