"""Posts: the safe Markdown subset, search tokens and the listing plan (pure)."""
import re

import pytest

from services.posts import listing
from services.posts.markdown import excerpt, render
from services.posts.search import query_tokens, tokens
from services.shared.errors import InvalidInput
from services.shared.pagination import after_cursor, decode_cursor, encode_cursor, page

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("source, html", [
    ("Hello **world**", "<p>Hello <strong>world</strong></p>"),
    ("*em* and _em_", "<p><em>em</em> and <em>em</em></p>"),
    ("snake_case_name stays", "<p>snake_case_name stays</p>"),
    ("2 * 3 * 4", "<p>2 * 3 * 4</p>"),
    ("use `a < b`", "<p>use <code>a &lt; b</code></p>"),
    ("`**not bold**`", "<p><code>**not bold**</code></p>"),
    ("[site](https://bank.example/a?b=1&c=2)",
     '<p><a href="https://bank.example/a?b=1&amp;c=2" rel="nofollow noopener noreferrer">'
     "site</a></p>"),
    ("line one\nline two\n\nnext", "<p>line one<br>line two</p><p>next</p>"),
    ("- a\n- b\n\n1. one\n2. two",
     "<ul><li>a</li><li>b</li></ul><ol><li>one</li><li>two</li></ol>"),
    ("```\n<b>x</b>\n```", "<pre><code>&lt;b&gt;x&lt;/b&gt;</code></pre>"),
])
def test_markdown_subset(source, html):
    assert render(source) == html


@pytest.mark.parametrize("attack", [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    '[x](https://a.example/" onmouseover="alert(1))',
    "<a href='https://ok.example'>raw html</a>",
    "**<svg onload=alert(1)>**",
])
def test_no_raw_html_or_unsafe_link_survives(attack):
    html = render(attack)
    tags = re.findall(r"<\s*/?\s*([a-zA-Z]+)([^>]*)>", html)
    assert {name for name, _ in tags} <= {"p", "strong", "em", "code", "a", "br"}, html
    for name, attributes in tags:
        if name == "a" and attributes:
            assert re.fullmatch(r' href="https?://[^"]*" rel="nofollow noopener noreferrer"',
                                attributes), html


def test_excerpt_is_flat_and_bounded():
    assert excerpt("a\n\n  b") == "a b"
    assert len(excerpt("word " * 200, 50)) == 50 and excerpt("word " * 200, 50).endswith("…")


def test_tokens_fold_case_and_accents_and_dedupe():
    assert tokens("Prêt IMMOBILIER à taux zéro", "prêt") == ["pret", "immobilier", "taux", "zero"]
    assert tokens("Cœur d'œuvre, straße") == ["coeur", "oeuvre", "strasse"]
    assert query_tokens("l'épargne logement") == ["epargne", "logement"]


def test_listing_plan_filters_and_cursor():
    plan = listing.plan_posts({"kind": "idea", "status": "planned", "tag": "app", "q": "Mode",
                               "sort": "top", "limit": 5})
    assert plan.filter == {"state": "published", "merged_into": None, "kind": "idea",
                           "idea_status": "planned", "tags": "app", "tokens": {"$all": ["mode"]}}
    assert plan.sort == [("votes", -1), ("_id", -1)] and plan.limit == 5
    unanswered = listing.plan_posts({"sort": "unanswered"}).filter
    assert unanswered["answer_count"] == 0 and unanswered["kind"] == "question"
    assert listing.plan_posts({"accepted": False}).filter["accepted_reply_id"] is None
    cursor = encode_cursor(12, "p9")
    paged = listing.plan_posts({"sort": "top", "cursor": cursor}).filter
    assert paged["$and"][1] == {"$or": [{"votes": {"$lt": 12}},
                                        {"votes": 12, "_id": {"$lt": "p9"}}]}
    merged_too = listing.plan_posts({"status": "already_exists"}).filter
    assert "merged_into" not in merged_too


def test_cursors_round_trip_and_refuse_garbage():
    assert decode_cursor(encode_cursor(1700000000000000, "p1")) == (1700000000000000, "p1")
    for garbage in ("xx", "bnVsbA", encode_cursor({"a": 1}, "p1")):
        with pytest.raises(InvalidInput):
            decode_cursor(garbage)
    assert after_cursor("f", 1, None) == {}
    assert after_cursor("f", 1, encode_cursor(3, "a")) == {
        "$or": [{"f": {"$gt": 3}}, {"f": 3, "_id": {"$gt": "a"}}]}
    docs = [{"_id": str(n), "f": n} for n in range(3)]
    assert page(docs, "f", 2) == (docs[:2], encode_cursor(1, "1"))
    assert page(docs, "f", 3) == (docs, None)
