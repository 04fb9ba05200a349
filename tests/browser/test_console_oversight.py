"""The console's navigation, flags and response-time board in the browser, at desktop and tablet
sizes: a staff member moves between screens by the tabs their roles open; a CM dismisses one
flagged contribution, takes that back, and hides another; the waiting clocks tick without a
reload, breached first, and the answer times read as a chart and as a table; a CM moves an
idea on with a public note and merges a duplicate after seeing what moves."""
from __future__ import annotations

import uuid
from urllib.parse import urlencode, urlsplit

from selenium.webdriver.support.ui import Select, WebDriverWait

from gateway.web.typography import glue_punctuation
from services.shared import i18n

from ..conftest import wait_for
from ..e2e.steps import authors_vote_counted, ok, staff, submit, visible
from .accounts import ADMIN, ADVISOR1
from .conftest import SIZES, WAIT_SECONDS, Site
from .console_steps import on_some_page, reloaded, sign_in_staff


def tabs(site: Site) -> list[str]:
    return [a.text.strip() for a in site.find_all(".console-nav a")]


def current_tab(site: Site) -> str:
    return site.find(".console-nav a[aria-current=page]").text.strip()


def test_one_navigation_takes_each_role_to_its_console_screens(console, platform):
    manager = staff(platform)
    console.sign_in(manager.email, manager.password, device=manager.device)
    console.click_link("Console")
    console.wait_for_path("/console/moderation")
    assert tabs(console) == ["File de modération", "Signalements", "Délais de réponse",
                             "Boîte à idées", "Publication", "Politique de modération",
                             "Journal d’audit", "Santé de la communauté", "Conversations",
                             "Membres"]
    for tab, path, heading in (("Signalements", "/console/flags", "Signalements"),
                               ("Délais de réponse", "/console/response-times",
                                "Délais de réponse"),
                               ("Boîte à idées", "/console/ideas", "Boîte à idées"),
                               ("Publication", "/console/publishing", "Publication"),
                               ("Politique de modération", "/console/policy",
                                "Politique de modération"),
                               ("Journal d’audit", "/console/audit", "Journal d’audit"),
                               ("Conversations", "/console/conversations",
                                "Conversations privées"),
                               ("File de modération", "/console/moderation",
                                "File de modération")):
        console.click_link(tab)
        console.wait_for_path(path)
        console.wait_for(lambda heading=heading: console.heading(heading, 1), heading)
        assert current_tab(console) == tab
        console.check()
        console.screenshot(f"console-nav-{path.rsplit('/', 1)[1]}")
        console.no_horizontal_scroll()

    console.driver.delete_all_cookies()
    sign_in_staff(console, ADVISOR1)
    console.click_link("Console")
    console.wait_for_path("/console/conversations")
    assert tabs(console) == ["Conversations", "Mes clients", "Absence"]
    console.check()

    console.driver.delete_all_cookies()
    sign_in_staff(console, ADMIN, next_path="/console/flags")
    console.wait_for_path("/console/flags")
    assert tabs(console) == ["File de modération", "Signalements", "Délais de réponse",
                             "Boîte à idées", "Publication", "Politique de modération",
                             "Journal d’audit", "Santé de la communauté", "Conversations",
                             "Membres", "Catégories"]
    console.click_link("Membres")
    console.wait_for_path("/console/members")
    assert current_tab(console) == "Membres"
    console.check()
    console.screenshot("console-nav-admin")


NARROW = {"width": 320, "height": 700, "deviceScaleFactor": 2, "mobile": True}
FORCED_COLOURS = [{"name": "forced-colors", "value": "active"}]


