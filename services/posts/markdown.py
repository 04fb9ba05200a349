"""A safe Markdown subset, rendered to HTML on output. Pure; no raw HTML ever passes through.

What members write, not all of CommonMark. Blocks: paragraphs (blank line between) and line
breaks; ``#`` to ``###`` headings (more ``#`` as three), shown as ``<h3>`` to ``<h5>``: a
contribution sits under the page's h1 and h2; ``> `` quotes (one level; inline marks apply
inside); ``- `` / ``* `` and ``1. `` lists, nested by indentation (two spaces or more, or a
tab, per level), numbered from their first number, one list across blank lines; fenced code
blocks (```); ``---`` rules; tables (a row of ``|``-separated cells, a ``|---|---|`` row, then
rows). Inline: `code`,
**strong**, *emphasis* / _emphasis_, ***both***, backslash escapes (``\\*`` is a ``*``),
``[label](https://...)`` links (parentheses in the URL if balanced), ``<https://...>`` and bare
``https://...`` URLs (trailing punctuation left out). ``![alt](https://...)`` is a link labelled
by its alt text: images are never shown, so our pages fetch nothing from third parties. A link
goes to http(s) only: anything else stays literal text.

Every character of the source is HTML-escaped before any tag is added, so ``<script>``,
``onerror=`` or ``javascript:`` can only ever come out as text. Rendering takes time linear in
the text (`bench/markdown.py` times the worst inputs known).

>>> render("**Hello** <b>world</b>")
'<p><strong>Hello</strong> &lt;b&gt;world&lt;/b&gt;</p>'
>>> render("[x](javascript:alert(1))")
'<p>[x](javascript:alert(1))</p>'
>>> render("> Je cite **ceci**\\n> sur deux lignes")
'<blockquote><p>Je cite <strong>ceci</strong><br>sur deux lignes</p></blockquote>'
>>> render("3. trois\\n\\n4. quatre\\n   1. sous")
'<ol start="3"><li>trois</li><li>quatre<ol><li>sous</li></ol></li></ol>'
>>> render("## Frais")
'<h4>Frais</h4>'
>>> render_inline("***tout*** \\\\*pas*")
'<strong><em>tout</em></strong> *pas*'
>>> render_inline("(voir https://a.example/b_(c).)")
'(voir <a href="https://a.example/b_(c)" rel="nofollow ugc noopener noreferrer">\
https://a.example/b_(c)</a>.)'
>>> render_inline("![Logo](https://a.example/l.png)")
'<a href="https://a.example/l.png" rel="nofollow ugc noopener noreferrer">Logo</a>'
"""
from __future__ import annotations

import html
import itertools
import re
from urllib.parse import urlsplit

from services.shared.members import mentions

LINK_REL = "nofollow ugc noopener noreferrer"

# -- inline marks ---------------------------------------------------------------------------

# Emphasis writes these where its tags go, and `_inline` puts _TOKEN where a code span, a link
# or an escaped character sits while emphasis is paired around it (`**[x](https://…)**` is
# strong). C0 controls: input hygiene refuses them in every text Agora stores
# (services/shared/validation.py) and `_inline` replaces any it is given, so they are never a
# member's.
_STRONG, _STRONG_END, _EM, _EM_END, _TOKEN = "\x01", "\x02", "\x03", "\x04", "\x05"
_OURS = re.compile("[\x01-\x05]")
_EMPHASIS_MARKS = re.compile("[\x01-\x04]")
_NOT_EMPHASIS_MARKS = re.compile("[^\x01-\x04]+")
_EMPHASIS_TAGS = ((_STRONG, "<strong>"), (_STRONG_END, "</strong>"), (_EM, "<em>"),
                  (_EM_END, "</em>"))


def _nests(text: str) -> bool:
    """Whether every tag emphasis put in `text` is closed in it and every one closed there
    opened there: a pair around `text` then nests with them instead of crossing them."""
    marks = _NOT_EMPHASIS_MARKS.sub("", text)
    while marks:  # as many rounds as the tags nest deep: a few
        inner = marks.replace(_STRONG + _STRONG_END, "").replace(_EM + _EM_END, "")
        if inner == marks:
            return False
        marks = inner
    return True


