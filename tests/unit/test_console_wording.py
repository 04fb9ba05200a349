"""The console's words for a decision follow what members see of the contribution now."""
import pytest

from gateway.web.pages.console import wording

pytestmark = pytest.mark.unit


def test_keep_online_only_for_a_flagged_contribution_that_is_online():
    flagged = {"review": "flags", "state": "open", "findings": []}
    assert wording(flagged) == "flags"
    assert wording({**flagged, "state": "review"}) == "flags"  # escalated: still visible
    # taken out of public view (by its flags, or by undoing a decision): approve, not keep —
    # whatever moderation's view of the contribution has caught up with yet
    assert wording({**flagged, "state": "held", "target_state": "published"}) == "edit"
    assert wording({"review": "content", "state": "held", "findings": [],
                    "target_state": "pending"}) == "edit"
    # the detector found something: its own words (mask and publish)
    assert wording({**flagged, "findings": [{"kind": "iban"}]}) is None
    assert wording({**flagged, "state": "approved"}) is None  # decided: nothing to word
