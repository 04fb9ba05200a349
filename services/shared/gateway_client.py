"""A small HTTP client of Agora's public API (demo seeding, end-to-end tests, benchmarks).

Subclasses decide what `request` returns (a decoded body, a raw response); this base keeps one
`requests.Session`, the base URL and bearer tokens, and gives every HTTP verb.

Example::

    class Raw(GatewayClient):
        def request(self, method, path, **kwargs):
            return self.send(method, path, **kwargs)

    Raw("http://127.0.0.1:8000").get("/api/v1/openapi.json").status_code   # 200
"""
from __future__ import annotations

from typing import Any

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