class _Emphasis:
    """One kind of emphasis, ``OPENER(.+?)CLOSER`` -> its tags, in linear time.

    That lazy pattern alone is quadratic when openers have no closer (``*a *a *a ...``): each
    opener scans to the end of its line before giving up, then the next one does the same. But
    when an opener finds no closer after it in its line, no later opener of that line can: the
    second alternative then takes the rest of the line, unchanged, in the same scan. Every
    character is thus scanned a bounded number of times, and the pairs are the lazy pattern's.
    A pair whose inside would cross the tags of an earlier kind (``***a** b*``) stays as typed:
    the HTML always nests.
    """

    def __init__(self, delimiter: str, opener: str, closer: str, start: str, end: str) -> None:
        self.delimiter, self.start, self.end = delimiter, start, end
        self.pattern = re.compile(f"{opener}(.+?){closer}|({opener}.*)")

    def apply(self, text: str) -> str:
        if self.delimiter not in text:
            return text
        # split() gives [text, content, rest, text, content, rest, ..., text]: one of content
        # (a pair) and rest (a lone opener and the rest of its line) is None. Cheaper than a
        # function called per match, which costs more than the text on dense markup.
        parts = self.pattern.split(text)
        start, end, delimiter = self.start, self.end, self.delimiter
        if _EMPHASIS_MARKS.search(text) is None:
            parts[1::3] = ["" if content is None else start + content + end
                           for content in parts[1::3]]
        else:
            parts[1::3] = ["" if content is None else start + content + end
                           if _nests(content) else delimiter + content + delimiter
                           for content in parts[1::3]]
        parts[2::3] = ["" if rest is None else rest for rest in parts[2::3]]
        return "".join(parts)


# Applied in this order, each to the output of the previous one. An opener looks behind once
# it has its mark (`\*(?<![\w*]\*)` is `(?<![\w*])\*`): a pattern starting with its mark
# lets re skip the text without one, about twice as fast on prose.
_EMPHASES = (
    _Emphasis("***", r"\*\*\*(?<!\*\*\*\*)(?=[^\s*])", r"(?<=[^\s*])\*\*\*(?!\*)",
              _STRONG + _EM, _EM_END + _STRONG_END),
    _Emphasis("**", r"\*\*(?=\S)", r"(?<=\S)\*\*", _STRONG, _STRONG_END),
    _Emphasis("*", r"\*(?<![\w*]\*)(?=[^\s*])", r"(?<=[^\s*])\*(?![\w*])", _EM, _EM_END),
    _Emphasis("_", r"_(?<![\w_]_)(?=[^\s_])", r"(?<=[^\s_])_(?![\w_])", _EM, _EM_END),
)


def _emphasis(text: str) -> str:
    if "*" not in text and "_" not in text:
        return text
    for emphasis in _EMPHASES:
        text = emphasis.apply(text)
    return text


_URL_CHAR = r"[^\s()<>\"'`]"
# one level of balanced parentheses: fr.wikipedia.org/wiki/Livret_A_(France)
_URL_PART = rf"(?:{_URL_CHAR}|\({_URL_CHAR}*+\))"
_CODE = r"`[^`\n]{1,2000}`"
_ESCAPED = r"\\[!-/:-@\[-`{-~]"  # a backslash before ASCII punctuation: the mark as text
_LINK = rf"\[[^\[\]\n]{{0,300}}\]\(https?://{_URL_PART}{{1,2000}}+\)"
# One group: split() gives [text, token, text, token, ..., text]; `_token` reads a token by
# its first character. A bare URL ends before trailing punctuation (its sentence's), and a
# closing parenthesis without its opening one is not its own. Every alternative starts with
# a character of its own (no "!?", no look-behind): re then skips plain text fast, where
# either made the scan of prose several times slower.
_INLINE = re.compile(
    rf"({_CODE}|{_ESCAPED}|!{_LINK}|{_LINK}|<https?://[^\s<>\"'`]{{1,2000}}+>"
    rf"|https?://{_URL_PART}+(?<![.,;:!?*_~»”’]))")
_LABEL = re.compile(f"({_CODE}|{_ESCAPED})")  # what a link's label holds: never a link


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


