"""The Markdown members write: quotes, links as typed, nested and numbered lists, headings,
tables, rules, emphasis that nests, escapes, and excerpts without marks (services/posts/
markdown.py). The subset's safety, speed and plain text: tests/unit/test_posts_text.py."""
import doctest
import random

import pytest

from services.posts import markdown
from services.posts.markdown import LINK_REL, excerpt, plain_text, render, render_inline

from .test_posts_text import _nests

pytestmark = pytest.mark.unit


def _a(url: str, label: str | None = None) -> str:
    return f'<a href="{url}" rel="{LINK_REL}">{label or url}</a>'


def test_the_module_examples_hold():
    assert doctest.testmod(markdown).failed == 0


@pytest.mark.parametrize("source, html", [
    # members quote each other: one level, several lines, inline marks inside
    ("> Ma carte est **bloquée**\n> depuis hier",
     "<blockquote><p>Ma carte est <strong>bloquée</strong><br>depuis hier</p></blockquote>"),
    (">collé\n>\n> second paragraphe\n\nMa réponse",
     "<blockquote><p>collé</p><p>second paragraphe</p></blockquote><p>Ma réponse</p>"),
    ("> citée\nma réponse juste dessous",
     "<blockquote><p>citée</p></blockquote><p>ma réponse juste dessous</p>"),
    ("> > citation de citation", "<blockquote><p>&gt; citation de citation</p></blockquote>"),
    ("- liste\n> citation", "<ul><li>liste</li></ul><blockquote><p>citation</p></blockquote>"),
    ("3 > 2 et Cartes > Plafonds", "<p>3 &gt; 2 et Cartes &gt; Plafonds</p>"),
])
def test_quotes(source, html):
    assert render(source) == html


@pytest.mark.parametrize("source, html", [
    ("voir https://bank.example/aide.", f"<p>voir {_a('https://bank.example/aide')}.</p>"),
    ("(https://bank.example/a) et https://bank.example/b?c=1&d=2, ou https://x.example/!?",
     f"<p>({_a('https://bank.example/a')}) et "
     f"{_a('https://bank.example/b?c=1&amp;d=2')}, ou {_a('https://x.example/')}!?</p>"),
    ("https://fr.wikipedia.org/wiki/Livret_A_(France);",
     f"<p>{_a('https://fr.wikipedia.org/wiki/Livret_A_(France)')};</p>"),
    ("<https://bank.example/a_(b)>", f"<p>{_a('https://bank.example/a_(b)')}</p>"),
    ("[Livret A](https://fr.wikipedia.org/wiki/Livret_A_(France))",
     f"<p>{_a('https://fr.wikipedia.org/wiki/Livret_A_(France)', 'Livret A')}</p>"),
    ("![Capture de l’écran](https://img.example/c.png)",
     f"<p>{_a('https://img.example/c.png', 'Capture de l’écran')}</p>"),
    ("![](https://img.example/c.png)", f"<p>{_a('https://img.example/c.png')}</p>"),
    ("**https://bank.example** et *[ici](https://a.example) aussi*",
     f"<p><strong>{_a('https://bank.example')}</strong> et <em>{_a('https://a.example', 'ici')}"
     " aussi</em></p>"),
    ("https://bank.example/snake_case_name_", f"<p>{_a('https://bank.example/snake_case_name')}_</p>"),
    # only http(s) ever becomes a link
    ("<javascript:alert(1)> ![x](javascript:alert(1)) ftp://a.example http://",
     "<p>&lt;javascript:alert(1)&gt; ![x](javascript:alert(1)) ftp://a.example http://</p>"),
    ("`https://in.code.example`", "<p><code>https://in.code.example</code></p>"),
])
def test_links_as_members_type_them(source, html):
    assert render(source) == html


