"""The local SMTP server the tests and benchmarks read e-mails from speaks the SMTP smtplib
speaks: several messages over one connection, dot-stuffed lines given back as written, 8-bit
text kept byte for byte, the envelope recorded, a refused recipient answered 550 while the
others of the same message are delivered, commands out of order refused."""
import smtplib
from email.message import EmailMessage
from email.policy import SMTP

import pytest

from services.devtools.mailsink import MailSink

pytestmark = pytest.mark.integration


def message(to: str, text: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "Agora <no-reply@agora.local>"
    mail["To"] = to
    mail["Subject"] = "Épargne : « taux » et plafonds"
    mail.set_content(text)
    return mail


def test_messages_over_one_connection_arrive_whole_with_their_envelope(tmp_path):
    sink = MailSink(tmp_path / "mail").start()
    try:
        text = ".a line that starts with a dot\n..two dots\n.\nzoé é à\n" + "x" * 300 + "\n"
        with smtplib.SMTP(sink.host, sink.port, timeout=10) as smtp:
            assert smtp.ehlo()[0] == 250 and smtp.has_extn("8bitmime")
            smtp.send_message(message("ada@example.org", text))
            smtp.sendmail("bounce@agora.local", ["bob@example.org", "refused-eve@example.org"],
                          message("bob@example.org", "hello\n").as_bytes(policy=SMTP))
            with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
                smtp.sendmail("bounce@agora.local", ["refused-eve@example.org"], b"x\r\n")
            assert refused.value.recipients["refused-eve@example.org"][0] == 550
            assert smtp.docmd("RCPT", "TO:<ada@example.org>")[0] == 503  # no MAIL yet
            assert smtp.docmd("DATA")[0] == 503
            assert smtp.noop()[0] == 250
        (ada,) = sink.messages(to="ada@example.org")
        assert ada["X-Envelope-From"] == "no-reply@agora.local"
        assert ada["Subject"] == "Épargne : « taux » et plafonds"
        assert ada.get_content().replace("\r\n", "\n") == text
        (bob,) = sink.messages(to="bob@example.org")
        assert bob["X-Envelope-To"] == "bob@example.org"  # the refused one is not a recipient
        assert bob.get_content().replace("\r\n", "\n") == "hello\n"
        assert len(sink.messages()) == 2
    finally:
        sink.stop()
