"""A safe Markdown subset, rendered to HTML on output. Pure; no raw HTML ever passes through.

Supported: paragraphs (blank line between), line breaks, ``- `` / ``* `` and ``1. `` lists,
fenced code blocks (```), `inline code`, **strong**, *emphasis* / _emphasis_ and
``[label](https://...)`` links whose target is http(s) (anything else stays literal text).
Every character of the source is HTML-escaped before any tag is added, so ``<script>``,
``onerror=`` or ``javascript:`` can only ever come out as text.

>>> render("**Hello** <b>world</b>")
'<p><strong>Hello</strong> &lt;b&gt;world&lt;/b&gt;</p>'
>>> render("[x](javascript:alert(1))")
'<p>[x](javascript:alert(1))</p>'
"""
from __future__ import annotations

import html
import re

_INLINE = re.compile(
    r"`(?P<code>[^`\n]{1,2000})`"
    r"|\[(?P<label>[^\[\]\n]{1,300})\]\((?P<url>https?://[^\s()<>\"'`]{1,2000})\)"
)
_FENCE = re.compile(r"\s{0,3}```")
# What a line starts: a code fence, a list item ("- ", "* ") or a numbered one ("1. ", "1) ").
_BLOCK_START = re.compile(r"\s{0,3}(?:(?P<fence>```)|[-*]\s+(?P<bullet>.*)"
                          r"|\d{1,9}[.)]\s+(?P<numbered>.*))")
LINK_REL = "nofollow ugc noopener noreferrer"


_NO_TAG = "\x00"  # refused in every text Agora stores (input hygiene), so never the reader's


class _Emphasis:
    """One kind of emphasis, ``OPENER(.+?)CLOSER`` -> ``<tag>...</tag>``, in linear time.

    That lazy pattern alone is quadratic when openers have no closer (``*a *a *a ...``): each
    opener scans to the end of its line before giving up, then the next one does the same. But
    when an opener finds no closer after it in its line, no later opener of that line can: the
    second alternative then takes the rest of the line, unchanged, in the same scan. Every
    character is thus scanned a bounded number of times, and the output is the lazy pattern's.
    """

    def __init__(self, delimiter: str, opener: str, closer: str, tag: str) -> None:
        self.delimiter, self.open, self.close = delimiter, f"<{tag}>", f"</{tag}>"
        self.pattern = re.compile(f"{opener}(.+?){closer}|({opener}.*)")

    def plain(self) -> _Emphasis:
        """The same emphasis with `_NO_TAG` where the tags go (`plain_text`): like a tag, it
        is neither a word character nor a mark, so the next emphasis pairs what it would pair
        in `render`'s output."""
        bare = _Emphasis.__new__(_Emphasis)
        bare.delimiter, bare.open, bare.close = self.delimiter, _NO_TAG, _NO_TAG
        bare.pattern = self.pattern
        return bare

    def apply(self, text: str) -> str:
        if self.delimiter not in text:
            return text
        # split() gives [text, content, rest, text, content, rest, ..., text]: one of content
        # (a pair) and rest (a lone opener and the rest of its line) is None. Cheaper than a
        # function called per match, which costs more than the text on dense markup.
        parts = self.pattern.split(text)
        parts[1::3] = ["" if content is None else self.open + content + self.close
                       for content in parts[1::3]]
        parts[2::3] = ["" if rest is None else rest for rest in parts[2::3]]
        return "".join(parts)


# Applied in this order, each to the output of the previous one.
_EMPHASES = (
    _Emphasis("**", r"\*\*(?=\S)", r"(?<=\S)\*\*", "strong"),
    _Emphasis("*", r"(?<![\w*])\*(?=[^\s*])", r"(?<=[^\s*])\*(?![\w*])", "em"),
    _Emphasis("_", r"(?<![\w_])_(?=[^\s_])", r"(?<=[^\s_])_(?![\w_])", "em"),
)


_PLAIN_EMPHASES = tuple(emphasis.plain() for emphasis in _EMPHASES)


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


def _emphasis(escaped: str) -> str:
    if "*" not in escaped and "_" not in escaped:
        return escaped
    for emphasis in _EMPHASES:
        escaped = emphasis.apply(escaped)
    return escaped


def render_inline(text: str) -> str:
    """Inline Markdown -> safe HTML, in time linear in ``text`` (lines stay lines).

    >>> render_inline("*a* **b** `c` [d](https://e.example)")
    '<em>a</em> <strong>b</strong> <code>c</code> <a href="https://e.example" \
rel="nofollow ugc noopener noreferrer">d</a>'
    """
    # split() gives [text, code, label, url, text, ...]: code or (label, url) is None.
    parts = _INLINE.split(text)
    parts[0::4] = [_emphasis(_escape(between)) for between in parts[0::4]]
    parts[1::4] = [_code_or_link(code, label, url)
                   for code, label, url in zip(parts[1::4], parts[2::4], parts[3::4], strict=True)]
    parts[2::4] = parts[3::4] = [""] * len(parts[2::4])
    return "".join(parts)


