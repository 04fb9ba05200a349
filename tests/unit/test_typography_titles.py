"""A member's own title or subject keeps its "?" with its word on the pages that show it
(`| glue`, gateway/web/typography.py): « Opposition sur ma carte ? » wrapped with its « ? »
alone on a phone's second line (explore-s35). Pure rendering; the stored text is never changed,
and what has no space typed before its mark (a time, an address) is shown as typed."""
from __future__ import annotations

import doctest
from functools import partial

import pytest
from markupsafe import Markup

from gateway.web import typography
from gateway.web.i18n import translate
from gateway.web.masked_notice import notice_view
from gateway.web.render import render_html
from gateway.web.typography import glue_punctuation
from services.conversations.schemas import BODY_MAX
from services.posts.markdown import render

pytestmark = pytest.mark.unit

NNBSP = "\N{NARROW NO-BREAK SPACE}"
MEMBER = {"id": "u1", "roles": ["member"]}


def _page(template: str, **context) -> str:
    base = {"actor": MEMBER, "names": {}, "form": {}, "raw": {}, "errors": {}, "csrf_token": "t",
            "body_max": BODY_MAX, "latest": True, "unread": set(),
            "masked_notice": notice_view(partial(translate, "fr"), None)}
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


# -- message and post bodies: text glued, tags, attributes and code as they are ------------------

def test_a_private_messages_body_keeps_its_marks_with_their_words():
    conversation = {**_conversation("Carte"), "messages": [
        {"id": "m1", "author_id": "u1",
         "body": "Faut-il faire opposition ? <b>« oui »</b> : 10:30"}]}
    page = _page("messages/conversation.html", conversation=conversation)
    assert (f'<p class="message-body">Faut-il faire opposition{NNBSP}? &lt;b&gt;«{NNBSP}oui{NNBSP}»'
            f"&lt;/b&gt;{NNBSP}: 10:30</p>") in page  # glued, then escaped: no tag let in


def test_safe_html_is_glued_in_its_text_only():
    html = Markup('<p title="a ?">Vu <a href="/x?a=1 ;b">le lien</a> ? <strong>Non</strong> !</p>'
                  '<p>Code <code>a ? b : c</code> ; bloc :</p><PRE class="x"><code>x ; y\n'
                  "« z »</code></PRE><p>Fin ?</p>")
    glued = glue_punctuation(html)
    assert isinstance(glued, Markup)
    assert glued == Markup(
        f'<p title="a ?">Vu <a href="/x?a=1 ;b">le lien</a>{NNBSP}? '
        f"<strong>Non</strong>{NNBSP}!</p>"
        f"<p>Code <code>a ? b : c</code>{NNBSP}; bloc{NNBSP}:</p><PRE class=\"x\"><code>x ; y\n"
        f"« z »</code></PRE><p>Fin{NNBSP}?</p>")


def test_a_posts_rendered_markdown_is_glued_but_its_code_stays_as_typed():
    body = render("Faut-il faire opposition ? Voir `a ? b` :\n\n```\nx = a ? b : c\n```\n")
    glued = glue_punctuation(Markup(body))
    assert f"opposition{NNBSP}? Voir <code>a ? b</code>{NNBSP}:" in glued
    assert "x = a ? b : c" in glued
    assert glued.replace(NNBSP, " ") == body  # nothing else changed


def test_the_typography_modules_examples_hold():
    assert doctest.testmod(typography).failed == 0
