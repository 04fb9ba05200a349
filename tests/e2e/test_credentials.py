"""Credentials through the gateway (issue 9): the password strength estimator with its feedback
in English and French, registration that does not reveal which e-mails have an account, and a
login throttle that cannot lock a known victim out."""
from __future__ import annotations

import statistics
import time

from ..conftest import wait_for
from .conftest import PASSWORD
from .steps import problem


def test_weak_passwords_are_refused_with_the_estimators_feedback_in_english_and_french(api):
    for weak in ("liverpool123", "motdepasse123", "azertyuiop2026"):
        body = problem(api.post("/api/v1/auth/register", json={
            "email": api.unique_email("weak"), "password": weak, "display_name": "Weak"}), 400)
        assert "this password is too easy to guess" in body["errors_i18n"]["en"]["password"]
        assert body["errors_i18n"]["fr"]["password"] == body["errors"]["password"]  # French:
        assert "ce mot de passe est trop facile à deviner" in \
            body["errors"]["password"]  # no Accept-Language


def test_one_refusal_lists_every_field_to_correct_the_weak_password_too(api):
    """The body's schema refuses the address and the name; identity is asked about the
    password anyway, so a client corrects everything in one go."""
    body = problem(api.post("/api/v1/auth/register", json={
        "email": "not-an-address", "password": "liverpool123", "display_name": "X"}), 400)
    assert set(body["errors"]) == {"email", "display_name", "password"}
    assert "ce mot de passe est trop facile à deviner" in body["errors"]["password"]
    assert body["errors"]["email"] == ["Ce n’est pas une adresse e-mail valide."]
    english = body["errors_i18n"]["en"]
    assert english["email"] == ["Not a valid email address."]
    assert "this password is too easy to guess" in english["password"]
    assert body["errors_i18n"]["fr"] == body["errors"]
    # a password the schema refuses itself is not sent to identity: one message for it
    body = problem(api.post("/api/v1/auth/register", json={
        "email": "not-an-address", "password": "", "display_name": "Xavier"}), 400)
    assert set(body["errors"]) == {"email", "password"} and "errors_i18n" not in body


def test_a_new_password_built_from_the_email_is_refused(api):
    ada = api.new_user(email=api.unique_email("ada.lovelace"))
    local = ada.email.split("@")[0]
    body = problem(api.post("/api/v1/me/password", user=ada, json={
        "current_password": PASSWORD, "new_password": f"{local}!"}), 400)
    assert "do not use your e-mail address or your name in your password" in \
        body["errors_i18n"]["en"]["new_password"]
    assert "n'utilisez ni votre adresse e-mail ni votre nom dans votre mot de passe" in \
        body["errors_i18n"]["fr"]["new_password"]


def _register(api, email, password=PASSWORD, address="192.0.2.10"):
    started = time.perf_counter()
    response = api.post("/api/v1/auth/register", headers={"X-Forwarded-For": address}, json={
        "email": email, "password": password, "display_name": "Someone Else"})
    return response, time.perf_counter() - started


def test_registering_a_taken_address_answers_alike_and_tells_only_its_owner(platform, api):
    ada = api.new_user(email=api.unique_email("ada"))
    intruder_password = "an intruder's own passphrase 42"
    fresh_times, taken_times = [], []
    for _ in range(3):
        fresh, elapsed = _register(api, api.unique_email("new"))
        fresh_times.append(elapsed)
        taken, elapsed = _register(api, ada.email.upper(), intruder_password)
        taken_times.append(elapsed)
    assert fresh.status_code == taken.status_code == 202, (fresh.text, taken.text)
    assert set(fresh.json()) == set(taken.json())
    assert fresh.json()["message"] == taken.json()["message"]
    assert taken.json()["email"] == ada.email
    assert "Location" not in taken.headers and "Location" not in fresh.headers
    # the same work either way (a password hash dominates): no fast path for taken addresses
    assert statistics.median(taken_times) > statistics.median(fresh_times) / 4, (
        taken_times, fresh_times)
    # nothing changed for the owner; the intruder's password opens nothing
    api.login(ada)
    problem(api.post("/api/v1/auth/login", json={"email": ada.email,
                                                 "password": intruder_password}), 401)
    # the owner is told by e-mail, in French and English, once (three attempts, one hour)
    mail = wait_for(lambda: [m for m in platform.mailsink.messages(to=ada.email)
                             if "Registration attempt" in m["Subject"]],
                    timeout=20, message="the owner's e-mail")
    assert len(mail) == 1
    text = mail[0].get_content()
    assert "Quelqu’un a essayé" in text and "Someone tried" in text
    assert intruder_password not in text and "Someone Else" not in text


def test_the_login_throttle_cannot_lock_a_known_victim_out(api):
    ada = api.new_user()  # logged in from her own address: a known client of her account
    attacker = {"X-Forwarded-For": "203.0.113.77"}
    for _ in range(5):
        problem(api.post("/api/v1/auth/login", headers=attacker,
                         json={"email": ada.email, "password": "wrong wrong wrong"}), 401)
    throttled = api.post("/api/v1/auth/login", headers=attacker,
                         json={"email": ada.email, "password": ada.password})
    assert problem(throttled, 429)["retry_after"] > 0  # the attacker's pair waits
    api.login(ada)                                       # the victim, from her address, does not
    api.login(ada, headers={"X-Forwarded-For": "198.51.100.66"})  # nor from a new one