def test_every_console_screen_fits_320_px_and_shows_its_current_states_in_forced_colours(
        console, platform):
    """Usable on a phone (WCAG 1.4.10): no screen scrolls sideways at 320 px, in French or
    English (a hiding reason's select widened the flags screen by 77 / 104 px). In forced
    colours (Windows high contrast) the current tab and filter keep a visible mark: their
    background alone vanished."""
    flagged_post(platform, staff(platform), ("abusive",))  # a flags panel with its select
    sign_in_staff(console, ADMIN, next_path="/console/moderation")
    console.wait_for_path("/console/moderation")
    screens = [a.get_attribute("href") for a in console.find_all(".console-nav a")]
    driver = console.driver
    try:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", NARROW)
        for language in ("fr", "en"):
            console.visit(f"/lang/{language}?next=/console/moderation")
            for href in screens:
                console.visit(href.removeprefix(console.base_url), check=False)
                console.no_horizontal_scroll()
            console.visit("/console/flags", check=False)
            console.screenshot(f"console-flags-320-{language}")
        console.visit("/lang/fr?next=/console/moderation")
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", SIZES[console.device])
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": FORCED_COLOURS})
        console.visit("/console/moderation", check=False)
        underlined = "return getComputedStyle(arguments[0]).textDecorationLine"
        for current, other in ((".console-nav a[aria-current=page]",
                                ".console-nav a:not([aria-current])"),
                               (".console-filters a[aria-current=page]",
                                ".console-filters a:not([aria-current])")):
            assert driver.execute_script(underlined, console.find(current)) == "underline"
            assert driver.execute_script(underlined, console.find(other)) == "none"
        console.screenshot("console-forced-colours")
    finally:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", SIZES[console.device])
        console.visit("/lang/fr?next=/", check=False)


def flagged_post(platform, manager, reasons: tuple[str, ...],
                 words: dict[str, str] | None = None, author=None) -> tuple[dict, list]:
    """A member's published question (by `author`, else a fresh member), flagged by fresh
    members (one per reason; `words`: the flagger's own words, by reason)."""
    api = platform.api
    author = author or api.new_user()
    post = submit(api, author, title=f"Frais de tenue de compte {uuid.uuid4().hex[:6]}",
                  body="Pourquoi ces frais apparaissent-ils chaque mois sur mon relevé ?")
    post = visible(api, post["id"])
    flaggers = []
    for reason in reasons:
        flagger = api.new_user()
        said = {"details": (words or {})[reason]} if reason in (words or {}) else {}
        ok(api.post(f"/api/v1/posts/{post['id']}/flags", user=flagger,
                    json={"reason": reason, **said}), 201)
        flaggers.append(flagger)
    wait_for(lambda: any(item["id"] == f"{post['id']}.flags" and
                         item["flag_count"] == len(reasons) for item in ok(api.get(
                             "/api/v1/moderation/queue", user=manager,
                             params={"reason": "flags", "limit": 200}))["items"]),
             timeout=30, message="the flags in the queue")
    return post, flaggers


def flag_panel(site: Site, item_id: str):
    """The flagged contribution's panel, following "next items" as a CM would."""
    return on_some_page(site, f'.flag-target[data-item="{item_id}"]', ".more")


