"""The site's presentation for every reader: nothing wider than a 320-px phone, a header whose
parts never overlap, the focus taken to a form's errors, states that survive forced colours
(Windows high contrast), focus rings that show on dark blue, menus that close when the focus
leaves them; and following a tag or a category from its page.

The API only arranges what the tested reader finds; what is checked is what the browser shows."""
from __future__ import annotations

import re
import uuid
from contextlib import contextmanager
from urllib.parse import quote

import requests
from selenium.webdriver.common.keys import Keys

from ..e2e.steps import ok, reply_visible, visible
from .accounts import MEMBER3

HEADER_BLUE, HERO_BLUE = (0x12, 0x3A, 0x63), (0x1D, 0x4F, 0x86)  # site.css --brand, .hero's end
# A line of code longer than any phone is wide: it scrolls inside its block, not the page.
LONG_CODE = "```\ncurl -s https://api.example.test/v1/accounts/statements?format=csv&from=2025-01" \
            "&to=2025-12&per_page=500 | tee releves-de-compte-de-toute-l-annee.csv\n```"


@contextmanager
def _forced_colours(site):
    site.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
        "features": [{"name": "forced-colors", "value": "active"}]})
    try:
        yield
    finally:
        site.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})


def _style(site, css: str, prop: str) -> str:
    return site.driver.execute_script(
        "return getComputedStyle(document.querySelector(arguments[0])).getPropertyValue"
        "(arguments[1])", css, prop)


def _focused(site) -> str:
    return site.driver.switch_to.active_element.get_attribute("id") or ""


def _contrast(one: tuple[int, ...], other: tuple[int, ...]) -> float:
    """WCAG's contrast ratio of two sRGB colours."""
    def luminance(rgb):
        c = [v / 255 for v in rgb[:3]]
        c = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]
    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _ring(site, css: str) -> tuple[int, ...]:
    """The focus ring's colour of `css` once it has the keyboard's focus."""
    site.driver.execute_script("document.querySelector(arguments[0]).focus()", css)
    assert site.driver.execute_script(
        "return document.querySelector(arguments[0]).matches(':focus-visible')", css)
    colour = _style(site, css, "outline-color")
    return tuple(int(v) for v in re.findall(r"\d+", colour)[:3])


def test_a_reply_with_code_stays_inside_a_320_px_phone(site, demo):
    api = demo.api
    asker, helper = api.new_user(), api.new_user()
    post = visible(api, ok(api.post("/api/v1/posts", user=asker, json={
        "kind": "question", "title": f"Relevés en CSV {uuid.uuid4().hex[:6]}",
        "category": "accounts",
        "body": "Je voudrais télécharger **tous** mes relevés en CSV :\r\n\r\n"
                "- un fichier par mois\r\n- depuis l'appli"}), 201)["id"], user=asker)
    reply_visible(api, ok(api.post(f"/api/v1/posts/{post['id']}/replies", user=helper, json={
        "body": f"Avec l'API, par exemple :\n\n{LONG_CODE}\n\nhttps://example.test/"
                + "tres-long-chemin-" * 8}), 201)["id"])
    with site.at_width(320):
        site.visit(f"/posts/{post['id']}")
        site.no_horizontal_scroll()
        code = site.find(".reply .prose pre")
        assert site.driver.execute_script(
            "return arguments[0].scrollWidth > arguments[0].clientWidth", code), \
            "the code block scrolls inside itself"
        site.screenshot("thread-code-w320")
    # what search engines and shared links show: the text as read, not its Markdown
    page = requests.get(site.url(f"/posts/{post['id']}"), timeout=10).text
    description = re.search(r'<meta name="description" content="([^"]*)"', page).group(1)
    assert description.startswith("Je voudrais télécharger tous mes relevés en CSV : un fichier")
    assert "**" not in description and "\r" not in description and "- " not in description
    assert f'<meta property="og:description" content="{description}"' in page


def test_the_signed_out_header_fits_narrow_phones_in_both_languages(site):
    for path in ("/lang/fr?next=/", "/lang/en?next=/"):
        site.visit(path)
        for width in (320, 360, 390):
            with site.at_width(width):
                site.driver.refresh()
                overlap = site.driver.execute_script("""
                    const brand = document.querySelector('.brand').getBoundingClientRect();
                    const tools = document.querySelector('.tools').getBoundingClientRect();
                    return brand.right - tools.left;""")
                assert overlap <= 0, f"the brand runs {overlap}px under the tools at {width}px"
                site.no_horizontal_scroll()
                site.screenshot(f"header-{site.t('en', 'fr')}-w{width}")


def test_a_form_sent_with_errors_takes_the_focus_to_its_summary(site, demo):
    site.visit("/login")
    site.fill("Adresse e-mail", MEMBER3)
    site.fill("Mot de passe", "not the password")
    site.find("form[action='/login'] button[type=submit]").click()
    site.wait_for(lambda: _focused(site) == "form-alert", "the focus on the error summary")
    assert site.driver.title.startswith("Erreur : ")
    site.check()

    site.visit("/lang/en?next=/register")
    site.fill("E-mail address", "not-an-address")
    site.find("form[action='/register'] button[type=submit]").click()
    site.wait_for(lambda: _focused(site) == "form-alert", "the focus on the error summary")
    assert site.driver.title.startswith("Error: ")
    site.visit("/register")  # without errors: the focus stays where the reader is
    assert _focused(site) != "form-alert" and not site.driver.title.startswith("Error")


