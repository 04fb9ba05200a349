"""Steps the console's conversation-page tests share: a customer with an advisor writes first,
the advisor signs in straight onto that conversation (a colleague advisor beside them, or not);
where an element sits on the screen."""
from __future__ import annotations

from ..e2e.steps import customer_with_advisor, ok


def advisor_on_new_conversation(platform, conversations_db, site, subject: str, message: str):
    """(member, advisor, conversation id, page path), the advisor's page open on `site`."""
    member, advisor, cid = _new_conversation(platform, conversations_db, subject, message)
    return member, advisor, cid, _advisor_opens(site, advisor, cid)


def advisor_and_colleague_on_new_conversation(platform, conversations_db, site, subject: str,
                                              message: str, *, colleague_in: bool):
    """(advisor, colleague, conversation id, page path), the advisor's page open on `site`; the
    colleague, another advisor, is brought in before the page opens when `colleague_in` (else
    the test brings them in itself, to watch it happen)."""
    _, advisor, cid = _new_conversation(platform, conversations_db, subject, message)
    colleague = platform.api.new_staff(platform.admin, "advisor")
    if colleague_in:
        ok(platform.api.post(f"/api/v1/conversations/{cid}/participants", user=advisor,
                             json={"user_id": colleague.id}), 201)
    return advisor, colleague, cid, _advisor_opens(site, advisor, cid)


def _new_conversation(platform, conversations_db, subject: str, message: str):
    """(member, advisor, conversation id): a customer with an advisor writes first."""
    api = platform.api
    member, advisor = customer_with_advisor(platform, api, conversations_db)
    cid = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": subject, "message": message}), 201)["id"]
    return member, advisor, cid


def _advisor_opens(site, advisor, cid: str) -> str:
    """The advisor signs in straight onto conversation `cid`'s page: its path."""
    page = f"/console/conversations/{cid}"
    site.sign_in(advisor.email, advisor.password, device=advisor.device, next_path=page)
    site.wait_for_path(page)
    return page


def top(site, css: str) -> float:
    return site.driver.execute_script(
        "return document.querySelector(arguments[0]).getBoundingClientRect().top", css)
