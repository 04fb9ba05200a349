"""Steps the console's browser tests share: signing the demo staff in with their authenticator,
a page read again in English at the desktop size, finding an element on the pages of a console
list, an IBAN question held for the queue."""
from __future__ import annotations

import time
import uuid
from contextlib import contextmanager
from urllib.parse import quote

from services.devtools.demo_seed import DEMO_TOTP_SECRET
from services.devtools.gateway_client import TotpDevice

from ..e2e.steps import IBAN, queued, staff, submit
from .conftest import DEVICES, Site, window

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


@contextmanager
def in_english_at_desktop(phone: Site, path: str):
    """`phone`'s browser at the desktop size, `path` asked for in English: the Site to read it
    with (a test waits for what it reads). Put back after: French again (on `path`), and the
    phone's size, as the browser is shared."""
    english = Site(driver=phone.driver, device="desktop", base_url=phone.base_url)
    with window(phone, DEVICES["desktop"]):
        try:
            english.visit(f"/lang/en?next={quote(path)}", check=False)
            yield english
        finally:
            english.visit(f"/lang/fr?next={quote(path)}", check=False)


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


# The options a select whose chosen sentence wraps (site.css: select.sentences, a customizable
# select) shows cut: each chosen in turn, it must hold its text (then the choice is put back).
CUT_SENTENCES = """
const select = arguments[0];
if (getComputedStyle(select).appearance !== "base-select") return null;
const chosen = select.value, cut = [];
for (const option of select.options) {
  select.value = option.value;
  if (select.scrollWidth > select.clientWidth || select.scrollHeight > select.clientHeight) {
    cut.push(option.text);
  }
}
select.value = chosen;
return cut;
"""


def assert_options_read_whole(site: Site, select) -> None:
    """Every option of `select` shows whole in it (none is cut by its width): a native select's
    longest option fits its width; a sentence that wraps is held whole."""
    cut = site.driver.execute_script(CUT_SENTENCES, select)
    if cut is not None:
        assert not cut, f"options cut off: {cut}"
        return
    room = site.room_beside_longest_option(select)
    assert room >= SELECT_ARROW, f"an option is cut off ({room:.0f} px beside the longest)"


def held_iban_question(platform, api, author=None) -> tuple[dict, str]:
    """A member's question holding an IBAN, waiting in the queue: (the post, its item id)."""
    question = submit(api, author or api.new_user(),
                      title=f"Virement bloqué {uuid.uuid4().hex[:6]}",
                      body=f"Bonjour, mon IBAN est {IBAN}, pourquoi mon virement est bloqué ?")
    return question, queued(api, staff(platform), question["id"])["id"]


def opened(site: Site, item_id: str) -> bool:
    """The console shows item `item_id`."""
    return site.find("#console").get_attribute("data-current") == item_id
