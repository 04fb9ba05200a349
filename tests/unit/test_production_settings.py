"""Which notification settings production refuses: links to, or a sender at, a loopback or
placeholder address (the local defaults, the overlay's example.com) — and nothing else."""
from __future__ import annotations

import pytest

from services.notifications.delivery import DeliverySettings

OWN = {"web_base_url": "https://communaute.banque.fr",
       "mail_from": "Agora <no-reply@communaute.banque.fr>"}


def test_a_deployments_own_addresses_are_accepted():
    assert DeliverySettings(**OWN).production_refusals() == []
    assert DeliverySettings(web_base_url="https://10.2.0.7:8443/agora",
                            mail_from="no-reply@mail.banque.fr").production_refusals() == []


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]/", "http://0.0.0.0",
    "https://agora.example.com", "https://agora.example.org/", "https://agora.local",
    "https://site.test", "https://app.localhost", "https://HOST.invalid", "", "agora.banque.fr"])
def test_links_to_a_loopback_or_placeholder_address_are_refused(url):
    [refusal] = DeliverySettings(**{**OWN, "web_base_url": url}).production_refusals()
    assert refusal.startswith(f"AGORA_WEB_URL is {url!r}")


@pytest.mark.parametrize("sender", [
    "Agora <no-reply@agora.local>", "no-reply@agora.example.com", "Agora", "root@localhost"])
def test_a_sender_at_a_placeholder_address_is_refused(sender):
    [refusal] = DeliverySettings(**{**OWN, "mail_from": sender}).production_refusals()
    assert refusal.startswith(f"AGORA_MAIL_FROM is {sender!r}")
