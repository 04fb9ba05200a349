"""The audit log in the browser with a question refused before it was ever published (FR phone,
EN desktop): its row names it by the title submitted, masked the detector's way and said as
never published — it read as a bare id, posts having no title for it."""
from __future__ import annotations

import uuid

from ..conftest import wait_for
from ..e2e.steps import IBAN, IBAN_DIGITS, ok, queued, staff, submit
from .conftest import DEVICES, Site


def audit_at(browsers, demo, device: str, manager, target_id: str, language: str) -> Site:
    """`manager` signed in at `device` size, in `language`, on the audit log of `target_id`."""
    site = Site(driver=browsers(device), device=device, base_url=demo.base_url)
    site.driver.get(demo.base_url + "/robots.txt")
    site.driver.delete_all_cookies()
    site.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", DEVICES[device])
    path = f"/console/audit?target={target_id}"
    site.sign_in(manager.email, manager.password, device=manager.device, next_path=path)
    if language != "fr":
        site.visit(f"/lang/{language}?next={path}", check=False)
    site.wait_for(lambda: site.find_all(f"#audit-entries tr[data-target='{target_id}']"),
                  "the refusal's row")
    return site


def test_a_refused_question_reads_by_its_masked_title_never_published(browsers, demo,
                                                                       platform):
    api = platform.api
    manager, author = staff(platform), api.new_user()
    mark = uuid.uuid4().hex[:6]
    post = submit(api, author, title=f"Virement {mark} vers {IBAN}",
                  body="Pourquoi mon virement est-il bloqué ?")
    item = queued(api, manager, post["id"])
    ok(api.post(f"/api/v1/moderation/items/{item['id']}/decision", user=manager,
                json={"decision": "reject", "reason_code": "confidential_data"}))
    wait_for(lambda: ok(api.get("/api/v1/moderation/audit", user=manager, params={
        "target_id": post["id"]}))["items"], timeout=30, message="the refusal audited")

    phone = audit_at(browsers, demo, "phone", manager, post["id"], "fr")
    row = phone.text_of(f"#audit-entries tr[data-target='{post['id']}']")
    assert f"«\u202fVirement {mark} vers FR76" in row and "(jamais publiée)" in row, row
    assert IBAN_DIGITS not in row and "Refus" in row
    assert "journal des accès aux données personnelles" in phone.text_of(".lead")
    phone.check()
    phone.screenshot("console-audit-refused-fr")

    desktop = audit_at(browsers, demo, "desktop", manager, post["id"], "en")
    try:
        row = desktop.text_of(f"#audit-entries tr[data-target='{post['id']}']")
        assert f"“Virement {mark} vers FR76" in row and "(never published)" in row, row
        assert IBAN_DIGITS not in row and "Rejection" in row
        desktop.check()
        desktop.no_horizontal_scroll()
        desktop.screenshot("console-audit-refused-en")
    finally:
        desktop.visit("/lang/fr?next=/console/audit", check=False)
