"""The OpenAPI 3 document, generated from the routes a service class serves (`@route` specs) and
their marshmallow schemas: a new route appears in `/api/v1/openapi.json` by being declared.

Every operation gets: path parameters, the query schema as parameters, the body schema as
`requestBody`, its success response (with the `response` schema), the problem+json responses
it can produce (from its auth level, body and idempotency, plus `errors=` of the route), and
its security requirement (bearer JWT and/or service key).
"""
from __future__ import annotations

from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields, validate

from services.shared.validation import multi_line, single_line

from .calls import RouteSpec
from .http import routes_of

OPENAPI_VERSION = "3.0.3"
API_VERSION = "1.0.0"


class ProblemSchema(Schema):
    """RFC 7807 problem details."""

    type = fields.String(required=True, metadata={"example": "urn:agora:problem:not-found"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    instance = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True)
    errors = fields.Dict(keys=fields.String(), values=fields.Raw(), metadata={
        "description": "per-field messages (400, 422): field -> list of messages (a nested "
                       "object for the fields of a nested object, and for list items by "
                       "index), in the reader's language like `title` and `detail` (the "
                       "member's `language`, else `Accept-Language`, else French)",
        "example": {"title": ["Trop long (200 au plus)."], "body": [
            "Champ obligatoire manquant."]}})
    errors_i18n = fields.Dict(
        keys=fields.String(), values=fields.Raw(),
        metadata={"description": "the same per-field messages in each language (`en`, `fr`), "
                  "when the service wrote them in several itself, e.g. the password "
                  "estimator's feedback; `errors` is the reader's"})
    retry_after = fields.Integer(metadata={"description": "seconds (429)"})
    reason = fields.String(metadata={
        "description": "401 for an expired access token: `token_expired` (refresh it and send "
                       "the request again); for a revoked session: why it ended, as identity "
                       "recorded it (`roles_changed`: an admin changed the member's roles, sign "
                       "in again; "
                       "`logout`, `password_changed`, `refresh_token_reused`, "
                       "`account_erased`, `second_factor_reset`); the `detail` says it in the "
                       "member's language", "example": "roles_changed"})


_ERROR_TEXT = {
    400: "Invalid input (per-field `errors`)",
    401: "Missing, invalid, expired or revoked credentials (`reason`: an expired token, a "
         "revoked session)",
    403: "Authenticated, but not allowed",
    404: "Not found",
    409: "Conflict (state changed, or already exists)",
    410: "Gone for good (an erased member's profile or activity)",
    413: "Body too large",
    415: "Body is not application/json",
    422: "Business rule refused it (or Idempotency-Key reused with another body)",
    429: "Too many requests (see Retry-After)",
    502: "A service failed",
    503: "Service unavailable",
    504: "Service timeout",
}


def build_spec(service_cls: type, server_url: str | None = None) -> dict[str, Any]:
    marshmallow = MarshmallowPlugin()
    spec = APISpec(
        title="Agora API", version=API_VERSION, openapi_version=OPENAPI_VERSION,
        plugins=[marshmallow],
        info={"description": (
            "Public REST API of Agora, the bank community platform. Errors are RFC 7807 "
            "application/problem+json. The POST operations that list an `Idempotency-Key` "
            "header keep their first answer for 24 h: a retry with the same key and body gets "
            "it again (`Idempotent-Replayed: true`), another body 422; an answer that decided "
            "nothing (400, 429, 5xx) leaves the key free for the corrected or later request. "
            "Logins, token refreshes and second-factor steps are not replayed (a retry logs in "
            "again). PUT and DELETE are idempotent by themselves. Every answer carries "
            "`X-Request-ID`; 429 and 503 carry `Retry-After`. On any operation, a request "
            "line (method, address, version) of 8 KiB or more is 414, and a header line of "
            "8 KiB or more, 64 KiB of headers or more than 100 headers is 431, both "
            "problem+json.")},
        servers=[{"url": server_url or "/"}],
    )
    spec.components.security_scheme("bearer", {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": "Access token from POST /api/v1/auth/login (EdDSA-signed JWT)"})
    spec.components.security_scheme("serviceKey", {
        "type": "apiKey", "in": "header", "name": "X-Agora-Service-Key",
        "description": "`<name>:<secret>` of a bank system"})
    marshmallow.converter.add_attribute_function(refused_characters)
    spec.components.schema("Problem", schema=ProblemSchema)
    for route in routes_of(service_cls):
        if route.openapi:
            spec.path(path=route.path, operations={route.method.lower(): _operation(route)})
    return spec.to_dict()


def refused_characters(self, field: fields.Field, **kwargs: Any) -> dict[str, Any]:
    """An apispec attribute function: a text field validated by the kit's `single_line` or
    `multi_line` shows the characters it refuses as a `pattern` (unless a stricter one is set)."""
    validators = field.validate if isinstance(field.validate, list | tuple) else [field.validate]
    for validator in validators:
        if validator in (single_line, multi_line) and "pattern" not in kwargs.get("ret", {}):
            return {"pattern": validator.json_pattern}
    return {}


def _operation(route: RouteSpec) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": route.name,
        "summary": route.summary,
        "tags": list(route.tags) or ["default"],
        "parameters": [],
        "responses": {},
        "x-agora-auth": "|".join(route.auth),
    }
    if route.description and route.description.strip() != route.summary:
        operation["description"] = _dedent(route.description)
    for name in route.path_names:
        operation["parameters"].append({"in": "path", "name": name, "required": True,
                                        "schema": _path_parameter(route, name)})
    if route.query is not None:
        operation["parameters"].append({"in": "query", "schema": route.query})
    if route.idempotent:
        operation["parameters"].append({
            "in": "header", "name": "Idempotency-Key", "required": False,
            "schema": {"type": "string", "maxLength": 255},
            "description": "a retry with the same key returns the first answer"})
    operation["parameters"].append({
        "in": "header", "name": "Accept-Language", "required": False,
        "schema": {"type": "string", "maxLength": 200, "example": "fr-FR, en;q=0.8"},
        "description": "fr | en: the language of error texts (problem+json title, detail and "
                       "per-field errors) "
                       "for anonymous requests; a signed-in member's `language` setting wins; "
                       "French by default"})
    operation["parameters"].append({
        "in": "header", "name": "X-Request-ID", "required": False,
        "schema": {"type": "string", "maxLength": 128},
        "description": "echoed; generated when absent"})
    if route.body is not None:
        operation["requestBody"] = {"required": route.body_required,
                                    "content": {"application/json": {"schema": route.body}}}
    success: dict[str, Any] = {"description": route.summary or "OK",
                               "headers": _success_headers(route)}
    if route.response is not None and route.status != 204:
        success["content"] = {route.media_type: {"schema": route.response}}
    operation["responses"][str(route.status)] = success
    if route.conditional:
        operation["parameters"].append({
            "in": "header", "name": "If-None-Match", "required": False,
            "schema": {"type": "string"}, "description": "the `ETag` of the last answer"})
        operation["responses"]["304"] = {
            "description": "Not modified since the answer whose ETag was sent (no body)",
            "headers": {"ETag": _HEADERS["ETag"], "X-Request-ID": _HEADERS["X-Request-ID"]}}
    for status in _error_statuses(route):
        description = _ERROR_TEXT.get(status, "Error")
        if status == 401 and route.auth == ("public",):
            description = ("A token was sent and is not valid (expired, revoked, forged): refresh "
                           "it, or call without one to get the anonymous answer")
        headers = {"X-Request-ID": _HEADERS["X-Request-ID"]}
        if status in (429, 503):
            headers["Retry-After"] = _HEADERS["Retry-After"]
        operation["responses"][str(status)] = {
            "description": description, "headers": headers,
            "content": {"application/problem+json": {"schema": "Problem"}},
        }
    security = []
    if "service" in route.auth:
        security.append({"serviceKey": []})
    if any(level not in ("none", "public", "service") for level in route.auth):
        security.append({"bearer": []})
    if security:
        operation["security"] = security
    elif route.auth == ("public",):
        operation["security"] = [{}, {"bearer": []}]
    else:  # "none": credentials are not read at all
        operation["security"] = []
    return operation


# The response headers a client may read, declared so that generated clients expose them.
_HEADERS: dict[str, dict[str, Any]] = {
    "X-Request-ID": {"description": "the request's id (the client's, when well-formed): quote "
                                    "it when reporting a problem", "schema": {"type": "string"}},
    "Retry-After": {"description": "seconds to wait before trying again",
                    "schema": {"type": "integer", "minimum": 0}},
    "Idempotent-Replayed": {"description": "`true` when this is the saved answer to an earlier "
                                           "request with the same Idempotency-Key",
                            "schema": {"type": "string", "enum": ["true"]}},
    "ETag": {"description": "names the state answered; send it back in If-None-Match",
             "schema": {"type": "string"}},
}


def _success_headers(route: RouteSpec) -> dict[str, Any]:
    names = ["X-Request-ID"]
    if route.idempotent:
        names.append("Idempotent-Replayed")
    if route.conditional:
        names.append("ETag")
    return {name: _HEADERS[name] for name in names}


def _path_parameter(route: RouteSpec, name: str) -> dict[str, Any]:
    """The exact shape a path parameter is validated with (`pattern`), as documented."""
    field = route.path_params.fields.get(name) if route.path_params is not None else None
    if field is None:
        return {"type": "string", "maxLength": 128}
    schema: dict[str, Any] = {"type": "string"}
    for validator in field.validators:
        if isinstance(validator, validate.Regexp):
            schema["pattern"] = validator.regex.pattern
    for key in ("description", "example"):
        if key in field.metadata:
            schema[key] = field.metadata[key]
    return schema


def _error_statuses(route: RouteSpec) -> list[int]:
    statuses = set(route.errors) | {502, 503, 504}
    if route.auth == ("public",):
        statuses.add(401)  # a token was sent and is not valid
    elif route.auth != ("none",):
        statuses |= {401, 403}
    if route.path_names:
        statuses.add(404)
    if route.body is not None:
        statuses |= {400, 413, 415}
    if route.query is not None:
        statuses.add(400)
    if route.idempotent:
        statuses |= {409, 422}
    return sorted(statuses)


def _dedent(text: str) -> str:
    lines = text.strip("\n").splitlines()
    indents = [len(line) - len(line.lstrip()) for line in lines[1:] if line.strip()]
    cut = min(indents) if indents else 0
    return "\n".join([lines[0].strip(), *[line[cut:] for line in lines[1:]]]).strip()


