"""What a gateway route is (`RouteSpec`), what its handler gets (`Call`) and may return (`Reply`),
and the reader's language its answer is written in (`ReaderText`). Shared by the route registry
(http.py), the request pipeline (pipeline.py), the site's pages (web/page.py) and OpenAPI."""
from __future__ import annotations

import contextvars
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from marshmallow import Schema, fields
from werkzeug.wrappers import Request

from services.shared import i18n

_PARAM_RE = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)\}")


# -- texts in answers ----------------------------------------------------------------------------

# The language of the request a worker answers (each green thread has its own context): a
# response schema's `ReaderText` fields are written in it.
READER_LANGUAGE: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "reader_language", default=None)


class ReaderText(fields.String):
    """A text of the catalogue shown with data (e.g. the redaction mark): services send it in
    English, or any truthy value; the answer carries catalogue `key` in the reader's language.

        redaction_mark = ReaderText("mark.redacted")  # "modifié par l'équipe de la communauté"
    """

    def __init__(self, key: str, **kwargs: Any):
        super().__init__(dump_only=True, **kwargs)
        self.key = key

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return i18n.text(READER_LANGUAGE.get(), self.key) if value else None


# -- what handlers get and return -------------------------------------------------------------

@dataclass
class Call:
    request: Request
    actor: dict[str, Any] | None
    path: dict[str, Any]
    query: dict[str, Any]
    body: dict[str, Any]
    request_id: str
    client: str
    idempotency_key: str | None = None  # POST/PUT: travels with the RPC (shared/commands.py)


@dataclass
class Reply:
    body: Any = None
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class RouteSpec:
    method: str
    path: str                      # OpenAPI template: /api/v1/users/{id}
    auth: tuple[str, ...]
    status: int = 200
    body: Schema | None = None
    query: Schema | None = None
    path_params: Schema | None = None
    response: Schema | None = None
    summary: str = ""
    description: str | None = None
    tags: tuple[str, ...] = ()
    idempotent: bool = False
    body_required: bool = True
    openapi: bool = True
    errors: tuple[int, ...] = ()
    name: str = ""
    media_type: str = "application/json"   # of the success response (OpenAPI)
    conditional: bool = False      # answers with an ETag, and 304 to a matching If-None-Match
    # (service, document, refused fields) -> the refusal's details, when a body's refusal can
    # say more than its schema (registration: the password's strength too, asked of identity)
    on_refused_body: Callable[[Any, dict, dict], dict] | None = None

    @property
    def rule(self) -> str:
        """The werkzeug rule for the template ({id} -> <id>)."""
        return _PARAM_RE.sub(r"<\1>", self.path)

    @property
    def path_names(self) -> list[str]:
        return _PARAM_RE.findall(self.path)
