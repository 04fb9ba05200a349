"""The examples the browser's confidential-data warning is checked against
(gateway/web/static/js/confidential.js): every case of the detector's labelled corpus
(detector_corpus.py) plus texts as a member types them, each with what the server's detector finds
in it, as (kind, exact substring). Written to confidential_examples.json, which
test_confidential_js.py checks is still what the server finds and what the browser module finds:
change the detector, then run ``python -m tests.unit.confidential_examples`` and port the change.
"""
from __future__ import annotations

import json
from pathlib import Path

from services.moderation.detector import detect
from tests.unit import detector_corpus as corpus

PATH = Path(__file__).with_name("confidential_examples.json")

# What the compose screen sees while a member types: prefixes of a number, the number whole, the
# number with a word glued after it, the text once the number is deleted again.
TYPING = (
    "Mon IBAN : FR76 3000 6000 0112 3456 7890",
    "Mon IBAN : FR76 3000 6000 0112 3456 7890 189",
    "Mon IBAN : FR76 3000 6000 0112 3456 7890 189 merci",
    "Mon IBAN : ",
    "Carte 4970 1012 3456 789",
    "Carte 4970 1012 3456 7893, mail j.dupont@exemple.fr, tél. +33 6 12 34 56 78",
    "écrivez à jean.dupont@exemple.fr",
    "IBAN fr14 2004 1010 0505 0001 3m02 606 ou appelez le 06 12 34 56 78",
    "Le 12/03/2024 j'ai payé 1 234,56 € (commande 4970101234567891).",
    "Mon compte : 30002 00550 0000157845Z 02",
    "mon n° de compte est le 12345678901",
    "(+33) 1 23 45 67 89 de 9h à 18h",
    "+33 6 12 34 56 78 9h-18h",
    "Appelez le 0033 (0)1 23 45 67 89",
    "Ma carte Amex 3782 822463 10005 ne passe plus",
    "Le prix est 0612345678 €",
    "Μου λογαριασμός client 12345678901",
    "Ma carte expire le 09/28, cryptogramme 123",
    "Carte 4970 1012 3456 7893 09/28 123",
    "valable jusqu'au 09/28",
    "mon numéro client est le 1234",
    "mon numéro client est le 12345678",
    "IBAN GB82 WEST 1234 5698 7654 3",
    "IBAN GB82 WEST 1234 5698 7654 33",
    "carte ４９７０ １０１２ ３４５６ ７８９",
    "carte ４９７０ １０１２ ３４５６ ７８９３",
    "carte 𝟒𝟗𝟕𝟎 𝟏𝟎𝟏𝟐 𝟑𝟒𝟓𝟔 𝟕𝟖𝟗𝟑",  # mathematical bold digits: two UTF-16 units each
    "Carte 4970 1012\n\n3456 7893",
    "Carte 4970 1012\n\n",
)


def findings(text: str) -> list[list[str]]:
    return [[finding.kind, text[finding.start:finding.end]] for finding in detect(text)]


def examples() -> list[dict]:
    texts = [case.text for case in corpus.CASES] + list(TYPING)
    return [{"text": text, "found": findings(text)} for text in texts]


def serialised() -> str:
    return json.dumps(examples(), ensure_ascii=False, indent=0) + "\n"


if __name__ == "__main__":
    PATH.write_text(serialised(), encoding="utf-8")
    print(f"{PATH.name}: {len(examples())} examples")
