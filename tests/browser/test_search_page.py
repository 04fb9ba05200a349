"""The search page forgives: a typo corrected and said so, the matched words highlighted (in
<mark>, the text escaped), partial matches said so — in French and English, on a phone."""
from __future__ import annotations

from ..e2e.steps import submit, visible
from ..e2e.test_search_french import marker

# the heading keeps « » with the searched words (templates: `glue`), as French writes them
NNBSP = "\N{NARROW NO-BREAK SPACE}"


def test_the_search_page_corrects_a_typo_and_highlights_the_matched_words(site, platform):
    api, tag = platform.api, marker()
    post = submit(api, api.new_user(), title=f"Virement refusé par ma banque {tag}",
                  body=f"Mon virement <b>SEPA</b> {tag} est refusé depuis lundi.")
    visible(api, post["id"])

    site.visit(f"/search?q=virment+{tag}")
    assert site.heading(f"Résultats pour «{NNBSP}virement {tag}{NNBSP}»", 1)
    assert "« virment » ne figure dans aucune contribution" in site.find("#search-notice").text
    marks = [mark.text for mark in site.find_all("#post-list mark")]
    assert marks.count("Virement") == 1 and "virement" in marks and tag in marks
    # the member's text stays text: their "<b>" is shown, never made bold
    excerpt = site.find("#post-list .excerpt")
    assert "<b>SEPA</b>" in excerpt.text and not site.find_all("#post-list .excerpt b")
    site.no_horizontal_scroll()
    site.screenshot("search-corrected")

    # no post holds every word: the closest ones, said so
    site.visit(f"/search?q=virement+{tag}+qxwzyvvk")
    assert "Aucune contribution ne contient tous ces mots : voici celles qui en contiennent " \
           "le plus." in site.find("#search-notice").text
    assert site.find_all(f"#post-list a[href='/posts/{post['id']}']")

    site.visit(f"/lang/en?next=/search%3Fq%3Dvirment%2B{tag}")
    assert site.heading(f"Results for “virement {tag}”", 1)
    assert "“virment” appears in no contribution" in site.find("#search-notice").text
    site.screenshot("search-corrected-en")


def test_a_typo_a_post_shares_finds_it_and_suggests_the_common_word(site, platform):
    api, tag = platform.api, marker()
    member, word = api.new_user(), f"{tag}ment"
    typo = word[:-2] + "t"
    for title in [f"Mon {word} numéro {n}" for n in range(5)] + [f"Mon {typo} unique"]:
        visible(api, submit(api, member, title=title, body="Une question.")["id"])

    site.visit(f"/search?q={typo}")
    suggestion = site.find("#search-suggestion")
    assert suggestion.text == f"Vouliez-vous dire : {word}"
    assert len(site.find_all("#post-list > li")) == 1  # the post that shares the typo
    site.no_horizontal_scroll()
    site.screenshot("search-suggested")
    site.find(".lang-switch a[hreflang='en']").click()
    site.wait_for(lambda: site.find("#search-suggestion").text == f"Did you mean: {word}",
                  "the suggestion in English")
    site.no_horizontal_scroll()
    site.check()
    site.screenshot("search-suggested-en")
    site.find(".lang-switch a[hreflang='fr']").click()
    suggestion = site.wait_for(lambda: site.find_all("#search-suggestion")[0] if site.heading(
        f"Résultats pour «{NNBSP}{typo}{NNBSP}»", 1) else None, "the French page again")
    suggestion.find_element("css selector", "a").click()
    site.wait_for(lambda: site.heading(f"Résultats pour «{NNBSP}{word}{NNBSP}»", 1),
                  "the suggestion followed")
    assert len(site.find_all("#post-list > li")) == 5 and not site.find_all("#search-suggestion")
    site.check()
