"""The mails of one batch share their rendered text: what each recipient receives is what the
`email` package alone would have built for them (headers, decoded text), and a value that cannot
be written as a plain header line sends the mail through `email` whole."""
import email
import email.policy
from email.message import EmailMessage

import pytest

from services.notifications import domain
from services.notifications.delivery import RenderedMails, _flattened, _message

FROM = "Agora <no-reply@agora.local>"


def own(address: str, notification: str) -> list[tuple[str, str]]:
    return [("To", address), ("Date", "Wed, 02 Dec 2026 05:00:00 GMT"),
            ("Message-ID", f"<{notification}@agora.local>"),
            ("X-Agora-Notification", notification),
            ("List-Unsubscribe", "<http://127.0.0.1:8000/api/v1/unsubscribe?token=" + "t" * 180
                                 + notification + ">"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")]


def parsed(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


CONTENTS = [
    domain.Message("[Agora] Ada published a question: savings", "Ada published.\n\nhttp://x/1\n"),
    domain.Message("[Agora] Zoé a publié une idée : « épargne » et crédit à taux zéro pour les "
                   "jeunes ménages qui achètent leur première maison",
                   "Zoé a publié une idée.\n\n" + "é" * 120 + "\nhttp://x/2\n"),
]


@pytest.mark.parametrize("content", CONTENTS)
def test_each_recipient_receives_what_email_alone_builds(content):
    rendered = RenderedMails()
    for address, notification in (("ada@example.org", "n1|ada"), ("bob@example.org", "n1|bob")):
        shared = rendered.message(FROM, content, own(address, notification))
        alone = _flattened(_message(FROM, content, own(address, notification)))
        assert isinstance(shared, bytes)
        got, expected = parsed(shared), parsed(alone)
        assert sorted(got.keys()) == sorted(expected.keys())
        for name in expected:
            assert str(got[name]) == str(expected[name]), name
        assert got.get_content() == expected.get_content()
        assert got.get_content().replace("\r\n", "\n") == content.text
        assert got["To"].addresses[0].addr_spec == address
        assert b"\r\n" in shared and b"\n" not in shared.replace(b"\r\n", b"")
    assert len(rendered._shared) == 1  # the text was built once for both recipients


def test_a_value_that_is_no_plain_header_line_sends_the_mail_through_email_whole():
    rendered = RenderedMails()
    message = rendered.message(FROM, CONTENTS[0], own("zoé@exemple.fr", "n2"))
    assert isinstance(message, EmailMessage)  # smtplib sends it with SMTPUTF8
    with pytest.raises(ValueError):  # never a header injected: the mail cannot be built
        rendered.message(FROM, CONTENTS[0], own("ada@example.org\r\nBcc: eve@example.org", "n3"))
    long_id = "n" * 1000
    assert isinstance(rendered.message(FROM, CONTENTS[0], own("ada@example.org", long_id)),
                      EmailMessage)
    assert rendered._shared == {}