def test_a_cm_dismisses_one_flagged_contribution_and_hides_another(console, platform):
    api, manager = platform.api, staff(platform)
    kept_author = api.new_user()
    kept, kept_flaggers = flagged_post(platform, manager, ("spam", "off_topic"),
                                       author=kept_author)
    hidden_author = api.new_user()
    hidden, _ = flagged_post(platform, manager, ("abusive",), author=hidden_author)
    console.sign_in(manager.email, manager.password, device=manager.device,
                    next_path="/console/flags")
    console.wait_for(lambda: console.heading("Signalements", 1), "the flags screen")

    panel = flag_panel(console, f"{kept['id']}.flags")
    text = panel.text
    assert kept["title"] in text and "2 signalements" in text
    assert "Spam : 1" in text and "Hors sujet : 1" in text
    for flagger in kept_flaggers:  # who flagged, by name
        assert flagger.display_name in text
    assert "toujours visible" in text
    console.check()
    console.no_horizontal_scroll()
    console.screenshot("console-flags")

    panel.find_element("css selector", ".dismiss-form button").click()
    console.wait_for(lambda: "Signalements ignorés" in console.find("#console-done").text,
                     "dismissed")
    assert not console.find_all(f'.flag-target[data-item="{kept["id"]}.flags"]')
    # which contribution the undo below would take back: named, never by its text (a closed
    # flags round keeps no wait: its kind and its author name it)
    assert console.text_of("#done-item") == f"Contribution de {kept_author.display_name}."
    assert kept["title"] not in console.text_of("#console-done")
    assert not console.find_all("#done-told")  # a dismissal tells its author nothing
    console.check()
    visible(api, kept["id"])  # still online for everyone
    # a dismissal clicked too fast is taken back from the notice, as on the queue
    undo = console.find("#undo-now button")
    assert undo.text.strip() == "Annuler"
    console.screenshot("console-flags-dismissed")
    undo.click()
    console.wait_for(lambda: "Décision annulée" in console.text_of("#console-done"), "undone")
    assert not console.find_all("#undo-now")
    wait_for(lambda: api.get(f"/api/v1/posts/{kept['id']}").status_code == 404, timeout=30,
             message="the undone dismissal takes the question out of public view")
    assert flag_panel(console, f"{kept['id']}.flags")  # its flags wait for a decision again
    console.check()
    console.visit("/console/flags")

    panel = flag_panel(console, f"{hidden['id']}.flags")
    reason = panel.find_element("css selector", "select[name=reason_code]")
    assert reason.get_attribute("value") == "abusive"  # the flaggers' reason, preselected
    panel.find_element("css selector", ".hide-form button").click()
    console.wait_for(lambda: "Contribution masquée" in console.find("#console-done").text,
                     "hidden")
    assert not console.find_all(f'.flag-target[data-item="{hidden["id"]}.flags"]')
    # as the queue's refusal says it: what was decided, on whose contribution, and the reason
    # its author reads (in the words of their notice)
    assert console.text_of("#done-item") == f"Contribution de {hidden_author.display_name}."
    reason = i18n.text("fr", "reject_reason.abusive")
    assert console.text_of("#done-told") == glue_punctuation(
        f"Son auteur en est averti, avec ce motif : « {reason} »")
    assert hidden["title"] not in console.text_of("#console-done")
    console.screenshot("console-flags-hidden")
    try:  # the same confirmation in English, in the words of the author's English notice
        shown = urlsplit(console.driver.current_url)
        console.visit("/lang/en?" + urlencode({"next": f"{shown.path}?{shown.query}"}))
        assert console.text_of("#done-item") == \
            f"Contribution by {hidden_author.display_name}."
        assert console.text_of("#done-told") == \
            f"Its author is told, with this reason: “{i18n.text('en', 'reject_reason.abusive')}”"
        console.screenshot("console-flags-hidden-en")
    finally:
        console.visit("/lang/fr?next=/", check=False)
    console.check()
    wait_for(lambda: api.get(f"/api/v1/posts/{hidden['id']}").status_code == 404,
             timeout=30, message="the hidden question gone for visitors")

    # the audit log says what was decided on flags, not a plain approval or rejection
    for post, action, said in ((kept, "approve", "Signalements ignorés"),
                               (hidden, "reject", "Masquage après signalements")):
        row = console.wait_for(lambda post=post, action=action: reloaded(
            console, f"/console/audit?target={post['id']}",
            f'#audit-entries tr[data-action="{action}"]'), f"the {action} in the audit log")
        assert said in row.text, row.text
    console.check()


