"""A local SMTP server that keeps every message it receives as a file (tests, local use).

    python -m services.devtools.mailsink --port 2525 --dir .state/mail

It is a real SMTP server (aiosmtpd), run in its own process: aiosmtpd is asyncio-based and
does not belong in an eventlet-patched process. Each message is written atomically as
``<n>.eml`` with ``X-Envelope-To`` / ``X-Envelope-From`` headers added; `MailSink` starts the
process and reads what it received. Like a real server that has no such mailbox, it refuses for
good (``550``) every recipient whose address starts with ``refused`` (``refused-ada@...``), so
tests can see what a permanent refusal does (``refused_prefix=""`` accepts everyone)::

    sink = MailSink(tmp_path / "mail").start()      # free port, waits until it answers
    config["NOTIFICATIONS"] = {"smtp_host": sink.host, "smtp_port": sink.port}
    [message] = sink.messages(to="ada@example.org")  # email.message.EmailMessage objects
    sink.stop()
"""
from __future__ import annotations

import argparse
import email
import email.policy
import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path


class MailSink:
    def __init__(self, directory: Path, host: str = "127.0.0.1", port: int | None = None,
                 refused_prefix: str = "refused"):
        self.directory = Path(directory)
        self.host = host
        self.port = port or _free_port(host)
        self.refused_prefix = refused_prefix
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 20.0) -> MailSink:
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / "sink.log", "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "services.devtools.mailsink", "--host", self.host,
                 "--port", str(self.port), "--dir", str(self.directory),
                 "--refused-prefix", self.refused_prefix],
                cwd=Path(__file__).resolve().parents[2], stdout=subprocess.DEVNULL, stderr=log,
                start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the SMTP sink exited ({self.process.returncode}); see "
                                   f"{self.directory / 'sink.log'}")
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as conn:
                    if conn.recv(3) == b"220":
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"the SMTP sink did not answer on {self.host}:{self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def messages(self, to: str | None = None) -> list[EmailMessage]:
        """What the server received (optionally for one recipient), oldest first."""
        found = []
        for path in sorted(self.directory.glob("*.eml"), key=lambda p: int(p.stem)):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if to is None or to.lower() in message["X-Envelope-To"].lower().split(", "):
                found.append(message)
        return found


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def serve(host: str, port: int, directory: Path, refused_prefix: str = "refused") -> None:
    import asyncio

    from aiosmtpd.controller import Controller

    counter = itertools.count(len(list(directory.glob("*.eml"))) + 1)

    class Keep:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if refused_prefix and address.lower().startswith(refused_prefix):
                return f"550 5.1.1 <{address}>: mailbox unavailable"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            number = next(counter)
            headers = (f"X-Envelope-From: {envelope.mail_from}\r\n"
                       f"X-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n").encode()
            temporary = directory / f".{number}.tmp"
            temporary.write_bytes(headers + envelope.original_content)
            os.replace(temporary, directory / f"{number}.eml")
            return "250 Message accepted for delivery"

    controller = Controller(Keep(), hostname=host, port=port)
    controller.start()
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        loop.run_until_complete(stop.wait())
    finally:
        controller.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="keep every message received over SMTP")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--dir", required=True, type=Path)
    parser.add_argument("--refused-prefix", default="refused",
                        help="recipients starting with this are refused with 550 ('': none)")
    args = parser.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    serve(args.host, args.port, args.dir, args.refused_prefix)
    return 0


if __name__ == "__main__":
    sys.exit(main())
