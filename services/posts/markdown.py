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
_STRONG = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_EM_STAR = re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])")
_EM_UNDERSCORE = re.compile(r"(?<![\w_])_(?=[^\s_])(.+?)(?<=[^\s_])_(?![\w_])")
_BULLET = re.compile(r"^\s{0,3}[-*]\s+(.*)$")
_NUMBERED = re.compile(r"^\s{0,3}\d{1,9}[.)]\s+(.*)$")
_FENCE = re.compile(r"^\s{0,3}```")


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


def _emphasis(escaped: str) -> str:
    escaped = _STRONG.sub(r"<strong>\1</strong>", escaped)
    escaped = _EM_STAR.sub(r"<em>\1</em>", escaped)
    return _EM_UNDERSCORE.sub(r"<em>\1</em>", escaped)


def render_inline(text: str) -> str:
    out: list[str] = []
    position = 0
    for match in _INLINE.finditer(text):
        out.append(_emphasis(_escape(text[position:match.start()])))
        if match.group("code") is not None:
            out.append(f"<code>{_escape(match.group('code'))}</code>")
        else:
            url, label = _escape(match.group("url")), _emphasis(_escape(match.group("label")))
            out.append(f'<a href="{url}" rel="nofollow noopener noreferrer">{label}</a>')
        position = match.end()
    out.append(_emphasis(_escape(text[position:])))
    return "".join(out)


def render(text: str) -> str:
    """Markdown subset -> safe HTML."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []
    list_tag = ""

    def flush_paragraph() -> None:
        if paragraph:
            blocks.append("<p>" + "<br>".join(render_inline(line) for line in paragraph) + "</p>")
            paragraph.clear()

    def flush_list() -> None:
        nonlocal list_tag
        if items:
            rendered = "".join(f"<li>{render_inline(item)}</li>" for item in items)
            blocks.append(f"<{list_tag}>{rendered}</{list_tag}>")
            items.clear()
        list_tag = ""

    index = 0
    while index < len(lines):
        line = lines[index]
        if _FENCE.match(line):
            flush_paragraph()
            flush_list()
            code: list[str] = []
            index += 1
            while index < len(lines) and not _FENCE.match(lines[index]):
                code.append(lines[index])
                index += 1
            blocks.append("<pre><code>" + _escape("\n".join(code)) + "</code></pre>")
            index += 1  # the closing fence (or the end of the text)
            continue
        bullet, numbered = _BULLET.match(line), _NUMBERED.match(line)
        if bullet or numbered:
            flush_paragraph()
            tag = "ul" if bullet else "ol"
            if list_tag and list_tag != tag:
                flush_list()
            list_tag = tag
            items.append((bullet or numbered).group(1))
        elif not line.strip():
            flush_paragraph()
            flush_list()
        else:
            flush_list()
            paragraph.append(line.strip())
        index += 1
    flush_paragraph()
    flush_list()
    return "".join(blocks)


def excerpt(text: str, length: int = 280) -> str:
    """Plain-text start of a body for listings (Markdown markers left as typed)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1].rstrip() + "…"