def test_the_response_time_board_ticks_without_reload_and_reads_as_chart_and_table(
        console, platform):
    api = platform.api
    manager, advisor = staff(platform), staff(platform, "advisor")
    answered = submit(api, api.new_user(), title=f"Carte bloquée {uuid.uuid4().hex[:6]}")
    visible(api, answered["id"])
    ok(api.post(f"/api/v1/posts/{answered['id']}/replies", user=advisor,
                json={"body": "Je l'ai débloquée, réessayez."}), 201)
    # a member without an advisor writes to the bank: a private clock starts now
    conversation = ok(api.post("/api/v1/conversations", user=api.new_user(), json={
        "subject": "Prélèvement inconnu", "message": "Un prélèvement que je ne connais pas."}),
        201)
    wait_for(lambda: ok(api.get("/api/v1/moderation/sla/statistics", user=manager))[
        "by_channel"]["site"]["windows"][0]["answered"] >= 1, timeout=30,
        message="a staff answer counted")
    console.sign_in(manager.email, manager.password, device=manager.device,
                    next_path="/console/response-times")
    console.wait_for(lambda: console.heading("Délais de réponse", 1), "the board")
    console.driver.execute_script("window.__sameDocument = true")

    board = console.find("#board-private")
    clock = console.wait_for(lambda: board.find_element(
        "css selector", f'[data-clock^="conv.{conversation["id"]}."]'), "the private clock")
    # the staff queue's conversation, which a CM may open: linked, by its subject
    assert clock.find_element("css selector", ".clock-what a").text == "Prélèvement inconnu"
    assert clock.find_element("css selector", ".clock-what a").get_attribute("href").endswith(
        f"/console/conversations/{conversation['id']}")
    console.wait_for(lambda: console.find("#clock-boards").get_attribute("data-ticking")
                     == "on", "the clocks ticking")
    shown = clock.find_element("css selector", ".clock-waited").text
    # seconds tick every second, minutes every minute: wait long enough for either
    WebDriverWait(console.driver, max(WAIT_SECONDS, 75), poll_frequency=0.2).until(
        lambda _: clock.find_element("css selector", ".clock-waited").text != shown,
        "the clock moved")
    assert console.driver.execute_script("return window.__sameDocument === true"), "reloaded"

    for channel in ("site", "social", "private"):  # breached first in every column
        levels = [item.get_attribute("class") for item in console.find_all(
            f"#board-{channel} .clock")]
        past = [("urgency-past" in level) for level in levels]
        assert past == sorted(past, reverse=True), (channel, levels)

    assert console.find(".bar-chart").get_attribute("role") == "img"
    assert len(console.find_all(".bar-chart rect.chart-bar")) == 12  # 3 channels × 2 × 2
    row = console.find('#answer-table tr[data-channel="site"][data-days="7"]')
    assert "7 derniers jours" in row.text
    assert row.find_element("css selector", ".p50").text not in ("", "—")
    assert row.find_element("css selector", ".p90").text not in ("", "—")
    console.check()
    console.no_horizontal_scroll()
    console.screenshot("console-response-times")

    console.visit("/console/response-times?channel=private")  # one channel, page by page
    assert [b.get_attribute("id") for b in console.find_all(".clock-board")] == ["board-private"]
    assert console.find_all(f'#board-private [data-clock^="conv.{conversation["id"]}."]')
    console.click_link("← Tous les canaux")
    console.wait_for(lambda: len(console.find_all(".clock-board")) == 3, "every channel")


def idea_row(site: Site, idea_id: str):
    return site.find(f'.idea-row[data-idea="{idea_id}"]')


