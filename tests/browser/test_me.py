"""A member's own space in the browser: follow a member and see their new question in my feed,
manage what I follow, edit my profile (field errors, language remembered across sessions),
change my password, download my data, delete my account."""
from __future__ import annotations

import json

from selenium.webdriver.support.ui import Select

from services.devtools.demo_seed import DEMO_DOMAIN


def _no_reload_marker(site) -> None:
    """A flag that only survives while the page is not reloaded."""
    site.driver.execute_script("window.__agoraSamePage = true")


def _still_same_page(site) -> bool:
    return site.driver.execute_script("return window.__agoraSamePage === true")


def test_follow_a_member_see_the_feed_and_manage_what_i_follow(site, api):
    me = api.new_user()
    author = api.new_user(display_name="Author " + me.id[-4:])
    site.sign_in(me.email, me.password, next_path="/me/feed")
    site.wait_for_path("/me/feed")
    assert site.heading("Mon fil", 1)
    assert "Votre fil est vide" in site.text()
    site.check()
    site.screenshot("me-feed-empty")

    site.visit(f"/members/{author.id}")
    _no_reload_marker(site)
    site.click_button("Suivre ce membre")  # a member's page: not "the author"
    site.wait_for(lambda: site.find_all("#toggle-follow button")
                  and site.find_all("#toggle-follow button")[0].get_attribute("aria-pressed")
                  == "true", "the button pressed")
    assert _still_same_page(site), "following reloaded the page"
    site.check()
    site.screenshot("member-followed")

    created = api.post("/api/v1/posts", user=author, json={
        "kind": "question", "title": "Comment activer le paiement sans contact ?",
        "body": "Ma carte ne passe pas en sans contact chez les commerçants.",
        "category": "cards"})
    assert created.status_code in (201, 202), created.text

    def feed_shows_it():
        site.visit("/me/feed", check=False)
        return "Comment activer le paiement sans contact" in site.text()
    site.wait_for(feed_shows_it, "the followed member's question in my feed")
    assert "vous suivez l’auteur·e" in site.text()
    site.check()
    site.screenshot("me-feed")

    site.visit("/me/following")
    assert author.display_name in site.text()
    site.screenshot("me-following")
    _no_reload_marker(site)
    site.click_button("Ne plus suivre")
    site.wait_for(lambda: author.display_name not in site.find("#main").text, "row removed")
    assert _still_same_page(site)
    site.check()
    site.visit("/me/following")
    assert "Vous ne suivez personne" in site.text()
    site.check()
    site.no_horizontal_scroll()

    site.visit("/featured")
    assert site.heading("La sélection", 1)


def test_profile_errors_then_english_remembered_after_signing_in_again(site, api):
    me = api.new_user()
    site.sign_in(me.email, me.password, next_path="/me/profile")
    site.wait_for_path("/me/profile")
    site.check()
    site.fill("Nom affiché", "A")
    site.click_button("Enregistrer")

    def field_error_shown():  # found afresh: the answer may be a new page (a kept one is stale)
        alerts = site.find_all("#form-alert")
        return (alerts and alerts[0].is_displayed() and "Nom affiché" not in alerts[0].text
                and site.find_all("#field-display_name-error"))
    site.wait_for(field_error_shown, "the field error")
    assert site.find("#field-display_name").get_attribute("aria-invalid") == "true"
    site.check()
    site.screenshot("me-profile-error")

    site.fill("Nom affiché", "Ada Lovelace")
    site.fill("Présentation", "J'aime les machines analytiques.")

    Select(site.field("Langue")).select_by_value("en")
    site.click_button("Enregistrer")
    site.wait_for(lambda: "Your profile is saved." in site.text(), "saved, in English")
    assert site.driver.execute_script("return document.documentElement.lang") == "en"
    assert site.find("#field-display_name").get_attribute("value") == "Ada Lovelace"
    site.check()
    site.screenshot("me-profile-en")
    site.no_horizontal_scroll()

    site.find(".account-menu summary").click()
    site.click_button("Sign out")
    site.wait_for(lambda: site.find_all(".lang-switch a"), "signed out")
    site.driver.delete_all_cookies()  # another browser: nothing remembered locally
    site.visit("/")
    assert site.driver.execute_script("return document.documentElement.lang") == "fr"
    site.sign_in(me.email, me.password, next_path="/me/profile")
    site.wait_for_path("/me/profile")
    site.wait_for(lambda: site.driver.execute_script(
        "return document.documentElement.lang") == "en", "English again after signing in")
    assert site.heading("My profile", 1)

    # The header's switch, signed in, changes the profile too.
    site.find(".lang-switch button[lang='fr']").click()
    site.wait_for(lambda: site.heading("Mon profil", 1), "French page")
    profile = api.get("/api/v1/me", user=api.login(me)).json()
    assert profile.get("language") == "fr"
    site.check()


