"""What a French customer on a phone read (member review, s25), as the templates and pages write
it in both languages: the sign-in code field takes a recovery code, the reply form says
"comment" where the thread's replies are comments, an empty text is asked for (not told the
maximum), French numbers never break across lines, notification preferences name a type.
The browser side of the same fixes: tests/browser/test_phone_member.py."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import pytest
from markupsafe import escape

from gateway.web import i18n
from gateway.web.pages.thread_actions import text_errors
from gateway.web.render import render_html

pytestmark = pytest.mark.unit


def _render(template: str, language: str, **context) -> str:
    values = {"actor": None, "csrf_token": "t", "here": "/", "errors": {}, "message": None,
              **context}
    return render_html(template, language, values).get_data(as_text=True)


def _input(html: str, element_id: str) -> str:
    found = re.search(rf'<input id="{element_id}"[^>]*>', html)
    assert found, element_id
    return found.group(0)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_sign_in_code_field_takes_a_recovery_code_on_a_phones_keyboard(language):
    """Its hint offers a recovery code ("xxxxx-xxxxx"): a digits-only keypad
    (inputmode=numeric) could not type one — the very day the authenticator's phone is lost.
    Confirming a new authenticator takes its 6 digits only: the keypad stays."""
    sign_in = _input(_render("mfa/code.html", language, challenge="c", enrolment=None,
                             setup=False, next=""), "field-code")
    assert 'inputmode="text"' in sign_in and 'autocomplete="one-time-code"' in sign_in
    assert 'autocapitalize="none"' in sign_in and 'spellcheck="false"' in sign_in
    setup = _render("mfa/code.html", language, challenge="c", enrolment=None, setup=True,
                    next="")
    assert 'inputmode="numeric"' in _input(setup, "field-code")
    assert str(escape(i18n.translate(language, "security.confirm_hint"))) in setup  # digits


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize(("kind", "words"), [("question", "reply"), ("idea", "comment"),
                                             ("discussion", "comment"), ("article", "comment"),
                                             (None, "reply")])
def test_the_reply_form_says_comment_where_the_replies_are_comments(language, kind, words):
    """An idea's or a discussion's replies are comments ("0 commentaire"): its form said
    "Votre réponse / Envoyer ma réponse". The kind comes with the thread's post, or (htmx's
    fragment after a refusal) as the form sent it back."""
    html = _render("posts/_reply_form.html", language, post_id="p1", body="", post_kind=kind)
    title = re.search(r'<h2 id="reply-form-title">([^<]*)</h2>', html).group(1)
    assert title == i18n.translate(language, f"contribute.{words}_title")
    assert f">{i18n.translate(language, f'contribute.{words}_send')}</button>" in html
    assert (f'name="kind" value="{kind}"' in html) == bool(kind)  # sent back with the form
    thread_post = {"id": "p1", "kind": kind or "question"}
    from_post = _render("posts/_reply_form.html", language, post_id="p1", body="",
                        post=thread_post)
    assert f'<h2 id="reply-form-title">{title}</h2>' in from_post


@dataclass
class _Call:
    """What `text_errors` reads of a page's call: the form as sent, the reader's language."""
    raw_form: dict[str, str]
    language: str = "fr"
    form_errors: dict = field(default_factory=dict)

    def t(self, key: str, **params) -> str:
        return i18n.translate(self.language, key, **params)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_an_empty_text_is_asked_for_and_a_too_long_one_told_the_maximum(language):
    """posts refuses both with one length rule ("between 1 and 20000"): an empty text was told
    "(20 000 caractères au plus)"."""
    refused = {"body": ["Length must be between 1 and 20000."]}
    for sent in ("", "   \n "):
        assert text_errors(_Call({"body": sent}, language), refused) == {
            "body": i18n.translate(language, "compose.empty_body")}
    long = text_errors(_Call({"body": "x" * 20001}, language), refused)["body"]
    assert long == i18n.translate(language, "compose.invalid_body")
    assert ("20\u202f000" if language == "fr" else "20,000") in long


def test_french_numbers_never_break_across_lines():
    """"20 000" with a plain space broke after "20" on a 320-px phone: thousands are separated
    by a narrow no-break space, as `i18n.format_number` writes them."""
    broken = []
    for path in sorted((i18n.LOCALES / "fr").glob("*.json")):
        for key, value in json.loads(path.read_text(encoding="utf-8")).items():
            for text in value.values() if isinstance(value, dict) else [value]:
                if re.search(r"\d \d{3}(?!\d)", text):
                    broken.append(f"{path.stem}.{key}: {text}")
    assert not broken, broken


def test_notification_preferences_name_a_type_not_a_sort():
    assert i18n.translate("fr", "notifications.type") == "Type de notification"
    assert "sorte" not in i18n.translate("fr", "notifications.preferences_intro")
    assert i18n.translate("en", "notifications.type") == "Type of notification"