def _inline(text: str, to_html: bool) -> str:
    """`text`'s inline Markdown as HTML or (`to_html` false) as the text a reader sees of it;
    lines stay lines."""
    if _OURS.search(text) is not None:
        text = _OURS.sub("\N{REPLACEMENT CHARACTER}", text)
    text = _marked(text, to_html, _INLINE)
    if _EMPHASIS_MARKS.search(text) is None:
        return text
    if not to_html:
        return _EMPHASIS_MARKS.sub("", text)
    for mark, tag in _EMPHASIS_TAGS:
        text = text.replace(mark, tag)
    return text


def _marked(text: str, to_html: bool, tokens: re.Pattern[str]) -> str:
    """`_inline` with emphasis still as our marks (`_inline` makes them tags once, for the
    whole text). Emphasis pairs around tokens, never inside one."""
    parts = tokens.split(text)
    if len(parts) == 1:
        return _emphasis(_escape(text) if to_html else text)
    between = _TOKEN.join(parts[0::2])
    # escaped before any tag: emphasis adds its marks to escaped text
    parts[0::2] = _emphasis(_escape(between) if to_html else between).split(_TOKEN)
    parts[1::2] = [_token(token, to_html) for token in parts[1::2]]
    return "".join(parts)


def _token(token: str, to_html: bool) -> str:
    """A token of `_INLINE`: code, an escaped mark, a link (image, autolink, bare URL)."""
    mark = token[0]
    if mark == "`":
        return f"<code>{_escape(token[1:-1])}</code>" if to_html else token[1:-1]
    if mark == "\\":
        return _escape(token[1]) if to_html else token[1]
    if mark in "[!":  # [label](url), ![alt](url): the label has no "]"
        middle = token.index("](")
        url, label = token[middle + 2:-1], token[1 + (mark == "!"):middle]
        if not label or _misleading(label, url):
            label = ""
        shown = _marked(label, to_html, _LABEL) if label else _escape(url) if to_html else url
    else:
        url = token[1:-1] if mark == "<" else token
        shown = _escape(url) if to_html else url
    return f'<a href="{_escape(url)}" rel="{LINK_REL}">{shown}</a>' if to_html else shown


# A label written as an address ("https://mabanque.fr/connexion", "www.mabanque.fr"): its host
_ADDRESS_LABEL = re.compile(r"\s*+(?:https?://)?(?:www\.)?([^\W_](?:[\w-]*+\.)++[^\W\d_]{2,})"
                            r"(?:[/:?#]\S*+)?\s*+", re.IGNORECASE)


def _misleading(label: str, url: str) -> bool:
    """Does the label show another address than the link's? ``[https://mabanque.fr](https://
    evil.example)`` is the phisher's link: such a link shows its real address instead.

    >>> _misleading("mabanque.fr/aide", "https://evil.example/x")
    True
    >>> _misleading("www.mabanque.fr", "https://mabanque.fr/aide"), _misleading("ici", "https://x.fr")
    (False, False)
    """
    shown = _ADDRESS_LABEL.fullmatch(label)
    if shown is None:
        return False
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    return shown.group(1).lower().removeprefix("www.") != host


def render_inline(text: str) -> str:
    """Inline Markdown -> safe HTML, in time linear in ``text`` (lines stay lines).

    >>> render_inline("*a* **b** `c` [d](https://e.example)")
    '<em>a</em> <strong>b</strong> <code>c</code> <a href="https://e.example" \
rel="nofollow ugc noopener noreferrer">d</a>'
    """
    return _inline(text, True)


# -- blocks ---------------------------------------------------------------------------------

# What a line starts, after its indentation: a code fence, a rule, a heading, a quote, a list
# item ("- ", "* ") or a numbered one ("1. ", "1) "). `lastgroup` names which.
_BLOCK = re.compile(
    r"(?P<indent>\s*+)(?:(?P<fence>```)"
    r"|(?=[-*_][-*_\s]*+$)(?P<rule>(?:-\s*+){3,}|(?:\*\s*+){3,}|(?:_\s*+){3,})$"
    r"|(?P<hashes>#{1,6})\s++(?P<heading>\S.*)"
    r"|>\s?(?P<quote>.*)"
    r"|[-*]\s+(?P<bullet>.*)"
    r"|(?P<number>\d{1,9})[.)]\s+(?P<numbered>.*))")
