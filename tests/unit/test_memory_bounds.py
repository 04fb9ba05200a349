"""Every short memory a process keeps (an `ExpiringCache` built in services/ or gateway/) is in
docs/architecture.md's table "What a process keeps in memory", with the constant that bounds
it: how long a change made elsewhere can go unseen is a property operators and reviewers must
be able to read without searching the code."""
import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
TABLE_TITLE = "### What a process keeps in memory"


def _cache_constructions() -> list[tuple[str, int]]:
    """(file, line) of every `ExpiringCache(...)` call outside the kit's own module."""
    found = []
    for folder in ("services", "gateway"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path.name == "expiring.py":
                continue  # the definition (its docstring's example is not code)
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                        and node.func.id == "ExpiringCache"):
                    found.append((str(path.relative_to(ROOT)), node.lineno))
    return found


def _table() -> str:
    text = (ROOT / "docs" / "architecture.md").read_text()
    assert TABLE_TITLE in text, f"docs/architecture.md has no section {TABLE_TITLE!r}"
    start = text.index(TABLE_TITLE)
    end = text.find("\n#", start + len(TABLE_TITLE))
    return text[start:end if end != -1 else None]


def test_the_code_builds_the_caches_this_test_looks_for():
    # the members' summaries, the keys, categories, follows, pulled sources, trims, tokens
    assert len(_cache_constructions()) >= 7


def test_every_cache_a_process_keeps_is_in_the_architecture_table():
    table = _table()
    missing = [f"{path}:{line}" for path, line in _cache_constructions() if path not in table]
    assert not missing, (
        "an ExpiringCache not in docs/architecture.md's table \"What a process keeps in "
        f"memory\" (add its row: what, where, bound, what can go unseen): {missing}")
