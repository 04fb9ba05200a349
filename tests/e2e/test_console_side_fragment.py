"""A conversation's side alone (`GET /console/conversations/{id}/side`), which console_side.js
reads on each colleague's note, join or « traitée »: the notes panel, the « Participants » line
and the handled state as the page renders them — and, unlike the page, no message read (no
`read` in the access audit: nobody looked at the customer's messages) and the reader's
notifications left unread. Whoever may not read its notes (the customer, another advisor, a
member) gets the console's 404; the answer is a console page's (CSP, no-store)."""
from __future__ import annotations

import requests

from gateway.web.session import ACCESS_COOKIE

from .steps import customer_with_advisor, inbox, notified, ok, staff


def signed_in(user) -> requests.Session:
    browser = requests.Session()
    browser.cookies.set(ACCESS_COOKIE, user.access_token)
    return browser


def audited(conversations_db, user, cid, action) -> int:
    return conversations_db["access_audit"].count_documents(
        {"user_id": user.id, "conversation_id": cid, "action": action})


def test_the_side_alone_reads_no_message(platform, api, conversations_db):
    member, advisor = customer_with_advisor(platform, api, conversations_db)
    secret = "Mon code d’accès ne marche plus depuis hier soir"
    cid = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": "Accès bloqué", "message": secret}), 201)["id"]
    notified(api, advisor, "private_message", conversation_id=cid)
    ok(api.post(f"/api/v1/conversations/{cid}/notes", user=advisor,
                json={"body": "Rappeler après 14 h."}), 201)
    ok(api.post(f"/api/v1/conversations/{cid}/handled", user=advisor), 204)
    side = f"{platform.base_url}/console/conversations/{cid}/side"
    reads, notes = (audited(conversations_db, advisor, cid, action)
                    for action in ("read", "notes"))

    answer = signed_in(advisor).get(side, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Cache-Control"] == "no-store"
    assert "Content-Security-Policy" in answer.headers
    text = answer.text
    assert 'id="notes"' in text and "Rappeler après 14 h." in text
    assert f'data-participant="{member.id}"' in text and f'data-participant="{advisor.id}"' in text
    assert 'id="staff-handled"' in text and 'data-waiting="false"' in text
    assert secret not in text and "Accès bloqué" not in text and "staff-messages" not in text
    # nobody read the messages; the notes were (as on the page); the bell still unread
    assert audited(conversations_db, advisor, cid, "read") == reads
    assert audited(conversations_db, advisor, cid, "notes") == notes + 1
    assert [n["read"] for n in inbox(api, advisor, limit=100)["items"]
            if n.get("conversation_id") == cid] == [False]

    # the page itself reads them (what the side spares)
    assert signed_in(advisor).get(side.removesuffix("/side"), timeout=10).status_code == 200
    assert audited(conversations_db, advisor, cid, "read") == reads + 1

    # its customer, another advisor, a member: the console's 404, nothing of it
    for reader in (member, staff(platform, "advisor"), api.new_user()):
        refused = signed_in(reader).get(side, timeout=10)
        assert refused.status_code == 404 and "Rappeler" not in refused.text
