"""The browser's confidential-data warning and the server's detector agree.

gateway/web/static/js/confidential.js mirrors services/moderation/detector.py so the compose screen
warns while the member types. The examples (confidential_examples.json) are the server detector's
answers on its labelled corpus and on texts typed in the compose screen: the first test fails when
the detector changes and the file is not regenerated, the second when the browser module no longer
finds what the server finds.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from gateway.web.pages.compose import _post_body
from services.moderation import detector
from services.moderation.detector import KINDS, detect, tags_text
from tests.unit import confidential_examples

MODULE = Path(__file__).resolve().parents[2] / "gateway/web/static/js/confidential.js"

_COMPARE = """
import { readFileSync } from "node:fs";
const { detect, confidentialKinds } = await import(process.argv[1]);
const examples = JSON.parse(readFileSync(process.argv[2], "utf8"));
const KINDS = JSON.parse(process.argv[3]);
const wrong = [];
for (const { text, found } of examples) {
  const mine = detect(text).map(({ kind, start, end }) => [kind, text.slice(start, end)]);
  const kinds = confidentialKinds(text);
  const expectedKinds = KINDS.filter((kind) => found.some(([k]) => k === kind));
  if (JSON.stringify(mine) !== JSON.stringify(found)
      || JSON.stringify(kinds) !== JSON.stringify(expectedKinds)) {
    wrong.push({ text, server: found, browser: mine });
  }
}
console.log(JSON.stringify({ checked: examples.length, wrong }));
"""


def test_examples_are_what_the_server_detector_finds() -> None:
    stored = confidential_examples.PATH.read_text(encoding="utf-8")
    assert stored == confidential_examples.serialised(), (
        "the detector changed: run `python -m tests.unit.confidential_examples` and port the "
        "change to gateway/web/static/js/confidential.js")


def test_the_browser_module_finds_what_the_server_finds() -> None:
    node = shutil.which("node")
    assert node, "Node.js is needed to run the site's JavaScript tests (make venv installs it)"
    result = subprocess.run(
        [node, "--input-type=module", "-e", _COMPARE, MODULE.as_uri(),
         str(confidential_examples.PATH), json.dumps(KINDS)],
        capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    examples = json.loads(confidential_examples.PATH.read_text(encoding="utf-8"))
    assert report["checked"] == len(examples) > 300
    assert sum(1 for example in examples if example["found"]) > 150
    assert report["wrong"] == [], json.dumps(report["wrong"][:5], ensure_ascii=False, indent=1)


_CONSTANTS = """
const { KINDS, PASSWORD_MAX } = await import(process.argv[1]);
console.log(JSON.stringify({ KINDS, PASSWORD_MAX }));
"""


def test_the_browser_module_has_the_server_detectors_kinds_and_password_length() -> None:
    """What no corpus example pins on its own: the kinds' names and order, and the longest run
    read as a password (a change on one side must fail here, not only near its edge)."""
    node = shutil.which("node")
    assert node, "Node.js is needed to run the site's JavaScript tests (make venv installs it)"
    result = subprocess.run([node, "--input-type=module", "-e", _CONSTANTS, MODULE.as_uri()],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"KINDS": list(KINDS),
                                         "PASSWORD_MAX": detector._PASSWORD_MAX}


_TAGS = """
const { tagsText } = await import(process.argv[1]);
console.log(JSON.stringify(JSON.parse(process.argv[2]).map(tagsText)));
"""
TYPED_TAGS = ["FR76 3000 6000 0112 3456 7890 189", "fr76,3000,  6000 ,0112\t3456",
              "Épargne, PEL-2026  carte carte", " , ", ""]


def test_the_tags_field_reads_in_the_browser_as_the_server_reads_what_the_form_sends() -> None:
    """The warning under the tags field checks the text moderation will scan: the tags the
    compose form sends (`_post_body`), joined as the detector reads them (`tags_text`)."""
    node = shutil.which("node")
    assert node, "Node.js is needed to run the site's JavaScript tests (make venv installs it)"
    result = subprocess.run(
        [node, "--input-type=module", "-e", _TAGS, MODULE.as_uri(), json.dumps(TYPED_TAGS)],
        capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    server = [tags_text(_post_body({"tags": typed})["tags"]) for typed in TYPED_TAGS]
    assert json.loads(result.stdout) == server
    assert server[0] == "fr76 3000 6000 0112 3456 7890 189" and detect(server[0])
