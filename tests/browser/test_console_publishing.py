"""The console's publishing screen in the browser, at desktop and tablet sizes: a community
manager writes an article (with the compose screen's preview and confidential-data warning),
features and locks it from its thread without a reload, finds it on the publishing screen among
the featured and the locked, unlocks it there in place, and marks another member's question
found by its address."""
from __future__ import annotations

import uuid

from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from ..conftest import wait_for
from ..e2e.steps import ok, staff, submit, visible
from .conftest import Site
from .console_steps import on_some_page

IBAN = "FR76 3000 6000 0112 3456 7890 189"


def mark_button(site: Site, scope: str, post_id: str, mark: str):
    return site.find(f'{scope} form[data-mark="{mark}"][data-post="{post_id}"] button')


def pressed(site: Site, scope: str, post_id: str, mark: str, state: str):
    """The mark's button once it says `state` (aria-pressed), found afresh (htmx swaps it)."""
    def check():
        found = site.find_all(f'{scope} form[data-mark="{mark}"][data-post="{post_id}"] button')
        return found[0] if found and found[0].get_attribute("aria-pressed") == state else None
    return site.wait_for(check, f"{mark} {state} on {post_id}")


def marks(api, post_id: str) -> tuple[bool, bool]:
    post = ok(api.get(f"/api/v1/posts/{post_id}"))
    return post["featured"], post["locked"]


def test_a_cm_writes_an_article_then_features_and_locks_it_in_place(console, platform):
    api = platform.api
    manager = staff(platform)
    title = f"Nouveaux horaires des agences {uuid.uuid4().hex[:6]}"
    console.sign_in(manager.email, manager.password, device=manager.device,
                    next_path="/console/moderation")
    console.wait_for_path("/console/moderation")
    console.click_link("Publication")
    console.wait_for_path("/console/publishing")
    console.wait_for(lambda: console.heading("Publication", 1), "the publishing screen")
    assert console.find(".console-nav a[aria-current=page]").text.strip() == "Publication"
    console.check()
    console.no_horizontal_scroll()

    console.click_link("Écrire un article")
    console.wait_for_path("/write")
    assert console.heading("Écrire un article", 1)
    assert console.find("#field-kind-article").is_selected()
    console.fill("Titre", title)
    body = console.field("Votre texte")
    body.send_keys(f"Écrivez-nous à l'agence, pas votre IBAN {IBAN}")
    console.wait_for(lambda: console.find_all("#confidential-warning"), "the warning")
    body.send_keys(Keys.CONTROL, "a")
    body.send_keys(Keys.DELETE)
    body.send_keys("Nos agences ouvrent **le samedi matin** dès janvier.")
    console.wait_for(lambda: not console.find_all("#confidential-warning"), "the warning gone")
    console.click_button("Aperçu")
    console.wait_for(lambda: console.find_all("#preview-body strong"), "the preview")
    Select(console.field("Catégorie")).select_by_index(1)
    console.check()
    console.screenshot("console-publishing-article")
    console.click_button("Publier")
    console.wait_for(lambda: "/posts/" in console.driver.current_url, "the article's thread")
    article_id = console.driver.current_url.split("/posts/")[1].split("?")[0].split("#")[0]
    article = visible(api, article_id)
    assert article["kind"] == "article" and article["title"] == title

    # from the thread, in place: feature, then lock
    console.visit(f"/posts/{article_id}")
    console.driver.execute_script("window.__sameDocument = true")
    mark_button(console, ".staff-marks", article_id, "featured").click()
    assert pressed(console, ".staff-marks", article_id, "featured", "true").text == \
        "Ne plus mettre en avant"
    mark_button(console, ".staff-marks", article_id, "locked").click()
    assert pressed(console, ".staff-marks", article_id, "locked", "true").text == \
        "Déverrouiller le fil"
    assert console.driver.execute_script("return window.__sameDocument === true"), "reloaded"
    assert marks(api, article_id) == (True, True)
    console.check()
    console.screenshot("console-publishing-thread")

    # the publishing screen lists it among the featured and the locked; unlock it there
    console.click_link("Console")
    console.click_link("Publication")
    console.wait_for_path("/console/publishing")
    on_some_page(console, f'#featured-rows [data-post="{article_id}"]', "#featured-rows ~ p .more")
    row = on_some_page(console, f'#locked-rows [data-post="{article_id}"]',
                       "#locked-rows ~ p .more")
    assert title in row.text and "Article" in row.text
    console.check()
    console.no_horizontal_scroll()
    console.screenshot("console-publishing")
    console.driver.execute_script("window.__sameDocument = true")
    mark_button(console, "#locked-rows", article_id, "locked").click()
    # the lists say what the CM has just done: out of the locked, still featured, unlocked
    console.wait_for(lambda: not console.find_all(f'#locked-rows [data-post="{article_id}"]'),
                     "the thread out of the locked list")
    assert "Le fil est déverrouillé." in console.find("#publishing-done").text
    assert pressed(console, "#featured-rows", article_id, "locked", "false").text.startswith(
        "Verrouiller le fil")
    assert console.driver.execute_script("return window.__sameDocument === true"), "reloaded"
    wait_for(lambda: marks(api, article_id) == (True, False), message="unlocked")
    console.check()