def test_a_tag_with_a_long_number_is_refused_with_the_real_rule(site, demo):
    me = demo.api.new_user()
    site.sign_in(me.email, me.password, next_path="/write")
    site.wait_for_path("/write")
    site.fill("Titre", "Plafond de paiement à relever")
    site.fill("Votre texte", "Comment relever le plafond de ma carte ?")
    site.fill("Mots-clés (facultatif)", "plafond-22950")
    site.click_button("Publier")
    site.wait_for(lambda: _focused(site) == "form-alert", "the focus on the error summary")
    summary = site.find("#form-alert").text
    assert "au plus 4 chiffres par mot-clé" in summary and "numéro de compte" in summary
    assert site.driver.title.startswith("Erreur : ")
    site.check()
    site.screenshot("compose-tag-digits")


def test_selected_and_current_states_show_in_forced_colours(site, demo):
    me = demo.api.new_user()
    site.sign_in(me.email, me.password, next_path="/write?kind=idea")
    site.wait_for_path("/write")
    with _forced_colours(site):
        assert "underline" in _style(site, ".choice input:checked + label", "text-decoration-line")
        assert _style(site, ".choice input:checked + label", "border-top-width") == "3px"
        site.screenshot("forced-write")
        site.visit("/questions")
        assert "underline" in _style(site, ".main-nav a[aria-current='page']",
                                     "text-decoration-line")
        assert _style(site, ".sort-tabs a[aria-current='true']", "border-top-width") == "3px"
        assert "underline" in _style(site, ".lang-current", "text-decoration-line")
        site.visit("/tags/voyage")
        site.click_button("Suivre ce mot-clé")
        site.wait_for(lambda: site.find("#toggle-follow_tag-button")
                      .get_attribute("aria-pressed") == "true", "the tag followed")
        assert _style(site, "#toggle-follow_tag-button", "border-top-width") == "3px"
        site.screenshot("forced-tag")


def test_focus_rings_on_dark_blue_stand_out(site, demo):
    site.visit("/")
    for button in (".hero .button-primary", ".hero .button-secondary"):
        ring = _ring(site, button)
        assert min(_contrast(ring, HEADER_BLUE), _contrast(ring, HERO_BLUE)) >= 3, button
    me = demo.api.new_user()
    site.sign_in(me.email, me.password)
    site.visit("/")
    assert _contrast(_ring(site, ".account-menu summary"), HEADER_BLUE) >= 3


def test_the_account_menu_closes_when_the_focus_leaves_it(site, demo):
    me = demo.api.new_user()
    site.sign_in(me.email, me.password)
    site.find(".account-menu summary").click()
    assert site.find(".account-menu").get_attribute("open") is not None
    last = site.find_all(".account-menu li")[-1].find_element("css selector", "button")
    site.driver.execute_script("arguments[0].focus()", last)
    site.driver.switch_to.active_element.send_keys(Keys.TAB)
    site.wait_for(lambda: site.find(".account-menu").get_attribute("open") is None,
                  "the menu closed")
    assert not site.driver.execute_script(
        "return document.querySelector('.account-menu').contains(document.activeElement)")


def test_follow_a_tag_and_a_category_from_their_pages(site, demo):
    me = demo.api.new_user()
    site.sign_in(me.email, me.password, next_path="/me/following")
    site.wait_for_path("/me/following")
    assert "« Suivre ce mot-clé »" in site.find("#topics-title + .empty").text

    site.visit(f"/tags/{quote('épargne')}")
    # as written, not its slug "epargne"; its « : » kept with its word (templates: `glue`)
    assert site.heading("Mot-clé\N{NARROW NO-BREAK SPACE}: épargne", 1)
    site.driver.execute_script("window.samePage = true")
    site.click_button("Suivre ce mot-clé")
    site.wait_for(lambda: site.find("#toggle-follow_tag-button").get_attribute("aria-pressed")
                  == "true", "the tag followed")
    assert site.driver.execute_script("return window.samePage === true"), "reloaded"
    assert _focused(site) == "toggle-follow_tag-button"
    site.check()
    site.screenshot("tag-followed")

    site.visit("/lang/en?next=/categories/savings")
    site.click_button("Follow this category")
    site.wait_for(lambda: site.find("#toggle-follow_category-button")
                  .get_attribute("aria-pressed") == "true", "the category followed")
    site.check()
    site.screenshot("category-followed")

    site.visit("/me/following")
    assert "#épargne" in site.find("#topics-list").text
    assert site.find_all("#topics-list a[href='/categories/savings']")
    site.screenshot("me-following-topics")
    site.visit("/categories/savings")  # the page remembers it (and says so), and unfollows
    site.click_button("Following this category")
    site.wait_for(lambda: site.find("#toggle-follow_category-button")
                  .get_attribute("aria-pressed") == "false", "the category unfollowed")


def test_a_deleted_thread_leaves_what_i_follow(site, demo):
    api = demo.api
    me = api.new_user()
    title = f"Frais de tenue de compte {uuid.uuid4().hex[:6]}"
    post = visible(api, ok(api.post("/api/v1/posts", user=me, json={
        "kind": "question", "title": title, "category": "accounts",
        "body": "Pourquoi ces frais ?"}), 201)["id"], user=me)
    site.sign_in(me.email, me.password, next_path="/me/following")

    def listed() -> bool:
        site.visit("/me/following", check=False)
        return title in site.find("#main").text
    site.wait_for(listed, "the thread I wrote among those I follow")
    ok(api.delete(f"/api/v1/posts/{post['id']}", user=me), 204)
    site.wait_for(lambda: not listed(), "the title gone (the deletion read)")
    site.check()
    assert "(sans titre)" not in site.find("#main").text
    assert not site.find_all(f"#main a[href='/posts/{post['id']}']")
