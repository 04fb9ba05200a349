"""Anonymous screens, as a visitor uses them: home, lists, search, a thread, a profile, errors;
readable without JavaScript, with their titles and sharing tags."""
from __future__ import annotations

import re
import uuid

import requests

from ..e2e.steps import submit, visible


def test_home_shows_the_four_sections_and_leads_to_a_thread(site):
    site.visit("/")
    for heading in ("À la une", "Les dernières contributions",
                    "Questions en attente de réponse", "Idées populaires"):
        assert site.heading(heading, 2), heading
    assert site.find_all("#latest-list li")
    assert site.driver.title.startswith("Agora")
    site.no_horizontal_scroll()
    site.screenshot("home")
    site.find("#latest-list li a[href^='/posts/']").click()
    site.wait_for_path("/posts/")
    site.check()
    assert site.find("h1").text
    site.no_horizontal_scroll()
    site.screenshot("thread")


def test_the_latest_contributions_see_all_leads_to_every_kind_not_the_questions_alone(site, api):
    """"Les dernières contributions" (every kind) ended on "Toutes les questions"."""
    author = api.new_user()
    posted = [visible(api, submit(api, author, kind=kind, title=f"{kind} {uuid.uuid4().hex[:6]}",
                                  category=category)["id"])
              for kind, category in (("question", "cards"), ("idea", "cards"))]
    site.visit("/")
    site.find("#latest-list ~ .see-all a").click()
    site.wait_for_path("/contributions")
    assert site.heading("Toutes les contributions", 1)
    listed = [a.get_attribute("href").rsplit("/", 1)[-1]
              for a in site.find_all("#post-list li h2 a")]
    question, idea = (post["id"] for post in posted)
    assert idea in listed and question in listed, listed
    assert listed.index(idea) < listed.index(question)  # newest first, whatever their kind
    site.check()
    site.no_horizontal_scroll()
    site.screenshot("contributions")


def _sort_chips(site) -> list[str]:
    return [chip.get_attribute("textContent").strip() for chip in site.find_all(".sort-tabs a")]


def test_lists_offer_the_orders_of_a_list_only(site):
    """Relevance orders a search's results: a list has no words to rank by, no such chip."""
    site.visit("/questions")
    # nouns, whatever the gender of what is listed (questions, idées, articles…)
    assert _sort_chips(site) == ["Date", "Votes", "Activité", "Sans réponse"]
    outside = site.driver.execute_script(
        "return [...document.querySelectorAll('.sort-tabs a')].filter("
        "a => a.getBoundingClientRect().right > innerWidth).map(a => a.textContent)")
    assert not outside, f"chips out of sight (scrolled away on a phone): {outside}"
    for path in ("/ideas", "/discussions", "/articles"):
        site.visit(path)
        assert _sort_chips(site) == ["Date", "Votes", "Activité"]
    site.screenshot("articles-sorts")
    site.visit("/lang/en?next=/ideas")
    assert _sort_chips(site) == ["Newest", "Most voted", "Most active"]


def test_lists_sort_and_grow_in_place_without_a_reload(site):
    site.visit("/questions")
    assert site.heading("Questions", 1)
    site.click_link("Votes")
    site.wait_for_path("sort=top")
    site.check()
    current = site.find(".sort-tabs a[aria-current='true']")
    assert current.text == "Votes"
    site.visit("/ideas?sort=top")
    site.no_horizontal_scroll()
    site.screenshot("ideas")


def test_search_finds_posts_by_their_words(site):
    site.visit("/")
    title = site.find("#latest-list li h3 a").text
    word = max(re.findall(r"\w+", title), key=len)
    box = site.find("#site-search")
    box.send_keys(word)
    box.submit()
    site.wait_for_path("/search?q=")
    site.check()
    assert site.find_all("#post-list li")
    site.screenshot("search")
    site.visit("/search?q=zzzqqqxxx")
    assert "Aucune contribution ne contient tous ces mots" in site.text()
    # nothing found: ask it, the words as the question's title
    ask = site.find("#search-outcome a")
    assert ask.text == "Vous ne trouvez pas ? Posez la question à la communauté"
    assert ask.get_attribute("href").endswith("/write?kind=question&title=zzzqqqxxx")
    # in the form's column, not at the page's edge (at 1366 the form is centred)
    form, outcome = site.find(".search-panel"), site.find("#search-outcome")
    assert outcome.rect["x"] == form.rect["x"] and outcome.rect["width"] == form.rect["width"]
    site.screenshot("search-empty")
    # words too common to search are said to be so, not "found nowhere"
    site.visit("/search?q=le+la+de")
    assert "Ces mots sont trop courants pour chercher : ajoutez un mot plus précis." in \
        site.text()
    assert "Aucune contribution" not in site.text() and not site.find_all("#search-outcome a")


