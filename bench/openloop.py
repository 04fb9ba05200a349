"""The pure parts of an open-loop load driver (used by bench/load.py, unit-tested alone).

An open-loop driver sends each request at its *intended* time, whatever the answers before it
did, and measures its latency from that time: a server that stalls makes the requests queued
behind the stall count as slow, instead of hiding them by sending fewer (the "coordinated
omission" of closed-loop tools such as wrk, whose clients wait for an answer before the next
request).

- `arrival_offsets`: the intended send times of a constant arrival rate;
- `kinds_in_mix`: which kind of request each arrival is, the mix exact over every block;
- `percentile`: nearest-rank percentile;
- `RateSearch`: the rates to try — geometric steps up until one fails, then a few bisections
  between the highest rate held and the lowest that failed; `rate_to_report` the step whose
  figures describe the result.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field


def arrival_offsets(rate: float, duration: float) -> list[float]:
    """Seconds from the start at which each request of a constant `rate` (per second) over
    `duration` seconds is due: 0, 1/rate, 2/rate, ... (strictly before `duration`)."""
    if rate <= 0 or duration <= 0:
        raise ValueError("rate and duration must be positive")
    count = math.ceil(rate * duration - 1e-9)
    return [n / rate for n in range(count)]


def kinds_in_mix(count: int, mix: dict[str, int], seed: int = 0) -> list[str]:
    """`count` kinds of request in the proportions of `mix` (weights, e.g. {"home": 6,
    "activity": 3, "post": 1}): every block of sum(weights) arrivals holds each kind exactly
    its weight times, in a shuffled order (seeded), so a short step has the mix too and the
    writes are spread rather than bunched."""
    block = [kind for kind, weight in mix.items() for _ in range(weight)]
    if not block:
        raise ValueError("the mix is empty")
    rng = random.Random(seed)
    kinds: list[str] = []
    while len(kinds) < count:
        shuffled = block[:]
        rng.shuffle(shuffled)
        kinds.extend(shuffled)
    return kinds[:count]


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile: the smallest value with at least `fraction` of the values at or
    below it (p99 of 100 values is the 99th smallest; of 10 values, the largest)."""
    if not values:
        raise ValueError("no values")
    if not 0 < fraction <= 1:
        raise ValueError("fraction must be in (0, 1]")
    ordered = sorted(values)
    rank = math.ceil(fraction * len(ordered) - 1e-9)
    return ordered[max(0, rank - 1)]


@dataclass
class RateSearch:
    """The rates to try, one step at a time: `start`, then × `factor` while every step holds;
    after the first failure, `refinements` bisections between the highest rate held and the
    lowest that failed; if `start` itself fails, ÷ `factor` down to `floor`. Ask `next_rate()`,
    run the step, `record(rate, held)`; `next_rate()` is None when the search is over, and
    `held` is then the highest rate held (None if none was)."""

    start: float
    factor: float = 1.5
    refinements: int = 2
    floor: float = 1.0
    ceiling: float = 10_000.0
    held: float | None = None
    failed: float | None = None
    tried: list[tuple[float, bool]] = field(default_factory=list)
    _bisections: int = 0

    def next_rate(self) -> float | None:
        if not self.tried:
            return self.start
        if self.failed is None:  # still climbing
            rate = self.held * self.factor
            return rate if rate <= self.ceiling else None
        if self.held is None:  # nothing held yet: come down
            rate = self.failed / self.factor
            return rate if rate >= self.floor else None
        if self._bisections >= self.refinements or self.failed / self.held < 1.05:
            return None
        return (self.held + self.failed) / 2

    def record(self, rate: float, held: bool) -> None:
        if self.failed is not None and self.held is not None:
            self._bisections += 1
        self.tried.append((rate, held))
        if held:
            self.held = max(rate, self.held or 0.0)
        else:
            self.failed = rate if self.failed is None else min(rate, self.failed)


def rate_to_report(search: RateSearch) -> tuple[float, bool] | None:
    """The step to show per-kind figures of: the highest rate held, or when none held the
    lowest rate tried (its figures say how far from the budget the platform is); the bool says
    whether it held. None before any step."""
    if search.held is not None:
        return search.held, True
    if not search.tried:
        return None
    return min(rate for rate, _ in search.tried), False
