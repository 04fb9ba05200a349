"""The name a held item gets in the CMs' queue list (`presenters.headline`): confidential data
masked as the detector masks it, the original left to the item's own view."""
from __future__ import annotations

from services.moderation import domain
from services.moderation.presenters import headline

IBAN = "FR76 3000 6000 0112 3456 7890 189"


def test_a_replys_first_line_is_masked_with_the_detectors_proposal():
    body = f"Moi aussi. Mon IBAN {IBAN} si besoin\nMerci"
    proposal = domain.scan(None, body).proposal()
    line = headline({"title": None, "body": body}, proposal)
    assert line.startswith("Moi aussi. Mon IBAN") and "•" in line
    assert "3000 6000 0112" not in line and "Merci" not in line


def test_without_a_proposal_the_detector_masks_it_and_a_title_comes_first():
    assert "0112" not in headline({"title": None, "body": f"\n  IBAN {IBAN}"}, None)
    assert headline({"title": f"Mon IBAN {IBAN}", "body": "x"}, None).startswith("Mon IBAN FR")
    assert "0112" not in headline({"title": f"Mon IBAN {IBAN}", "body": "x"}, None)
    assert headline({"title": "Plafond", "body": "Quel plafond ?"}, None) == "Plafond"
    assert headline(None, None) is None
