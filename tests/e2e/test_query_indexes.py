"""Every query the services issue is served by an index that `agora migrate` declares.

The services of this test session record their query shapes (tests/conftest.py sets
AGORA_QUERY_SHAPES_DIR; services/shared/query_shapes.py). This test runs after every other test
of the session, adds a pass over each service's demo content and main reads — so that it never
judges an empty record, even run alone — and checks each shape against the indexes the platform's
`agora migrate` declared, by the ESR rule. A collection scan on a collection that grows with use
fails it; the deliberate exceptions are `BOUNDED_COLLECTIONS`.
"""
import pytest

from services.shared.config import available_processes
from services.shared.query_shapes import BOUNDED_COLLECTIONS, check, load

from ..conftest import QUERY_SHAPES_DIR

pytestmark = pytest.mark.after_all_others

# Distinct query shapes each service must have issued: a recorder that saw nothing (or a service
# that was not exercised) fails the check instead of passing it vacuously.
MIN_SHAPES = {"identity": 8, "posts": 10, "moderation": 8, "feeds": 10, "notifications": 8,
              "conversations": 6, "gateway": 2}


def _exercise_every_service(platform) -> None:
    seeded = platform.agora("seed-demo", "--gateway", platform.base_url, timeout=300)
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    api = platform.api
    member = api.new_user(customer=True)
    for path in ("/api/v1/feeds/home", "/api/v1/feeds/public", "/api/v1/feeds/featured",
                 f"/api/v1/users/{member.id}/activity", "/api/v1/me/notifications",
                 "/api/v1/me/notification-preferences", "/api/v1/conversations",
                 "/api/v1/posts?kind=question", "/api/v1/posts?q=compte",
                 # a word found nowhere (the vocabulary), a quoted phrase (the posts' texts)
                 "/api/v1/posts?q=virment", '/api/v1/posts?q="carte bancaire"', "/api/v1/me",
                 "/api/v1/me/export"):
        response = api.get(path, user=member)
        assert response.status_code == 200, (path, response.text)
    admin = platform.admin
    for path in ("/api/v1/moderation/queue", "/api/v1/moderation/audit",
                 "/api/v1/moderation/sla"):
        response = api.get(path, user=admin)
        assert response.status_code == 200, (path, response.text)


def test_every_query_of_a_growing_collection_is_served_by_a_declared_index(platform):
    _exercise_every_service(platform)
    shapes, indexes = load(QUERY_SHAPES_DIR)
    assert indexes, f"no index declared by `agora migrate` was recorded in {QUERY_SHAPES_DIR}"
    services = set(available_processes())  # not the kit tests' sample services
    report = check([shape for shape in shapes if shape["service"] in services], indexes)

    seen = report.per_service()
    too_few = {s: seen.get(s, 0) for s, n in MIN_SHAPES.items() if seen.get(s, 0) < n}
    assert not too_few, f"too few query shapes recorded (at least {MIN_SHAPES}): {too_few}"

    scans = [f"{v.shape['service']}.{v.shape['collection']} {v.shape['op']} "
             f"filter={v.shape['filter']} sort={v.shape['sort']}: {v.reason}"
             for v in report.scans]
    assert not scans, ("collection scans (declare an index in the service's migrate indexes, "
                       "or list a bounded collection in BOUNDED_COLLECTIONS):\n"
                       + "\n".join(sorted(scans)))
    unused = [(service, collection) for service, collection in BOUNDED_COLLECTIONS
              if not any(v.exempt and v.shape["collection"] == collection
                         and service in ("*", v.shape["service"]) for v in report.verdicts)]
    assert not unused, f"exceptions no query needs any more (remove them): {unused}"
