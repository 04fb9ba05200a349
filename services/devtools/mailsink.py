"""A local SMTP server that keeps every message it receives as a file (tests, local use).

    python -m services.devtools.mailsink --port 2525 --dir .state/mail

It is a real SMTP server (the commands smtplib and MTAs use, on asyncio), run in its own process:
asyncio does not belong in an eventlet-patched process. A few lines of the protocol rather than
aiosmtpd: it runs beside the platform in every benchmark, and aiosmtpd's parsing cost about
1.5 ms of CPU a mail there. Each message is written atomically as
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

    counter = itertools.count(len(list(directory.glob("*.eml"))) + 1)
    keep = _Mailbox(directory, counter, refused_prefix)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        server = await asyncio.start_server(keep.session, host, port)
        async with server:
            await stop.wait()

    asyncio.run(run())


class _Mailbox:
    """The server's side of SMTP (RFC 5321), what smtplib and MTAs use: EHLO/HELO, MAIL,
    RCPT, DATA (dot-unstuffed), RSET, NOOP, VRFY, QUIT. No TLS, no AUTH, no SMTPUTF8: a
    local sink. Each message is written as it arrived, with the envelope in two headers."""

    EHLO = (b"250-agora-mailsink\r\n250-SIZE 33554432\r\n250-8BITMIME\r\n"
            b"250 HELP\r\n")

    def __init__(self, directory: Path, counter, refused_prefix: str):
        self.directory = directory
        self.counter = counter
        self.refused_prefix = refused_prefix.lower()

    async def session(self, reader, writer) -> None:
        sender: str | None = None
        recipients: list[str] = []
        writer.write(b"220 agora-mailsink ESMTP\r\n")
        try:
            while line := await reader.readline():
                verb, _, argument = line.decode("utf-8", "replace").strip().partition(" ")
                verb = verb.upper()
                if verb == "EHLO":
                    sender, recipients = None, []
                    writer.write(self.EHLO)
                elif verb == "HELO":
                    sender, recipients = None, []
                    writer.write(b"250 agora-mailsink\r\n")
                elif verb == "MAIL" and argument.upper().startswith("FROM:"):
                    sender, recipients = _address(argument[5:]), []
                    writer.write(b"250 OK\r\n")
                elif verb == "RCPT" and argument.upper().startswith("TO:"):
                    writer.write(self._recipient(sender, _address(argument[3:]), recipients))
                elif verb == "DATA":
                    if sender is None or not recipients:
                        writer.write(b"503 Error: need RCPT command\r\n")
                        continue
                    writer.write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    self._keep(sender, recipients, await _data(reader))
                    sender, recipients = None, []
                    writer.write(b"250 Message accepted for delivery\r\n")
                elif verb == "RSET":
                    sender, recipients = None, []
                    writer.write(b"250 OK\r\n")
                elif verb == "NOOP":
                    writer.write(b"250 OK\r\n")
                elif verb == "VRFY":
                    writer.write(b"252 Cannot VRFY user, but will accept message\r\n")
                elif verb == "QUIT":
                    writer.write(b"221 Bye\r\n")
                    break
                else:
                    writer.write(b"500 Error: command not recognized\r\n")
                await writer.drain()
            await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    def _recipient(self, sender: str | None, address: str, recipients: list[str]) -> bytes:
        if sender is None:
            return b"503 Error: need MAIL command\r\n"
        if self.refused_prefix and address.lower().startswith(self.refused_prefix):
            return f"550 5.1.1 <{address}>: mailbox unavailable\r\n".encode()
        recipients.append(address)
        return b"250 OK\r\n"

    def _keep(self, sender: str, recipients: list[str], content: bytes) -> None:
        number = next(self.counter)
        headers = (f"X-Envelope-From: {sender}\r\n"
                   f"X-Envelope-To: {', '.join(recipients)}\r\n").encode()
        temporary = self.directory / f".{number}.tmp"
        temporary.write_bytes(headers + content)
        os.replace(temporary, self.directory / f"{number}.eml")


def _address(argument: str) -> str:
    """`<ada@example.org> SIZE=120` -> `ada@example.org`."""
    argument = argument.strip()
    if argument.startswith("<"):
        return argument[1:argument.find(">")] if ">" in argument else argument[1:]
    return argument.split(" ", 1)[0]


async def _data(reader) -> bytes:
    """The message up to the line holding a lone dot, each line's leading dot removed."""
    lines = []
    while True:
        line = await reader.readline()
        if line in (b".\r\n", b".\n", b""):
            return b"".join(lines)
        lines.append(line[1:] if line.startswith(b".") else line)


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