def test_a_cm_moves_an_idea_on_and_merges_a_duplicate_after_seeing_what_moves(console,
                                                                            platform):
    api, manager = platform.api, staff(platform)
    keeper_author, duplicate_author, voter = (api.new_user() for _ in range(3))
    marker = uuid.uuid4().hex[:6]
    keeper = submit(api, keeper_author, kind="idea", title=f"Épargne arrondie {marker}")
    duplicate = submit(api, duplicate_author, kind="idea",
                       title=f"Arrondir mes paiements pour épargner {marker}")
    keeper, duplicate = (visible(api, idea["id"]) for idea in (keeper, duplicate))
    for idea, author in ((keeper, keeper_author), (duplicate, duplicate_author)):
        authors_vote_counted(api, idea["id"], author)
    ok(api.put(f"/api/v1/posts/{duplicate['id']}/vote", user=voter))
    preview = f"/api/v1/posts/{duplicate['id']}/merge-into/{keeper['id']}"
    wait_for(lambda: ok(api.get(preview, user=manager))["watchers"] == 1, timeout=30,
             message="the duplicate's author watching it")

    console.sign_in(manager.email, manager.password, device=manager.device,
                    next_path="/console/ideas?sort=new")
    console.wait_for(lambda: console.heading("Boîte à idées", 1), "the idea box")
    row = idea_row(console, keeper["id"])
    assert "1 vote" in row.text and "Proposée" in row.text
    console.check()
    console.no_horizontal_scroll()
    row.find_element("css selector", "details summary").click()
    status = Select(row.find_element("css selector", "select[name=status]"))
    # the workflow's next steps only: a proposed idea is studied, declined or merged first
    assert [option.text for option in status.options] == ["À l’étude", "Refusée"]
    status.select_by_visible_text("À l’étude")
    # a note of spaces alone is no note: refused in the console's words, nothing published
    row.find_element("css selector", "input[name=note]").send_keys("   ")
    row.find_element("css selector", "form[action$='/status'] button").click()
    console.wait_for(lambda: console.find_all("#form-alert"), "the blank note refused")
    alert = console.find("#form-alert").text
    assert "Note publique : Écrivez la note publique" in alert, alert
    assert "Length" not in alert and "['" not in alert
    assert ok(api.get(f"/api/v1/posts/{keeper['id']}")).get("status") in (None, "submitted")
    console.check()
    console.screenshot("console-ideas-blank-note")
    row = idea_row(console, keeper["id"])  # the form again, open, with what was chosen
    assert Select(row.find_element("css selector", "select[name=status]")
                  ).first_selected_option.text == "À l’étude"
    assert row.find_element("css selector", "input[name=note]").get_attribute(
        "aria-invalid") == "true"
    row.find_element("css selector", "input[name=note]").clear()
    row.find_element("css selector", "input[name=note]").send_keys("À l'étude pour mars.")
    row.find_element("css selector", "input[name=release]").send_keys(
        "https://banque.example/nouveautes/mars")
    console.check()
    console.screenshot("console-ideas-status")
    row.find_element("css selector", "form[action$='/status'] button").click()
    console.wait_for(lambda: "Statut publié" in console.find("#console-done").text, "saved")
    wait_for(lambda: ok(api.get(f"/api/v1/posts/{keeper['id']}"))["status"] == "under_review",
             timeout=20, message="the idea under review")
    assert "À l’étude" in idea_row(console, keeper["id"]).text

    row = idea_row(console, duplicate["id"])
    merge = row.find_elements("css selector", "details summary")[1]
    merge.click()
    into = row.find_element("css selector", "input[name=into]")
    into.send_keys("pas une idée")
    row.find_element("css selector", "form[action$='/merge'] button").click()
    console.wait_for(lambda: "Indiquez l’adresse" in console.find("#form-alert").text,
                     "an unknown target refused")
    console.check()
    row = idea_row(console, duplicate["id"])
    into = row.find_element("css selector", "input[name=into]")
    assert into.is_displayed()  # the form stays open with what was typed
    into.clear()
    into.send_keys(console.url(f"/posts/{keeper['id']}#top"))  # pasted from the address bar
    row.find_element("css selector", "form[action$='/merge'] button").click()
    console.wait_for(lambda: console.heading("Fusionner deux idées", 1), "the merge preview")
    summary = console.find("#merge-summary").text
    assert "2 votes passent sur l’idée qui continue" in summary
    assert "1 membre qui suit le doublon suivra l’idée qui continue" in summary
    assert duplicate["title"] in console.find("#merge-source").text
    assert keeper["title"] in console.find("#merge-target").text
    console.check()
    console.no_horizontal_scroll()
    console.screenshot("console-ideas-merge-preview")
    assert ok(api.get(f"/api/v1/posts/{duplicate['id']}")).get("merged_into") is None
    console.click_button("Confirmer la fusion")
    console.wait_for(lambda: "Idées fusionnées" in console.find("#console-done").text,
                     "merged")
    console.check()
    merged = ok(api.get(f"/api/v1/posts/{duplicate['id']}"))
    assert merged["merged_into"] == keeper["id"] and merged["status"] == "already_exists"


def test_the_flags_screen_shows_each_flaggers_own_words(console, platform):
    """A flag's words (asked for "Autre motif") under their flagger, as written: line breaks
    kept, markup shown as text, never read as HTML."""
    manager = staff(platform)
    words = "Il copie mes messages.\nVoir aussi <b>ses</b> autres réponses."
    post, flaggers = flagged_post(platform, manager, ("other", "spam"), {"other": words})
    console.sign_in(manager.email, manager.password, device=manager.device,
                    next_path="/console/flags")
    console.wait_for(lambda: console.heading("Signalements", 1), "the flags screen")
    panel = flag_panel(console, f"{post['id']}.flags")
    [said] = panel.find_elements("css selector", ".flag-words")
    assert said.text == words.replace("\n", "\n")  # as written, the tags as text
    assert not said.find_elements("css selector", "b")
    first = said.find_element("xpath", "ancestor::li")
    assert flaggers[0].display_name in first.text  # under the one who wrote them
    console.check()
    console.no_horizontal_scroll()
    console.screenshot("console-flag-words")
