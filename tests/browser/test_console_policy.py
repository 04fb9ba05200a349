"""The console's moderation policy and audit log in the browser, at desktop and tablet sizes: a
community manager reads what each switch means, is asked to confirm before everything waits for
review (and can cancel), sees a refused value next to its field and who changed the policy last;
the audit log lists every staff action — moderation's, posts' and identity's — filtered by staff
member, action and target."""
from __future__ import annotations

import uuid

from selenium.webdriver.support.ui import Select

from ..conftest import wait_for
from ..e2e.steps import ok, staff, submit, visible
from .conftest import Site

POLICY = "/api/v1/moderation/policy"


def policy(api, manager) -> dict:
    return ok(api.get(POLICY, user=manager))


def number(site: Site, label: str, value: str) -> None:
    field = site.field(label)
    field.clear()
    field.send_keys(value)


def test_a_cm_turns_premoderation_on_after_confirming_and_off_again(console, platform):
    api = platform.api
    manager = staff(platform)
    before = policy(api, manager)
    try:
        console.sign_in(manager.email, manager.password, device=manager.device,
                        next_path="/console/moderation")
        console.wait_for_path("/console/moderation")
        console.click_link("Politique de modération")
        console.wait_for_path("/console/policy")
        console.wait_for(lambda: console.heading("Politique de modération", 1), "the policy")
        assert "attend l’accord d’un animateur avant d’être publiée" in console.text()
        assert not console.field("Pré-modérer toutes les contributions").is_selected()
        console.check()
        console.no_horizontal_scroll()
        console.screenshot("console-policy")

        # turning everything on asks first; cancelling changes nothing
        console.field("Pré-modérer toutes les contributions").click()
        console.click_button("Enregistrer la politique")
        console.wait_for(lambda: console.heading("Pré-modérer toutes les contributions ?", 1),
                         "the confirmation")
        console.check()
        console.screenshot("console-policy-confirm")
        console.click_link("Annuler")
        console.wait_for(lambda: console.heading("Politique de modération", 1), "back")
        assert policy(api, manager)["premoderation"] is False

        console.field("Pré-modérer toutes les contributions").click()
        console.click_button("Enregistrer la politique")
        console.wait_for(lambda: console.heading("Pré-modérer toutes les contributions ?", 1),
                         "the confirmation")
        console.click_button("Oui, tout pré-modérer")
        console.wait_for(lambda: console.find_all("#console-done"), "saved")
        assert policy(api, manager)["premoderation"] is True
        assert "chaque nouvelle contribution attend" in console.find("#policy-state").text
        console.wait_for(lambda: manager.display_name in console.find("#policy-last").text
                         or console.driver.refresh(), "the last change shown with its author")

        # a refused value is shown next to its field; nothing is saved
        console.field("Pré-modérer toutes les contributions").click()
        number(console, "Délai de traitement des signalements (heures)", "0")
        console.click_button("Enregistrer la politique")
        console.wait_for(lambda: console.find_all("#policy-flags_target_hours-error"),
                         "the field error")
        hours = console.field("Délai de traitement des signalements (heures)")
        assert hours.get_attribute("aria-invalid") == "true"
        # the bounds are moderation's own, in the form and in the message, and the alert
        # starts with a sentence (it said "données invalides")
        assert (hours.get_attribute("min"), hours.get_attribute("max")) == ("1", "720")
        assert console.field("Signalements de confiance qui masquent une contribution"
                             ).get_attribute("min") == "1"
        assert console.find("#policy-flags_target_hours-error").text == \
            "Saisissez un nombre entier de 1 à 720."
        alert = console.find("#form-alert").text
        assert alert.startswith("Le formulaire n’a pas été enregistré") and \
            "données invalides" not in alert, alert
        assert policy(api, manager)["premoderation"] is True
        console.check()
        console.screenshot("console-policy-error")
        number(console, "Délai de traitement des signalements (heures)",
               str(before.get("flags_target_hours") or 24))
        if console.field("Pré-modérer toutes les contributions").is_selected():
            console.field("Pré-modérer toutes les contributions").click()
        console.click_button("Enregistrer la politique")  # off again: no confirmation
        console.wait_for(lambda: console.find_all("#console-done"), "saved")
        assert policy(api, manager)["premoderation"] is False
        console.check()
    finally:
        ok(api.put(POLICY, user=manager, json=before))


def rows(site: Site) -> list:
    return site.find_all("#audit-entries tbody tr")


def test_the_audit_log_lists_every_staff_action_filtered_by_member_action_and_target(
        console, platform):
    api = platform.api
    manager = staff(platform)  # the admin granting the role is in the trail too
    post = visible(api, submit(api, api.new_user(),
                               title=f"Épargne logement {uuid.uuid4().hex[:6]}")["id"])
    ok(api.put(f"/api/v1/posts/{post['id']}/featured", user=manager))
    ok(api.put(f"/api/v1/posts/{post['id']}/locked", user=manager))
    audit = "/api/v1/moderation/audit"
    wait_for(lambda: len(ok(api.get(audit, user=manager, params={
        "target_id": post["id"]}))["items"]) == 2, timeout=30, message="both actions audited")
    wait_for(lambda: ok(api.get(audit, user=manager, params={"target_id": manager.id}))["items"],
             timeout=30, message="the role granted audited")

    console.sign_in(manager.email, manager.password, device=manager.device,
                    next_path="/console/moderation")
    console.wait_for_path("/console/moderation")
    console.click_link("Journal d’audit")
    console.wait_for_path("/console/audit")
    console.wait_for(lambda: console.heading("Journal d’audit", 1), "the audit log")
    console.check()
    console.no_horizontal_scroll()
    console.screenshot("console-audit")

    # by target: the thread's address
    console.fill("Cible", console.url(f"/posts/{post['id']}"))
    console.click_button("Filtrer")
    found = console.wait_for(lambda: "target=" in console.driver.current_url and rows(console),
                             "filtered by target")
    assert [row.get_attribute("data-action") for row in found] == ["lock", "feature"]
    assert all(row.get_attribute("data-target") == post["id"] for row in found)
    assert "Verrouillage" in found[0].text and manager.display_name in found[0].text
    assert post["title"] in found[0].text  # the contribution by its title
    console.check()

    # by staff member: their name in a row
    found[0].find_element("css selector", ".audit-actor").click()
    console.wait_for(lambda: console.find_all("#audit-chosen-actor"), "one staff member")
    assert manager.display_name in console.find("#audit-chosen-actor").text
    console.click_link("Tout afficher")
    console.wait_for(lambda: not console.find_all("#audit-chosen-actor"), "everyone again")

    # by action: an identity action (the role the admin granted), found by its target
    Select(console.field("Action")).select_by_visible_text("Rôle attribué")
    console.fill("Cible", manager.id)
    console.click_button("Filtrer")
    found = console.wait_for(lambda: "action=grant_role" in console.driver.current_url
                             and rows(console), "filtered by action and target")
    assert found and all(row.get_attribute("data-action") == "grant_role" for row in found)
    assert "Community manager" in found[0].text
    console.check()
    console.screenshot("console-audit-filtered")

    Select(console.field("Action")).select_by_visible_text("Mise en avant")
    console.click_button("Filtrer")
    console.wait_for(lambda: "action=feature" in console.driver.current_url
                     and "Aucune action ne correspond" in console.text(), "nothing found")
    assert not rows(console)
    console.check()
