"""The site's browser session over HTTP (no browser needed): cookies, CSRF, the API by cookie,
logout, a session revoked elsewhere, and what the Ingress must not expose."""
from __future__ import annotations

import uuid

import requests

from ..conftest import wait_for
from .conftest import PASSWORD
from .steps import site_csrf, site_login


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
