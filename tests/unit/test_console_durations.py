"""A wait as the console writes it: the server (`console.duration`) and the ticking clocks
(console_clocks.js `formatWait`) agree in both languages; a whole number of hours reads as each
language says it — "12 h" in English (not "12 h 00 min"), « 12 h 00 » in French."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from gateway.web import i18n
from gateway.web.pages.console import duration

MODULE = Path(__file__).resolve().parents[2] / "gateway/web/static/js/console_clocks.js"
SECONDS = [0, 59, 60, 180, 3599, 3600, 3659, 3660, 11100, 43200, 43259, 86400, 172799, 172800]
# the module starts its clocks on load: a page without a board is what it finds
_RUN = """
globalThis.document = { getElementById: () => null };
const { formatWait } = await import(process.argv[1]);
const formats = JSON.parse(process.argv[2]);
console.log(JSON.stringify(JSON.parse(process.argv[3]).map((s) => formatWait(s, formats))));
"""


def server(language: str, seconds: int) -> str:
    call = SimpleNamespace(t=lambda key, **params: i18n.translate(language, key, **params))
    return duration(call, seconds)  # type: ignore[arg-type]


def browser(language: str) -> list[str]:
    node = shutil.which("node")
    assert node, "Node.js is needed to run the site's JavaScript tests (make venv installs it)"
    formats = {name: i18n.translate(language, f"console.clock_{key}") for name, key in (
        ("seconds", "seconds"), ("minutes", "minutes"), ("hours", "hours"),
        ("hoursWhole", "hours_whole"), ("days", "days"))}
    result = subprocess.run([node, "--input-type=module", "-e", _RUN, MODULE.as_uri(),
                             json.dumps(formats), json.dumps(SECONDS)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_ticking_clocks_write_a_wait_as_the_server_does(language):
    assert browser(language) == [server(language, seconds) for seconds in SECONDS]


def test_whole_hours_read_as_each_language_says_them():
    assert [server("en", s) for s in (43200, 11100, 7200 + 59)] == ["12 h", "3 h 05 min", "2 h"]
    assert [server("fr", s) for s in (43200, 11100, 7200 + 59)] == ["12 h 00", "3 h 05", "2 h 00"]
