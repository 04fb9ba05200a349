"""Typography at display time: what a page shows of a member's text, never what is stored.

`glue_punctuation` (the templates' `glue` filter) ties to the word before it a space typed
before ``?``, ``!``, ``:``, ``;`` or ``»`` (and after ``«``), as a narrow no-break space: the
French way of writing them, where a phone's narrow line otherwise wraps the ``?`` alone onto
the next line. It only changes a space the member typed there, whatever the page's language:
no space is added where there was none (``http://``, ``Note: 5`` stay as written).

It takes a plain string (a title, a private message's body: autoescaped after) or safe HTML (a
search's marked title, a post's rendered Markdown), where only the text between tags changes:
a tag and its attributes go through as they are, and so does all of a ``<code>`` or ``<pre>``
(code is copied as typed: ``a ?`` there is an expression, not French).
"""
from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup

NARROW_NO_BREAK_SPACE = "\N{NARROW NO-BREAK SPACE}"
# Spaces (plain ones: a no-break one already holds) after a word and before the mark, or after
# an opening guillemet and before a word.
_LOOSE = re.compile(r"(?<=[^\s])[ \t]+(?=[?!:;»])|(?<=«)[ \t]+(?=[^\s])")
# A code element whole (the Markdown renderer's <code> and <pre><code>: never nested in their
# own kind) or a tag goes through as it is; a loose space anywhere else is glued.
_TAG_OR_LOOSE = re.compile(
    rf"(<(code|pre)\b[^>]*>.*?</\2\s*>|<[^>]*>)|{_LOOSE.pattern}", re.DOTALL | re.IGNORECASE)


def glue_punctuation(value: Any) -> Any:
    """`value` with its spaces before ``? ! : ; »`` and after ``«`` narrow and unbreakable.
    Markup (a search's title with its words in ``<mark>``) keeps its tags as they are.

    >>> glue_punctuation("Comment activer le paiement sans contact ?")
    'Comment activer le paiement sans contact\\u202f?'
    >>> glue_punctuation("Règles : « soyez courtois » ! Voir https://a.example ;-)")
    'Règles\\u202f: «\\u202fsoyez courtois\\u202f»\\u202f! Voir https://a.example\\u202f;-)'
    >>> glue_punctuation("Why? Note: 5 ? ")
    'Why? Note: 5\\u202f? '
    >>> glue_punctuation(Markup('Délai <mark title="a ?">chèque</mark> ?'))
    Markup('Délai <mark title="a ?">chèque</mark>\\u202f?')
    >>> glue_punctuation(Markup('<p>Vu <code>a ? b : c</code> ?</p><pre><code>x ; y</code></pre>'))
    Markup('<p>Vu <code>a ? b : c</code>\\u202f?</p><pre><code>x ; y</code></pre>')
    >>> glue_punctuation(None) is None
    True
    """
    if isinstance(value, Markup):
        return Markup(_TAG_OR_LOOSE.sub(lambda found: found.group(1) or NARROW_NO_BREAK_SPACE,
                                        str(value)))
    if isinstance(value, str):
        return _LOOSE.sub(NARROW_NO_BREAK_SPACE, value)
    return value