_FENCE = re.compile(r"\s{0,3}```")
_TABLE_RULE = re.compile(r"\s*+\|?\s*+:?-++:?\s*+(?:\|\s*+:?-++:?\s*+)*+\|?\s*+")
_CELL_BORDER = re.compile(r"(?<!\\)\|")
_LIST_DEPTH = 6  # deeper items stay at this depth: a phone's width holds that much


def _cells(row: str) -> list[str]:
    """A table row's cells, without the borders at its ends nor the spaces around them."""
    cells = _CELL_BORDER.split(row) if "\\|" in row else row.split("|")  # "\|" is a cell's
    if len(cells) > 1:
        if not cells[0] or cells[0].isspace():  # "| a": a border, not an empty cell
            del cells[0]
        if len(cells) > 1 and (not cells[-1] or cells[-1].isspace()):
            del cells[-1]
    return [cell.strip() for cell in cells]


def _heading_text(text: str) -> str:
    """A heading's text without the closing ``#``s some write (``## Frais ##``)."""
    text = text.rstrip()
    bare = text.rstrip("#")
    return bare.rstrip() if bare[-1:].isspace() else text


_HEADINGS = {hashes: (f"<h{min(hashes + 2, 5)}>", f"</h{min(hashes + 2, 5)}>")
             for hashes in range(1, 7)}


