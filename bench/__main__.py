"""Run benchmarks: ``python -m bench`` runs every module of bench/ that has a ``main()``;
``python -m bench NAME [NAME ...]`` runs those modules only (``python -m bench detector``);
``python -m bench NAME --option ...`` gives one benchmark its options (``python -m bench load
--quick``)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys
from pathlib import Path


def _modules() -> list[str]:
    here = Path(__file__).parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))


def _summary(module) -> str:
    """A benchmark's docstring up to its first blank line: what it measures, how it is set."""
    doc = inspect.getdoc(module) or ""
    return " ".join(doc.split("\n\n")[0].split())


def main(argv: list[str]) -> int:
    options = [arg for arg in argv if arg.startswith("-")]
    if options:  # `python -m bench load --quick`: options go to the one benchmark named
        names = argv[:argv.index(options[0])]
        if len(names) != 1:
            print("options (-...) follow exactly one benchmark name")
            return 2
        options = argv[len(names):]
    else:
        names = argv or _modules()
    unknown = [name for name in names if name not in _modules()]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(_modules())}")
        return 2
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        entry = getattr(module, "main", None)
        if not callable(entry):
            continue  # a helper module, not a benchmark
        if options and not inspect.signature(entry).parameters:
            # its settings are environment variables (see its docstring), not options
            print(f"bench.{name} takes no options (given: {' '.join(options)}); "
                  f"run `python -m bench {name}` — {_summary(module)}")
            return 2
        print(f"== bench.{name}")
        if options:
            entry(options)
        else:
            entry()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
