"""The page's live messages are glued as the server renders them: gateway/web/static/js/
typography.js (messages appended while the page is open) and gateway/web/typography.py (the
rendered page) give the same text on the same examples."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from gateway.web.typography import glue_punctuation

MODULE = Path(__file__).resolve().parents[2] / "gateway/web/static/js/typography.js"
EXAMPLES = [
    "Faut-il faire opposition ?", "Règles : « soyez courtois » ! Voir https://a.example ;-)",
    "Why? Note: 5 ? ", "Deux  espaces  ?", "Tab\t?", "Déjà\u202f? et\u00a0!", "« Bonjour »",
    "?début", " ? seul", "Ligne 1 ?\nLigne 2 :", "Heure : 10:30 ; prix : 5 €", "",
]
_RUN = """
const { gluePunctuation } = await import(process.argv[1]);
console.log(JSON.stringify(JSON.parse(process.argv[2]).map(gluePunctuation)));
"""


def test_the_browser_glues_what_the_server_glues() -> None:
    node = shutil.which("node")
    assert node, "Node.js is needed to run the site's JavaScript tests (make venv installs it)"
    result = subprocess.run([node, "--input-type=module", "-e", _RUN, MODULE.as_uri(),
                             json.dumps(EXAMPLES)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    browser = json.loads(result.stdout)
    assert browser == [glue_punctuation(text) for text in EXAMPLES]
    assert browser[0] == "Faut-il faire opposition\u202f?"  # it does glue
