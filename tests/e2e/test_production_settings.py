"""A production deployment cannot go out with the local defaults: notifications refuses to start
(one clear log line per setting) when its links would lead to a loopback or placeholder address
or its mails would come from one."""
from __future__ import annotations

import json

import pytest

REFUSAL = "notifications refuses to start in production: "


def refusals(platform, **env: str) -> list[str]:
    started = platform.agora("run", "notifications", env={
        "AGORA_ENVIRONMENT": "production", "WEB_SERVER_ADDRESS": "127.0.0.1:0", **env})
    assert started.returncode != 0, started.stdout[-2000:]
    lines = [json.loads(line) for line in started.stdout.splitlines() if line.startswith("{")]
    return [line["message"].removeprefix(REFUSAL) for line in lines
            if line["level"] == "error" and line["message"].startswith(REFUSAL)]


@pytest.mark.parametrize("env, refused", [
    ({}, ["AGORA_WEB_URL is 'http://127.0.0.1:8000'",
          "AGORA_MAIL_FROM is 'Agora <no-reply@agora.local>'"]),
    ({"AGORA_WEB_URL": "https://agora.example.com",  # the overlay's placeholder left as it is
      "AGORA_MAIL_FROM": "Agora <no-reply@communaute.banque.fr>"},
     ["AGORA_WEB_URL is 'https://agora.example.com'"]),
])
def test_notifications_refuses_to_start_in_production_with_local_links(platform, env, refused):
    said = refusals(platform, **env)
    assert len(said) == len(refused), said
    for line, expected in zip(said, refused, strict=True):
        assert line.startswith(expected) and "site.yaml" in line, line
