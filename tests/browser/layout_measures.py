"""Measures of a page's text as Chromium lays it out, shared by the layout tests.

`marks_apart` answers where a French mark leaves its word: the element's width is set to each
width from `narrowest` to `widest` px in turn, and a closing mark (« ? ! : ; » ») found on a line
below the word before it (past the space between them), or an opening « on a line above the word
after it, is reported as [width, the text around it]. Measured, not inferred from the markup: a
plain space the templates forgot to glue shows up only when a line wraps there."""
from __future__ import annotations

from .conftest import Site

_MARKS_APART = """
const [element, narrowest, widest] = arguments, text = element.firstChild, value = text.data;
const top = (at) => {
  const range = document.createRange();
  range.setStart(text, at); range.setEnd(text, at + 1);
  return range.getClientRects()[0].top;
};
const at = (pattern) => [...value.matchAll(pattern)].map((found) => found.index);
const closing = at(/[?!:;»]/g).filter((index) => index > 1);
const opening = at(/«/g).filter((index) => index + 2 < value.length);
const around = (index) => value.slice(Math.max(0, index - 8), index + 8);
const found = [];
for (let width = narrowest; width <= widest; width += 2) {
  element.style.width = width + "px";
  for (const index of closing) if (top(index) > top(index - 2)) found.push([width, around(index)]);
  for (const index of opening) if (top(index) < top(index + 2)) found.push([width, around(index)]);
}
element.style.width = "";
return found;
"""


def marks_apart(site: Site, css: str, narrowest: int, widest: int) -> list:
    """The widths at which a mark of the first `css` element's text leaves its word, with the
    text around it ([] when none does)."""
    element = site.find(css)
    return site.driver.execute_script(_MARKS_APART, element, narrowest, widest)