class _Document:
    """A body read as `render` reads it: `pieces` of HTML made here from tags and numbers only,
    with, in their places, the member's text — runs of lines of inline Markdown (`inline`:
    where each goes, how many lines, what joins them in HTML) and code as typed (`code`) —
    which `render` and `plain_text` each turn into what they show. Each line is read once,
    and a run of lines is one entry, not one per line: dense markup costs about what prose
    does."""

    def __init__(self, text: str) -> None:
        self.pieces: list[str] = []
        self.lines: list[str] = []  # every line of inline Markdown, in order
        self.inline: list[tuple[int, int, str]] = []  # (index in pieces, lines, joiner)
        self.code: list[int] = []  # indexes in pieces of code blocks' text
        self.paragraph: list[str] = []
        self.lists: list[tuple[int, str]] = []  # the open lists: (indentation, "ul" or "ol")
        self.quoted = False
        self._read(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))

    def _read(self, lines: list[str]) -> None:
        paragraph, lists = self.paragraph, self.lists
        index, count, after_blank = 0, len(lines), False
        while index < count:
            line = lines[index]
            index += 1
            if not line or line.isspace():
                if self.quoted:
                    self.end_quote()
                if paragraph:
                    self.end_paragraph()
                after_blank = True
                continue
            start = _BLOCK.match(line)
            kind = start.lastgroup if start is not None else None
            if kind == "quote":
                self.quote(start.group("quote").strip())
                after_blank = False
                continue
            if self.quoted:
                self.end_quote()
            if kind is None:
                if lists:
                    if not after_blank and line[0] in " \t":  # goes on with its item
                        self.next_line(line.strip())
                        continue
                    self.end_lists()
                end = self.table(lines, index - 1) if "|" in line else 0
                if end:
                    index = end
                else:
                    paragraph.append(line.strip())
            elif kind == "bullet" or kind == "numbered":
                if paragraph:
                    self.end_paragraph()
                self.item(start, kind)
            else:
                if lists:
                    self.end_lists()
                if paragraph:
                    self.end_paragraph()
                if kind == "heading":
                    heading = start.group("heading")
                    if heading[-1] in "# \t":
                        heading = _heading_text(heading)
                    opening, closing = _HEADINGS[start.end("hashes") - start.start("hashes")]
                    self.block(opening, [heading], "", closing)
                elif kind == "fence":
                    index = self.fence(lines, index)
                else:
                    self.pieces.append("<hr>")
            after_blank = False
        self.end_quote()
        self.end_paragraph()
        self.end_lists()

    def block(self, opening: str, lines: list[str], joiner: str, closing: str) -> None:
        """`lines` of inline Markdown between two tags, `joiner` between them in HTML."""
        self.inline.append((len(self.pieces) + 1, len(lines), joiner))
        self.pieces += (opening, "", closing)
        self.lines += lines

    def end_paragraph(self) -> None:
        if self.paragraph:
            self.block("<p>", self.paragraph, "<br>", "</p>")
            self.paragraph.clear()

    def quote(self, text: str) -> None:
        """A quoted line: its paragraph goes on, or a quote opens; an empty one ends a
        paragraph of the quote."""
        if not self.quoted:
            self.end_paragraph()
            self.end_lists()
            self.pieces.append("<blockquote>")
            self.quoted = True
        if text:
            self.paragraph.append(text)
        else:
            self.end_paragraph()

    def end_quote(self) -> None:
        if self.quoted:
            self.end_paragraph()
            self.pieces.append("</blockquote>")
            self.quoted = False

    def item(self, start: re.Match[str], kind: str) -> None:
        """A list item: in the open list, in a new list nested in the item before it (indented
        by two or more than that list), or after the nested lists it closes (indented less)."""
        tag = "ol" if kind == "numbered" else "ul"
        indent = start.end("indent")
        if indent and "\t" in start.group("indent"):  # a tab is a level
            indent = len(start.group("indent").expandtabs(4))
        lists, inline = self.lists, self.inline
        while len(lists) > 1 and indent < lists[-2][0] + 2:
            self.pieces.append(f"</li></{lists.pop()[1]}>")
        in_last = bool(lists) and (indent < lists[-1][0] + 2 or len(lists) == _LIST_DEPTH)
        if in_last and lists[-1][1] == tag:
            at, length, joiner = inline[-1]
            if joiner == "</li><li>" and at == len(self.pieces) - 1:  # the items before it
                inline[-1] = (at, length + 1, joiner)
                self.lines.append(start.group(kind))
                return
            self.pieces.append("</li><li>")
        else:
            number = int(start.group("number")) if kind == "numbered" else 1
            opening = f'<ol start="{number}"><li>' if number != 1 else f"<{tag}><li>"
            if in_last:  # "- a" then "1. b": two lists
                opening = f"</li></{lists.pop()[1]}>{opening}"
            lists.append((indent, tag))
            self.pieces.append(opening)
        inline.append((len(self.pieces), 1, "</li><li>"))
        self.pieces.append("")
        self.lines.append(start.group(kind))

    def next_line(self, text: str) -> None:
        """An indented line right after a list item: the item's next line."""
        at, length, joiner = self.inline[-1]
        if joiner == "<br>" and at == len(self.pieces) - 1:
            self.inline[-1] = (at, length + 1, joiner)
        else:  # after the items of its run, in the last one
            self.inline.append((len(self.pieces) + 1, 1, "<br>"))
            self.pieces += ("<br>", "")
        self.lines.append(text)

    def end_lists(self) -> None:
        while self.lists:
            self.pieces.append(f"</li></{self.lists.pop()[1]}>")

    def fence(self, lines: list[str], index: int) -> int:
        """The code from lines[index] to its closing fence (or the end); the index after it."""
        end = index
        while end < len(lines) and not _FENCE.match(lines[end]):
            end += 1
        self.code.append(len(self.pieces) + 1)
        self.pieces += ("<pre><code>", "\n".join(lines[index:end]), "</code></pre>")
        return end + 1

    def table(self, lines: list[str], index: int) -> int:
        """The table whose header is lines[index], if the next line is its ``|---|`` row with
        as many cells: the index after its rows (the lines with a ``|``), else 0."""
        if index + 1 == len(lines) or "|" not in lines[index + 1] \
                or not _TABLE_RULE.fullmatch(lines[index + 1]):
            return 0
        header = _cells(lines[index])
        width = len(header)
        if len(_cells(lines[index + 1])) != width:
            return 0
        self.end_paragraph()
        self.block("<table><thead><tr><th>", header, "</th><th>", "</th></tr></thead><tbody>")
        end, pieces, inline = index + 2, self.pieces, self.inline
        while end < len(lines) and "|" in lines[end]:  # self.block(), without a call a row
            cells = _cells(lines[end])
            if len(cells) != width:
                cells = (cells + [""] * width)[:width]
            inline.append((len(pieces) + 1, width, "</td><td>"))
            pieces += ("<tr><td>", "", "</td></tr>")
            self.lines += cells
            end += 1
        self.pieces.append("</tbody></table>")
        return end

    def shown(self, to_html: bool) -> str:
        """The document as HTML, or as the text a reader sees of it on one line (`_blocks`)."""
        lines = _inline("\n".join(self.lines), to_html).split("\n")
        if not to_html:
            return self._plain(lines)
        shown = list(self.pieces)
        first = 0
        for at, length, joiner in self.inline:
            shown[at] = lines[first] if length == 1 else joiner.join(lines[first:first + length])
            first += length
        for at in self.code:
            shown[at] = _escape(self.pieces[at])
        return "".join(shown)

    def _plain(self, lines: list[str]) -> str:
        """The text: a block's lines and a table row's cells joined by a space, blocks (a
        paragraph, a heading, a list item, a row, code) by `_blocks`."""
        texts: dict[int, list[str]] = {}  # index in pieces -> its texts, each a block or not
        first = 0
        for at, length, joiner in self.inline:
            run = lines[first:first + length]
            texts[at] = run if joiner == "</li><li>" else [" ".join(run)]
            first += length
        for at in self.code:
            texts[at] = [self.pieces[at]]
        blocks: list[str] = []
        verbatim: set[int] = set()  # the blocks of code: read as typed, never capitalised
        apart = True  # whether a block ended since the last text
        for at, piece in enumerate(self.pieces):
            if at not in texts:
                apart = apart or piece != "<br>"
                continue
            for item, text in enumerate(texts[at]):
                apart = apart or item > 0  # the items of a run: "</li><li>" between them
                text = " ".join(text.split())
                if text:
                    if apart or not blocks:
                        blocks.append(text)
                        if at in self.code:
                            verbatim.add(len(blocks) - 1)
                    else:
                        blocks[-1] += " " + text
                    apart = False
        return _blocks(blocks, verbatim)


