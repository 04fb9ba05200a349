"""Browser tests: the site in headless Chromium from Debian's packages (`chromium` and
`chromium-driver`, installed by `make browser`; nothing is downloaded at test time), driven by
Selenium through /usr/bin/chromedriver, against a platform of their own (tests/platform.py; the
browser tests change the demo content, which the e2e tests check as seeded), with the demo data
seeded once. It starts with the first browser test and stops after the last.

Why Selenium and not Playwright: the test process is monkey-patched by eventlet (tests/conftest.py)
and Playwright's sync API (greenlets around an asyncio loop) stalls under it as soon as a page
navigates; WebDriver is plain HTTP to chromedriver, which eventlet's sockets carry fine.

Every test runs at a phone size (390×844, touch, mobile) and a desktop size (1366×768); take the
`site` fixture::

    def test_home(site):
        site.visit("/")                       # navigates, then axe (0 violations) + no CSP error
        site.click_link("Questions")          # or site.find("css selector").click()
        site.check()                          # axe again on what is now on screen
        site.screenshot("questions")          # .state/screenshots/questions-phone.png

`site.sign_in(email)` signs in through the form (demo password by default); `site.driver` is the
Selenium WebDriver for anything else. Browsers are reused across tests (cookies are cleared).
"""
from __future__ import annotations

import base64
import os
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from services.devtools.demo_seed import DEMO_PASSWORD

from ..conftest import ROOT, wait_for
from ..e2e.steps import ok
from ..platform import own_platform

CHROMIUM = os.environ.get("AGORA_CHROMIUM", "/usr/bin/chromium")
# The width a select leaves beside its longest option's text (`room_beside_longest_option`).
ROOM_BESIDE_LONGEST_OPTION = """
const select = arguments[0], style = getComputedStyle(select);
const pen = document.createElement("canvas").getContext("2d");
pen.font = style.font;
const longest = Math.max(...[...select.options].map(o => pen.measureText(o.text).width));
return select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight)
    - longest;
"""
CHROMEDRIVER = os.environ.get("AGORA_CHROMEDRIVER", "/usr/bin/chromedriver")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / ".state" / "screenshots"
DEVICES = {
    "phone": {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True},
    "desktop": {"width": 1366, "height": 768, "deviceScaleFactor": 1, "mobile": False},
}
# The staff console is built for tablets and desktops: its tests (fixture `console`) run at a
# tablet size instead of the phone size.
CONSOLE_DEVICES = {
    "desktop": DEVICES["desktop"],
    "tablet": {"width": 820, "height": 1180, "deviceScaleFactor": 2, "mobile": True},
}
SIZES = {**DEVICES, **CONSOLE_DEVICES}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# A bound on waiting for a condition, not a delay: a passing test never waits it out. Generous, as
# a loaded 2-core machine (CI, parallel runs) can take many seconds to render a page or deliver a
# live event; AGORA_BROWSER_WAIT_SECONDS tunes it.
WAIT_SECONDS = float(os.environ.get("AGORA_BROWSER_WAIT_SECONDS", "45"))
STALE_RETRIES = 5  # a live region re-renders once per change, not in a loop
# Installed before any page script: CSP violations and uncaught errors, read by Site.check().
PROBLEM_RECORDER = """
window.__agoraProblems = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__agoraProblems.push(`CSP: ${event.violatedDirective} blocked ${event.blockedURI}`);
});
window.addEventListener("error", (event) => {
  window.__agoraProblems.push(`script error: ${event.message}`);
});
"""
AXE_RUN = """
const [tags, done] = arguments;
axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]})
  .then(result => done(result.violations.map(v => `${v.id} (${v.impact}): ${v.help} — ` +
        v.nodes.slice(0, 5).map(node => node.target.join(" ")).join("; "))))
  .catch(error => done([`axe failed: ${error}`]));
"""


@pytest.fixture(scope="package")
def platform(mongo_client):
    """This package's own platform (overrides the session's one of tests/platform.py)."""
    with own_platform("web", mongo_client) as platform:
        yield platform


