"""What the console says members see of an item's contribution (console.public_now): a flags
item's own state is moderation's decision, known before the contribution's state comes back
from posts, so the page is right at once after a hold, an undo or an approval (s37)."""
from __future__ import annotations

from gateway.web.pages.console import public_now


def test_a_held_flags_item_is_out_of_public_view_before_posts_says_so():
    assert public_now({"review": "flags", "state": "held", "target_state": "published"}) == \
        "hidden"
    assert public_now({"review": "flags", "state": "approved", "target_state": "hidden"}) == \
        "live"


def test_otherwise_the_contribution_s_own_state_says():
    assert public_now({"review": "flags", "state": "open", "target_state": "published"}) == \
        "live"
    assert public_now({"review": "content", "state": "held", "target_state": "published"}) == \
        "previous"
    assert public_now({"review": "flags", "state": "held", "target_state": "deleted"}) == \
        "deleted"
