"""Delivery: e-mail (immediate, or in a daily digest) and push — exactly once in effect.

Sending is a side effect, so it goes through outboxes in notifications' own database:

1. `enqueue` takes inbox documents not yet queued and, per the channels chosen when the
   notification was created, upserts ``outgoing_mail`` / ``outgoing_push`` documents (id = the
   notification id, so a re-delivered event or a second pass adds nothing) or ``digest_items``;
   notifications older than `max_delivery_age_seconds` are only marked (a replay of the inbox
   never re-sends yesterday's mail);
2. a sender claims due documents (a lease, so replicas share the work and a crashed sender's
   claims are taken over), sends, marks the batch's sent ones in one command; a failure
   retrying may fix (SMTP down, a 4xx answer, no address known yet) schedules a retry with
   exponential backoff, at most `max_attempts` times; a failure retrying cannot fix (a mail
   that cannot be built, a 5xx refusal, a push the provider refuses for good) — or the last
   retry — makes it a dead letter
   (``state: dead``, with the error), listed and re-driven with
   ``agora dead-letters list|redrive notifications --outbox mail|push``: nothing is dropped,
   and no message is retried forever;
3. the digest check, every `digest_check_seconds` (one replica at a time, by a schedule
   document), looks for members whose local digest hour (their preferences: hour and time zone,
   else `digest_hour` in `default_timezone`) has passed since their oldest waiting item
   arrived; for each, the items waiting since before that moment (the *slot*) go into one
   ``outgoing_mail`` document, id ``digest:<member>:<slot>`` — inserted once, so two replicas or
   a re-run cannot make two — ``collecting`` until every item is claimed for it, then
   ``pending``; the sender composes and sends it like any other mail. `agora notifications
   send-digests` runs the check now, or (``--now``) sends every waiting digest at once.

Every mail carries ``Date``, ``Message-ID`` and a one-click ``List-Unsubscribe`` (RFC 8058:
``List-Unsubscribe-Post: List-Unsubscribe=One-Click``) whose link holds a signed, expiring token
for the mail's notification types only (`unsubscribe.py`) — except the account-security mails
and password-reset links, which cannot be turned off.

A password-reset link (`identity.password_reset_requested`, `queue_link`; so is an address
confirmation link, `identity.email_verification_requested`, ``kind: email_verification``) is no
notification: it never enters the inbox (a signed-in session must not read a way to change the
password without the current one). Its ``outgoing_mail`` document (``kind: password_reset``)
holds the token sealed with the member's key, until the mail is sent, dead-lettered or past
the link's expiry (then it is dropped unsent); a newer request (in the account stream's
order, whatever order the deliveries come in) replaces a pending one.

The recipient address is read from ``contacts`` when sending (never copied into the outbox,
never logged). The Message-ID is derived from the outbox id: the duplicates that could follow
a crash between the SMTP answers and the batch's "sent" mark are recognisable by the receiving
side.
"""
from __future__ import annotations

import contextlib
import io
import ipaddress
import logging
import re
import smtplib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.generator import BytesGenerator
from email.header import Header
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr
from typing import Any
from urllib.parse import urlsplit

import eventlet
from nameko.extensions import DependencyProvider
from pymongo import UpdateOne
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError, PyMongoError

from services.shared import failpoints, live, metrics
from services.shared.config import in_production
from services.shared.members import ERASED_DISPLAY_NAME
from services.shared.mongo import database_name, mongo_uri, release_client, shared_client
from services.shared.projections import ReadModels
from services.shared.shredding import SubjectKeys

from . import domain, unsubscribe
from .projections import (
    languages_and_names,
    member_languages,
    member_names,
    release_held,
    unread_counts,
)
from .push import PushProvider, load_provider

log = logging.getLogger(__name__)

OUTGOING_MAIL = "outgoing_mail"
OUTGOING_PUSH = "outgoing_push"
DIGEST_ITEMS = "digest_items"
SCHEDULE = "delivery_schedule"
DEAD_LETTERS_COUNTED_EVERY = 30.0  # seconds: the gauges' staleness (alerts wait minutes)
CLAIM_ROUNDS = 3  # a sender whose candidates all went to another looks again, this often
OUTBOX_CHECKED_EVERY = 5.0  # seconds: how late a retry may go out (its delay is 5 s or more)
HELD_CHECKED_EVERY = 10.0  # seconds: how often a pass looks for notifications left held
HELD_GRACE_SECONDS = 30.0  # ... for longer than this after their event (an applier crashed)
SNAPSHOT_FIELDS = (*domain.RENDERED_FIELDS, "actor_id", "post_id", "reply_id",
                   "conversation_id", "for_staff", "ts")  # own_conversation: rendered
PASSWORD_RESET = "password_reset"  # `kind` of a reset link's mail (no notification)
EMAIL_VERIFICATION = "email_verification"  # `kind` of an address confirmation link's mail
# the links identity asks to e-mail: event -> (the mail's kind, its outbox id's prefix, text)
LINK_MAILS = {
    domain.PASSWORD_RESET_REQUESTED: (PASSWORD_RESET, "reset", domain.password_reset_email),
    domain.EMAIL_VERIFICATION_REQUESTED: (EMAIL_VERIFICATION, "verify",
                                          domain.email_verification_email),
}
LINK_TEXTS = {kind: text for kind, _, text in LINK_MAILS.values()}
RESET_TOKEN = "notifications.outgoing_mail.token"  # where a sealed reset token belongs


