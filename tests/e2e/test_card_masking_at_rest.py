"""Card numbers in private messages are stored masked (PCI DSS), not only masked on display:
what the API answers afterwards — the conversation read again, the member's export — holds no
full card number, and the send's answer says what was masked (`masked`). IBANs stay whole: an
advisor may need one. Without JavaScript, the send's redirect carries the notice, naming what
was masked (the card number, the PIN code, the password)."""
from __future__ import annotations

import json
import re
import uuid

import requests

from gateway.web.session import ACCESS_COOKIE

from .steps import customer_with_advisor, ok, site_csrf, site_login

CARD = "4970 1012 3456 7893"  # Luhn-valid, a Visa prefix
IBAN = "FR76 3000 6000 0112 3456 7890 189"
GENERIC = ("Pour votre sécurité, nous avons masqué le numéro de carte, le code ou le mot de "
           "passe de votre message.")


def shown_notice(html: str) -> str | None:
    """The masked notice's text when the page shows it, else None."""
    notice = re.search(r'<p class="callout" id="card-masked"([^>]*)>([^<]*)</p>', html)
    assert notice, "the page holds the notice"
    return None if re.search(r"\shidden(\s|$)", notice.group(1)) else notice.group(2)


def test_card_numbers_are_stored_masked_and_the_author_is_told(platform, api,
                                                              conversations_db):
    member, advisor = customer_with_advisor(platform, api, conversations_db)
    mark = uuid.uuid4().hex
    first = f"Ma carte {CARD} ne passe plus, mon IBAN {IBAN} ({mark})"

    started = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": f"Carte {CARD}", "message": first}), 201)
    assert started["masked"] == ["card_number"]
    cid = started["id"]

    posted = ok(api.post(f"/api/v1/conversations/{cid}/messages", user=member,
                         json={"body": f"Carte {CARD} exp 09/28 CVV 123 {mark}"}), 201)
    assert posted["masked"] == ["card_number", "card_security_code"]
    assert posted["body"] == f"Carte •••• •••• •••• •••• exp 09/28 CVV ••• {mark}"
    plain = ok(api.post(f"/api/v1/conversations/{cid}/messages", user=advisor,
                        json={"body": f"Bien reçu, je regarde ({mark})"}), 201)
    assert plain["masked"] == []

    # read again: the stored text, not a display-time mask
    for reader in (member, advisor):
        read = ok(api.get(f"/api/v1/conversations/{cid}", user=reader))
        assert read["subject"] == "Carte •••• •••• •••• 7893"
        assert [m["body"] for m in read["messages"]] == [
            f"Ma carte •••• •••• •••• 7893 ne passe plus, mon IBAN {IBAN} ({mark})",
            f"Carte •••• •••• •••• •••• exp 09/28 CVV ••• {mark}",
            f"Bien reçu, je regarde ({mark})"]
    export = json.dumps(ok(api.get("/api/v1/me/export", user=member)), ensure_ascii=False)
    assert mark in export and IBAN in export
    assert not re.search(r"4970 ?1012 ?3456", export) and "CVV 123" not in export


def test_a_send_without_javascript_lands_on_the_notice(platform, api, conversations_db):
    member, _ = customer_with_advisor(platform, api, conversations_db)
    cid = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": "Ma carte", "message": "Bonjour"}), 201)["id"]
    browser, _ = site_login(platform.base_url, member)
    page = f"/conversations/{cid}"
    token = site_csrf(browser, platform.base_url, page)

    sent = browser.post(platform.base_url + page, data={
        "body": f"Voici ma carte {CARD}", "csrf_token": token}, allow_redirects=False,
        timeout=10)
    assert sent.status_code == 303
    assert sent.headers["Location"] == f"{page}?masked=card#message-form"
    shown = browser.get(platform.base_url + sent.headers["Location"], timeout=10).text
    assert shown_notice(shown) == ("Pour votre sécurité, nous avons masqué le numéro de carte "
                                   "de votre message.")
    assert CARD not in shown and "•••• •••• •••• 7893" in shown

    # a PIN alone names the code; a card number and a password, both
    for body, query, what in [
            ("Mon code PIN est 4821", "code", "le code confidentiel"),
            (f"Carte {CARD}, mot de passe : Soleil2024!", "card,password",
             "le numéro de carte et le mot de passe")]:
        sent = browser.post(platform.base_url + page, data={"body": body, "csrf_token": token},
                            allow_redirects=False, timeout=10)
        assert sent.headers["Location"] == f"{page}?masked={query}#message-form"
        shown = browser.get(platform.base_url + sent.headers["Location"], timeout=10).text
        assert shown_notice(shown) == (
            f"Pour votre sécurité, nous avons masqué {what} de votre message.")
        assert "4821" not in shown and "Soleil2024" not in shown

    # a link of before (?masked=1), or an unknown value (never in the notice): the generic text
    for query in ("1", "evil%3Cb%3E"):
        shown = browser.get(f"{platform.base_url}{page}?masked={query}", timeout=10).text
        assert shown_notice(shown) == GENERIC and "<b>" not in shown

    # a message without a card number: no notice
    again = browser.post(platform.base_url + page, data={"body": "Merci", "csrf_token": token},
                         allow_redirects=False, timeout=10)
    assert again.headers["Location"] == f"{page}#message-form"
    shown = browser.get(platform.base_url + page, timeout=10).text
    assert re.search(r'<p class="callout" id="card-masked"[^>]* hidden[ >]', shown)


def test_a_console_reply_without_javascript_lands_on_the_notice(platform, api,
                                                                  conversations_db):
    """The advisor's reply sent without JavaScript: the console page again at the reply, told
    that its card number was masked; a reply without one is not told."""
    member, advisor = customer_with_advisor(platform, api, conversations_db)
    cid = ok(api.post("/api/v1/conversations", user=member, json={
        "subject": "Ma carte", "message": "Bonjour"}), 201)["id"]
    browser = requests.Session()
    browser.cookies.set(ACCESS_COOKIE, advisor.access_token)
    page = f"/console/conversations/{cid}"
    token = site_csrf(browser, platform.base_url, page)

    sent = browser.post(f"{platform.base_url}{page}/messages", data={
        "body": f"La carte {CARD} est opposée.", "csrf_token": token}, allow_redirects=False,
        timeout=10)
    assert sent.status_code == 303
    assert sent.headers["Location"].startswith(f"{page}?masked=card#m-")
    shown = browser.get(platform.base_url + sent.headers["Location"], timeout=10).text
    assert shown_notice(shown) == ("Pour votre sécurité, nous avons masqué le numéro de carte "
                                   "de votre message.")
    assert CARD not in shown

    code = browser.post(f"{platform.base_url}{page}/messages", data={
        "body": "Votre code confidentiel 4821 ne doit pas circuler.", "csrf_token": token},
        allow_redirects=False, timeout=10)
    assert code.headers["Location"].startswith(f"{page}?masked=code#m-")
    shown = browser.get(platform.base_url + code.headers["Location"], timeout=10).text
    assert shown_notice(shown) == ("Pour votre sécurité, nous avons masqué le code confidentiel "
                                   "de votre message.")

    again = browser.post(f"{platform.base_url}{page}/messages", data={
        "body": "Bonne journée", "csrf_token": token}, allow_redirects=False, timeout=10)
    assert again.headers["Location"].startswith(f"{page}#m-")
