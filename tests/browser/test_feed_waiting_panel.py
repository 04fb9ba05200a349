"""'Mon fil''s panel of the member's texts waiting, as it reads when posts has more than it lists
(21 of a kind, 20 listed: "at least 20") and when posts does not answer (paused: the feed
shows, the panel says the list cannot be shown now), in French and in English, at a phone's and
a desktop's size. (The same behaviours checked on the HTML: tests/e2e/test_waiting_list.py.)"""
from __future__ import annotations

import signal

from ..conftest import wait_for
from ..e2e.steps import IBAN, ok, submit

LANGUAGES = (("fr", "Mon fil"), ("en", "My feed"))


def _feed_in(site, language: str) -> None:
    site.visit(f"/lang/{language}?next=/me/feed", check=False)
    site.wait_for_path("/me/feed")


def test_more_texts_waiting_than_listed_are_counted_as_at_least_20(site, demo):
    api = demo.api
    author = api.new_user()
    held = [submit(api, author, title=f"Virement {n} vers {IBAN}",
                   body="Le virement vers mon livret est bloqué.")["id"] for n in range(21)]
    wait_for(lambda: {post["id"] for post in ok(api.get("/api/v1/me/waiting", user=author))[
        "posts"]} == set(held[1:]), timeout=30, message="the newest 20 listed")
    site.sign_in(author.email, author.password, next_path="/me/feed")
    for language, _ in LANGUAGES:
        _feed_in(site, language)
        assert site.find("#waiting-title").text == site.t(
            "At least 20 of your contributions waiting to be published",
            "Au moins 20 de vos contributions en attente de publication")
        assert site.t("Only the most recent are listed here.",
                      "Seules les plus récentes sont listées ici.") in site.text_of("#waiting")
        assert len(site.find_all("#waiting .waiting-list li")) == 20
        site.check()
        site.no_horizontal_scroll()
        site.screenshot(f"feed-waiting-at-least-{language}")


def test_the_feed_shows_while_posts_does_not_answer(site, demo):
    api = demo.api
    member = api.new_user()
    site.sign_in(member.email, member.password, next_path="/me/profile")
    site.wait_for_path("/me/profile")
    posts = demo.processes["posts"].popen
    for language, heading in LANGUAGES:
        posts.send_signal(signal.SIGSTOP)
        try:
            _feed_in(site, language)
        finally:
            posts.send_signal(signal.SIGCONT)
        assert site.heading(heading, 1)
        assert site.text_of("#waiting") == site.t(
            "The list of your contributions waiting to be published cannot be shown right now. "
            "Try again in a few minutes.",
            "La liste de vos contributions en attente de publication ne peut pas être affichée "
            "pour l’instant. Réessayez dans quelques minutes.")
        assert site.find_all(".empty")  # the feed, empty for a new member, as always
        site.check()
        site.no_horizontal_scroll()
        site.screenshot(f"feed-waiting-unavailable-{language}")
