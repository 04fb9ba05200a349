import json
import logging

import pytest

from services.shared.observability import JsonFormatter, correlation_id

pytestmark = pytest.mark.unit


def test_log_lines_are_json_with_the_correlation_id():
    formatter = JsonFormatter("posts")
    token = correlation_id.set("req-123")
    try:
        record = logging.makeLogRecord({"name": "posts.service", "levelname": "WARNING",
                                        "msg": "held %s", "args": ("post-1",),
                                        "stream_id": "post-1"})
        line = json.loads(formatter.format(record))
    finally:
        correlation_id.reset(token)
    assert line["message"] == "held post-1" and line["level"] == "warning"
    assert line["service"] == "posts" and line["correlation_id"] == "req-123"
    assert line["stream_id"] == "post-1"  # structured extras are kept as fields
