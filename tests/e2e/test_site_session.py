"""The site's browser session over HTTP (no browser needed): cookies, CSRF, the API by cookie,
logout, a session revoked elsewhere, and what the Ingress must not expose."""
from __future__ import annotations

import uuid
from urllib.parse import urlencode

import requests

from gateway.web.page import login_url

from ..conftest import wait_for
from .conftest import PASSWORD, User, new_address
from .steps import site_csrf, site_login, staff


def _browser_login(api, base):
    user = api.register()
    browser, answer = site_login(base, user)
    return user, browser, answer


def test_login_sets_httponly_cookies_and_the_api_accepts_them_with_csrf(platform, api):
    base = platform.base_url
    user, browser, answer = _browser_login(api, base)
    cookies = {c.split("=", 1)[0]: c for c in answer.raw.headers.getlist("Set-Cookie")}
    assert {"agora_at", "agora_rt", "agora_csrf"} <= set(cookies)
    for cookie in cookies.values():
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Path=/session/" in cookies["agora_rt"]
    me = browser.get(base + "/api/v1/me", timeout=10)
    assert me.status_code == 200 and me.json()["id"] == user.id
    assert me.headers["Cache-Control"] == "no-store"
    refused = browser.patch(base + "/api/v1/me", json={"bio": "by cookie"}, timeout=10)
    assert refused.status_code == 403
    token = site_csrf(browser, base, "/")
    changed = browser.patch(base + "/api/v1/me", json={"bio": "by cookie"},
                            headers={"X-CSRF-Token": token}, timeout=10)
    assert changed.status_code == 200 and changed.json()["bio"] == "by cookie"
    forged = browser.patch(base + "/api/v1/me", json={"bio": "x"},
                           headers={"X-CSRF-Token": "anon." + uuid.uuid4().hex}, timeout=10)
    assert forged.status_code == 403


def test_a_form_without_its_csrf_token_is_refused(platform, api):
    user = api.register()
    answer = requests.post(platform.base_url + "/login",
                           data={"email": user.email, "password": PASSWORD}, timeout=10)
    assert answer.status_code == 403 and "text/html" in answer.headers["Content-Type"]
    assert "agora_at" not in answer.cookies


def test_logout_revokes_the_session(platform, api):
    base = platform.base_url
    _, browser, _ = _browser_login(api, base)
    access = browser.cookies.get("agora_at")
    token = site_csrf(browser, base, "/")
    out = browser.post(base + "/session/logout", data={"csrf_token": token},
                       allow_redirects=False, timeout=10)
    assert out.status_code == 303 and not browser.cookies.get("agora_at")
    wait_for(lambda: api.get("/api/v1/me", token=access).status_code == 401, timeout=10,
             message="the logged-out access token refused")


def test_a_session_revoked_elsewhere_signs_the_browser_out_with_a_message(platform, api):
    base = platform.base_url
    _, browser, _ = _browser_login(api, base)
    access = browser.cookies.get("agora_at")
    assert api.post("/api/v1/auth/logout", token=access).status_code == 204  # "elsewhere"

    def signed_out_page():
        page = browser.get(base + "/", headers={"Accept-Language": "en"}, timeout=10)
        return "You were signed out" in page.text and page
    page = wait_for(signed_out_page, timeout=10, message="the signed-out notice")
    assert "My account" not in page.text and not browser.cookies.get("agora_at")


def test_probes_and_metrics_are_not_served_through_the_ingress(platform):
    base = platform.base_url
    for path in ("/metrics", "/healthz", "/readyz"):
        assert requests.get(base + path, timeout=10).status_code == 200
        proxied = requests.get(base + path, headers={"X-Forwarded-For": "203.0.113.9"},
                               timeout=10)
        assert proxied.status_code == 404, path


def _sign_up(base: str, email: str, password: str) -> requests.Response:
    """The sign-up form sent by a browser of its own (its own client address: the registration
    limit counts per address)."""
    browser = requests.Session()
    browser.headers["X-Forwarded-For"] = new_address()
    token = site_csrf(browser, base, "/register")
    return browser.post(base + "/register", data={
        "display_name": "Someone Else", "email": email, "password": password,
        "csrf_token": token}, allow_redirects=False, timeout=30)


def _shape(answer: requests.Response) -> tuple:
    cookies = tuple(sorted(c.split(";", 1)[0] for c in answer.raw.headers.getlist("Set-Cookie")))
    return answer.status_code, answer.headers.get("Location"), cookies, answer.content


