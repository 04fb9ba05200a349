"""The site: a public thread with 50 replies, and the weight of a first visit.

    python -m bench site

Starts its own identity, posts, moderation, feeds and gateway (`agora run`, own vhost and
databases), publishes a question with 50 answers through the API, then measures, sequentially
(one client, so the latency is the page's own work: two RPCs sent together, then the template):

- `GET /posts/<id>` (the thread, 50 replies rendered) — p50/p99 ms;
- `GET /static/css/site.css` (a static file from memory, same pipeline) — the baseline;

and prints their ratio, against the budget of 300 ms server time for the thread. Then it sums
the compressed (gzip) bytes of every script and stylesheet the home page loads — the first
visit's JS+CSS — against the budget of 150 kB. Knob: BENCH_REQUESTS (200 per kind).
"""
from __future__ import annotations

import os
import re
import statistics
import time
import urllib.request

import requests

from .gateway import Platform, signed_in_members

REPLIES = 50


def _timed(session: requests.Session, url: str, count: int) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        response = session.get(url, timeout=30)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return samples


def _thread_with_replies(base: str) -> str:
    author, helper = signed_in_members(base, 2, "Sitebench")
    auth = {"Authorization": f"Bearer {author['token']}"}
    post = requests.post(f"{base}/api/v1/posts", headers=auth, timeout=30, json={
        "kind": "question", "title": "Plafond de ma carte pour un voyage",
        "body": "Comment *augmenter* mon plafond pendant un voyage ?", "category": "cards"})
    assert post.status_code == 201, post.text
    post_id = post.json()["id"]
    helper_auth = {"Authorization": f"Bearer {helper['token']}"}
    deadline = time.monotonic() + 120
    while requests.get(f"{base}/api/v1/posts/{post_id}", timeout=10).status_code != 200:
        assert time.monotonic() < deadline, "the post was not published"
        time.sleep(0.2)  # ok: poll interval of a bounded wait for moderation to publish
    for number in range(REPLIES):
        reply = requests.post(f"{base}/api/v1/posts/{post_id}/replies", headers=helper_auth,
                              timeout=30, json={"body": f"Réponse {number} : voyez l'appli, "
                                                        "rubrique **Plafonds**, puis valider."})
        assert reply.status_code == 201, reply.text
    while len(requests.get(f"{base}/api/v1/posts/{post_id}/replies", params={"limit": 100},
                           timeout=10).json()["items"]) < REPLIES:
        assert time.monotonic() < deadline, "the replies were not published"
        time.sleep(0.2)  # ok: poll interval of a bounded wait for moderation to publish
    return post_id


def _compressed(url: str) -> bytes:
    """The body as sent with Accept-Encoding: gzip (urllib does not decompress)."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read()


def _first_visit_bytes(base: str) -> tuple[int, list[tuple[str, int]]]:
    home = requests.get(base + "/", timeout=30).text
    urls = re.findall(r'<script[^>]+src="([^"]+)"', home) + re.findall(
        r'<link rel="stylesheet" href="([^"]+)"', home)
    # the modules site.js imports count too
    site_js = next((url for url in urls if "/js/site.js" in url), None)
    if site_js:
        text = requests.get(base + site_js, timeout=30).text
        urls += [f"/static/js/{name}" for name in re.findall(r'from "\./([\w.-]+\.js)"', text)]
    sizes = [(url.split("?")[0], len(_compressed(base + url))) for url in urls]
    return sum(size for _, size in sizes), sizes


def main() -> None:
    count = int(os.environ.get("BENCH_REQUESTS", "200"))
    platform = Platform(("identity", "posts", "moderation", "feeds", "gateway"))
    try:
        platform.start()
        base = platform.gateway
        post_id = _thread_with_replies(base)
        session = requests.Session()
        _timed(session, f"{base}/posts/{post_id}", 20)  # warm-up: templates compiled, pools
        _timed(session, f"{base}/static/css/site.css", 20)
        thread, static = [], []
        for _ in range(4):  # interleaved rounds
            thread += _timed(session, f"{base}/posts/{post_id}", count // 4)
            static += _timed(session, f"{base}/static/css/site.css", count // 4)
        figures = {name: (statistics.median(samples),
                          statistics.quantiles(samples, n=100)[98])
                   for name, samples in (("thread", thread), ("static", static))}
        print(f"site: a public thread with {REPLIES} replies, {count} sequential requests each")
        print(f"{'page':<36}{'p50 ms':>9}{'p99 ms':>9}{'p50/static':>12}")
        for name, label in (("static", "GET /static/css/site.css (baseline)"),
                            ("thread", f"GET /posts/<id> ({REPLIES} replies)")):
            p50, p99 = figures[name]
            print(f"{label:<36}{p50:>9.1f}{p99:>9.1f}{p50 / figures['static'][0]:>12.1f}")
        print(f"thread p50 against the 300 ms budget: {figures['thread'][0] / 300:.2f}")
        total, sizes = _first_visit_bytes(base)
        for url, size in sizes:
            print(f"  {url:<34}{size / 1024:>8.1f} kB gzip")
        print(f"first visit JS+CSS: {total / 1024:.1f} kB compressed, "
              f"{total / (150 * 1024):.2f} of the 150 kB budget")
    finally:
        platform.stop()


if __name__ == "__main__":
    main()