def test_password_change_with_a_wrong_then_the_right_current_password(site, api):
    me = api.new_user()
    site.sign_in(me.email, me.password, next_path="/me/profile")
    site.wait_for_path("/me/profile")
    site.fill("Mot de passe actuel", "not my password at all")
    site.fill("Nouveau mot de passe", "a brand new long passphrase 42")
    site.click_button("Changer le mot de passe")
    site.wait_for(lambda: "Le mot de passe actuel n’est pas correct." in site.text(),
                  "wrong current password")
    site.check()
    site.fill("Mot de passe actuel", me.password)
    site.fill("Nouveau mot de passe", "a brand new long passphrase 42")
    site.click_button("Changer le mot de passe")
    site.wait_for_path("/login")
    assert "toutes vos sessions sont fermées" in site.text()
    site.check()
    site.sign_in(me.email, "a brand new long passphrase 42", next_path="/me/profile")
    site.wait_for_path("/me/profile")
    assert site.heading("Mon profil", 1)


def test_download_my_data_then_delete_my_account(site, api):
    me = api.new_user()
    site.sign_in(me.email, me.password, next_path="/me/data")
    site.wait_for_path("/me/data")
    site.check()
    site.screenshot("me-data")
    link = site.find("a[href='/me/data/export']")
    assert link.get_attribute("download")
    exported = site.driver.execute_async_script("""
        const done = arguments[0];
        fetch("/me/data/export").then(async (r) => done({
            status: r.status, disposition: r.headers.get("Content-Disposition"),
            cache: r.headers.get("Cache-Control"), body: await r.text()}));
    """)
    assert exported["status"] == 200
    assert exported["disposition"].startswith("attachment")
    assert exported["cache"] == "no-store"
    archive = json.loads(exported["body"])
    assert archive["identity"]["profile"]["email"] == me.email
    assert {"posts", "feeds", "notifications", "conversations"} <= set(archive)

    site.fill("Confirmez avec votre mot de passe", "not my password")
    site.click_button("Supprimer définitivement mon compte")
    site.wait_for(lambda: "le compte n’a pas été supprimé" in site.text(), "wrong password")
    site.check()
    site.fill("Confirmez avec votre mot de passe", me.password)
    site.click_button("Supprimer définitivement mon compte")
    site.wait_for_path("/account-deleted")
    assert site.heading("Votre compte est supprimé", 1)
    assert "Ancien membre" in site.text()
    assert not site.find_all(".account-menu")
    site.check()
    site.screenshot("me-deleted")
    site.visit("/me/data", check=False)
    site.wait_for_path("/login")
    assert api.post("/api/v1/auth/login",
                    json={"email": me.email, "password": me.password}).status_code == 401


def test_my_pages_need_a_session(site):
    for path in ("/me/feed", "/me/following", "/me/profile", "/me/data"):
        site.visit(path, check=False)
        site.wait_for_path("/login?next=")
    site.sign_in(f"member1@{DEMO_DOMAIN}", next_path="/me/following")
    site.wait_for_path("/me/following")
    site.check()


def test_password_forms_name_their_account_for_password_managers(site, api):
    """Chrome: "[DOM] Password forms should have (optionally hidden) username fields"."""
    me = api.new_user()
    site.sign_in(me.email, me.password, next_path="/me/profile")
    for path in ("/me/profile", "/me/data"):
        site.visit(path)
        forms = [form for form in site.find_all("form")
                 if form.find_elements("css selector", "input[type=password]")]
        assert forms, path
        for form in forms:
            usernames = form.find_elements("css selector", "input[autocomplete=username]")
            assert len(usernames) == 1 and not usernames[0].get_attribute("name"), path
    site.visit("/me/profile")
    assert site.find("form[action='/me/password'] input[autocomplete=username]") \
        .get_attribute("value") == me.email


def test_notification_preferences_read_well_on_a_phone_and_a_desktop(site, api):
    me = api.new_user()
    site.sign_in(me.email, me.password, next_path="/notifications/preferences")
    site.wait_for_path("/notifications/preferences")
    site.check()
    site.no_horizontal_scroll()
    if site.device == "phone":  # each channel's name on one line, not a letter per line
        for label in site.find_all(".pref-short"):
            assert label.is_displayed()
            assert site.driver.execute_script(
                "const style = getComputedStyle(arguments[0]);"
                "return arguments[0].getBoundingClientRect().height"
                " < 2 * parseFloat(style.lineHeight)", label), label.text
    # the selects are the site's form controls (its font and size), wide enough for any choice
    body_font = site.driver.execute_script("return getComputedStyle(document.body).fontSize")
    for select in site.find_all(".preferences-table select"):
        assert select.value_of_css_property("font-size") == body_font
        assert site.driver.execute_script(
            "const box = arguments[0].closest('form').getBoundingClientRect();"
            "return arguments[0].getBoundingClientRect().right <= box.right", select), \
            "a select sticks out of the form's card"
        room = site.room_beside_longest_option(select)
        assert room >= 28, f"the longest choice leaves {room}px for the arrow"
    site.screenshot("notification-preferences")
