"""Notifications with identity, posts, moderation and feeds, and a real local SMTP server."""
import pytest

from services.devtools.mailsink import MailSink
from services.notifications.projections import VIEWS
from services.notifications.service import NotificationsService
from services.shared.event_store import EventStore
from services.shared.projections import ProjectionRunner

from ..feeds.fixtures import Rpc, stack, stack_config, start  # noqa: F401 - fixtures


class NoticeSink(MailSink):
    """The SMTP server, read for notices: every member registered here is also sent the sign-up's
    address-confirmation mail (its outbox id starts `verify:`), which these tests are not about
    (tests/e2e/test_email_verification.py is); `all_messages` still reads everything."""

    def messages(self, to: str | None = None):
        return [message for message in self.all_messages(to)
                if not str(message["X-Agora-Notification"] or "").startswith("verify:")]

    def all_messages(self, to: str | None = None):
        return super().messages(to)


@pytest.fixture
def mailsink(tmp_path):
    sink = NoticeSink(tmp_path / "mail").start()
    yield sink
    sink.stop()


@pytest.fixture
def notifications_config(stack, mailsink):  # noqa: F811 - the fixture imported above
    return {**stack, "NOTIFICATIONS": {
        "smtp_host": mailsink.host, "smtp_port": mailsink.port, "sender_interval_seconds": 0.1,
        "retry_base_seconds": 0.2, "retry_max_seconds": 1, "digest_period_seconds": 3600,
        "web_base_url": "https://community.bank.test"}}


@pytest.fixture
def rpc(container_factory, notifications_config):
    start(container_factory, notifications_config, NotificationsService)
    client = Rpc(notifications_config)
    yield client
    client.stop()


@pytest.fixture
def notifications_db(mongo_client, notifications_config):
    """Notifications' own database (outboxes, digests, schedule) for tests that drive
    `delivery.Deliveries` or an `Outbox` directly."""
    return mongo_client[f"{notifications_config['MONGO_DB_PREFIX']}_notifications"]


@pytest.fixture
def runner(mongo_client, db_prefix):
    """Notifications' projection over a database of the test's own, events applied directly."""
    store = EventStore(mongo_client[f"{db_prefix}_notifications"], "notifications")
    store.ensure_indexes()
    runner = ProjectionRunner(VIEWS, store)
    VIEWS.ensure_indexes(runner.rm)
    return runner
