"""The site as an installable app: its manifest and icons, a service worker that takes control,
stores only hashed static files and the anonymous offline page (never a private page), and shows
the offline page when the server can no longer be reached.

"Offline" is real here: the test starts its own gateway replica, lets the browser install the
worker from it, then stops that replica, so every request to it fails at the network level
(DevTools' offline emulation does not reach a service worker's own fetches).
"""
from __future__ import annotations

import json

import pytest

from ..e2e.conftest import Process, find_free_port
from .conftest import Site


@pytest.fixture
def own_gateway(platform):
    """A gateway replica of the shared platform that this test may stop."""
    process = Process("gateway", find_free_port(), platform.log_dir / "gateway-offline.log")
    platform.spawn(process)
    try:
        platform._wait_ready(process)
        yield process
    finally:
        if process.popen.poll() is None:
            process.popen.terminate()
            process.popen.wait(timeout=30)


FETCH_JSON = """
const [path, done] = arguments;
fetch(path).then(async (r) => done({status: r.status, type: r.headers.get("Content-Type"),
                                    body: await r.text()}))
           .catch((error) => done({status: 0, error: String(error)}));
"""
CACHED_URLS = """
const done = arguments[0];
caches.keys().then(async (names) => {
  const urls = [];
  for (const name of names) {
    for (const request of await (await caches.open(name)).keys()) urls.push(request.url);
  }
  done(urls);
});
"""


def test_installable_and_offline_without_caching_private_pages(site, api, own_gateway):

    me = api.new_user(display_name="Offline Olga")
    local = Site(driver=site.driver, device=site.device, base_url=own_gateway.url)
    local.visit("/")
    assert local.find("link[rel=manifest]").get_attribute("href").endswith(
        "/manifest.webmanifest")
    manifest = local.driver.execute_async_script(FETCH_JSON, "/manifest.webmanifest")
    assert manifest["status"] == 200 and "manifest+json" in manifest["type"]
    document = json.loads(manifest["body"])
    assert document["display"] == "standalone" and document["start_url"] == "/"
    sizes = {icon["sizes"] for icon in document["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in document["icons"]:
        fetched = local.driver.execute_async_script(FETCH_JSON, icon["src"])
        assert fetched["status"] == 200 and fetched["type"].startswith("image/"), icon

    local.wait_for(lambda: local.driver.execute_script(
        "return !!(navigator.serviceWorker && navigator.serviceWorker.controller)"),
        "the service worker controls the page")

    local.sign_in(me.email, me.password, next_path="/me/profile")
    local.wait_for_path("/me/profile")
    assert "Offline Olga" in local.text()
    local.visit("/me/data")
    cached = local.driver.execute_async_script(CACHED_URLS)
    assert cached, "the worker stored its offline page"
    for url in cached:
        path = url[len(own_gateway.url):]
        assert path == "/offline" or path.startswith("/static/"), f"{url} was cached"
    assert not any("/me/" in url or "/api/" in url for url in cached)

    own_gateway.popen.terminate()
    own_gateway.popen.wait(timeout=30)
    local.driver.get(local.url("/me/profile"))
    local.wait_for(lambda: local.heading("Hors ligne", 1), "the offline page")
    assert "Offline Olga" not in local.text()
    assert me.email not in local.driver.page_source
    local.screenshot("offline")
    local.driver.get(local.url("/questions"))
    local.wait_for(lambda: local.heading("Hors ligne", 1), "offline for any page")
    local.check()
