"""A member's own title or subject keeps its "?" with its word on the pages that show it
(`| glue`, gateway/web/typography.py): « Opposition sur ma carte ? » wrapped with its « ? »
alone on a phone's second line (explore-s35). Pure rendering; the stored text is never changed,
and what has no space typed before its mark (a time, an address) is shown as typed."""
from __future__ import annotations

import pytest

from gateway.web.render import render_html
from services.conversations.schemas import BODY_MAX

pytestmark = pytest.mark.unit

NNBSP = "\N{NARROW NO-BREAK SPACE}"
MEMBER = {"id": "u1", "roles": ["member"]}


def _page(template: str, **context) -> str:
    base = {"actor": MEMBER, "names": {}, "form": {}, "raw": {}, "errors": {}, "csrf_token": "t",
            "body_max": BODY_MAX, "latest": True, "unread": set()}
    return render_html(template, "fr", {**base, **context}).get_data(as_text=True)


def _conversation(subject: str) -> dict:
    return {"id": "c1", "subject": subject, "closed": False, "messages": [], "member_id": "u1",
            "participant_ids": ["u1", "a1"]}


def test_a_conversations_subject_keeps_its_question_mark_on_its_page_and_in_the_list():
    subject = "Opposition sur ma carte ?"
    page = _page("messages/conversation.html", conversation=_conversation(subject))
    assert f"<h1>Opposition sur ma carte{NNBSP}?</h1>" in page
    listed = _page("messages/list.html", items=[_conversation(subject)], advisor=None)
    assert f"Opposition sur ma carte{NNBSP}?</a></h3>" in listed


def test_a_subjects_time_and_address_stay_as_typed():
    subject = "RDV 10:30 : https://banque.example/aide ?"
    page = _page("messages/conversation.html", conversation=_conversation(subject))
    assert f"<h1>RDV 10:30{NNBSP}: https://banque.example/aide{NNBSP}?</h1>" in page


@pytest.mark.parametrize("template", ["posts/reply_page.html", "posts/flag_page.html"])
def test_the_way_back_to_a_thread_keeps_its_titles_question_mark(template):
    post = {"id": "p1", "title": "Frais de tenue de compte ?", "kind": "question"}
    page = _page(template, post=post, target_type="post", target_id="p1", reasons=[],
                 reply={"id": "r1"}, flag_reasons=[])
    assert f"Frais de tenue de compte{NNBSP}?</a>" in page
