"""ExpiringCache: a value is known for at most its time bound, and at most max_entries are."""
import pytest

from services.shared.expiring import ExpiringCache


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_value_is_known_until_its_bound_and_not_after():
    clock = Clock()
    cache = ExpiringCache(ttl_seconds=10, max_entries=5, clock=clock)
    cache.put("cards", {"archived": False})
    clock.now += 9.9
    assert cache.get("cards") == {"archived": False}
    clock.now += 0.1
    assert cache.get("cards") is None
    assert len(cache) == 0  # an expired entry is dropped when seen


def test_a_shorter_bound_may_be_given_never_a_longer_one():
    clock = Clock()
    cache = ExpiringCache(ttl_seconds=10, max_entries=5, clock=clock)
    cache.put("short", 1, ttl_seconds=2)
    cache.put("capped", 2, ttl_seconds=60)
    clock.now += 2
    assert cache.get("short") is None and cache.get("capped") == 2
    clock.now += 8
    assert cache.get("capped") is None


def test_the_oldest_entries_go_first_beyond_max_entries():
    cache = ExpiringCache(ttl_seconds=10, max_entries=2, clock=Clock())
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("a", 3)  # put again: now the newest
    cache.put("c", 4)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (3, None, 4)


def test_forget_and_clear():
    cache = ExpiringCache(ttl_seconds=10, max_entries=5, clock=Clock())
    cache.put("a", 1)
    cache.put("b", 2)
    cache.forget("a")
    assert cache.get("a") is None and cache.get("b") == 2
    cache.clear()
    assert len(cache) == 0


def test_none_is_not_a_value_and_bounds_must_be_positive():
    with pytest.raises(ValueError):
        ExpiringCache(ttl_seconds=10, max_entries=5).put("a", None)
    with pytest.raises(ValueError):
        ExpiringCache(ttl_seconds=0, max_entries=5)
    with pytest.raises(ValueError):
        ExpiringCache(ttl_seconds=1, max_entries=0)
