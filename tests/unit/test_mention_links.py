"""Rendered @mentions of known members link to their page (content review F2): only resolved
ones, with the member's id alone, never inside code or another link, the text kept escaped."""
from __future__ import annotations

from services.posts.markdown import link_mentions, render


def test_a_known_members_mention_links_to_their_page_and_the_rest_stays_as_written():
    body = "Merci @Zoé Dupont et @Inconnu ! `@Zoé Dupont` [@Zoé Dupont](https://a.example)"
    html = link_mentions(render(body), {"@Zoé Dupont": "u42"})
    assert html.count('<a class="mention" href="/members/u42">@Zoé Dupont</a>') == 1
    assert "@Inconnu" in html and "<code>@Zoé Dupont</code>" in html
    assert '<a href="https://a.example" rel="nofollow ugc noopener noreferrer">@Zoé Dupont</a>' \
        in html


def test_linking_keeps_the_text_escaped_and_changes_nothing_without_mentions():
    body = "<b>@Chloé N'Diaye</b> & **@Ada** > 2"
    html = link_mentions(render(body), {"@Chloé N'Diaye": "u1", "@Ada": "u2"})
    assert html == ('<p>&lt;b&gt;<a class="mention" href="/members/u1">@Chloé N&#x27;Diaye</a>'
                    '&lt;/b&gt; &amp; <strong><a class="mention" href="/members/u2">@Ada</a>'
                    '</strong> &gt; 2</p>')
    assert link_mentions(render(body), {}) == render(body)
    assert link_mentions(render("pas de mention"), {"@Ada": "u2"}) == render("pas de mention")
