"""Public member summaries (services/shared/members.py): pure rules, no infrastructure."""
from __future__ import annotations

import uuid

from services.shared import members


def contrast_with_white(color: str) -> float:
    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return 1.05 / (0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b) + 0.05)


def test_every_avatar_colour_reads_white_text_at_aa_contrast():
    for color in (*members.AVATAR_PALETTE, members.ERASED_COLOR):
        assert contrast_with_white(color) >= 4.5, color
    assert len(set(members.AVATAR_PALETTE)) == len(members.AVATAR_PALETTE) >= 12


def test_avatar_colour_depends_on_the_id_only_and_spreads():
    ids = [uuid.uuid4().hex for _ in range(2000)]
    colors = [members.avatar_color(i) for i in ids]
    assert colors == [members.avatar_color(i) for i in ids]
    assert set(colors) == set(members.AVATAR_PALETTE)


def test_initial_is_the_first_letter_or_digit_upper_cased():
    assert members.initial("ada") == "A"
    assert members.initial("  @élodie") == "É"
    assert members.initial("42 Pierre") == "4"
    assert members.initial("") == members.initial(None) == members.initial("--") == "?"


def test_summary_has_exactly_the_public_fields():
    out = members.summary("u1", {"display_name": "Chloé", "roles": ["member", "advisor"],
                                 "verified_customer": True, "bio": "never shown"})
    assert out == {"id": "u1", "display_name": "Chloé",
                   "badges": ["bank_advisor", "verified_customer"],
                   "avatar": {"initial": "C", "color": members.avatar_color("u1")}}


def test_badges_community_managers_carry_one_admins_alone_do_not():
    assert members.badges(["member", "community_manager"], False) == ["community_manager"]
    assert members.badges(["member", "admin"], False) == []
    assert members.badges(["advisor", "community_manager"], True) == [
        "bank_advisor", "community_manager", "verified_customer"]


def test_an_erased_member_shows_the_fixed_label_and_no_badge():
    out = members.summary("u2", {"erased": True, "roles": ["advisor"]})
    assert out["display_name"] == members.ERASED_DISPLAY_NAME
    assert out["badges"] == [] and out["avatar"]["color"] == members.ERASED_COLOR


def test_an_unknown_member_has_an_empty_name_and_a_question_mark():
    out = members.summary("u3", None)
    assert out["display_name"] == "" and out["avatar"]["initial"] == "?"


# -- an erased member's @mentions ------------------------------------------------------------------

def test_mentions_of_a_member_are_found_by_handle_and_by_id_and_only_theirs():
    text = "Voir @Zoé.Martin, @zoemartin et @u42 ; pas @ZoeMartinez ni zoe@example.org."
    spans = members.mention_spans(text, ["u42", members.handle("Zoé Martin")])
    assert [text[start:end] for start, end in spans] == ["@Zoé.Martin", "@zoemartin", "@u42"]
    assert members.mention_spans(text, ["someone-else"]) == []
    assert members.mention_spans(None, ["u42"]) == []


def test_a_full_name_mention_is_found_and_unlinked_whole():
    text = "Merci @Zoé Martin, et @Zoé Martinez aussi ; @Zoé Martin."
    spans = members.mention_spans(text, ["u42", members.handle("Zoé Martin")])
    assert [text[start:end] for start, end in spans] == ["@Zoé Martin", "@Zoé Martin"]
    erased = members.ERASED_MENTION
    assert members.unlink_spans(text, spans) == \
        f"Merci {erased}, et @Zoé Martinez aussi ; {erased}."


def test_unlinking_replaces_the_mentions_and_keeps_the_rest_of_the_text():
    text = "Merci @Zoé.Martin. Et @Paul aussi, @u42!"
    spans = members.mention_spans(text, ["u42", "zoemartin"])
    unlinked = members.unlink_spans(text, spans)
    erased = members.ERASED_MENTION
    assert unlinked == f"Merci {erased}. Et @Paul aussi, {erased}!"
    # offsets that no longer hold an @mention (already unlinked, or another text) change nothing
    assert members.unlink_spans(unlinked, spans) == unlinked
    assert members.unlink_spans("no mention here", [[3, 9]]) == "no mention here"
    # the marker names nobody: it is not anyone's handle, and parsing it finds no member's
    assert members.handle("Zoé Martin") not in members.parse_mentions(unlinked)


def test_a_text_without_an_at_sign_is_not_searched_for_mentions(monkeypatch):
    """Every mention holds an "@": a text without one has none, and is not searched (a replay
    of posts parses every published text)."""
    texts = ["Merci @Zoé.Martin. Et @Paul aussi, @u42!", "pas de mention, me@ici.fr", None, "",
             "taux du livret à 3 %", "@a @bb (@cc) x@dd @ee."]
    for text in texts:  # as the pattern finds them, whatever the text
        written = [token.rstrip(".-") for token in members._MENTION.findall(text or "")]
        expected = {t for token in written for t in (token, members.handle(token)) if t}
        assert members.parse_mentions(text) == expected, text
    searched = []

    class Counting:
        def finditer(self, text):
            searched.append(text)
            return pattern.finditer(text)

    pattern = members._MENTION
    monkeypatch.setattr(members, "_MENTION", Counting())
    assert members.parse_mentions("taux du livret à 3 %", None, "") == set()
    assert searched == []
    assert members.parse_mentions("merci @Paul") == {"Paul", "paul"}
    assert searched == ["merci @Paul"]


def test_the_mention_the_site_inserts_reads_back_as_the_member_s_handle():
    """`mention_of` (the "@" suggestions' text): one word a mention holds whole, whatever the
    name's spaces, apostrophes and accents."""
    for name in ("Zoé Dupont", "Chloé N’Diaye", "Élodie Martin-Roux", "Jean_Paul 2",
                 "Ana . Ríos", "Nguyễn Văn An"):
        written = members.mention_of(name)
        ((start, readings),) = members.mentions(f"merci @{written} !")
        assert start == 6 and readings[0] == (7 + len(written), (written, members.handle(name)))
        assert members.handle(written) == members.handle(name)
