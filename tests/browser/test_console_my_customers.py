"""« Mes clients », an advisor's portfolio in the console (`/console/customers`), in the
browser: reached from the console's navigation, it lists the advisor's customers and not
another advisor's, each with their branch, whether one of their conversations waits for an
answer and since when, and the ways to their conversations and their journey (whose page leads
back to their conversations); « Filtrer par nom » filters on the server (`?q=`, no script),
whatever the case and accents (FR phone, then EN desktop)."""
from __future__ import annotations

from urllib.parse import quote

from ..conftest import wait_for
from ..e2e.steps import ok
from .conftest import DEVICES, Site

PAGE = "/console/customers"
INBOX = "/console/conversations"


def assign(platform, mongo_client, member, advisor, branch: str) -> None:
    ok(platform.api.put(f"/api/v1/users/{member.id}/advisor", user=platform.admin,
                        json={"advisor_id": advisor.id, "branch": branch}))
    members = mongo_client[f"{platform.db_prefix}_conversations"]["members"]
    wait_for(lambda: (members.find_one({"_id": member.id}) or {}).get("advisor_id")
             == advisor.id, timeout=30, message="conversations knows the advisor")


def listed(site: Site) -> list[str]:
    return site.driver.execute_script(
        "return [...document.querySelectorAll('#my-customers-list [data-customer]')]"
        ".map((row) => row.dataset.customer)")


def links(site: Site, customer_id: str) -> list[list[str]]:
    return site.driver.execute_script(
        "return [...document.querySelectorAll(`[data-customer='${arguments[0]}'] "
        ".staff-inbox-customer-links a`)].map((a) => [a.textContent.trim(), "
        "a.getAttribute('href')])", customer_id)


def test_an_advisor_finds_a_customer_by_name_and_goes_to_their_conversations(
        browsers, demo, platform, advisor_and_customer, mongo_client):
    advisor, marc = advisor_and_customer  # Marc Client, Lyon Bellecour
    api = platform.api
    helene = api.new_user(display_name="Hélène Dubois", customer=True)
    assign(platform, mongo_client, helene, advisor, "Paris Opéra")
    # another advisor's customer: not on this advisor's page
    colleague = api.new_staff(platform.admin, "advisor")
    elsewhere = api.new_user(display_name="Paul Ailleurs", customer=True)
    assign(platform, mongo_client, elsewhere, colleague, "Lille Centre")
    waiting = ok(api.post("/api/v1/conversations", user=helene, json={
        "subject": "Carte bloquée", "message": "Bonjour, ma carte est bloquée."}), 201)["id"]
    # the API says since when she waits (what the page shows)
    wait_for(lambda: any(c.get("waiting_since") for item in ok(api.get(
        "/api/v1/me/customers?limit=100", user=advisor))["items"]
        if item["customer"]["id"] == helene.id for c in item["open_conversations"]),
        timeout=30, message="her conversation waits, since when")

    driver = browsers("phone")
    driver.get(demo.base_url + "/robots.txt")  # on the site's origin, to clear its cookies
    driver.delete_all_cookies()
    phone = Site(driver=driver, device="phone", base_url=demo.base_url)
    phone.sign_in(advisor.email, advisor.password, device=advisor.device, next_path=INBOX)
    phone.wait_for_path(INBOX)
    phone.find(f".console-nav a[href='{PAGE}']").click()  # the console's navigation leads there
    phone.wait_for_path(PAGE)
    assert phone.heading("Mes clients", 1)
    assert phone.find(".console-nav a[aria-current=page]").text.strip() == "Mes clients"
    assert sorted(listed(phone)) == sorted([marc.id, helene.id])  # not Paul (a colleague's)
    hers = f"[data-customer='{helene.id}']"
    assert phone.text_of(f"{hers} .my-customer-name") == "Hélène Dubois"
    assert phone.text_of(f"{hers} .my-customer-branch") == "Agence : Paris Opéra"
    wait = " ".join(phone.text_of(f"{hers} .my-customer-waiting").split())
    assert wait.startswith("Réponse attendue attend depuis "), wait
    assert phone.find(f"{hers} .badge-waiting").get_attribute("href").endswith(
        f"/console/conversations/{waiting}")
    assert phone.text_of(f"[data-customer='{marc.id}'] .my-customer-waiting") == \
        "Aucune réponse attendue"
    assert links(phone, helene.id) == [["Conversations", f"{INBOX}?customer={helene.id}"],
                                       ["Parcours", f"/console/customers/{helene.id}"],
                                       ["Écrire à Hélène Dubois",
                                        f"/console/customers/{helene.id}/write"]]
    phone.check()
    phone.no_horizontal_scroll()
    phone.screenshot("console-my-customers-fr")

    # the filter, on the server: case and accents aside
    phone.fill("Filtrer par nom", "HELENE")
    phone.click_button("Filtrer")
    phone.wait_for_path("q=HELENE")
    phone.wait_for(lambda: listed(phone) == [helene.id], "only Hélène")
    assert phone.find("#field-q").get_attribute("value") == "HELENE"
    phone.check()
    phone.visit(f"{PAGE}?q=ailleurs")  # a colleague's customer is not found either
    assert phone.text_of("#my-customers-list") == \
        "Aucun de vos clients ne porte un nom contenant «\u202failleurs\u202f»."
    phone.screenshot("console-my-customers-none-fr")
    phone.find("#my-customers-all").click()
    phone.wait_for(lambda: sorted(listed(phone)) == sorted([marc.id, helene.id]), "all again")

    # « Conversations »: hers only; « Parcours »: her journey, which leads to her conversations
    phone.find(f"{hers} .my-customer-conversations").click()
    phone.wait_for_path(f"?customer={helene.id}")
    phone.wait_for(lambda: phone.heading("Conversations avec Hélène Dubois", 1), "her inbox")
    phone.visit(PAGE, check=False)
    phone.find(f"{hers} .my-customer-journey").click()
    phone.wait_for_path(f"/console/customers/{helene.id}")
    assert phone.heading("Parcours de Hélène Dubois", 1)
    to_hers = phone.find("#customer-conversations")
    assert to_hers.get_attribute("href").endswith(f"{INBOX}?customer={helene.id}")
    assert to_hers.text == "Conversations avec Hélène Dubois"
    phone.check()
    phone.screenshot("console-my-customers-journey-fr")
    to_hers.click()
    phone.wait_for_path(f"?customer={helene.id}")

    # the same browser at desktop size (one sign-in), in English
    english = Site(driver=driver, device="desktop", base_url=demo.base_url)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", DEVICES["desktop"])
    try:
        english.visit("/lang/en?next=" + quote(PAGE), check=False)
        english.wait_for(lambda: english.heading("My customers", 1), "the heading in English")
        assert english.field("Filter by name")
        assert english.text_of(f"[data-customer='{marc.id}'] .my-customer-branch") == \
            "Branch: Lyon Bellecour"
        assert " ".join(english.text_of(f"{hers} .my-customer-waiting").split()).startswith(
            "Awaiting your reply waiting ")
        assert [text for text, _ in links(english, helene.id)] == [
            "Conversations", "Journey", "Write to Hélène Dubois"]
        english.check()
        english.screenshot("console-my-customers-en")
        english.visit(f"{PAGE}?q=nobody", check=False)
        assert english.text_of("#my-customers-list") == \
            "None of your customers has a name containing “nobody”."
    finally:
        english.visit(f"/lang/fr?next={PAGE}", check=False)
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", DEVICES["phone"])