def test_member_profile_shows_badges_and_activity(site):
    site.visit("/questions")
    site.find("#post-list li .meta a[href^='/members/']").click()
    site.wait_for_path("/members/")
    site.check()
    assert site.heading("Activité récente", 2)
    site.screenshot("profile")


def test_categories_go_by_their_names_in_the_readers_language(site, demo):
    # "payments" is one of the demo's categories, named by the admins in both languages
    post = demo.api.get("/api/v1/posts?category=payments&limit=1").json()["items"][0]
    site.visit(f"/posts/{post['id']}")
    link = site.find(".taxonomy a[href='/categories/payments']")
    assert link.text == "Virements et paiements"  # the French name, not the slug
    link.click()
    site.wait_for_path("/categories/payments")
    site.check()
    assert site.heading("Catégorie\N{NARROW NO-BREAK SPACE}: Virements et paiements", 1)
    site.visit("/lang/en?next=/categories/payments")
    assert site.heading("Category: Transfers and payments", 1)
    site.visit("/categories/no-such-category")
    assert site.heading("Page not found", 1)


def test_the_footer_leads_another_bank_team_to_the_api_and_the_events(site):
    """Not to a raw JSON document: a page in words, which links to it."""
    site.visit("/questions")
    site.find(".site-footer a[href='/developers']").click()
    site.wait_for_path("/developers")
    assert site.heading("Développeurs", 1)
    main = site.find("#main").text
    assert "Idempotency-Key" in main and "<service>.events" in main and "asyncapi" in main
    site.check()
    site.no_horizontal_scroll()
    site.screenshot("developers")
    openapi = site.find("#main a[href='/api/v1/openapi.json']").get_attribute("href")
    assert requests.get(openapi, timeout=10).json()["openapi"].startswith("3.")
    site.find(".lang-switch a[lang='en']").click()  # a visitor's switch is a link
    site.wait_for(lambda: site.heading("Developers", 1), "the English page")


def test_the_rules_a_refusal_cites_are_one_click_from_every_page_and_from_the_sign_up(site):
    """A refusal said "Non conforme aux règles de la communauté", and the sign-up accepted
    them, but no page held them."""
    site.visit("/questions")
    site.find(".site-footer a[href='/rules']").click()
    site.wait_for_path("/rules")
    assert site.heading("Règles de la communauté", 1)
    main = site.find("#main").text
    assert "Non conforme aux règles de la communauté" in main  # a refusal's words
    assert "ne vous demandera jamais votre mot de passe" in main
    site.find("#main a[href='#moderation']").click()
    site.wait_for(lambda: site.driver.current_url.endswith("#moderation"), "the section")
    site.check()
    site.no_horizontal_scroll()
    site.screenshot("rules")
    site.visit("/register")
    site.find("#accept-rules a[href='/rules']").click()
    site.wait_for_path("/rules")
    site.find(".lang-switch a[lang='en']").click()
    site.wait_for(lambda: site.heading("Community rules", 1), "the English page")
    assert "Not compliant with the community rules" in site.find("#main").text


def test_unknown_pages_get_a_clear_page_in_the_readers_language(site):
    site.visit("/posts/does-not-exist")
    assert site.heading("Page introuvable", 1)
    site.visit("/no/such/page")
    assert site.heading("Page introuvable", 1)
    site.screenshot("not-found")


def test_public_pages_are_server_rendered_with_their_security_headers(demo):
    """Without JavaScript (a crawler): the HTML itself holds the content and the tags."""
    base = demo.base_url
    home = requests.get(base + "/", headers={"Accept-Language": "en"}, timeout=10)
    assert home.status_code == 200 and '<html lang="en">' in home.text
    assert "Latest contributions" in home.text
    post_path = re.search(r'href="(/posts/[^"#]+)"', home.text).group(1)
    thread = requests.get(base + post_path, timeout=10)
    assert thread.status_code == 200 and '<html lang="fr">' in thread.text
    for tag in ('<link rel="canonical" href="' + base + post_path + '"',
                '<meta property="og:type" content="article">', '<meta name="description"'):
        assert tag in thread.text
    csp = thread.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert thread.headers["X-Content-Type-Options"] == "nosniff"
    assert thread.headers["Cache-Control"] == "no-store"
    assert "<script>" not in thread.text and " style=" not in thread.text
    missing = requests.get(base + "/no/such/page", headers={"Accept": "text/html"}, timeout=10)
    assert missing.status_code == 404 and "text/html" in missing.headers["Content-Type"]
    api_missing = requests.get(base + "/api/v1/nothing", headers={"Accept": "text/html"},
                               timeout=10)
    assert api_missing.headers["Content-Type"].startswith("application/problem+json")
