"""The community rules as their template draws them (pure rendering, both languages): every
refusal a CM can cite is explained in the words its author is told, and the sentences that
lead there keep their link inside the words, escaped."""
from __future__ import annotations

import re

import pytest
from markupsafe import escape

from gateway.web import i18n
from gateway.web.pages.public import RULES_REASONS
from gateway.web.render import _linked, render_html
from gateway.web.typography import glue_punctuation
from services.moderation.schemas import REJECT_REASONS
from services.shared import i18n as shared_i18n

pytestmark = pytest.mark.unit


def _render(template: str, language: str, **context) -> str:
    values = {"actor": None, "csrf_token": "t", "here": "/rules", **context}
    return render_html(template, language, values).get_data(as_text=True)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_refusal_a_cm_can_cite_is_explained_in_the_authors_words(language):
    """A refusal reads "Non conforme aux règles de la communauté": the rules list that reason
    (and every other one but the catch-all) as the author's notice words it."""
    assert set(RULES_REASONS) == set(REJECT_REASONS) - {"other"}
    html = _render("public/rules.html", language, reasons=RULES_REASONS)
    terms = re.findall(r"<dt>(.*?)</dt>\s*<dd>(.*?)</dd>", html, re.S)
    told = {code: shared_i18n.text(language, f"reject_reason.{code}") for code in RULES_REASONS}
    assert [term.strip() for term, _ in terms] == [
        _escaped(told[code]) for code in RULES_REASONS]
    for (_, explained), code in zip(terms, RULES_REASONS, strict=True):
        assert explained.strip() == _escaped(glue_punctuation(
            i18n.translate(language, f"rules.reason_{code}")))


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_rules_name_the_banks_marks_and_the_report_button_as_a_thread_shows_them(language):
    """Against impersonation, the words a member must look for are the ones beside an answer
    from the bank ("Réponse officielle de la banque", "Équipe de la banque")."""
    html = _render("public/rules.html", language, reasons=RULES_REASONS)
    for shown in ("thread.official", "thread.staff", "contribute.flag"):
        assert _escaped(i18n.translate(language, shown)) in html
    assert 'href="/advisor"' not in html  # a visitor has no advisor to write to
    signed_in = _render("public/rules.html", language, reasons=RULES_REASONS,
                        actor={"id": "u1", "roles": ["member"]})
    assert 'href="/advisor"' in signed_in and 'href="/me/data"' in signed_in


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_sign_up_form_says_it_accepts_the_rules_with_the_link_inside_the_sentence(language):
    html = _render("account/register.html", language, form={}, errors={})
    [sentence] = re.findall(r'<p class="fine-print" id="accept-rules">(.*?)</p>', html, re.S)
    link = _escaped(i18n.translate(language, "rules.register_accept_link"))
    expected = _escaped(i18n.translate(language, "rules.register_accept", link="\0"))
    assert sentence == expected.replace("\0", f'<a href="/rules">{link}</a>')
    assert sentence.endswith("</a>.")  # the sentence goes on after its link


def test_a_linked_sentence_escapes_its_words_and_its_label():
    """Only the link is markup: a catalogue text holding markup characters stays text."""
    texts = {"key": 'Say <b>&"{link}"</b>', "label": "<i>rules</i>"}
    linked = _linked(lambda key, **params: texts[key].format(**params))
    assert str(linked("key", "/rules", "label")) == (
        'Say &lt;b&gt;&amp;&#34;<a href="/rules">&lt;i&gt;rules&lt;/i&gt;</a>&#34;&lt;/b&gt;')


def _escaped(text: str) -> str:
    return str(escape(text))
