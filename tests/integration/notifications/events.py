"""Events as notifications' projection receives them, for the tests that apply them directly
(through a `ProjectionRunner`, without the service)."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from services.shared.envelope import Envelope


def received(event_type: str, stream: str, version: int, payload: dict,
             ago: timedelta = timedelta(0)) -> Envelope:
    """An event of `stream` at `version`, occurred `ago` before now."""
    return Envelope(id=uuid.uuid4().hex, type=event_type, schema_version=1, stream_id=stream,
                    stream_version=version,
                    occurred_at=(datetime.now(UTC) - ago).isoformat(), actor=None,
                    correlation_id=None, causation_id=None, payload=payload)