@dataclass(frozen=True)
class DeliverySettings:
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_timeout_seconds: float = 10.0
    mail_from: str = "Agora <no-reply@agora.local>"
    web_base_url: str = "http://127.0.0.1:8000"
    sender_interval_seconds: float = 1.0
    batch_size: int = 50
    retry_base_seconds: float = 5.0
    retry_max_seconds: float = 3600.0
    max_attempts: int = 12  # ~2.5 h of backoff at the defaults, then a dead letter
    claim_seconds: float = 120.0
    digest_check_seconds: float = 60.0
    digest_hour: int = 8
    default_timezone: str = "Europe/Paris"
    unsubscribe_secret: str = ""
    unsubscribe_lifetime_seconds: float = 60 * 86_400.0
    max_delivery_age_seconds: float = 2 * 86_400.0
    push_provider: str = "logging"

    @classmethod
    def from_config(cls, config: dict[str, Any] | None) -> DeliverySettings:
        raw = (config or {}).get("NOTIFICATIONS") or {}
        defaults = cls()
        values = {}
        for name in defaults.__dataclass_fields__:
            if raw.get(name) in (None, ""):
                continue
            kind = type(getattr(defaults, name))
            value = raw[name]
            values[name] = (str(value).lower() in ("1", "true", "yes")) if kind is bool \
                else kind(value)
        return cls(**values)

    def production_refusals(self) -> list[str]:
        """Why these settings cannot serve production: links to a loopback or placeholder
        address (the local defaults, example.com), or a sender at one."""
        refusals = []
        if _placeholder_host(urlsplit(self.web_base_url).hostname):
            refusals.append(f"AGORA_WEB_URL is {self.web_base_url!r}: the links of e-mails and "
                            "notifications would lead nowhere; set the site's public address "
                            "(k8s/overlays/prod/site.yaml: host)")
        _, at, domain = parseaddr(self.mail_from)[1].rpartition("@")
        if not at or _placeholder_host(domain):
            refusals.append(f"AGORA_MAIL_FROM is {self.mail_from!r}: set the address the bank's "
                            "relay sends from (k8s/overlays/prod/site.yaml: mail_from)")
        return refusals


# Names that are never a deployment's own: the reserved ones of RFC 2606 and 6761 (examples,
# the local defaults).
_PLACEHOLDER_DOMAINS = ("example.com", "example.net", "example.org", "example", "invalid",
                        "local", "localhost", "test")


def _placeholder_host(host: str | None) -> bool:
    host = (host or "").lower().rstrip(".")
    try:
        address = ipaddress.ip_address(host.strip("[]"))
        return address.is_loopback or address.is_unspecified
    except ValueError:
        return not host or any(host == domain or host.endswith(f".{domain}")
                               for domain in _PLACEHOLDER_DOMAINS)


class SmtpTransport:
    """One SMTP connection per batch of mails (STARTTLS and login when configured)."""

    def __init__(self, settings: DeliverySettings):
        self.settings = settings

    def connect(self) -> smtplib.SMTP:
        s = self.settings
        smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds)
        if s.smtp_starttls:
            smtp.starttls()
        if s.smtp_username:
            smtp.login(s.smtp_username, s.smtp_password)
        return smtp


class RenderedMails:
    """The mails of one sending batch as bytes, each built from the part its recipients
    share (From, Subject and the text: one notification in one language) and its own headers
    (To, Date, Message-ID, the notification id, the unsubscribe link).

    The shared part goes through `email` (header encoding, the text's transfer encoding) once
    per content; a mail's own headers are plain ASCII lines, written as they are. A value that
    is not (a non-ASCII address, a line break, a line too long for SMTP) makes the whole mail
    go through `email` and `send_message`, as every mail used to.
    """

    def __init__(self):
        self._shared: dict[tuple[str, str, str], bytes] = {}

    def message(self, mail_from: str, content: domain.Message,
                own: list[tuple[str, str]]) -> bytes | EmailMessage:
        if not all(_plain_header(value) for _, value in own) or not mail_from.isascii():
            return _message(mail_from, content, own)  # smtplib sends it (SMTPUTF8 if need be)
        key = (mail_from, content.subject, content.text)
        shared = self._shared.get(key)
        if shared is None:
            shared = self._shared[key] = _flattened(_message(mail_from, content, []))
        return "".join(f"{name}: {value}\r\n" for name, value in own).encode("ascii") + shared


def _plain_header(value: str) -> bool:
    """Written as is, the value is a valid header line: printable ASCII (no line break), well
    within SMTP's 998 characters a line."""
    return value.isascii() and value.isprintable() and len(value) <= 900


def _message(mail_from: str, content: domain.Message, headers: list[tuple[str, str]]
             ) -> EmailMessage:
    message = EmailMessage()
    name, address = parseaddr(mail_from)
    message["From"] = formataddr((name, address))
    message.set_raw("Subject", _encoded_subject(content.subject))
    for header, value in headers:
        message[header] = value
    message.set_content(content.text)
    return message


def _encoded_subject(subject: str) -> str:
    """The Subject as UTF-8 encoded words (RFC 2047) folded within 76 columns, every space
    inside a word, so that it decodes to exactly `subject`. The `email` package's own folding
    (Python 3.11) can leave the space between two words that both need encoding *between*
    their encoded words, where readers drop it ("nouvelle idée« Export…"); plain ASCII has
    its own folding slips (long words). Set raw, its lines short: the policy writes it as is."""
    return Header(subject, "utf-8", header_name="Subject").encode()


