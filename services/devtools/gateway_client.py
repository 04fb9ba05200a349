"""A small HTTP client of Agora's public API (demo seeding, end-to-end tests, benchmarks).

Subclasses decide what `request` returns (a decoded body, a raw response); this base keeps one
`requests.Session`, the base URL and bearer tokens, and gives every HTTP verb, and the whole
login (`log_in`: the password, then the TOTP second factor with a `TotpDevice` when asked).

Example::

    class Raw(GatewayClient):
        def request(self, method, path, **kwargs):
            return self.send(method, path, **kwargs)

    Raw("http://127.0.0.1:8000").get("/api/v1/openapi.json").status_code   # 200
"""
from __future__ import annotations

import time
from typing import Any

import pyotp
import requests


class GatewayClient:
    def __init__(self, base_url: str, timeout: float = 30):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()

    def send(self, method: str, path: str, token: str | None = None,
             headers: dict[str, str] | None = None, **kwargs: Any) -> requests.Response:
        """One HTTP call, authenticated with `token` when given."""
        all_headers = dict(headers or {})
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        kwargs.setdefault("timeout", self.timeout)
        return self.session.request(method, self.base_url + path, headers=all_headers, **kwargs)

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        raise NotImplementedError

    def log_in(self, email: str, password: str, device: TotpDevice | None = None,
               headers: dict[str, str] | None = None
               ) -> tuple[requests.Response, TotpDevice | None]:
        """The whole login: password, then the second factor when asked (enrolling `device`
        from the answer when a staff account has none yet). Returns the last response (the
        token pair on success) and the device to keep for the next logins."""
        response = self.send("POST", "/api/v1/auth/login", headers=headers,
                             json={"email": email, "password": password})
        if response.status_code != 200:
            return response, device
        answer = response.json()
        if answer.get("mfa_setup_required"):
            enrolment = self.send("POST", "/api/v1/auth/mfa/enroll", headers=headers,
                                  json={"challenge": answer["challenge"]})
            if enrolment.status_code != 200:
                return enrolment, device
            device = TotpDevice(enrolment.json()["secret"],
                                enrolment.json()["recovery_codes"])
        elif not answer.get("mfa_required"):
            return response, device
        if device is None:
            raise RuntimeError(f"{email} needs a second factor and no device is known")
        for _ in range(3):  # another client of the same secret may have used this step
            response = self.send("POST", "/api/v1/auth/login/mfa", headers=headers, json={
                "challenge": answer["challenge"], "code": device.next_code()})
            if response.status_code != 401 or "code" not in (response.json().get("errors")
                                                             or {}):
                break
        return response, device

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Any:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Any:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.request("DELETE", path, **kwargs)


class TotpDevice:
    """A client's authenticator app: the TOTP secret, the recovery codes left, and the last
    time step it gave a code for (the server takes each step once per account, within one
    step of drift: a second login in the same 30 s uses the next step's code, a third a
    recovery code).

    Example::

        device = TotpDevice("JBSWY3DPEHPK3PXP")
        device.next_code()   # '492039'
    """

    def __init__(self, secret: str, recovery_codes: list[str] | None = None):
        self.secret = secret
        self.totp = pyotp.TOTP(secret)
        self.recovery_codes = list(recovery_codes or ())
        self.last_step = -1

    def next_code(self) -> str:
        """A login code: the next step not given yet, a recovery code when the two steps of
        this window are both used."""
        return self._code(recovery=True)

    def current_code(self) -> str:
        """A step-up code (X-Agora-TOTP): as `next_code`, never a recovery code."""
        return self._code(recovery=False)

    def _code(self, recovery: bool) -> str:
        current = int(time.time()) // self.totp.interval
        step = max(current, self.last_step + 1)
        if step > current + 1:  # both codes of this window given already
            if recovery and self.recovery_codes:
                return self.recovery_codes.pop()
            # what a person does: wait for the app to show the next code
            time.sleep(max(0.0, (step - 1) * self.totp.interval - time.time() + 0.05))
        self.last_step = step
        return self.totp.at(step * self.totp.interval)
