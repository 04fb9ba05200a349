"""Steps the console's browser tests share: signing the demo staff in with their authenticator,
finding an element on the pages of a console list."""
from __future__ import annotations

import time

from services.devtools.demo_seed import DEMO_TOTP_SECRET
from services.devtools.gateway_client import TotpDevice

from .conftest import Site

MORE_PAGES = 10

# one authenticator per demo staff account for the whole run: each TOTP step is taken once
AUTHENTICATORS: dict[str, TotpDevice] = {}


def staff_device(email: str) -> TotpDevice:
    """The run's one authenticator of a demo staff account (give it to a DemoApi that signs the
    account in too, so that the two never send the same step's code)."""
    if email not in AUTHENTICATORS:
        device = AUTHENTICATORS[email] = TotpDevice(DEMO_TOTP_SECRET)
        # the demo seeder may have just signed this account in with the current step's code
        device.last_step = int(time.time()) // device.totp.interval
    return AUTHENTICATORS[email]


def sign_in_staff(console, email: str, next_path: str = "/") -> None:
    console.sign_in(email, next_path=next_path, device=staff_device(email))


def reloaded(site: Site, path: str, css: str):
    """The element `css` on `path` loaded afresh (what the services applied since), or None."""
    site.visit(path, check=False)
    found = site.find_all(css)
    return found[0] if found else None


def on_some_page(site: Site, css: str, more_css: str):
    """The first element matching `css` in a paginated list, following its "more" link
    (`more_css`) from page to page as a CM would."""
    for _ in range(MORE_PAGES):
        found = site.find_all(css)
        if found:
            return found[0]
        more = site.find_all(more_css)
        assert more, f"{css} is on no page of the list"
        before = site.driver.current_url
        more[0].click()
        site.wait_for(lambda before=before: site.driver.current_url != before,
                      "the next page of the list")
    raise AssertionError(f"{css} not found in {MORE_PAGES} pages")


# Below this many px beside a select's longest option its end is cut off on screen.
SELECT_ARROW = 20


def assert_options_read_whole(site: Site, select) -> None:
    """Every option of `select` shows whole in it (none is cut by its width)."""
    room = site.room_beside_longest_option(select)
    assert room >= SELECT_ARROW, f"an option is cut off ({room:.0f} px beside the longest)"
