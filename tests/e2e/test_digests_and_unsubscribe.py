"""Digests and one-click unsubscribe as members and SREs meet them: a member chooses daily
e-mail and their digest's local hour and time zone; `agora notifications send-digests` sends
what is due (nothing yet) or, with --now, every waiting digest; every e-mail carries Date,
Message-ID and a one-click List-Unsubscribe (RFC 8058) whose signed link turns that e-mail off."""
from __future__ import annotations

import re
import urllib.parse
from datetime import datetime
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

from ..conftest import wait_for
from .steps import mail, notified, ok, problem, reply_visible, submit, visible

PREFS = "/api/v1/me/notification-preferences"


def unsubscribe_path(message) -> str:
    link = re.fullmatch(r"<(.+)>", message["List-Unsubscribe"]).group(1)
    parts = urllib.parse.urlsplit(link)
    assert parts.path == "/api/v1/unsubscribe"
    return f"{parts.path}?{parts.query}"


def test_a_daily_digest_at_the_members_hour_and_one_click_unsubscribe(platform, api,
                                                                      mongo_client):
    member, helper = api.new_user(display_name="Mia Digest"), api.new_user(
        display_name="Hugo Helper")
    # an hour that is not the member's current one, whenever the test runs
    hour = (datetime.now(ZoneInfo("Pacific/Auckland")).hour + 12) % 24
    chosen = ok(api.put(PREFS, user=member, json={
        "types": {"reply": {"email": "daily"}},
        "digest": {"hour": hour, "timezone": "Pacific/Auckland"}}))
    assert chosen["digest"] == {"hour": hour, "timezone": "Pacific/Auckland"}
    assert chosen["types"]["reply"]["email"] == "daily"
    bad = problem(api.put(PREFS, user=member, json={"digest": {"hour": 24,
                                                                "timezone": "Mars/Base"}}), 400)
    assert set(bad["errors"]["digest"]) == {"hour", "timezone"}
    assert ok(api.get(PREFS, user=helper))["digest"] == {"hour": 8,
                                                         "timezone": "Europe/Paris"}

    question = submit(api, member, title="Virement SEPA en retard")
    visible(api, question["id"])
    answer = ok(api.post(f"/api/v1/posts/{question['id']}/replies", user=helper,
                         json={"body": "Comptez un jour ouvré."}), 201)
    reply_visible(api, answer["id"])
    assert notified(api, member, "reply", reply_id=answer["id"])["email"] == "daily"
    wait_for(lambda: notified(api, member, "reply", reply_id=answer["id"])["actor_name"] ==
             "Hugo Helper", message="the helper's name known to notifications")

    # the SRE command: the member's item is not due before their hour in Auckland...
    items = mongo_client[f"{platform.db_prefix}_notifications"]["digest_items"]
    wait_for(lambda: items.find_one({"member_id": member.id}), message="the item waits")
    due = platform.agora("notifications", "send-digests", env={"AGORA_LANGUAGE": "en"})
    assert due.returncode == 0, due.stderr
    assert re.search(r"\d+ digest e-mail\(s\) made", due.stdout), due.stdout
    assert items.find_one({"member_id": member.id})["digest_id"] is None
    # ... and --now sends every waiting digest at once (the running service sends it)
    forced = platform.agora("notifications", "send-digests", "--now",
                            env={"AGORA_LANGUAGE": "fr"})  # an SRE in French
    assert forced.returncode == 0, forced.stderr
    assert re.search(r"[1-9]\d* résumé\(s\) par e-mail préparé\(s\)", forced.stdout), forced
    digest = mail(platform, member, "Hugo Helper a répondu à votre question")
    assert digest["Subject"] == "[Agora] Votre résumé : 1 notification(s)"
    assert parsedate_to_datetime(digest["Date"]).tzinfo is not None
    assert re.fullmatch(r"<digest\.[A-Za-z0-9.-]+@agora\.local>", digest["Message-ID"])
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = unsubscribe_path(digest)

    # an immediate e-mail carries the same headers (the helper's answer was accepted)
    ok(api.put(f"/api/v1/posts/{question['id']}/accepted-reply", user=member,
               json={"reply_id": answer["id"]}))
    immediate = mail(platform, helper, "a accepté votre réponse")
    assert immediate["Date"] and immediate["Message-ID"] != digest["Message-ID"]
    assert immediate["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # one click: a link scanner's GET changes nothing; the mail client's POST turns it off
    assert ok(api.get(link)) == {"unsubscribed": False, "types": ["reply"]}
    assert ok(api.get(PREFS, user=member))["types"]["reply"]["email"] == "daily"
    done = ok(api.post(link, data="List-Unsubscribe=One-Click",
                       headers={"Content-Type": "application/x-www-form-urlencoded"}))
    assert done == {"unsubscribed": True, "types": ["reply"]}
    prefs = ok(api.get(PREFS, user=member))
    assert prefs["types"]["reply"]["email"] == "off"
    assert prefs["types"]["mention"]["email"] == "immediate"  # only what the mail was about
    assert prefs["digest"] == {"hour": hour, "timezone": "Pacific/Auckland"}
    ok(api.post(link, data="List-Unsubscribe=One-Click"))  # again: nothing more to do

    tampered = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    assert problem(api.post(tampered), 400)["errors"]["token"]
    problem(api.post("/api/v1/unsubscribe"), 400)
    wait_for(lambda: ok(api.get(PREFS, user=member))["types"]["reply"]["email"] == "off",
             message="still off")
