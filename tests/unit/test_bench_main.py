"""`python -m bench NAME --option`: a benchmark that takes no options says so, instead of a
traceback from calling it with them."""
from bench.__main__ import main


def test_options_for_a_benchmark_without_options_are_refused_with_what_it_is(capsys):
    assert main(["detector", "--quick"]) == 2
    out = capsys.readouterr().out
    assert "bench.detector takes no options (given: --quick)" in out
    assert "python -m bench detector" in out
    assert "== bench.detector" not in out  # nothing was run


def test_options_follow_exactly_one_benchmark(capsys):
    assert main(["detector", "markdown", "--quick"]) == 2
    assert "exactly one benchmark" in capsys.readouterr().out