@pytest.mark.parametrize("source, html", [
    ("- un\n  - deux\n    - trois\n  - deux bis\n- un bis",
     "<ul><li>un<ul><li>deux<ul><li>trois</li></ul></li><li>deux bis</li></ul></li>"
     "<li>un bis</li></ul>"),
    ("1. premier\n2. second\n   1. sous\n   2. sous bis\n3. troisième",
     "<ol><li>premier</li><li>second<ol><li>sous</li><li>sous bis</li></ol></li>"
     "<li>troisième</li></ol>"),
    ("- a\n\t- tab\n\t\t- deux tabs\n    - quatre espaces",
     "<ul><li>a<ul><li>tab<ul><li>deux tabs</li></ul></li><li>quatre espaces</li></ul></li></ul>"),
    ("1. Ouvrir l’appli\n\n2. Appuyer sur Cartes\n\n3. Saisir le code",
     "<ol><li>Ouvrir l’appli</li><li>Appuyer sur Cartes</li><li>Saisir le code</li></ol>"),
    ("3. trois\n4. quatre", '<ol start="3"><li>trois</li><li>quatre</li></ol>'),
    ("1. a\n   7) sept", '<ol><li>a<ol start="7"><li>sept</li></ol></li></ol>'),
    ("1. étape\n   - détail\n2. suite",
     "<ol><li>étape<ul><li>détail</li></ul></li><li>suite</li></ol>"),
    ("- un\n  suite du un\n- deux", "<ul><li>un<br>suite du un</li><li>deux</li></ul>"),
    ("- a\n\n  pas la suite", "<ul><li>a</li></ul><p>pas la suite</p>"),
    ("1. a\n\nUn paragraphe.\n\n2. b",
     '<ol><li>a</li></ol><p>Un paragraphe.</p><ol start="2"><li>b</li></ol>'),
    (" - un espace n’imbrique pas\n- a", "<ul><li>un espace n’imbrique pas</li><li>a</li></ul>"),
])
def test_lists_nest_and_number_as_written(source, html):
    assert render(source) == html


def test_lists_nest_no_deeper_than_a_phone_shows():
    source = "\n".join("  " * depth + f"- {depth}" for depth in range(10))
    html = render(source)
    assert html.count("<ul>") == html.count("</ul>") == markdown._LIST_DEPTH
    assert plain_text(source) == "\N{NO-BREAK SPACE}· ".join(str(depth) for depth in range(10))


@pytest.mark.parametrize("source, html", [
    ("***tout***", "<p><strong><em>tout</em></strong></p>"),
    ("***a* b**", "<p><strong><em>a</em> b</strong></p>"),
    ("*a **b** c*", "<p><em>a <strong>b</strong> c</em></p>"),
    ("**a *b** c*", "<p><strong>a *b</strong> c*</p>"),  # would cross: stays as typed
    ("\\*pas d’italique\\*, \\_ni ça\\_, 2 \\* 3", "<p>*pas d’italique*, _ni ça_, 2 * 3</p>"),
    ("\\# pas un titre", "<p># pas un titre</p>"),
    ("1\\. pas une liste", "<p>1. pas une liste</p>"),
    ("\\<b\\> \\\\ C:\\dossier", "<p>&lt;b&gt; \\ C:\\dossier</p>"),
    ("\\[pas\\](https://a.example)", f"<p>[pas]({_a('https://a.example')})</p>"),
])
def test_emphasis_nests_and_escapes_are_literal(source, html):
    assert render(source) == html


def test_the_html_always_nests():
    pieces = [*"ab *_`[]()\\\n> #|-1.", "***", "**", "https://x.example", "[l](https://x.example)",
              "\n- ", "\n  - ", "\n1. ", "\n|-|-|\n", "\n```\n", "\n\n"]
    rnd = random.Random(5122026)
    for _ in range(20_000):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 40)))
        assert _nests(render(text)), repr(text)


