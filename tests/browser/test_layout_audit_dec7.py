"""What the 7 December look at the site as its users see it found wrong: a French page heading
that quotes a search (« Résultats pour « zzzxqw » ») wrapped its closing » alone onto a line of
its own on a phone, and a category's page its « » the same way (measured as Chromium lays the
text out, at every width of the element from a small phone's to a large one's); the console's
date field was the browser's own, small and about 20 px tall beside its 44 px fields; a staff
member's account menu ran two wrapped items together."""
from __future__ import annotations

from .accounts import ADVISOR1
from .conftest import Site
from .console_steps import sign_in_staff
from .layout_measures import marks_apart

NNBSP = "\N{NARROW NO-BREAK SPACE}"


def _guillemets_stay_with_their_words(site: Site, css: str) -> str:
    """The element's text, once no guillemet (nor other mark) of it leaves its word at any
    width from a small phone's (200 px) to a large one's (390 px)."""
    assert marks_apart(site, css, 200, 390) == []
    return site.find(css).get_attribute("textContent")


def test_a_searchs_heading_keeps_its_guillemets_with_the_searched_words(site):
    """« Résultats pour « zzzxqw » » showed its » alone on the next line on a phone: the spaces
    inside the guillemets are narrow no-break ones on the page."""
    site.visit("/search?q=zzzxqw")
    assert _guillemets_stay_with_their_words(site, "h1") \
        == f"Résultats pour «{NNBSP}zzzxqw{NNBSP}»"
    site.no_horizontal_scroll()
    site.screenshot("layout-audit-search-heading")


def test_a_categorys_page_keeps_its_guillemets_and_colon_with_their_words(site):
    """The category's page: its heading's « : » and its introduction's « » (the category's name
    quoted) stay with their words."""
    site.visit("/categories/payments")
    assert site.find("h1").get_attribute("textContent") \
        == f"Catégorie{NNBSP}: Virements et paiements"
    assert _guillemets_stay_with_their_words(site, ".page-head .lead") \
        == f"Toutes les contributions de la catégorie «{NNBSP}Virements et paiements{NNBSP}»."
    site.no_horizontal_scroll()
    site.screenshot("layout-audit-category-intro")


# A field's looks, as computed: its height, font size, border radius.
LOOKS = """
const box = (element) => {
  const style = getComputedStyle(element);
  return [element.getBoundingClientRect().height, style.fontSize, style.borderRadius];
};
return [box(arguments[0]), box(arguments[1])];
"""


def test_the_absence_pages_date_field_looks_and_taps_like_its_other_field(console):
    """« Jour de votre retour »: as tall as a finger needs (44 px), in the page's font size and
    with the corners of the e-mail field under it."""
    sign_in_staff(console, ADVISOR1, next_path="/console/absence")
    console.wait_for_path("/console/absence")
    date, email = console.driver.execute_script(
        LOOKS, console.find("#field-until"), console.find("#absence-form input[type=email]"))
    assert date[0] >= 44, date
    assert date[1:] == email[1:], (date, email)
    console.no_horizontal_scroll()
    console.screenshot("layout-audit-absence-date")


# The account menu's items: each one's lines of text, its box, and the menu's box.
MENU_ITEMS = """
const menu = document.querySelector(".account-menu ul");
const lines = (element) => {
  const range = document.createRange();
  range.selectNodeContents(element);
  return new Set([...range.getClientRects()].map((rect) => Math.round(rect.top))).size;
};
const items = [...menu.querySelectorAll("li a, li .link-button")].map((item) => {
  const box = item.getBoundingClientRect();
  return {text: item.textContent.trim(), lines: lines(item), height: box.height};
});
const box = menu.getBoundingClientRect();
return {items: items, left: box.left, right: box.right, width: innerWidth};
"""


def _menu_reads_item_by_item(site: Site) -> None:
    site.find(".account-menu summary").click()
    shown = site.driver.execute_script(MENU_ITEMS)
    assert all(item["lines"] == 1 and item["height"] >= 44 for item in shown["items"]), shown
    assert shown["left"] >= 0 and shown["right"] <= shown["width"], shown
    site.no_horizontal_scroll()


def test_a_staff_members_account_menu_reads_item_by_item(site):
    """An advisor's « Mon compte » menu: « Console : conversations privées » then « Mes
    messages personnels », each on its one line (they were two lines each, run together), the
    menu within the screen, a small phone's too."""
    sign_in_staff(site, ADVISOR1, next_path="/me/feed")
    site.wait_for_path("/me/feed")
    _menu_reads_item_by_item(site)
    site.screenshot("layout-audit-account-menu")
    if site.device == "phone":
        with site.at_width(360):
            site.visit("/me/feed", check=False)
            _menu_reads_item_by_item(site)
    site.visit("/lang/en?next=/me/feed", check=False)
    _menu_reads_item_by_item(site)
    site.screenshot("layout-audit-account-menu-en")
