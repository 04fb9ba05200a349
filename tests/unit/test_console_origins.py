"""Every origin a conversation can have is named in the console's inbox, in French and in
English: an advisor's outreach (origin `advisor`) showed the raw key « staff.origin_advisor »."""
from __future__ import annotations

import pytest

from gateway.web import i18n
from services.conversations import domain

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_origin_but_the_member_s_has_its_badge(language):
    for origin in domain.ORIGINS:
        key = f"staff.origin_{origin}"
        assert i18n.translate(language, key) != key, (language, origin)
