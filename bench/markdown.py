"""Render time of the Markdown subset on the worst inputs known, against plain prose.

``python -m bench markdown`` renders, at 2,000, 9,000 and 20,000 characters (the body limit),
plain prose (sentences on lines of about sixty characters, paragraphs of four lines) and each
input of ``WORST_INPUTS`` — a unit repeated to the same length: the patterns that make
backtracking parsers quadratic (openers without closers, long runs of one delimiter, nested
brackets) and the densest valid markup (one element every two or three characters) — and
prints each one's best time as a ratio to the prose's, measured in the same rounds.

A renderer linear in its input keeps every ratio about the same at every length; a quadratic
one sees it grow with the length (the renderer before this benchmark: ``*a `` repeated was
about 40x prose at 2,000 characters and 250x at 9,000). A benchmark, not a test;
``tests/unit/test_posts_text.py`` asserts a bound on the same ratios at 9,000 characters.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterable

from services.posts.markdown import render

LENGTHS = (2_000, 9_000, 20_000)
REPEATS = 9

# Each unit is repeated until the text has the length measured.
WORST_INPUTS = {
    "emphasis openers without closers": "*a ",
    "underscore openers without closers": "_a ",
    "strong openers without closers": "**a ",
    "mixed openers": "**a *b _c `d [e ",
    "closers without openers": "a* ",
    "run of *": "*",
    "run of _": "_",
    "run of [": "[",
    "run of ]": "]",
    "run of `": "`",
    "run of <": "<",
    "run of &": "&",
    "run of \\": "\\",
    "unclosed links": "[a](",
    "links with unclosed targets": "[a](https://x ",
    "nested brackets": "[[[[[[[[a](https://x)]]]]]]]",
    "emphasis inside links": "[*a*](https://x) ",
    "dense code spans": "`a",
    "dense double code spans": "``a ",
    "dense emphasis": "*a* ",
    "dense strong": "**a** ",
    "dense links": "[a](https://x) ",
    "deep quotes": "> > > > > > > > a\n",
    "deep lists": "- - - - - - - - a\n",
    "one-character list items": "- a\n",
    "one-character numbered items": "1. a\n",
    "one-character lines": "*a\n",
    "blank lines": "\n",
    "fences": "```\n",
    "bare URLs": "https://x.example/a_(b) ",
    "URLs ending in punctuation": "https://x.?!.,;: ",
    "URLs with unclosed parentheses": "[a](https://x/(b ",
    "escaped marks": "\\*a\\_ ",
    "triple emphasis openers": "***a ",
    "crossing emphasis": "**a *b** c* ",
    "nested list items": "- a\n  - b\n    1. c\n",
    "numbered items apart": "1. a\n\n",
    "one-character headings": "# a\n",
    "one-character quoted lines": "> a\n",
    "one-cell table rows": "|a\n|-\n",
}

_WORDS = ("le", "virement", "de", "mon", "compte", "est", "bien", "arrivé", "hier", "merci",
          "pour", "votre", "aide", "the", "card", "works", "again", "since", "the", "update",
          "of", "the", "app")


def prose(length: int) -> str:
    """Plain text without markup: lines of eleven words, a blank line after every four."""
    lines: list[str] = []
    size, start = 0, 0
    while size < length:
        lines.append(" ".join(_WORDS[(start + k) % len(_WORDS)] for k in range(11)))
        start += 3
        if len(lines) % 5 == 4:
            lines.append("")
        size += len(lines[-1]) + 1
    return "\n".join(lines)[:length]


def repeated(unit: str, length: int) -> str:
    return (unit * (length // len(unit) + 1))[:length]


def best_times(texts: dict[str, str], function: Callable[[str], object] = render,
               repeats: int = REPEATS) -> dict[str, float]:
    """Best time of ``function`` on each text, in CPU time of this thread: on a busy machine
    the time spent waiting for a core is not the renderer's (wall-clock ratios swung from 10x
    to 60x with the load). Rounds interleave the texts, so what load still costs (caches,
    shared cores) slows the baseline and the others alike and the ratios stay meaningful."""
    best = dict.fromkeys(texts, float("inf"))
    collecting = gc.isenabled()
    gc.disable()  # as timeit does: a collection landing in one run is noise, not rendering
    try:
        for _ in range(repeats):
            for name, text in texts.items():
                started = time.thread_time()
                function(text)
                best[name] = min(best[name], time.thread_time() - started)
    finally:
        if collecting:
            gc.enable()
    return best


def ratios_to_prose(length: int, function: Callable[[str], object] = render,
                    repeats: int = REPEATS, only: Iterable[str] | None = None
                    ) -> tuple[float, dict[str, float]]:
    """The prose's best time at ``length``, and each worst input's (or those named in ``only``)
    best time as a ratio to it."""
    names = set(only or WORST_INPUTS)
    texts = {"prose": prose(length)}
    texts.update((name, repeated(unit, length)) for name, unit in WORST_INPUTS.items()
                 if name in names)
    times = best_times(texts, function, repeats)
    baseline = times.pop("prose")
    return baseline, {name: seconds / baseline for name, seconds in times.items()}


def main() -> None:
    print(f"best of {REPEATS} rounds; ratio = render time / render time of plain prose "
          "of the same length")
    table = {length: ratios_to_prose(length) for length in LENGTHS}
    print(f"{'input':<38}" + "".join(f"{length:>10,}" for length in LENGTHS))
    print(f"{'prose (ms)':<38}"
          + "".join(f"{baseline * 1e3:>10.3f}" for baseline, _ in table.values()))
    for name in WORST_INPUTS:
        print(f"{name:<38}" + "".join(f"{ratios[name]:>9.1f}x" for _, ratios in table.values()))
    for length, (_, ratios) in table.items():
        worst = max(ratios, key=ratios.__getitem__)
        print(f"worst at {length:,} characters: {worst} ({WORST_INPUTS[worst]!r}), "
              f"{ratios[worst]:.1f}x prose")


if __name__ == "__main__":
    main()
