"""The notice after a send the service stored masked names what it masked: the server's text
(gateway/web/masked_notice.py, the page without JavaScript) and the one the browser picks from
the page (static/js/masked_notice.js, from the API's `masked`) are the same, in both
languages; the redirect's query is read against a fixed list."""
from __future__ import annotations

import doctest
import json
import shutil
import subprocess
from itertools import combinations
from pathlib import Path

import pytest

from gateway.web import masked_notice
from gateway.web.i18n import translate
from gateway.web.masked_notice import notice_text, notice_view, query_groups
from services.shared.card_masking import MASKED_KINDS

MODULE = Path(__file__).resolve().parents[2] / "gateway/web/static/js/masked_notice.js"
# what the browser does with the page's data-texts: a stand-in for the notice element
_RUN = """
const { maskedGroups, showMasked } = await import(process.argv[1]);
const page = process.argv[2];  // the data-texts attribute, as the page holds it
console.log(JSON.stringify(JSON.parse(process.argv[3]).map((kinds) => {
  const notice = { dataset: { texts: page }, hidden: true, textContent: "before" };
  const told = showMasked(notice, kinds);
  return [told, notice.hidden, maskedGroups(notice, kinds)];
})));
"""


def t_in(language: str):
    return lambda key, **params: translate(language, key, **params)


def test_its_examples() -> None:
    assert doctest.testmod(masked_notice).failed == 0


@pytest.mark.parametrize(("kinds", "french", "english"), [
    (["pin_code"], "le code confidentiel", "the PIN code"),
    (["card_number", "card_security_code"], "le numéro de carte", "the card number"),
    (["card_number", "password"], "le numéro de carte et le mot de passe",
     "the card number and the password"),
    (MASKED_KINDS, "le numéro de carte, le code confidentiel et le mot de passe",
     "the card number, the PIN code and the password"),
])
def test_the_notice_names_what_was_masked(kinds, french, english) -> None:
    groups = masked_notice.groups_of(kinds)
    assert notice_text(t_in("fr"), groups) == (
        f"Pour votre sécurité, nous avons masqué {french} de votre message.")
    assert notice_text(t_in("en"), groups) == (
        f"For your security, we masked {english} in your message.")


def test_every_kind_the_service_masks_is_named() -> None:
    assert set(masked_notice.KIND_GROUPS) == set(MASKED_KINDS)


def test_the_query_is_read_against_the_fixed_list() -> None:
    shown = notice_view(t_in("fr"), "password,<script>,card")
    assert shown["shown"] and "<script>" not in shown["text"]
    assert shown["text"].endswith("le numéro de carte et le mot de passe de votre message.")
    generic = translate("fr", "messages.card_masked")
    # a former redirect (?masked=1), or nothing known: the generic text, still shown
    for older in ("1", "true", "evil"):
        assert notice_view(t_in("fr"), older) | {"script": None} == {
            "shown": True, "text": generic, "script": None}
    for nothing in (None, "", "0", "false"):
        assert query_groups(nothing) is None
        assert not notice_view(t_in("fr"), nothing)["shown"]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_browser_picks_the_servers_text(language) -> None:
    node = shutil.which("node")
    assert node, "Node.js is needed to run the site's JavaScript tests (make venv installs it)"
    page = json.dumps(notice_view(t_in(language), None)["script"])
    cases = [[], ["iban"], *(list(chosen) for size in range(1, len(MASKED_KINDS) + 1)
                              for chosen in combinations(MASKED_KINDS, size))]
    result = subprocess.run([node, "--input-type=module", "-e", _RUN, MODULE.as_uri(), page,
                             json.dumps(cases)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    expected = []
    for kinds in cases:
        groups = masked_notice.groups_of(kinds)
        expected.append([notice_text(t_in(language), groups) if kinds else "", not kinds,
                         groups])
    assert json.loads(result.stdout) == expected