def test_a_cm_marks_a_contribution_found_by_its_address(console, platform):
    api = platform.api
    manager = staff(platform)
    question = submit(api, api.new_user(), title=f"Plafond de retrait {uuid.uuid4().hex[:6]}",
                      body="Comment relever mon plafond de retrait pour un voyage ?")
    question = visible(api, question["id"])
    console.sign_in(manager.email, manager.password, device=manager.device,
                    next_path="/console/publishing")
    console.wait_for_path("/console/publishing")
    console.fill("Adresse ou identifiant de la contribution", "pas une adresse")
    console.click_button("Trouver")
    console.wait_for(lambda: console.find_all("#form-alert"), "the alert")
    assert "aucune contribution" in console.find("#form-alert").text
    console.check()
    address = console.url(f"/posts/{question['id']}#reply-form")
    field = console.field("Adresse ou identifiant de la contribution")
    field.clear()
    field.send_keys(address)
    console.click_button("Trouver")
    row = console.wait_for(lambda: console.find_all(
        f'#publish-chosen [data-post="{question["id"]}"]'), "the contribution found")[0]
    assert question["title"] in row.text
    mark_button(console, "#publish-chosen", question["id"], "featured").click()
    pressed(console, "#publish-chosen", question["id"], "featured", "true")
    wait_for(lambda: marks(api, question["id"]) == (True, False), message="featured")
    console.check()
    console.screenshot("console-publishing-found")
    mark_button(console, "#publish-chosen", question["id"], "featured").click()
    pressed(console, "#publish-chosen", question["id"], "featured", "false")
    wait_for(lambda: marks(api, question["id"]) == (False, False), message="no longer featured")

    # locked from the row found: the locked threads list it at once, with a notice, and the
    # button keeps the focus; unlocked from that list, it leaves it (no reload either way)
    console.driver.execute_script("window.__sameDocument = true")
    mark_button(console, "#publish-chosen", question["id"], "locked").click()
    locked_row = console.wait_for(lambda: console.find_all(
        f'#locked-rows [data-post="{question["id"]}"]'), "the thread among the locked")[0]
    assert question["title"] in locked_row.text
    assert "Le fil est verrouillé." in console.find("#publishing-done").text
    assert "Aucun fil n’est verrouillé." not in console.text()
    assert pressed(console, "#publish-chosen", question["id"], "locked", "true") == \
        console.driver.switch_to.active_element
    wait_for(lambda: marks(api, question["id"]) == (False, True), message="locked")
    console.check()
    console.no_horizontal_scroll()
    console.screenshot("console-publishing-locked-at-once")
    mark_button(console, "#locked-rows", question["id"], "locked").click()
    console.wait_for(lambda: not console.find_all(
        f'#locked-rows [data-post="{question["id"]}"]'), "the thread out of the locked list")
    assert "Le fil est déverrouillé." in console.find("#publishing-done").text
    pressed(console, "#publish-chosen", question["id"], "locked", "false")
    assert console.driver.execute_script("return window.__sameDocument === true"), "reloaded"
    wait_for(lambda: marks(api, question["id"]) == (False, False), message="unlocked")
    console.check()
