"""A conversation closed by its member's erasure, on the site and in the staff console (pure
rendering): the notice in the reader's language, and no reply form."""
from __future__ import annotations

from functools import partial

import pytest
from markupsafe import escape

from gateway.web import i18n
from gateway.web.masked_notice import notice_view
from gateway.web.render import render_html
from services.conversations.schemas import BODY_MAX

pytestmark = pytest.mark.unit

CLOSED = {"id": "c1", "subject": None, "closed": True, "messages": [], "member_id": "u1",
          "participant_ids": ["u1", "a1"]}
PAGES = (("messages/conversation.html", "messages.closed"),
         ("console/conversation.html", "staff.conversation_closed"))


@pytest.mark.parametrize(("template", "notice"), PAGES)
@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_closed_conversation_says_so_and_takes_no_reply(template, notice, language):
    context = {"conversation": CLOSED, "actor": {"id": "a1", "roles": ["member", "advisor"]},
               "names": {}, "form": {}, "raw": {}, "errors": {}, "csrf_token": "t",
               "body_max": BODY_MAX, "latest": True,
               "masked_notice": notice_view(partial(i18n.translate, language), None)}
    page = render_html(template, language, context).get_data(as_text=True)
    expected = str(escape(i18n.translate(language, notice)))
    assert expected in page
    assert 'name="body"' not in page
    open_page = render_html(template, language, {**context, "conversation": {
        **CLOSED, "closed": False}}).get_data(as_text=True)
    assert 'name="body"' in open_page and expected not in open_page