# What ends a block's text as a sentence or announces the next one: no "·" after it.
_ENDS_A_PHRASE = frozenset(".!?…:;,")
# What ends a sentence: the next block starts one, with a capital.
_ENDS_A_SENTENCE = frozenset(".!?…")
BLOCK_SEPARATOR = "\N{NO-BREAK SPACE}· "
# A first word that is plainly a lowercase word ("soyez", "l’équipe", "e-mail"): not "iPhone",
# a link, an @mention, a number or code, which stay as typed.
_LOWERCASE_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


def _blocks(texts: list[str], verbatim: set[int] | frozenset[int] = frozenset()) -> str:
    """Blocks' texts on one line, each one's end readable: after a text that does not end a
    phrase, a "·" (tied to it, never at a line's start: `BLOCK_SEPARATOR`); list items typed
    without punctuation no longer run together. A block after one that ends a sentence starts
    one: its first word takes a capital (a list typed in lower case after "… répondent." read
    "répondent. soyez courtois"), unless it is code (`verbatim`: the blocks' indexes).

    >>> _blocks(["Les règles :", "soyez courtois", "ne publiez rien.", "merci"])
    'Les règles : soyez courtois\\xa0· ne publiez rien. Merci'
    >>> _blocks(["Installez-la.", "iPhone d’abord", "npm install"], {2})
    'Installez-la. iPhone d’abord\\xa0· npm install'
    """
    if not texts:
        return ""
    out = [texts[0]]
    for index, (before, text) in enumerate(itertools.pairwise(texts), 1):
        out.append(" " if before[-1] in _ENDS_A_PHRASE else BLOCK_SEPARATOR)
        starts_a_sentence = before[-1] in _ENDS_A_SENTENCE and index not in verbatim
        out.append(_capitalised(text) if starts_a_sentence else text)
    return "".join(out)


def _capitalised(text: str) -> str:
    """`text` with a capital on its first word when that is plainly a lowercase word."""
    word = text.split(" ", 1)[0]
    if word.islower() and _LOWERCASE_WORD.fullmatch(word):
        return text[0].upper() + text[1:]
    return text


def render(text: str) -> str:
    """Markdown subset -> safe HTML."""
    return _Document(text).shown(True)