def test_signing_up_answers_alike_for_every_address_and_password(platform, api):
    """A new address, a taken one (another password, or its own: sign-up is no login), a staff
    member's (whose login would ask for a second factor): the same answer, and no session."""
    base = platform.base_url
    member, manager = api.new_user(), staff(platform)
    attempts = {"new": (api.unique_email("new"), PASSWORD),
                "taken": (member.email, "an intruder's own passphrase 42"),
                "taken, its password": (member.email, member.password),
                "staff, its password": (manager.email, manager.password)}
    shapes = {name: _shape(_sign_up(base, *attempt)) for name, attempt in attempts.items()}
    assert len(set(shapes.values())) == 1, shapes
    status, location, cookies, _ = shapes["new"]
    assert (status, location, cookies) == (303, "/login", ("agora_notice=registered",))
    # the new member signs in next, like any member
    browser, _ = site_login(base, User(id="", email=attempts["new"][0], password=PASSWORD,
                                       display_name="Someone Else"))
    assert browser.get(base + "/api/v1/me", timeout=10).json()["email"] == attempts["new"][0]


POST_ID = "p" + "0" * 20  # well-formed: the page refuses the caller before looking it up


def test_a_form_sent_without_a_session_signs_in_then_comes_back_to_its_page(platform):
    """Signed out in another tab, a member sends a thread's form: the sign-in page must come
    back to the thread (never to the POST-only action, a 405), and an htmx form must navigate
    there as a whole page instead of swapping the sign-in page into the form's slot."""
    base = platform.base_url
    browser = requests.Session()
    token = site_csrf(browser, base, "/")
    thread = f"/posts/{POST_ID}"
    for referer, back in ((base + thread + "?page=2", thread + "?page=2"),  # the form's page
                          ("https://elsewhere.example/x", thread),  # not ours: the route's page
                          (None, thread)):
        headers = {"Referer": referer} if referer else {}
        plain = browser.post(base + thread + "/vote", data={"csrf_token": token, "on": "1"},
                             headers=headers, allow_redirects=False, timeout=10)
        assert plain.status_code == 303 and plain.headers["Location"] == login_url(back)
        htmx = browser.post(base + thread + "/reply", data={"csrf_token": token, "body": "Hi"},
                            headers={**headers, "HX-Request": "true"}, allow_redirects=False,
                            timeout=10)
        assert htmx.status_code == 401 and htmx.headers["HX-Redirect"] == login_url(back)
        assert not htmx.content
    # no page above a member's tag unfollow but "what I follow"
    unfollow = browser.post(base + "/me/following/tags/cartes", data={"csrf_token": token},
                            allow_redirects=False, timeout=10)
    assert unfollow.headers["Location"] == login_url("/me/following")


def test_a_form_action_opened_as_a_page_is_the_sites_error_page(platform):
    base = platform.base_url
    page = requests.get(base + f"/posts/{POST_ID}/reply", timeout=10,
                        headers={"Accept": "text/html", "Accept-Language": "en"})
    assert page.status_code == 405 and page.headers["Allow"] == "POST"
    assert page.headers["Content-Type"].startswith("text/html")
    assert "<h1>Not possible here</h1>" in page.text and 'lang="en"' in page.text
    api_answer = requests.get(base + "/api/v1/auth/login", headers={"Accept": "text/html"},
                              timeout=10)
    assert api_answer.status_code == 405  # the API keeps its problem+json
    assert api_answer.headers["Content-Type"].startswith("application/problem+json")


def test_the_refresh_says_signed_out_only_to_who_had_a_session(platform, api):
    base = platform.base_url
    visitor = requests.get(base + "/session/refresh?next=/questions", allow_redirects=False,
                           timeout=10)
    assert visitor.status_code == 303 and visitor.headers["Location"] == "/questions"
    assert "agora_notice" not in visitor.headers.get("Set-Cookie", "")
    # a member whose session was closed elsewhere: told so, and a form's body on its way back
    # (the 307 replay) goes to the sign-in page, then to the form's page
    _, browser, _ = _browser_login(api, base)
    access = browser.cookies.get("agora_at")
    assert api.post("/api/v1/auth/logout", token=access).status_code == 204
    wait_for(lambda: api.get("/api/v1/me", token=access).status_code == 401, timeout=10,
             message="the session closed")
    thread = f"/posts/{POST_ID}"
    replay = browser.post(base + "/session/refresh?" + urlencode({"next": thread + "/reply"}),
                          data={"body": "Hi"}, allow_redirects=False, timeout=10,
                          headers={"Referer": base + thread, "HX-Request": "true"})
    assert replay.status_code == 401 and replay.headers["HX-Redirect"] == login_url(thread)
    assert "agora_notice=session_ended" in replay.headers["Set-Cookie"]