@pytest.fixture(scope="package")
def demo(platform):
    """The demo accounts and content (`agora seed-demo`), once for the browser tests."""
    result = platform.agora("seed-demo", "--gateway", platform.base_url, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return platform


def _start_browser(device: str) -> webdriver.Chrome:
    for path, target in ((CHROMIUM, "browser"), (CHROMEDRIVER, "browser"), (AXE, "assets")):
        if not Path(path).exists():
            pytest.fail(f"{path} is missing: `make {target}` installs it", pytrace=False)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    size = SIZES[device]
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={size['width']},{size['height']}", "--lang=fr-FR"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": "fr-FR,fr"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", size)
    if size["mobile"]:
        driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled",
                               {"enabled": True, "maxTouchPoints": 5})
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": PROBLEM_RECORDER})
    driver.set_script_timeout(30)
    driver.set_page_load_timeout(60)
    return driver


@pytest.fixture(scope="package")
def browsers(demo):
    """One browser per device for the whole session (a start costs about two seconds)."""
    started: dict[str, webdriver.Chrome] = {}

    def browser(device: str) -> webdriver.Chrome:
        if device not in started:
            started[device] = _start_browser(device)
        return started[device]

    yield browser
    for driver in started.values():
        driver.quit()


@dataclass
class Site:
    driver: webdriver.Chrome
    device: str
    base_url: str

    def url(self, path: str) -> str:
        return self.base_url + path

    @contextmanager
    def at_width(self, width: int):
        """The page at `width` CSS px (a narrow phone), then back to the test's device."""
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            **DEVICES["phone"], "width": width})
        try:
            yield
        finally:
            self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                        DEVICES[self.device])

    def visit(self, path: str, check: bool = True) -> None:
        self.driver.get(self.url(path))
        if check:
            self.check()

    def find(self, css: str):
        return self.wait_for(lambda: self.driver.find_element(By.CSS_SELECTOR, css))

    def text_of(self, css: str) -> str:
        """The text of the element `css` finds, found again if the page replaced it between
        the finding and the reading (a live list, as the console's inbox, re-renders its rows
        when anything in it changed)."""
        return self.wait_for(
            lambda: (self.driver.find_element(By.CSS_SELECTOR, css).text,), css)[0]

    def find_all(self, css: str) -> list:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def text(self) -> str:
        return self.driver.find_element(By.TAG_NAME, "body").text

    def heading(self, text: str, level: int | None = None) -> bool:
        """Whether a displayed heading reads `text`, read again from the start if the page
        replaced a heading while it was being read (a live region re-renders its own)."""
        tags = [f"h{level}"] if level else [f"h{n}" for n in range(1, 7)]
        for _ in range(STALE_RETRIES):
            try:
                return any(element.text.strip() == text and element.is_displayed()
                           for tag in tags
                           for element in self.driver.find_elements(By.TAG_NAME, tag))
            except StaleElementReferenceException:
                continue
        raise AssertionError(f"the headings kept being replaced while looking for {text!r}")

    def click_link(self, text: str) -> None:
        link = self.wait_for(lambda: next(
            (a for a in self.driver.find_elements(By.TAG_NAME, "a")
             if a.text.strip() == text and a.is_displayed()), None), f"link {text!r}")
        link.click()

    def click_button(self, text: str) -> None:
        button = self.wait_for(lambda: next(
            (b for b in self.driver.find_elements(By.CSS_SELECTOR, "button, [type=submit]")
             if b.text.strip() == text and b.is_displayed()), None), f"button {text!r}")
        button.click()

    def field(self, label: str):
        """The form control labelled `label` (its <label for=...> text, exactly)."""
        def found():
            for element in self.driver.find_elements(By.TAG_NAME, "label"):
                if element.text.strip() == label and element.get_attribute("for"):
                    return self.driver.find_element(By.ID, element.get_attribute("for"))
            return None
        return self.wait_for(found, f"field {label!r}")

    def fill(self, label: str, value: str) -> None:
        control = self.field(label)
        control.clear()
        control.send_keys(value)

    def wait_for(self, condition, message: str = ""):
        """Poll `condition` (WebDriverWait) until it returns something truthy."""
        return WebDriverWait(self.driver, WAIT_SECONDS, poll_frequency=0.05,
                             ignored_exceptions=(WebDriverException,)).until(
            lambda _: condition(), message)

    def wait_for_path(self, fragment: str) -> None:
        self.wait_for(lambda: fragment in self.driver.current_url,
                      f"URL with {fragment!r} (at {self.driver.current_url})")

    def check(self) -> None:
        """axe-core (WCAG 2.1 A and AA) on what is on screen: 0 violations; and no CSP
        violation nor script error since the page loaded."""
        self.wait_for(lambda: self.driver.execute_script(
            "return document.readyState") == "complete", "page loaded")
        if not self.driver.execute_script("return typeof window.axe !== 'undefined'"):
            self.driver.execute_script(AXE.read_text(encoding="utf-8"))
        violations = self.driver.execute_async_script(AXE_RUN, AXE_TAGS)
        assert not violations, (f"axe on {self.driver.current_url} ({self.device}):\n"
                                + "\n".join(violations))
        problems = self.driver.execute_script("return window.__agoraProblems || []")
        assert not problems, f"page problems on {self.driver.current_url}: {problems}"

    def screenshot(self, name: str) -> Path:
        """The whole page (not only the viewport) as .state/screenshots/<name>-<device>.png."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}-{self.device}.png"
        shot = self.driver.execute_cdp_cmd("Page.captureScreenshot",
                                           {"format": "png", "captureBeyondViewport": True})
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def sign_in(self, email: str, password: str = DEMO_PASSWORD, next_path: str = "/",
                device=None) -> None:
        """Through the login form; staff (`device`: their authenticator, a TotpDevice) then
        type the code the second step asks for."""
        self.visit(f"/login?next={next_path}")
        self.fill(self.t("E-mail address", "Adresse e-mail"), email)
        self.fill(self.t("Password", "Mot de passe"), password)
        self.find("form[action='/login'] button[type=submit]").click()
        if device is not None:
            self.find("form[action^='/login/code'] #field-code").send_keys(device.next_code())
            self.find("form[action^='/login/code'] button[type=submit]").click()
        self.wait_for(lambda: "/login" not in self.driver.current_url, "signed in")

    def t(self, english: str, french: str) -> str:
        """The text the page shows in its current language."""
        language = self.driver.execute_script("return document.documentElement.lang")
        return french if language == "fr" else english

    def room_beside_longest_option(self, select) -> float:
        """The width, in px, `select` leaves beside its longest option's text (for its arrow):
        below about 20 the end of that option is cut off on screen."""
        return self.driver.execute_script(ROOM_BESIDE_LONGEST_OPTION, select)

    def no_horizontal_scroll(self) -> None:
        overflow = self.driver.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, (f"{self.driver.current_url} scrolls sideways by {overflow}px "
                               f"({self.device})")


@contextmanager
def window(site: Site, size: dict):
    """The page at another window size for a while (the browser is shared: put back after)."""
    site.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", size)
    try:
        yield
    finally:
        site.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", SIZES[site.device])


def opened(browsers, demo, device: str) -> Site:
    """The shared browser of `device`, signed out of the site (its cookies cleared)."""
    driver = browsers(device)
    driver.get(demo.base_url + "/robots.txt")  # on the site's origin, to clear its cookies
    driver.delete_all_cookies()
    return Site(driver=driver, device=device, base_url=demo.base_url)


@pytest.fixture(params=list(DEVICES), ids=list(DEVICES))
def site(request, browsers, demo):
    return opened(browsers, demo, request.param)


@pytest.fixture(params=list(CONSOLE_DEVICES), ids=list(CONSOLE_DEVICES))
def console(request, browsers, demo):
    """Like `site`, at the console's sizes (desktop 1366×768, tablet 820×1180)."""
    return opened(browsers, demo, request.param)


