"""Where signing in lands when the login link carried no `next`: the bank's people on the
console tab their roles work in (an advisor's inbox, a community manager's or an admin's
moderation queue), members on the home page; an explicit safe `next` always wins."""
from __future__ import annotations

from urllib.parse import urlparse

import pytest

from .accounts import ADMIN, ADVISOR1, CM1, MEMBER1
from .console_steps import sign_in_staff


def landed(console) -> str:
    return urlparse(console.driver.current_url).path


def signed_out(console) -> None:
    console.visit("/robots.txt", check=False)
    console.driver.delete_all_cookies()


@pytest.mark.parametrize("console", ["desktop"], indirect=True)
def test_staff_land_on_their_console_tab_and_members_on_the_home_page(console):
    for email, expected in ((ADVISOR1, "/console/conversations"),
                            (CM1, "/console/moderation"), (ADMIN, "/console/moderation")):
        signed_out(console)
        sign_in_staff(console, email, next_path="")
        console.wait_for(lambda expected=expected: landed(console) == expected,
                         f"{email} on {expected} (at {console.driver.current_url})")
    console.screenshot("console-landing-admin")
    signed_out(console)
    console.sign_in(MEMBER1, next_path="")
    console.wait_for(lambda: landed(console) == "/", f"member on / (at {landed(console)})")


@pytest.mark.parametrize("console", ["desktop"], indirect=True)
def test_an_explicit_next_wins_over_the_staff_landing(console):
    sign_in_staff(console, ADVISOR1, next_path="/me/profile")
    console.wait_for(lambda: landed(console) == "/me/profile",
                     f"the asked page (at {console.driver.current_url})")
    # an unsafe `next` (another site) is not followed: the advisor's own landing instead
    signed_out(console)
    sign_in_staff(console, ADVISOR1, next_path="//evil.example/x")
    console.wait_for(lambda: landed(console) == "/console/conversations",
                     f"the inbox (at {console.driver.current_url})")
