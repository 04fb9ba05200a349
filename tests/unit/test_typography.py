"""The `glue` filter's rules (gateway/web/typography.py), as its doctests state them."""
import doctest

import pytest

from gateway.web import typography

pytestmark = pytest.mark.unit


def test_the_glue_filters_examples_hold():
    result = doctest.testmod(typography)
    assert result.attempted >= 5 and result.failed == 0
