"""Validating RPC arguments with a marshmallow schema: field errors become `InvalidInput` (400).

RPC is an entrypoint like HTTP: the gateway validates request bodies, and each service validates
its RPC arguments again with the same schemas.

Example::

    data = load_input(PostCreateSchema, data)   # InvalidInput {"fields": {...}} when invalid
"""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError

from .errors import InvalidInput


def load_input(schema: type[Schema], data: Any) -> dict[str, Any]:
    try:
        return schema().load(data if data is not None else {})
    except ValidationError as error:
        raise InvalidInput("invalid input", {"fields": error.normalized_messages()}) from None
