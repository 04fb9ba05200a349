"""The admins' categories screen in the browser, at desktop and tablet sizes: an admin creates a
category in French and English, sees a refused name next to its field, renames and moves it,
archives it (the writing form no longer offers it) and brings it back; a community manager gets
the same 404 as a member."""
from __future__ import annotations

import uuid

from ..e2e.steps import ok
from .accounts import ADMIN, CM1, MEMBER1
from .conftest import Site
from .console_steps import sign_in_staff


def row(site: Site, slug: str):
    found = site.find_all(f'#category-rows [data-category="{slug}"]')
    return found[0] if found else None


def offered_when_writing(site: Site, slug: str) -> bool:
    site.visit("/write")
    return bool(site.find_all(f'#field-category option[value="{slug}"]'))


def test_an_admin_creates_renames_and_archives_a_category(console, platform):
    api = platform.api
    marker = uuid.uuid4().hex[:6]
    slug = f"credit-auto-{marker}"
    sign_in_staff(console, ADMIN, next_path="/console/moderation")
    console.wait_for_path("/console/moderation")
    console.click_link("Catégories")
    console.wait_for_path("/console/categories")
    console.wait_for(lambda: console.heading("Catégories", 1), "the categories screen")
    console.check()
    console.no_horizontal_scroll()

    # a name missing in English is refused next to its field
    form = console.find("#new-category")
    console.fill("Nom en français", f"Crédit auto {marker}")
    form.find_element("css selector", "button[type=submit]").click()
    console.wait_for(lambda: console.find_all("#new-name_en-error"), "the field error")
    assert console.find("#new-name_en").get_attribute("aria-invalid") == "true"
    assert console.find("#new-name_fr").get_attribute("value") == f"Crédit auto {marker}"
    console.check()
    console.screenshot("console-categories-error")

    console.fill("Nom en anglais", f"Car loans {marker}")
    console.fill("Description en français", "Financer une voiture neuve ou d'occasion.")
    console.fill("Description en anglais", "Paying for a new or used car.")
    console.find("#new-category button[type=submit]").click()
    console.wait_for(lambda: console.find_all("#console-done")
                     and "créée" in console.find("#console-done").text, "created")
    created = console.wait_for(lambda: row(console, slug), "the new category listed")
    assert f"Crédit auto {marker}" in created.text
    assert ok(api.get(f"/api/v1/categories/{slug}"))["name"]["en"] == f"Car loans {marker}"
    console.check()
    console.screenshot("console-categories")

    # rename and move it
    created.find_element("css selector", "summary").click()
    name = created.find_element("css selector", "input[name=name_fr]")
    name.clear()
    name.send_keys(f"Crédit automobile {marker}")
    position = created.find_element("css selector", "input[name=position]")
    position.clear()
    position.send_keys("0")
    created.find_element("css selector", ".category-form button[type=submit]").click()
    console.wait_for(lambda: console.find_all("#console-done")
                     and "enregistrée" in console.find("#console-done").text, "saved")
    saved = ok(api.get(f"/api/v1/categories/{slug}"))
    assert saved["name"]["fr"] == f"Crédit automobile {marker}" and saved["position"] == 0

    # archive it: the writing form no longer offers it; then bring it back
    assert offered_when_writing(console, slug)
    console.visit("/console/categories")
    row(console, slug).find_element("css selector", ".category-archive button").click()
    console.wait_for(lambda: console.find_all("#console-done")
                     and "archivée" in console.find("#console-done").text, "archived")
    assert "Archivée" in row(console, slug).text
    assert ok(api.get(f"/api/v1/categories/{slug}"))["archived"] is True
    console.check()
    console.screenshot("console-categories-archived")
    assert not offered_when_writing(console, slug)
    console.visit("/console/categories")
    row(console, slug).find_element("css selector", ".category-archive button").click()
    console.wait_for(lambda: console.find_all("#console-done")
                     and "rétablie" in console.find("#console-done").text, "restored")
    assert offered_when_writing(console, slug)


def test_community_managers_and_members_get_404_on_the_categories_screen(console):
    sign_in_staff(console, CM1, next_path="/console/moderation")
    console.wait_for_path("/console/moderation")
    assert "Catégories" not in [a.text.strip() for a in console.find_all(".console-nav a")]
    console.visit("/console/categories")
    assert console.heading("Page introuvable", 1)
    status = console.driver.execute_async_script("""
        const done = arguments[0];
        const token = document.querySelector('meta[name="csrf-token"]').content;
        Promise.all(["/console/categories", "/console/categories/cards",
                     "/console/categories/cards/archived"].map(url => fetch(url, {
          method: "POST", credentials: "same-origin",
          headers: {"Content-Type": "application/x-www-form-urlencoded"},
          body: new URLSearchParams({csrf_token: token, on: "1", name_fr: "x"}),
        }).then(r => r.status))).then(done);
    """)
    assert status == [404, 404, 404]
    console.driver.delete_all_cookies()
    console.sign_in(MEMBER1)
    console.visit("/console/categories")
    assert console.heading("Page introuvable", 1)


def test_an_admin_keeps_a_category_for_the_team_and_members_are_not_offered_it(console,
                                                                               platform):
    """The team's announcements: a staff-only category is marked in the list, still offered to
    the community managers and admins when writing, and not offered to members."""
    api, marker = platform.api, uuid.uuid4().hex[:6]
    sign_in_staff(console, ADMIN, next_path="/console/categories")
    console.wait_for_path("/console/categories")
    console.fill("Nom en français", f"Annonces {marker}")
    console.fill("Nom en anglais", f"Announcements {marker}")
    console.field("Réservée à l’équipe : seuls les community managers et les administrateurs "
                  "y publient").click()
    console.find("#new-category button[type=submit]").click()
    console.wait_for(lambda: console.find_all("#console-done"), "created")
    slug = f"annonces-{marker}"
    created = console.wait_for(lambda: row(console, slug), "the new category listed")
    assert "Réservée à l’équipe" in created.find_element("css selector", ".meta").text
    assert ok(api.get(f"/api/v1/categories/{slug}"))["staff_only"] is True
    console.check()
    console.screenshot("console-categories-staff-only")
    assert offered_when_writing(console, slug)  # an admin writes there

    console.driver.delete_all_cookies()
    console.sign_in(MEMBER1)
    assert not offered_when_writing(console, slug)
    assert offered_when_writing(console, "cards")  # the others are, as before
    console.check()