# -- @mentions --------------------------------------------------------------------------------

_TAG = re.compile(r"(<[^>]*>)")
_OPENS_LINKLESS = re.compile(r"<(?:a|code|pre)[\s>]")  # inside them a mention stays text
_CLOSES_LINKLESS = re.compile(r"</(?:a|code|pre)>")


def link_mentions(rendered: str, named: dict[str, str] | None) -> str:
    """`render`'s HTML with each @mention of a known member (`named`: as written -> member
    id, services/shared/members.py `named_mentions`) a link to the member's page. Only the
    id goes in the link, which the page already shows beside their posts; a mention of
    nobody, in code or in a link stays text.

    >>> link_mentions(render("Merci @Zoé Dupont et @Paul, `@Zoé Dupont`"), {"@Zoé Dupont": "u4"})
    '<p>Merci <a class="mention" href="/members/u4">@Zoé Dupont</a> et @Paul, \
<code>@Zoé Dupont</code></p>'
    """
    if not named or "@" not in rendered:
        return rendered
    parts, inside = _TAG.split(rendered), 0
    for index, part in enumerate(parts):
        if index % 2:
            inside += bool(_OPENS_LINKLESS.match(part)) - bool(_CLOSES_LINKLESS.match(part))
        elif not inside and "@" in part:
            parts[index] = _linked(html.unescape(part), named)
    return "".join(parts)


def _linked(text: str, named: dict[str, str]) -> str:
    out, done = [], 0
    for start, readings in mentions(text):
        found = next(((end, named[text[start:end]]) for end, _ in readings
                      if text[start:end] in named), None)
        if found is None or start < done:
            continue
        end, member_id = found
        out += [_escape(text[done:start]), f'<a class="mention" href="/members/'
                f'{_escape(member_id)}">{_escape(text[start:end])}</a>']
        done = end
    out.append(_escape(text[done:]))
    return "".join(out)


EXCERPT_LENGTH = 280


def plain_text(text: str) -> str:
    """The text a reader sees of a body, without its marks, as one line: what `render` shows
    (paired `**`/`*`/`_`, backticks, quote and heading marks, table borders taken out, a
    link's label kept, a block's lines and a row's cells separated by a space, blocks by a
    space or a "·": `_blocks`); a mark `render` leaves as typed stays (`3 * 4`,
    `Cartes > Plafonds`). The same reading as `render`'s, without making HTML: a replay of
    feeds makes one per publication.

    >>> plain_text("Bienvenue !\\n\\n- soyez courtois\\n- ne publiez jamais vos numéros")
    'Bienvenue ! Soyez courtois\\xa0· ne publiez jamais vos numéros'
    """
    if "\n" not in text and "\r" not in text and _BLOCK.match(text) is None \
            and not any(mark in text for mark in "*_`[\\<"):
        return " ".join(text.split())
    return _Document(text).shown(False)


def excerpt(text: str | None, length: int = EXCERPT_LENGTH) -> str:
    """The start of a body for listings, cards and meta descriptions: its plain text, cut at
    `length` after its last whole word (in the word only when it is the first). Only the
    first few lengths of a long body are read (a mark paired beyond them shows as typed).

    >>> excerpt("## Ce que j'aime\\n| Fonction | v4 |\\n|---|---|\\n| Virement | oui |", 60)
    "Ce que j'aime\\xa0· Fonction v4\\xa0· Virement oui"
    >>> excerpt("Le virement instantané est arrivé", 20)
    'Le virement…'
    >>> excerpt("Bienvenue sur Agora mes amis\\n\\n- soyez courtois", 32)
    'Bienvenue sur Agora mes amis…'
    """
    flat = plain_text((text or "")[: 4 * length])
    if len(flat) <= length:
        return flat
    cut = flat[: length - 1]
    if not flat[length - 1].isspace():  # the cut falls in a word ("auto.exampl…"): drop it
        word = cut.rfind(" ")
        cut = cut[:word] if word > 0 else cut
    # a cut just after a block's "·" ends on the last block's words, not on the dot
    return cut.rstrip().removesuffix(BLOCK_SEPARATOR.rstrip()).rstrip() + "…"
