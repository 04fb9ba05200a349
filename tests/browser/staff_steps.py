"""Steps the console's conversation-page tests share: a customer with an advisor writes first,
the advisor signs in straight onto that conversation; where an element sits on the screen."""
from __future__ import annotations

from ..e2e.steps import customer_with_advisor, ok


def advisor_on_new_conversation(platform, conversations_db, site, subject: str, message: str):
    """(member, advisor, conversation id, page path), the advisor's page open on `site`."""
    api = platform.api
    member, advisor = customer_with_advisor(platform, api, conversations_db)
    cid = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": subject, "message": message}), 201)["id"]
    page = f"/console/conversations/{cid}"
    site.sign_in(advisor.email, advisor.password, device=advisor.device, next_path=page)
    site.wait_for_path(page)
    return member, advisor, cid, page


def top(site, css: str) -> float:
    return site.driver.execute_script(
        "return document.querySelector(arguments[0]).getBoundingClientRect().top", css)