def _flattened(message: EmailMessage) -> bytes:
    """The bytes `smtplib.SMTP.send_message` would send (CRLF line ends)."""
    with io.BytesIO() as out:
        BytesGenerator(out).flatten(message, linesep="\r\n")
        return out.getvalue()


class PermanentFailure(Exception):
    """Sending this message cannot succeed however often it is retried: a dead letter now."""


def permanent_smtp_failure(error: Exception) -> bool:
    """A 5xx answer about this message (recipient or content refused) is final; anything else
    (4xx, a dropped connection, a refused sender or login: the server's or our configuration's
    state) may pass on a later try.

    >>> permanent_smtp_failure(smtplib.SMTPRecipientsRefused({"a@b.c": (550, b"no such user")}))
    True
    >>> permanent_smtp_failure(smtplib.SMTPDataError(451, b"try again later"))
    False
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(error, smtplib.SMTPDataError):
        return 500 <= error.smtp_code < 600
    return False


class Outbox:
    """Claim, complete, retry and dead-letter documents of one outgoing collection."""

    def __init__(self, db: Database, name: str, settings: DeliverySettings,
                 clock: Callable[[], float]):
        self.collection = db[name]
        self.settings = settings
        self.clock = clock
        self.parked = 0  # dead letters made since the gauge was last counted

    def add(self, doc_id: str, fields: dict[str, Any], claim: str | None = None) -> UpdateOne:
        """The upsert that adds a document once; with `claim` (a token), the document is
        claimed by its creator as `claim` would (state, lease, one claim counted)."""
        return UpdateOne({"_id": doc_id}, {"$setOnInsert": self.new_document(fields, claim)},
                         upsert=True)

    def new_document(self, fields: dict[str, Any], claim: str | None = None) -> dict[str, Any]:
        now = self.clock()
        state: dict[str, Any] = {"state": "pending"} if claim is None else {
            "state": "sending", "claimed_until": now + self.settings.claim_seconds,
            "claim": claim, "claims": 1}
        return {**fields, **state, "attempts": 0, "next_at": now, "created_at": now}

    def claim(self, limit: int) -> list[dict[str, Any]]:
        """Take up to `limit` due documents, oldest first, for `claim_seconds`: three round
        trips whatever the batch (the due ids, one claim of them all under a fresh token, the
        documents that token won). Each document's claim is atomic on its own, so two
        senders never hold the same document; one that lost some to another sender sends the
        rest."""
        now = self.clock()
        due = {"$or": [{"state": "pending", "next_at": {"$lte": now}},
                       {"state": "sending", "claimed_until": {"$lt": now}}]}
        for _ in range(CLAIM_ROUNDS):  # another sender may take every candidate first
            candidates = [doc["_id"] for doc in self.collection.find(due, {"_id": 1})
                          .sort("next_at", 1).limit(limit)]
            if not candidates:
                return []
            token = uuid.uuid4().hex
            won = self.collection.update_many(
                {"_id": {"$in": candidates}, **due},
                {"$set": {"state": "sending", "claimed_until": now + self.settings.claim_seconds,
                          "claim": token},
                 "$inc": {"claims": 1}}).modified_count
            if won:
                break
        else:
            return []
        claimed = []
        for doc in self.collection.find({"_id": {"$in": candidates}, "claim": token}
                                        ).sort("next_at", 1):
            if doc["claims"] > doc.get("attempts", 0) + self.settings.max_attempts:
                # Claimed again and again without an outcome: the sender dies on this message.
                self.dead(doc, "claimed without an outcome too often (the sender stops on it)")
                continue
            claimed.append(doc)
        return claimed

    def done(self, *docs: dict[str, Any], **extra: Any) -> None:
        """Mark `docs` finished (sent, or with `extra`: dropped, empty), in one command; a
        finished mail keeps no reset token."""
        if docs:
            self.collection.update_many({"_id": {"$in": [doc["_id"] for doc in docs]}}, {
                "$set": {"state": "sent", "sent_at": self.clock(), **extra},
                "$unset": {"claimed_until": "", "last_error": "", "token": ""}})

    def retry(self, doc: dict[str, Any], error: str) -> None:
        attempts = int(doc.get("attempts", 0)) + 1
        if attempts >= self.settings.max_attempts:
            self.dead(doc, f"gave up after {attempts} attempts: {error}", attempts=attempts)
            return
        delay = domain.retry_delay(attempts, self.settings.retry_base_seconds,
                                   self.settings.retry_max_seconds)
        self.collection.update_one({"_id": doc["_id"]}, {
            "$set": {"state": "pending", "attempts": attempts, "next_at": self.clock() + delay,
                     "last_error": error[:300]},
            "$unset": {"claimed_until": ""}})

    def dead(self, doc: dict[str, Any], error: str, attempts: int | None = None) -> None:
        """Park the message: never claimed again until an SRE re-drives it."""
        attempts = int(doc.get("attempts", 0)) + 1 if attempts is None else attempts
        self.collection.update_one({"_id": doc["_id"]}, {
            "$set": {"state": "dead", "attempts": attempts, "dead_at": self.clock(),
                     "last_error": error[:300]},
            "$unset": {"claimed_until": "", "token": ""}})  # a re-driven reset link: asked anew
        self.parked += 1
        log.warning("delivery dead-lettered after %d attempt(s): %s", attempts, error[:300],
                    extra={"outbox": self.collection.name, "delivery_id": doc["_id"],
                           "member_id": doc.get("member_id")})

    def dead_letters(self, limit: int = 100) -> list[dict[str, Any]]:
        """Dead letters, oldest first: id, member, kind, attempts, when and why (no content)."""
        return list(self.collection.find(
            {"state": "dead"}, {"member_id": 1, "kind": 1, "attempts": 1, "dead_at": 1,
                                "last_error": 1, "created_at": 1, "redriven": 1},
        ).sort("dead_at", 1).limit(limit))

    def count_dead(self) -> int:
        return self.collection.count_documents({"state": "dead"})

    def redrive(self, ids: list[str] | None = None, limit: int | None = None) -> int:
        """Make dead letters due again with a fresh retry budget; returns how many."""
        query: dict[str, Any] = {"state": "dead"}
        if ids:
            query["_id"] = {"$in": list(ids)}
        chosen = [doc["_id"] for doc in
                  self.collection.find(query, {"_id": 1}).sort("dead_at", 1).limit(limit or 0)]
        if not chosen:
            return 0
        return self.collection.update_many(
            {"_id": {"$in": chosen}, "state": "dead"},
            {"$set": {"state": "pending", "attempts": 0, "claims": 0, "next_at": self.clock()},
             "$inc": {"redriven": 1}, "$unset": {"dead_at": ""}}).modified_count

    def backlog(self) -> int:
        return self.collection.count_documents({"state": {"$in": ["pending", "sending"]}})


def ensure_indexes(db: Database) -> None:
    """The delivery outboxes' and digests' indexes (also declared by `agora migrate`)."""
    for outbox in (OUTGOING_MAIL, OUTGOING_PUSH):
        db[outbox].create_index([("state", 1), ("next_at", 1)], name="due")
        db[outbox].create_index([("state", 1), ("dead_at", 1)], name="dead")
    db[DIGEST_ITEMS].create_index([("digest_id", 1), ("member_id", 1)], name="waiting")
    for copies in (OUTGOING_MAIL, OUTGOING_PUSH, DIGEST_ITEMS):  # erasure finds them by member
        db[copies].create_index([("member_id", 1)], name="member")
        db[copies].create_index([("notice.actor_id", 1)], name="actor")


class Deliveries:
    def __init__(self, db: Database, settings: DeliverySettings, pusher: PushProvider | None,
                 transport: SmtpTransport | None = None, clock: Callable[[], float] = time.time,
                 announce: Callable[[str, dict[str, Any]], Any] | None = None,
                 keys: SubjectKeys | None = None):
        self.db = db
        self.keys = keys or SubjectKeys.beside(db, "notifications")  # reset tokens, sealed
        self.announce = announce  # live signals to the gateways (services/shared/live.py)
        self.settings = settings
        self.pusher = pusher
        self.transport = transport or SmtpTransport(settings)
        self.clock = clock
        self.mail = Outbox(db, OUTGOING_MAIL, settings, clock)
        self.push = Outbox(db, OUTGOING_PUSH, settings, clock)
        self._digests_next_at = float("-inf")
        self._dead_letters_counted_at = float("-inf")
        self._held_checked_at = float("-inf")
        # (readers, actors, languages, names) read by this pass's queuing, for its sending
        self._read_this_pass: tuple[set, set, dict, dict] | None = None
        self._queued_and_claimed: list[dict[str, Any]] = []  # mails claimed as they were queued
        self._fresh: set[str] = set()  # outboxes this process queued into since it last looked
        self._checked_at: dict[str, float] = {}

    def ensure_indexes(self) -> None:
        ensure_indexes(self.db)

    def forget_member(self, member_id: str) -> None:
        """Erasure (`identity.user_erased`): what was to be sent to the member goes, sent or
        not (the outboxes are no archive), and in what others are still to receive the member
        is "Former member". Idempotent: a redelivered tombstone finds nothing left to do."""
        for copies in (self.mail.collection, self.push.collection, self.db[DIGEST_ITEMS]):
            copies.delete_many({"member_id": member_id})
            copies.update_many({"notice.actor_id": member_id},
                               {"$set": {"notice.actor_name": ERASED_DISPLAY_NAME}})

    # -- 0. password-reset links: straight to the mail outbox ------------------------------------

    def queue_link(self, event) -> bool:
        """The mail of a reset or confirmation link (`LINK_MAILS`), once per event, replacing
        the member's pending ones of its kind that an earlier request queued (their links no
        longer work); nothing for a link past its expiry (a late delivery, a replay) or erased
        (its token opens to None).

        "Earlier" is the account stream's order (`link_version`), not the order deliveries
        come in: handlers run concurrently and a retried delivery comes back late, so an older
        request's mail may be queued after a newer one's. Each delivery inserts its mail, then
        drops every pending one older than the newest it sees: of two racing, the later check
        sees both, so only the newest link is sent (a late older request's mail is dropped
        even when the newer one already went out). True when this request's mail is queued."""
        kind, prefix, _ = LINK_MAILS[event.type]
        p = event.payload
        member_id, token = p["user_id"], p.get("token")
        expires_at = datetime.fromisoformat(p["expires_at"]).timestamp()
        if not token or expires_at <= self.clock():
            return False
        requested = datetime.fromisoformat(event.occurred_at).timestamp()
        mails, mine = self.mail.collection, f"{prefix}:{event.id}"
        mails.update_one({"_id": mine}, {"$setOnInsert": self.mail.new_document({
            "member_id": member_id, "kind": kind, "expires_at": expires_at,
            "link_version": event.stream_version,
            "minutes": max(1, round((expires_at - requested) / 60)),
            "token": self.keys.seal(member_id, token, RESET_TOKEN)})}, upsert=True)
        links = {doc["_id"]: doc.get("link_version", 0) for doc in mails.find(
            {"member_id": member_id, "kind": kind}, {"link_version": 1})}
        newest = max(links.values(), default=event.stream_version)
        stale = [link for link, version in links.items() if version < newest]
        if stale:
            mails.delete_many({"_id": {"$in": stale}, "state": "pending"})
        self._fresh.add(mails.name)
        return mine not in stale

    # -- 1. from the inbox to the outboxes -----------------------------------------------------

    def enqueue(self, limit: int = 500, claim: bool = False) -> int:
        """Queue the inbox's new notifications into the outboxes; with `claim` (a delivery
        pass, which sends next), up to a sending batch of mails is claimed as it is queued."""
        inbox = self.db["inbox"]
        oldest = (self.clock() - self.settings.max_delivery_age_seconds) * 1_000_000
        queued = 0
        while True:
            docs = list(inbox.find({"queued": False}).sort("ts", 1).limit(limit))
            if not docs:
                return queued
            mails, digests, pushes = [], [], []
            mail_documents: list[dict[str, Any] | None] = []  # the ones this pass claims
            token = uuid.uuid4().hex
            fresh: dict[str, list[dict[str, Any]]] = {}
            # the recipients' languages too: this pass's sending reads them again otherwise
            readers = {doc["member_id"] for doc in docs}
            actors = {doc.get("actor_id") for doc in docs} - {None}
            languages, names = languages_and_names(ReadModels(self.db), readers, actors)
            self._read_this_pass = (readers, actors, languages, names)
            for doc in docs:
                if doc["ts"] < oldest:
                    continue
                fresh.setdefault(doc["member_id"], []).append(
                    {"id": doc["_id"], "type": doc.get("type")})
                shown = domain.with_actor_name(doc, names)
                snapshot = {key: shown.get(key) for key in SNAPSHOT_FIELDS}
                fields = {"member_id": doc["member_id"], "notice": snapshot}
                chosen = doc.get("channels") or {}
                if chosen.get("email") == "immediate":
                    # up to a sending batch is claimed as it is queued: this pass sends it
                    # without looking for it (a crash leaves its lease to run out, as a
                    # sender's would); the rest waits, pending, for the next batches
                    mine = claim and \
                        len(self._queued_and_claimed) + len(mails) < self.settings.batch_size
                    document = self.mail.new_document({**fields, "kind": "notice"},
                                                      token if mine else None)
                    mails.append(UpdateOne({"_id": doc["_id"]}, {"$setOnInsert": document},
                                           upsert=True))
                    mail_documents.append({"_id": doc["_id"], **document} if mine else None)
                elif chosen.get("email") == "daily":
                    digests.append(UpdateOne({"_id": doc["_id"]}, {"$setOnInsert": {
                        **fields, "ts": doc["ts"], "digest_id": None}}, upsert=True))
                if chosen.get("push"):
                    pushes.append(self.push.add(doc["_id"], fields))
            for collection, writes in ((self.mail.collection, mails),
                                       (self.db[DIGEST_ITEMS], digests),
                                       (self.push.collection, pushes)):
                if not writes:
                    continue
                result = collection.bulk_write(writes, ordered=False)
                if collection is not self.mail.collection:
                    self._fresh.add(collection.name)
                    continue
                # ours to send: what this upsert inserted claimed (not what was there already)
                self._queued_and_claimed += [mail_documents[index]
                                             for index in result.upserted_ids
                                             if mail_documents[index] is not None]
                if None in mail_documents:
                    self._fresh.add(collection.name)
            inbox.update_many({"_id": {"$in": [doc["_id"] for doc in docs]}},
                              {"$set": {"queued": True}})
            queued += len(docs)
            self._announce(fresh)
            if len(docs) < limit:  # that was the last page: no read to find nothing
                return queued

    def _announce(self, fresh: dict[str, list[dict[str, Any]]]) -> None:
        """Tell the gateways' live channels which members have new notifications, with their
        unread counts (references and counts only: the page reads the inbox through the API).
        Two replicas queuing the same document may both announce it: a repeated hint only
        repeats a count."""
        if not fresh or self.announce is None:
            return
        unread = unread_counts(ReadModels(self.db), fresh)
        self.announce(live.INBOX_CHANGED, {"members": {
            member: {"unread": unread[member], "new": notices}
            for member, notices in fresh.items()}})

    # -- 2. sending ------------------------------------------------------------------------------

    def send_mail(self, look: bool = True) -> int:
        """Send the mails this pass claimed as it queued them and, when `look`ing, those due
        in the outbox (up to a batch in all)."""
        claimed, self._queued_and_claimed = self._queued_and_claimed, []
        room = self.settings.batch_size - len(claimed)
        if look and room > 0:
            claimed += self.mail.claim(room)
        if not claimed:
            return 0
        contacts = list(self.db["contacts"].find(
            {"_id": {"$in": [mail["member_id"] for mail in claimed]}}))
        erased = {doc["_id"] for doc in contacts if doc.get("erased")}
        self.mail.done(*[mail for mail in claimed if mail["member_id"] in erased],
                       dropped="member erased")  # never sent, never retried
        claimed = [mail for mail in claimed if mail["member_id"] not in erased]
        if not claimed:
            return 0
        addresses = {doc["_id"]: doc.get("email") for doc in contacts}
        # the recipients' languages and the actors' names of the whole batch, in one read (one
        # post by an author with many followers claims many mails at once) — none when this
        # pass's queuing read them all a moment ago
        readers = {mail["member_id"] for mail in claimed}
        actors = {(mail.get("notice") or {}).get("actor_id") for mail in claimed} - {None}
        known = self._read_this_pass
        if known is not None and readers <= known[0] and actors <= known[1]:
            languages, names = known[2], known[3]
        else:
            languages, names = languages_and_names(ReadModels(self.db), readers, actors)
        try:
            smtp = self.transport.connect()
        except (OSError, smtplib.SMTPException) as error:
            log.warning("SMTP server unavailable (%s); %d mail(s) will be retried",
                        type(error).__name__, len(claimed))
            for mail in claimed:
                self.mail.retry(mail, f"smtp unavailable: {type(error).__name__}")
            return 0
        sent: list[dict[str, Any]] = []
        rendered = RenderedMails()
        try:
            for mail in claimed:
                try:
                    if self._send_one(smtp, mail, addresses.get(mail["member_id"]),
                                      languages.get(mail["member_id"]), names, rendered):
                        sent.append(mail)
                except Exception as error:  # unforeseen: this mail only, and a bounded retry
                    log.exception("sending mail %s crashed", mail["_id"])
                    self.mail.retry(mail, f"{type(error).__name__}: {error}")
        finally:
            try:
                self._mark_sent(self.mail, sent)
            finally:
                with contextlib.suppress(OSError, smtplib.SMTPException):
                    smtp.quit()
        return len(sent)

    @staticmethod
    def _mark_sent(outbox: Outbox, sent: list[dict[str, Any]]) -> None:
        """A batch's sent messages marked in one command, once the batch is through (one per
        message before: 5 of notifications' ~25 database commands a post). A sender that dies
        before it re-sends the batch's sent messages once their lease runs out, each with its
        Message-ID (derived from the outbox id, so the receiving side recognises the
        duplicate), as one that died between a send and its own mark re-sent that one."""
        if sent:
            failpoints.failpoint("sent_not_marked")  # fault injection: the sender dies here
            outbox.done(*sent)

    def _send_one(self, smtp: smtplib.SMTP, mail: dict[str, Any], address: str | None,
                  language: str | None, names: dict[str, str], rendered: RenderedMails) -> int:
        if not address:
            self.mail.retry(mail, "no e-mail address known yet")
            return 0
        try:
            message = self._compose(mail, language, names, address, rendered)
        except Exception as error:  # the same data builds the same broken message every time
            self.mail.dead(mail, f"cannot be built: {type(error).__name__}: {error}")
            return 0
        if message is None:
            self.mail.done(mail, empty=True)
            return 0
        try:
            if isinstance(message, EmailMessage):
                smtp.send_message(message)
            else:
                smtp.sendmail(parseaddr(self.settings.mail_from)[1], [address], message)
        except (OSError, smtplib.SMTPException) as error:
            reason = f"{type(error).__name__}: {error}"
            if permanent_smtp_failure(error):
                self.mail.dead(mail, f"refused by the SMTP server: {reason}")
                return 0
            log.warning("sending mail %s failed (%s); retrying later", mail["_id"],
                        type(error).__name__, extra={"member_id": mail["member_id"]})
            self.mail.retry(mail, reason)
            return 0
        log.debug("mail sent", extra={"mail_id": mail["_id"], "member_id": mail["member_id"],
                                      "mail_kind": mail.get("kind")})
        return 1  # marked with the batch (`_mark_sent`)

    def _compose(self, mail: dict[str, Any], language: str | None, names: dict[str, str],
                 address: str, rendered: RenderedMails) -> bytes | EmailMessage | None:
        """The message of one mail to `address`, in the recipient's `language` (theirs now),
        as bytes when `rendered` could share its text; `names` are the actors' names now,
        read for the batch (a digest's items are read here). What the recipients of one
        notification in one language share (From, Subject, the text) is built once per
        batch (`rendered`)."""
        base = self.settings.web_base_url
        if mail.get("kind") in LINK_TEXTS:
            token = self.keys.unseal(mail.get("token"), RESET_TOKEN)
            if not token or mail["expires_at"] <= self.clock():
                return None  # the link works no more: nothing worth sending
            content = LINK_TEXTS[mail["kind"]](token, base, mail["minutes"], language)
            return rendered.message(self.settings.mail_from, content,
                                    self._own_headers(mail, address))
        if mail.get("kind") == "digest":
            notices = [item["notice"] for item in self.db[DIGEST_ITEMS].find(
                {"digest_id": mail["_id"]}).sort("ts", 1)]
            if not notices:
                return None
            names = member_names(ReadModels(self.db), [n.get("actor_id") for n in notices])
        else:
            notices = [mail["notice"]]
        notices = self._named(notices, names)
        content = domain.digest(notices, base, language) if mail.get("kind") == "digest" \
            else domain.email(notices[0], base, language, self.settings.default_timezone)
        own = self._own_headers(mail, address)
        chosen = [notice for notice in notices
                  if notice.get("type") not in domain.ALWAYS_EMAILED]
        if self.settings.unsubscribe_secret and chosen:  # else warned at start-up
            own += [("List-Unsubscribe", f"<{self.unsubscribe_url(mail['member_id'], chosen)}>"),
                    ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")]
        return rendered.message(self.settings.mail_from, content, own)

    def _own_headers(self, mail: dict[str, Any], address: str) -> list[tuple[str, str]]:
        """To, Date, a Message-ID derived from the outbox id (a re-sent duplicate is
        recognisable), the outbox id."""
        sender = parseaddr(self.settings.mail_from)[1]
        return [("To", address), ("Date", formatdate(self.clock(), usegmt=True)),
                ("Message-ID", f"<{re.sub(r'[^A-Za-z0-9.-]', '.', mail['_id'])}@"
                               f"{sender.rpartition('@')[2] or 'agora.local'}>"),
                ("X-Agora-Notification", mail["_id"])]

    @staticmethod
    def _named(notices: list[dict[str, Any]], names: dict[str, str]) -> list[dict[str, Any]]:
        """Who acted, by their name now (as in the app): a digest is composed hours after its
        items were queued, and identity's events may have arrived in between."""
        return [{**notice, "actor_name": names[notice["actor_id"]]}
                if names.get(notice.get("actor_id") or "") and not notice.get("by_team")
                else notice for notice in notices]

    def unsubscribe_url(self, member_id: str, notices: list[dict[str, Any]]) -> str:
        """The one-click link of a mail: e-mail off for the types it carries, nothing else."""
        token = unsubscribe.issue(self.settings.unsubscribe_secret, member_id,
                                  [notice.get("type") or "" for notice in notices],
                                  self.clock(), self.settings.unsubscribe_lifetime_seconds)
        return f"{self.settings.web_base_url.rstrip('/')}/api/v1/unsubscribe?token={token}"

    def send_push(self) -> int:
        sent: list[dict[str, Any]] = []
        claimed = self.push.claim(self.settings.batch_size)
        languages = member_languages(ReadModels(self.db), [doc["member_id"] for doc in claimed])
        for doc in claimed:
            try:
                content = domain.push(doc["notice"], languages.get(doc["member_id"]))
                data = {"notification_id": doc["_id"], "type": doc["notice"].get("type") or "",
                        "post_id": doc["notice"].get("post_id") or ""}
            except Exception as error:  # the same data fails the same way every time
                self.push.dead(doc, f"cannot be built: {type(error).__name__}: {error}")
                continue
            try:
                self.pusher.send(doc["member_id"], content.subject, content.text, data)
            except PermanentFailure as error:
                self.push.dead(doc, f"refused by the push provider: {error}")
                continue
            except Exception as error:
                self.push.retry(doc, f"{type(error).__name__}: {error}")
                continue
            sent.append(doc)
        self._mark_sent(self.push, sent)
        return len(sent)

    # -- 3. digests ------------------------------------------------------------------------------

    def digests_due(self) -> bool:
        """True once per check period (across replicas): the caller runs the digest check.
        The schedule's next time is remembered, so the passes in between (one per batch of
        notifications) ask the database nothing."""
        now, period = self.clock(), self.settings.digest_check_seconds
        if now < self._digests_next_at:
            return False
        schedule = self.db[SCHEDULE]
        if schedule.find_one_and_update({"_id": "digest", "next_at": {"$lte": now}},
                                        {"$set": {"next_at": now + period}}) is not None:
            self._digests_next_at = now + period
            return True
        try:
            schedule.insert_one({"_id": "digest", "next_at": now + period})
            self._digests_next_at = now + period
        except DuplicateKeyError:  # another replica's turn: ask again when it falls due
            current = schedule.find_one({"_id": "digest"}, {"next_at": 1})
            self._digests_next_at = current["next_at"] if current else now
        return False

    def run_digests(self, force: bool = False) -> int:
        """Make the digests that are due — each member's items waiting since before their last
        local digest hour — or, with `force`, every waiting digest now; returns how many."""
        mails = self.mail.collection
        for unfinished in mails.find({"kind": "digest", "state": "collecting"}):
            self._collect(unfinished)
        now, made = self.clock(), 0
        oldest = {doc["_id"]: doc["ts"] for doc in self.db[DIGEST_ITEMS].aggregate([
            {"$match": {"digest_id": None}},
            {"$group": {"_id": "$member_id", "ts": {"$min": "$ts"}}}])}
        chosen = {doc["_id"]: doc.get("digest") for doc in self.db["prefs"].find(
            {"_id": {"$in": sorted(oldest)}}, {"digest": 1})} if oldest else {}
        for member_id, first_ts in sorted(oldest.items()):
            if force:
                slot = now
            else:
                when = domain.digest_settings(chosen.get(member_id), self.settings.digest_hour,
                                              self.settings.default_timezone)
                slot = domain.digest_slot(now, when["hour"], when["timezone"])
                if first_ts >= slot * 1_000_000:
                    continue  # nothing has waited through a digest hour yet
            mail_id = f"digest:{member_id}:{int(slot)}"
            try:
                mails.insert_one({"_id": mail_id, "kind": "digest", "member_id": member_id,
                                  "state": "collecting", "cutoff_ts": int(slot * 1_000_000),
                                  "attempts": 0, "next_at": now, "created_at": now})
            except DuplicateKeyError:
                continue  # made already (another replica, or items that arrived late)
            made += self._collect(mails.find_one({"_id": mail_id}))
        return made

    def _collect(self, mail: dict[str, Any]) -> int:
        """Claim the member's items waiting since before the mail's slot, then release it to
        the sender. Items that arrive later wait for the next slot: never into a mail that may
        already be sent."""
        waiting: dict[str, Any] = {"member_id": mail["member_id"], "digest_id": None}
        if mail.get("cutoff_ts") is not None:
            waiting["ts"] = {"$lt": mail["cutoff_ts"]}
        self.db[DIGEST_ITEMS].update_many(waiting, {"$set": {"digest_id": mail["_id"]}})
        return self.mail.collection.update_one({"_id": mail["_id"], "state": "collecting"},
                                               {"$set": {"state": "pending"}}).modified_count

    # -- everything, once ------------------------------------------------------------------------

    def pass_once(self, digests: bool = False, background: bool = False) -> dict[str, int]:
        """One delivery pass. In the `background` loop, an outbox this pass queued nothing
        into is looked at only every `_outbox_checked_every()` seconds (what falls due there
        without a new notification: retries, a crashed sender's expired claims); an explicit
        pass looks at both."""
        self._read_this_pass = None
        self._queued_and_claimed = []  # (a failed pass's claims run out their lease)
        self._release_held(background)
        figures = {"queued": self.enqueue(claim=True)}
        if digests or self.digests_due():
            figures["digests"] = self.run_digests(force=digests)
            self._fresh.add(self.mail.collection.name)
        figures["mails"] = self.send_mail(look=self._look_at(self.mail, background))
        figures["pushes"] = self.send_push() if self._look_at(self.push, background) else 0
        for name, outbox in (("mails", self.mail), ("pushes", self.push)):
            if figures[name] >= self.settings.batch_size:  # more may wait: look again next pass
                self._fresh.add(outbox.collection.name)
        self._count_dead_letters()
        self._read_this_pass = None
        return figures

    def _release_held(self, background: bool) -> None:
        """Notifications an applier inserted but did not count in their member's unread count
        (it crashed in between, and its event, applied again, no longer notifies the member)
        wait for delivery: count and release them (`projections.release_held`). Looked for
        every `HELD_CHECKED_EVERY` seconds in the background loop, on every explicit pass."""
        now = self.clock()
        if background and now < self._held_checked_at + HELD_CHECKED_EVERY:
            return
        self._held_checked_at = now
        released = release_held(ReadModels(self.db), int((now - HELD_GRACE_SECONDS) * 1_000_000))
        if released:
            log.warning("%d notification(s) left held by an interrupted apply were counted and "
                        "released", released)

    def _look_at(self, outbox: Outbox, background: bool) -> bool:
        now, name = self.clock(), outbox.collection.name
        if background and name not in self._fresh and \
                now < self._checked_at.get(name, float("-inf")) + self._outbox_checked_every():
            return False
        self._fresh.discard(name)
        self._checked_at[name] = now
        return True

    def _outbox_checked_every(self) -> float:
        """A retry is never later than its own delay, nor more than 5 s late."""
        return min(OUTBOX_CHECKED_EVERY, self.settings.retry_base_seconds)

    def _count_dead_letters(self) -> None:
        """The dead-letter gauges, counted at most every `DEAD_LETTERS_COUNTED_EVERY` seconds
        (other replicas and a redrive change them too), and at once after this process parked
        a message: not two counts on every pass."""
        now = self.clock()
        if now < self._dead_letters_counted_at + DEAD_LETTERS_COUNTED_EVERY and not any(
                outbox.parked for outbox in self.outboxes().values()):
            return
        self._dead_letters_counted_at = now
        for name, outbox in self.outboxes().items():
            outbox.parked = 0
            metrics.DELIVERY_DEAD_LETTERS.labels("notifications", name).set(outbox.count_dead())

    def outboxes(self) -> dict[str, Outbox]:
        """The outboxes by the name `agora dead-letters ... --outbox NAME` takes."""
        return {"mail": self.mail, "push": self.push}


class DeliveryProvider(DependencyProvider):
    """Runs the deliveries in a background thread, woken by new notifications."""

    def setup(self) -> None:
        config = self.container.config
        self.settings = DeliverySettings.from_config(config)
        refusals = self.settings.production_refusals() if in_production() else []
        for refusal in refusals:
            log.error("notifications refuses to start in production: %s", refusal)
        if refusals:
            raise RuntimeError("; ".join(refusals))
        self.uri = mongo_uri(config)
        db = shared_client(self.uri)[database_name(config, self.container.service_name)]
        pusher = load_provider(self.settings.push_provider, config.get("NOTIFICATIONS") or {})
        self.live = live.LivePublisher(config["AMQP_URI"], self.container.service_name)
        self.deliveries = Deliveries(db, self.settings, pusher, announce=self.live.publish)
        self.deliveries.ensure_indexes()
        if not self.settings.unsubscribe_secret:
            log.warning("NOTIFICATIONS_UNSUBSCRIBE_SECRET is not set: e-mails go out without a "
                        "one-click List-Unsubscribe link")
        self._wake = eventlet.event.Event()
        self._running = False
        self._thread = None

    def start(self) -> None:
        self._running = True
        self._thread = self.container.spawn_managed_thread(self._run)

    def stop(self) -> None:
        self._running = False
        self.nudge()
        if self._thread is not None:
            self._thread.wait()
        self.live.close()
        release_client(self.uri)

    def kill(self) -> None:
        self._running = False
        self.live.close()
        release_client(self.uri)

    def get_dependency(self, worker_ctx) -> DeliveryProvider:
        return self

    def nudge(self) -> None:
        if not self._wake.ready():
            self._wake.send(True)

    def _run(self) -> None:
        while self._running:
            self._wake = eventlet.event.Event()
            busy = False
            try:
                figures = self.deliveries.pass_once(background=True)
                busy = figures["mails"] + figures["pushes"] >= self.settings.batch_size
            except PyMongoError as error:
                log.warning("delivery pass failed (%s); retrying", type(error).__name__)
            except Exception:
                log.exception("delivery pass crashed; retrying")
            if busy:
                continue
            with eventlet.Timeout(self.settings.sender_interval_seconds, False):
                self._wake.wait()
