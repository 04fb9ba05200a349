"""Credentials through the gateway (issue 9): the password strength estimator with its feedback
in English and French, registration that does not reveal which e-mails have an account, and a
login throttle that cannot lock a known victim out."""
from __future__ import annotations

from .conftest import PASSWORD
from .test_posts_flow import problem


def test_weak_passwords_are_refused_with_the_estimators_feedback_in_english_and_french(api):
    for weak in ("liverpool123", "motdepasse123", "azertyuiop2026"):
        body = problem(api.post("/api/v1/auth/register", json={
            "email": api.unique_email("weak"), "password": weak, "display_name": "Weak"}), 400)
        assert "this password is too easy to guess" in body["errors"]["password"], body
        assert body["errors_i18n"]["en"]["password"] == body["errors"]["password"]
        assert "ce mot de passe est trop facile à deviner" in \
            body["errors_i18n"]["fr"]["password"]


def test_a_new_password_built_from_the_email_is_refused(api):
    ada = api.new_user(email=api.unique_email("ada.lovelace"))
    local = ada.email.split("@")[0]
    body = problem(api.post("/api/v1/me/password", user=ada, json={
        "current_password": PASSWORD, "new_password": f"{local}!"}), 400)
    assert "do not use your e-mail address or your name in your password" in \
        body["errors"]["new_password"]
    assert "n'utilisez ni votre adresse e-mail ni votre nom dans votre mot de passe" in \
        body["errors_i18n"]["fr"]["new_password"]
