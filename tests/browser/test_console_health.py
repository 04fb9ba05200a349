"""Community health in the browser (issue 13, item 9), at desktop and tablet sizes: a community
manager opens the screen from the console's tabs, reads the period's figures, each chart beside
the table that repeats it, and changes the period (the last 7 days, then from one day to
another). The figures themselves are checked against known data by
tests/e2e/test_community_health.py; this platform is shared with the other browser tests."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

from ..e2e.steps import staff, submit, visible

CHARTS = ("health-kinds", "health-ideas", "health-times")
LONG_NAME = "Marie-Christine Lefebvre"
TOP_POSTS = 6  # more than any demo member's contributions: among the top five
# how far each label of a chart starts left of the chart's own edge (px; > 0: cut off)
LABELS_CUT = """
return [...arguments[0].querySelectorAll("text.chart-label")]
  .map(label => [label.textContent, label.getBBox().x]).filter(([, x]) => x < 0);
"""


def bars(console, section: str) -> int:
    return len(console.find_all(f"#{section} svg rect.chart-bar"))


def rows(console, section: str) -> int:
    return len(console.find_all(f"#{section} table tbody tr"))


def test_a_community_manager_reads_the_health_of_a_period_as_charts_and_tables(console,
                                                                                platform):
    api = platform.api
    manager = staff(platform)
    author = api.new_user(display_name=LONG_NAME)  # among the five most active
    for n in range(TOP_POSTS):
        question = submit(api, author, title=f"Frais à l'étranger {n} {uuid.uuid4().hex[:6]}")
    visible(api, question["id"])
    console.sign_in(manager.email, manager.password, device=manager.device,
                    next_path="/console/moderation")
    console.wait_for_path("/console/moderation")
    console.click_link("Santé de la communauté")
    console.wait_for_path("/console/health")
    console.wait_for(lambda: console.heading("Santé de la communauté", 1), "the health screen")
    assert console.find(".console-nav a[aria-current=page]").text.strip() == \
        "Santé de la communauté"
    assert console.find(".console-filters a[aria-current=page]").text.strip() == \
        "30 derniers jours"
    for section in CHARTS:  # every bar of a chart is a row of its table
        assert bars(console, section) == rows(console, section) * (
            2 if section == "health-times" else 1) > 0, section
    questions = console.find("#kinds-table tbody tr:first-child td").text
    assert int(questions.replace("\u202f", "").replace(" ", "")) >= 1
    assert bars(console, "health-top") == rows(console, "health-top") >= 1
    labels = [label.text for label in console.find_all("#health-top svg text.chart-label")]
    assert LONG_NAME in labels, labels  # whole, not cut short
    for section in ("health-top", *CHARTS):  # no label runs off the chart's left edge
        assert console.driver.execute_script(LABELS_CUT, console.find(f"#{section} svg")) == []
    assert console.find("#figure-members").text.strip()
    console.check()
    console.no_horizontal_scroll()
    console.screenshot("console-health")

    console.click_link("7 derniers jours")
    console.wait_for(lambda: "days=7" in console.driver.current_url, "the last 7 days")
    assert console.find(".console-filters a[aria-current=page]").text.strip() == \
        "7 derniers jours"
    console.check()

    first, last = date.today() - timedelta(days=2), date.today()
    console.visit(f"/console/health?from={first.isoformat()}&to={last.isoformat()}")
    assert console.find("#field-from").get_attribute("value") == first.isoformat()
    assert not console.find_all(".console-filters a[aria-current=page]")
    assert str(last.day) in console.find("#health-period").text
    console.check()
    console.screenshot("console-health-dates")
