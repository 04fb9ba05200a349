"""The display-name rule (services/identity/names.py): invisible, Zalgo, staff look-alikes and
staff words are refused when a member picks a name; real names in any script pass."""
from __future__ import annotations

import pytest

from services.identity import domain, names
from services.shared import i18n
from services.shared.errors import InvalidInput

STAFF = ["Camille (communauté)", "Alice Martin (conseillère)"]


@pytest.mark.parametrize("name", [
    "Camille (communauté)", "Alice Martin (conseillère)",       # the staff's exact names
    "Camille (сommunauté)",                                     # a Cyrillic "с"
    "Camille (communauté)", "Cаmille (cоmmunauté)",            # Cyrillic "а", "о"
    "Camille\u200b (communauté)", "Cam\u2060ille (communauté)",  # zero-width characters
    "Camille (communauté) ✔", "Camille (communauté) ✅",        # a trailing badge look-alike
    "CAMILLE (COMMUNAUTÉ)", "camille communaute", "Camille - Communauté",
    "AIice Martin (conseillère)", "A1ice Martin (conseillère)",  # capital I and 1 for "l"
    "Ｃａｍｉｌｌｅ (communauté)",                               # full-width letters
    "Cam\u0336ille (communauté)",                                # a combining overlay
    "Camille (cornmunauté)",                                    # "rn" for "m"
    "Αlice Martin (cοnseillère)",                               # Greek alpha and omicron
])
def test_a_staff_members_name_and_its_look_alikes_are_refused(name):
    assert names.display_name_problems(name, staff_names=STAFF) == [names.STAFF_NAME]


@pytest.mark.parametrize("name, word", [
    ("Conseiller Banque", "conseiller"), ("Équipe Agora", "equipe"), ("Agora Admin", "agora"),
    ("Modérateur", "moderateur"), ("Moderator Paul", "moderator"),
    ("Administrateur", "administrateur"),
    ("AgoraAdmin", "agora"), ("Adm1n Paul", "admin"), ("Support Client", "support"),
    ("Community Manager", "community manager"), ("CommunityManager", "community manager"),
    ("Service officiel", "officiel"), ("Bank Advisor", "bank"),
    ("Ma conseillère", "conseillere"), ("Paul Advisor", "advisor"),
    ("Аgora", "agora"),  # a Cyrillic "А"
    ("Staff Julie", "staff"),
])
def test_staff_words_are_refused_to_members_and_allowed_to_staff(name, word):
    assert names.display_name_problems(name) == [names.RESERVED.format(word=word)]
    assert names.display_name_problems(name, staff=True) == []


@pytest.mark.parametrize("name", [
    "\u3164", "\u3164\u3164\u3164", "\u2800\u2800", "\u200d\u200d\u200d\u200d", "\u200b\u200c",
    "\ufe0f\ufe0f", "\u115f\u1160", "\u00ad\u00ad", "(-)", "✔ ✔",
])
def test_invisible_or_blank_names_are_refused(name):
    assert names.display_name_problems(name) == [names.BLANK]


@pytest.mark.parametrize("name", [
    "Z\u0301\u0302\u0303algo", "A" + "\u0300\u0301\u0302\u0303\u0304" * 4 + "da",
    "Zoé" + "\u0489" * 3,
])
def test_zalgo_names_are_refused(name):
    assert names.display_name_problems(name) == [names.MARKS]


@pytest.mark.parametrize("name", [
    "Zoé", "Jean-François", "N'Diaye", "Chloé N’Diaye", "Ørsted", "王小明", "山田太郎",
    "김민준", "Nguyễn Văn Ệ", "Marie-Hélène d'Arc", "Élodie", "ÉLODIE", "Ines", "Inès Vigilante",
    "Œdipe Lœwy", "Ådne Ødegård", "Józef Piłsudski", "Александр Пушкин", "Ἀριστοτέλης",
    "محمد", "Camille", "Camille Dupont", "Agoraphile", "Tyra Banks", "Claire Conseil",
    "Hugo Aide", "Al", "Ada L.", "Jean 1er",
])
def test_real_names_pass(name):
    assert names.display_name_problems(name, staff_names=STAFF) == []


def test_staff_keep_their_own_name_but_not_another_staff_members():
    others = ["Camille (communauté)"]  # the service leaves the member's own name out
    assert names.display_name_problems("Alice Martin (conseillère)", True, others) == []
    assert names.display_name_problems("Camille (сommunauté)", True, others) == \
        [names.STAFF_NAME]


def test_every_refusal_reads_in_french_and_english():
    for message in (names.BLANK, names.MARKS, names.STAFF_NAME,
                    names.RESERVED.format(word="agora")):
        key = i18n.field_key(message)
        assert key and key.startswith("field.display_name_"), message
        assert i18n.field_text("en", message) == message
        assert i18n.field_text("fr", message) != message
    assert i18n.field_text("fr", names.RESERVED.format(word="agora")) == \
        "« agora » est réservé à l’équipe de la banque : choisissez un autre nom"


def _state(*roles: str) -> domain.UserState:
    return domain.UserState(id="u1", display_name="Ada", roles=roles)


def test_a_profile_change_applies_the_rule_with_the_members_roles():
    with pytest.raises(InvalidInput) as refused:
        domain.update_profile(_state(), {"display_name": "Équipe Agora"})
    assert refused.value.details["fields"] == {"display_name": [
        names.RESERVED.format(word="equipe")]}
    assert refused.value.details["fields_i18n"]["fr"] == {"display_name": [
        "« equipe » est réservé à l’équipe de la banque : choisissez un autre nom"]}
    assert domain.update_profile(_state("community_manager"), {"display_name": "Équipe Agora"})
    with pytest.raises(InvalidInput):
        domain.update_profile(_state("advisor"), {"display_name": "Camille (communauté)"},
                              staff_names=["Camille (communauté)"])
    # a name held already is not judged again when something else changes
    held = domain.UserState(id="u1", display_name="Agora Fan")
    assert domain.update_profile(held, {"display_name": "Agora Fan", "bio": "x"})