def _code_or_link(code: str | None, label: str | None, url: str | None) -> str:
    if code is not None:
        return f"<code>{_escape(code)}</code>"
    return f'<a href="{_escape(url or "")}" rel="{LINK_REL}">{_emphasis(_escape(label or ""))}</a>'


def render(text: str) -> str:
    """Markdown subset -> safe HTML."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []
    list_tag = ""

    def flush_paragraph() -> None:
        if paragraph:
            lines = render_inline("\n".join(paragraph)).replace("\n", "<br>")
            blocks.append(f"<p>{lines}</p>")
            paragraph.clear()

    def flush_list() -> None:
        nonlocal list_tag
        if items:
            # One pass over all items (each is one line): per-line calls would cost more than
            # the text itself on a post made of thousands of one-character items.
            rendered = "".join(f"<li>{item}</li>"
                               for item in render_inline("\n".join(items)).split("\n"))
            blocks.append(f"<{list_tag}>{rendered}</{list_tag}>")
            items.clear()
        list_tag = ""

    index, count = 0, len(lines)
    while index < count:
        line = lines[index]
        index += 1
        if not line or line.isspace():
            flush_paragraph()
            flush_list()
            continue
        start = _BLOCK_START.match(line)
        if start is None:
            flush_list()
            paragraph.append(line.strip())
        elif start.group("fence"):
            flush_paragraph()
            flush_list()
            code: list[str] = []
            while index < count and not _FENCE.match(lines[index]):
                code.append(lines[index])
                index += 1
            blocks.append("<pre><code>" + _escape("\n".join(code)) + "</code></pre>")
            index += 1  # the closing fence (or the end of the text)
        else:
            flush_paragraph()
            tag = "ul" if start.group("bullet") is not None else "ol"
            if list_tag and list_tag != tag:
                flush_list()
            list_tag = tag
            items.append(start.group("bullet") if tag == "ul" else start.group("numbered"))
    flush_paragraph()
    flush_list()
    return "".join(blocks)


EXCERPT_LENGTH = 280
# every inline mark `render` reads begins with "*", "_", "`" or "[" (`_has_marks`)


def _has_marks(text: str) -> bool:
    return "*" in text or "_" in text or "`" in text or "[" in text


def _plain_inline(line: str) -> str:
    """`render_inline`'s text without its tags: code as typed, a link's label, emphasis
    without its marks (`_PLAIN_EMPHASES`: the same patterns, so the same pairs)."""
    parts = _INLINE.split(line)
    shown = []
    for index in range(0, len(parts), 4):
        between = parts[index]
        for emphasis in _PLAIN_EMPHASES:
            between = emphasis.apply(between)
        shown.append(between)
        if index + 1 < len(parts):
            code, label = parts[index + 1], parts[index + 2]
            shown.append(code if code is not None else _plain_label(label or ""))
    return "".join(shown)


def _plain_label(label: str) -> str:
    for emphasis in _PLAIN_EMPHASES:
        label = emphasis.apply(label)
    return label


def plain_text(text: str) -> str:
    """The text a reader sees of a body, without its marks, as one line: what `render` shows
    (paired `**`/`*`/`_` and backticks taken out, a link's label kept, list items, code and
    paragraphs separated by a space); a mark `render` leaves as typed stays (`3 * 4`,
    `Cartes > Plafonds`). Read line by line as `render` reads them, without making HTML: a
    replay of feeds makes one per publication."""
    if not _has_marks(text) and "\n" not in text and "\r" not in text \
            and _BLOCK_START.match(text) is None:
        return " ".join(text.split())
    shown: list[str] = []
    in_code = False
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if in_code:
            in_code = _FENCE.match(line) is None
            if in_code:
                shown.append(line)
            continue
        start = _BLOCK_START.match(line)
        if start is not None and start.group("fence") is not None:
            in_code = True
            continue
        if start is not None:
            line = start.group("bullet") if start.group("bullet") is not None \
                else start.group("numbered")
        shown.append(_plain_inline(line) if _has_marks(line) else line)
    return " ".join(" ".join(shown).replace(_NO_TAG, "").split())


def excerpt(text: str | None, length: int = EXCERPT_LENGTH) -> str:
    """The start of a body for listings and cards: its plain text, cut at `length`. Only the
    first few lengths of a long body are rendered (a mark paired beyond them shows as typed)."""
    flat = plain_text((text or "")[: 4 * length])
    return flat if len(flat) <= length else flat[: length - 1].rstrip() + "…"