@pytest.mark.parametrize("source, html", [
    ("# Titre", "<h3>Titre</h3>"),
    ("## Ce que j’aime ##\ntexte", "<h4>Ce que j’aime</h4><p>texte</p>"),
    ("### Petit *titre*", "<h5>Petit <em>titre</em></h5>"),
    ("###### Six", "<h5>Six</h5>"),
    ("#hashtag et # seul\n#", "<p>#hashtag et # seul<br>#</p>"),
    ("En C#", "<p>En C#</p>"),
    ("avant\n---\naprès\n\n* * *", "<p>avant</p><hr><p>après</p><hr>"),
])
def test_headings_stay_below_the_page_s_and_rules_separate(source, html):
    assert render(source) == html


@pytest.mark.parametrize("source, html", [
    ("| Fonction | v4 | v5 |\n|---|:---:|--:|\n| Virement | **oui** | non |\n| Carte \\| CB |",
     "<table><thead><tr><th>Fonction</th><th>v4</th><th>v5</th></tr></thead><tbody>"
     "<tr><td>Virement</td><td><strong>oui</strong></td><td>non</td></tr>"
     "<tr><td>Carte | CB</td><td></td><td></td></tr></tbody></table>"),
    ("Voici :\nA | B\n--- | ---\n1 | 2\n\nfin",
     "<p>Voici :</p><table><thead><tr><th>A</th><th>B</th></tr></thead><tbody>"
     "<tr><td>1</td><td>2</td></tr></tbody></table><p>fin</p>"),
    ("| a | b |\n|---|", "<p>| a | b |<br>|---|</p>"),  # not as many cells: text
    ("a | b\npas une règle", "<p>a | b<br>pas une règle</p>"),
])
def test_tables(source, html):
    assert render(source) == html


@pytest.mark.parametrize("body, shown", [
    ("## Ce que j'aime\n\n| Fonction | v4 | v5 |\n|---|---|---|\n| Virement | oui | non |",
     "Ce que j'aime\xa0· Fonction v4 v5\xa0· Virement oui non"),
    ("> Ma carte est bloquée\n\nMoi aussi, voir <https://bank.example/aide>.",
     "Ma carte est bloquée\xa0· Moi aussi, voir https://bank.example/aide."),
    ("1. un\n   - sous\n\n---\n![schéma](https://img.example/s.png) \\*fin\\*",
     "un\xa0· sous\xa0· schéma *fin*"),
])
def test_an_excerpt_has_none_of_the_marks_render_reads(body, shown):
    assert excerpt(body) == shown


def test_an_excerpt_ends_at_a_word():
    body = "Le virement instantané vers un compte externe est arrivé " * 10
    cut = excerpt(body, 100)
    assert len(cut) <= 100 and cut.endswith(" compte…")
    assert body.startswith(cut[:-1])
    assert excerpt("Voir https://auto.example.org/une/longue/page", 30) == "Voir…"
    # a first word longer than the excerpt is cut in it rather than dropped
    assert excerpt("https://a.example/" + "x" * 300, 50) == "https://a.example/" + "x" * 31 + "…"


def test_render_inline_keeps_lines():
    assert render_inline("*a*\nhttps://x.example\n`c`") == (
        f"<em>a</em>\n{_a('https://x.example')}\n<code>c</code>")


def test_a_link_labelled_with_another_address_shows_its_real_one():
    """The phisher's link: a label reading "https://mabanque.fr/connexion" over a link to
    evil.example shows evil.example's address; a label naming the link's own host, or no host
    at all, stays as written."""
    phishing = render("[https://mabanque.fr/connexion](https://evil.example/login)")
    assert ">https://evil.example/login</a>" in phishing and "mabanque" not in phishing
    assert ">evil.example" not in render("[www.mabanque.fr](https://www.mabanque.fr/aide)")
    assert ">www.mabanque.fr</a>" in render("[www.mabanque.fr](https://www.mabanque.fr/aide)")
    assert ">le site</a>" in render("[le site](https://evil.example/login)")
    assert ">3.5 %</a>" in render("[3.5 %](https://mabanque.fr/taux)")
    assert plain_text("[mabanque.fr](https://evil.example)") == "https://evil.example"
