"""Templates (Jinja2, autoescaped) and the headers every HTML answer carries.

Templates live in `gateway/web/templates/<area>/<screen>.html` and extend `base.html`. They get
`t(key, **params)` (the reader's language, gateway/web/i18n.py), `lang`, `actor`,
`csrf_token`, `static(name)`, `url` (this page's canonical URL), `request_id`, and the filters
`date`, `datetime`, `number`, `author`, `reject_reason(code)`, `linked(key, href, label_key)`
(a sentence with a link inside it), and `| glue` (a title's or an
excerpt's spaces before ? ! : ; tied to their word: typography.py). No inline script or style may
appear in them: the CSP below forbids both.
"""
from __future__ import annotations

from functools import lru_cache
from http import HTTPStatus
from pathlib import Path
from typing import Any

from jinja2 import (
    ChainableUndefined,
    Environment,
    FileSystemLoader,
    pass_context,
    select_autoescape,
)
from markupsafe import Markup
from werkzeug.wrappers import Response

from services.moderation.detector import KIND_LABELS
from services.moderation.schemas import CM_HOLD_REASONS
from services.shared import i18n as shared_i18n
from services.shared.actors import is_staff
from services.shared.shredding import ERASED_DISPLAY_NAME

from . import i18n
from .assets import static_url
from .masking import mask_cards
from .typography import glue_punctuation

TEMPLATES = Path(__file__).with_name("templates")

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "worker-src 'self'",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
])

HTML_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    # Pages carry the reader's session (menu, CSRF token) and, signed in, personal data.
    "Cache-Control": "no-store",
}


def in_language(language: str, value: Any) -> Any:
    """`value` as this reader reads it: an erased member's name is one label in both languages
    in the read models (shredding.py says why); a page shows it in its own."""
    if isinstance(value, str) and value == ERASED_DISPLAY_NAME:
        return i18n.translate(language, "members.former_member")
    return value


@pass_context
def _finalize(context, value: Any) -> Any:
    """Every `{{ value }}` a template prints (jinja's `finalize`), in the page's language."""
    return in_language(context.get("lang", i18n.DEFAULT_LANGUAGE), value)


def _author_name(language: str):
    def author(item: dict[str, Any] | None) -> str:
        summary = (item or {}).get("author") or {}
        return in_language(language, summary.get("display_name")) \
            or i18n.translate(language, "common.member")
    return author


AVATAR_TONES = 8


def avatar_tone(item: dict[str, Any] | None) -> int:
    """One of the CSS tones `tone-0`..`tone-7` (no inline style under the CSP): from the
    author summary's colour when there is one, else from the author id."""
    item = item or {}
    summary = item.get("author") or {}
    seed = str((summary.get("avatar") or {}).get("color") or summary.get("id")
               or item.get("author_id") or item.get("id") or "")
    return sum(seed.encode()) % AVATAR_TONES


def _avatar_initial(language: str):
    def initial(item: dict[str, Any] | None) -> str:
        summary = (item or {}).get("author") or {}
        given = (summary.get("avatar") or {}).get("initial")
        return (given or _author_name(language)(item)[:1] or "?").upper()
    return initial


def _reject_reason(language: str):
    def reason(code: str | None, written: str | None = None) -> str:
        return shared_i18n.reject_reason(language, code, written)
    return reason


def _linked(t):
    def linked(key: str, href: str, label_key: str) -> Markup:
        """The sentence `key` with a link where its `{link}` stands: each language places it
        where its grammar wants ("…vous acceptez les {link}." / "…you accept the {link}.");
        the words are escaped, only the link is markup."""
        before, _, after = t(key, link=LINK_MARKER).partition(LINK_MARKER)
        return Markup('{}<a href="{}">{}</a>{}').format(before, href, t(label_key), after)
    return linked


LINK_MARKER = "\x00"  # no catalogue text holds it


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "xml", "webmanifest"], default=True),
        undefined=ChainableUndefined,  # API answers omit empty fields
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_finalize,
    )
    env.globals["static"] = static_url
    env.globals["confidential_labels"] = confidential_labels
    env.filters["glue"] = glue_punctuation
    env.filters["in_sentence"] = shared_i18n.in_sentence
    env.filters["mask_cards"] = mask_cards  # private messages' card numbers (masking.py)
    env.globals["is_staff"] = is_staff  # the staff menus: the services' own definition
    env.globals["cm_hold_reasons"] = CM_HOLD_REASONS  # a CM's own holds, not flags (moderation)
    return env


def confidential_labels(language: str) -> dict[str, str]:
    """The detector's name of each kind of confidential data in `language` ("un IBAN"): what
    the writing forms' warning names (posts/_writing.html)."""
    return {kind: names.get(language) or names["fr"] for kind, names in KIND_LABELS.items()}


def render_html(template: str, language: str, context: dict[str, Any], status: int = 200,
                headers: dict[str, str] | None = None) -> Response:
    """A full HTML page in the reader's language with the site's security headers."""
    env = environment()

    def t(key: str, **params: Any) -> str:
        return i18n.translate(language, key, **{name: in_language(language, value)
                                                for name, value in params.items()})

    values = {
        "t": t,
        "lang": language,
        "languages": i18n.LANGUAGES,
        "date": lambda value: i18n.format_date(language, value),
        "datetime": lambda value: i18n.format_date(language, value, with_time=True),
        "number": lambda value: i18n.format_number(language, value),
        "author": _author_name(language),
        "avatar_initial": _avatar_initial(language),
        "avatar_tone": avatar_tone,
        "reject_reason": _reject_reason(language),
        "linked": _linked(t),
        **context,
    }
    body = env.get_template(template).render(values)
    return Response(body, status=status, headers={**HTML_HEADERS, **(headers or {})},
                    content_type="text/html; charset=utf-8")


def status_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