@pytest.fixture
def phone(browsers, demo):
    """The site at the phone's size only (a test that then reads it at another size itself)."""
    return opened(browsers, demo, "phone")


@pytest.fixture
def conversations_db(platform, mongo_client):
    return mongo_client[f"{platform.db_prefix}_conversations"]


def pytest_collection_modifyitems(items):
    for item in items:
        if "/browser/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def advisor_and_customer(platform, mongo_client):
    """An advisor and their customer, once conversations knows who advises whom."""
    api = platform.api
    # a name of its own each time: a member may not take a staff member's name
    # (identity/names.py), and the advisor of the previous device run is staff
    advisor = api.new_user(display_name=f"Claire Conseil {uuid.uuid4().hex[:4]}")
    api.grant(platform.admin, advisor, "advisor")
    member = api.new_user(display_name="Marc Client", customer=True)
    ok(api.put(f"/api/v1/users/{member.id}/advisor", user=platform.admin,
               json={"advisor_id": advisor.id, "branch": "Lyon Bellecour"}))
    members = mongo_client[f"{platform.db_prefix}_conversations"]["members"]
    wait_for(lambda: (members.find_one({"_id": member.id}) or {}).get("advisor_id")
             == advisor.id, timeout=30, message="conversations knows the advisor")
    return advisor, member
