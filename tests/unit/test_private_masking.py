"""Card numbers in private messages are masked on the pages that show them (gateway/web/
masking.py, the `mask_cards` filter) and, alike, in the messages a page adds without a reload
(static/js/confidential.js `maskCards`): card numbers only, the detector's mask, and the two
agree on every example of the detector's corpus."""
from __future__ import annotations

import json
import shutil
import subprocess

from gateway.web.masking import mask_cards
from gateway.web.render import environment
from tests.unit import confidential_examples
from tests.unit.test_confidential_js import MODULE

CARD = "Ma carte c’est 4970 1012 3456 7893, code 1234"


def test_only_card_numbers_are_masked_the_last_four_kept() -> None:
    assert mask_cards(CARD) == "Ma carte c’est •••• •••• •••• 7893, code 1234"
    # with its expiry in the text, nothing of the card is left
    assert mask_cards("4970 1012 3456 7893 09/28") == "•••• •••• •••• •••• 09/28"
    for untouched in ("IBAN FR76 3000 6000 0112 3456 7890 189", "4970 1012 3456 7890",
                      "appelez le 06 12 34 56 78", "", None):
        assert mask_cards(untouched) == untouched


def test_the_templates_filter_masks_and_escapes() -> None:
    template = environment().from_string("{{ body | mask_cards }}")
    assert template.render(body="<b>4970101234567893</b>") == "&lt;b&gt;••••••••••••7893&lt;/b&gt;"


_MASK = """
import { readFileSync } from "node:fs";
const { maskCards } = await import(process.argv[1]);
const texts = JSON.parse(readFileSync(process.argv[2], "utf8")).map(({ text }) => text);
console.log(JSON.stringify(texts.map(maskCards)));
"""


def test_the_browser_masks_as_the_server_does() -> None:
    node = shutil.which("node")
    assert node, "Node.js is needed to run the site's JavaScript tests (make venv installs it)"
    result = subprocess.run(
        [node, "--input-type=module", "-e", _MASK, MODULE.as_uri(),
         str(confidential_examples.PATH)],
        capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    texts = [example["text"] for example in
             json.loads(confidential_examples.PATH.read_text(encoding="utf-8"))]
    browser = json.loads(result.stdout)
    wrong = [(text, mask_cards(text), mine) for text, mine in zip(texts, browser, strict=True)
             if mine != mask_cards(text)]
    assert not wrong, wrong[:5]
    assert sum(mask_cards(text) != text for text in texts) > 20  # cards among them
