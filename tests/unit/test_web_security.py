"""The second-factor screens' pure pieces: the key in groups of four, the QR code as inline SVG the
CSP accepts, identity's details as sentences, and the confirmation form's hidden fields refusing
anything but what identity hands out."""
from __future__ import annotations

import pytest

from gateway.web.pages.security import ConfirmForm, as_sentence, qr_svg, secret_groups

URI = "otpauth://totp/Agora:ada%40example.org?secret=JBSWY3DPEHPK3PXP&issuer=Agora"
FORM = {"code": "123456", "secret": "JBSWY3DPEHPK3PXP", "otpauth_uri": URI,
        "recovery_codes": "abcde-fghjk mnpqr-stuvw"}


def test_the_key_is_shown_in_groups_of_four():
    assert secret_groups("JBSWY3DPEHPK3PXP") == "JBSW Y3DP EHPK 3PXP"
    assert secret_groups("JBSWY3DPEHPK3PXPAB") == "JBSW Y3DP EHPK 3PXP AB"


def test_the_qr_code_is_inline_svg_labelled_and_without_inline_style():
    svg = str(qr_svg(URI, "Code QR <à scanner>"))
    assert svg.startswith("<svg ") and svg.endswith("</svg>")
    assert 'role="img"' in svg and 'aria-labelledby="mfa-qr-title"' in svg
    assert '<title id="mfa-qr-title">Code QR &lt;à scanner&gt;</title>' in svg
    assert "style" not in svg and "<script" not in svg and "href" not in svg
    assert svg.count("<path") >= 2  # the light background and the dark modules


def test_identity_details_read_as_sentences():
    assert as_sentence("staff keep theirs") == "Staff keep theirs."
    assert as_sentence("Déjà fait !") == "Déjà fait !"
    assert as_sentence("") is None and as_sentence(None) is None


def test_the_confirmation_form_takes_what_identity_handed_out():
    assert ConfirmForm().validate(FORM) == {}


@pytest.mark.parametrize("field, value", [
    ("otpauth_uri", "javascript:alert(1)//otpauth://totp/"),
    ("otpauth_uri", "https://example.org/?otpauth://totp/"),
    ("secret", "jbswy3dpehpk3pxp"),
    ("secret", "JBSW Y3DP EHPK 3PXP"),
    ("code", "12345"),
])
def test_the_confirmation_form_refuses_anything_else(field, value):
    assert field in ConfirmForm().validate({**FORM, field: value})
