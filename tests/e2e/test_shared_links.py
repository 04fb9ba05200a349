"""A link to the site shared elsewhere opens: newsletters and social networks add their own
query parameters (`utm_*`, `fbclid`), which a page ignores, and an order a page does not know
(mistyped, or an old link's) gives its default order; what a page knows is still checked, and
the API, whose callers are programs, still refuses what it does not know."""
from __future__ import annotations

import requests

from .steps import problem, submit, visible

TRACKING = {"utm_source": "newsletter", "utm_campaign": "decembre", "fbclid": "IwAR0abc"}


def test_a_shared_link_with_tracking_parameters_opens_the_page(platform, api):
    base = platform.base_url
    post = visible(api, submit(api, api.new_user(), title="Plafond de carte en voyage")["id"])
    for path in (f"/posts/{post['id']}", "/questions", "/search?q=carte", "/ideas?sort=top"):
        page = requests.get(base + path, params=TRACKING, timeout=10)
        assert page.status_code == 200, (path, page.status_code)
        assert "text/html" in page.headers["Content-Type"]
    thread = requests.get(f"{base}/posts/{post['id']}", params=TRACKING, timeout=10)
    assert "Plafond de carte en voyage" in thread.text
    # an order the page does not know (mistyped, or an old link's): the default order, not the
    # 400 page — on every list page and the search
    for path in ("/questions", "/contributions", "/ideas", "/articles", "/discussions",
                 "/tags/carte", "/search?q=carte"):
        page = requests.get(base + path, params={"sort": "au-hasard", **TRACKING}, timeout=10)
        assert page.status_code == 200, (path, page.status_code)
    default = requests.get(f"{base}/questions", params={"sort": "zzz"}, timeout=10).text
    assert 'href="/questions?sort=new" aria-current="true"' in default  # said as the default
    # a known parameter with a wrong value is still the clear 400 page
    wrong = requests.get(f"{base}/questions", params={"cursor": "x" * 600}, timeout=10)
    assert wrong.status_code == 400 and "text/html" in wrong.headers["Content-Type"]
    # the API stays strict: an unknown order is refused, field by field
    assert "sort" in str(problem(requests.get(f"{base}/api/v1/posts", params={"sort": "zzz"},
                                              timeout=10), 400))
    # the API's contract is unchanged: an unknown parameter is refused, field by field
    refused = problem(requests.get(f"{base}/api/v1/posts", params=TRACKING, timeout=10), 400)
    assert "utm_source" in str(refused)
