"""The site as an installable app: its manifest and icons, a service worker that takes control,
stores only hashed static files and the anonymous offline page (never a private page), and shows
the offline page when the server can no longer be reached.

The network is cut with DevTools' offline emulation (Network.emulateNetworkConditions), then a
page is opened: only the worker can answer it.
"""
from __future__ import annotations

import contextlib
import json


def _conditions(offline_: bool) -> dict:
    return {"offline": offline_, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}


@contextlib.contextmanager
def offline(driver):
    """Cut the network for the page and for the service workers: a worker's own fetches are
    not the page's, so the emulation is sent to each worker target too."""
    workers = [target["targetId"] for target in
               driver.execute_cdp_cmd("Target.getTargets", {})["targetInfos"]
               if target["type"] == "service_worker"]
    sessions = [driver.execute_cdp_cmd("Target.attachToTarget",
                                       {"targetId": target, "flatten": False})["sessionId"]
                for target in workers]

    def everywhere(offline_: bool) -> None:
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.emulateNetworkConditions", _conditions(offline_))
        for number, session in enumerate(sessions):
            for method, params in (("Network.enable", {}),
                                   ("Network.emulateNetworkConditions", _conditions(offline_))):
                driver.execute_cdp_cmd("Target.sendMessageToTarget", {
                    "sessionId": session, "message": json.dumps(
                        {"id": 1000 + number * 2 + (method != "Network.enable"),
                         "method": method, "params": params})})

    everywhere(True)
    try:
        yield
    finally:
        everywhere(False)
        for session in sessions:
            driver.execute_cdp_cmd("Target.detachFromTarget", {"sessionId": session})


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


def test_installable_and_offline_without_caching_private_pages(site, api):

    me = api.new_user(display_name="Offline Olga")
    local = site
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
        path = url[len(site.base_url):]
        assert path == "/offline" or path.startswith("/static/"), f"{url} was cached"
    assert not any("/me/" in url or "/api/" in url for url in cached)

    with offline(local.driver):
        _offline_pages(local, me)


def _offline_pages(local, me) -> None:
    local.driver.get(local.url("/me/profile"))
    local.wait_for(lambda: local.heading("Hors ligne", 1), "the offline page")
    assert "Offline Olga" not in local.text()
    assert me.email not in local.driver.page_source
    local.screenshot("offline")
    local.driver.get(local.url("/questions"))
    local.wait_for(lambda: local.heading("Hors ligne", 1), "offline for any page")
    local.check()
