"""Every per-field message of a problem+json (`errors`) in French and in English: marshmallow's
own messages (required, null, types, Length, Range, OneOf, Regexp, unknown field...) and the
project's validators, each matched to a catalogue entry (section `field`, or `error`) with its
parameters kept, so the gateway writes it in the reader's language."""
from __future__ import annotations

import ast
import importlib
import pkgutil
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
from marshmallow import Schema, ValidationError, fields

from gateway.errors import localized_field_errors, problem_from_exception
from services.shared import i18n
from services.shared.errors import InvalidInput, Unprocessable

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
# calls whose first argument is a message a member reads in a field's errors
MESSAGE_CALLS = {"ValidationError", "InvalidTag", "InvalidToken"}
# `raise ValidationError(str(error))` passes on an InvalidTag's message, checked above
# and the refused-characters validator writes its catalogue's English (tried with bad values
# in every schema, below)
COMPUTED = {"str(error)", "i18n.text('en', self.message_key, code=f'{ord(found.group()):04X}', "
            "position=found.start() + 1)",
            "EMAIL_REFUSALS[reason]"}  # each of the table's messages: the test below


def _sample(node: ast.expr) -> str | None:
    """A message as the code writes it: a literal, or an f-string with each value as "x1"."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(part.value if isinstance(part, ast.Constant) else "x1"
                       for part in node.values)
    return None


def _written_messages() -> Iterator[tuple[str, str]]:
    """(where, message) of every field message written in services/ and gateway/: validators'
    `ValidationError`s, `error=` of marshmallow validators, lists under a `"fields"` key."""
    for path in sorted([*ROOT.glob("services/**/*.py"), *ROOT.glob("gateway/**/*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Call):
                function = node.func
                name = function.id if isinstance(function, ast.Name) else getattr(
                    function, "attr", None)
                if name in MESSAGE_CALLS and node.args:
                    yield where, node.args[0]
                for keyword in node.keywords:
                    if keyword.arg == "error" and isinstance(function, ast.Attribute) and \
                            ast.unparse(function).startswith("validate."):
                        yield where, keyword.value
            elif isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if isinstance(key, ast.Constant) and key.value == "fields":
                        for messages in _field_lists(value):
                            for message in messages.elts:
                                yield where, message


def _field_lists(node: ast.expr) -> Iterator[ast.List]:
    if isinstance(node, ast.Dict):
        yield from (value for value in node.values if isinstance(value, ast.List))
    elif isinstance(node, ast.DictComp) and isinstance(node.value, ast.List):
        yield node.value


# -- what marshmallow itself says, schema by schema ---------------------------------------------

BAD_VALUES = ("", " ", "x" * 100_001, "a\x01\n\u202e", -10 ** 12, 10 ** 12, -1, 0, object(),
              [], {}, None, "not an address", "2026-13-45")


def _schemas() -> list[type[Schema]]:
    for package in ("services", "gateway"):
        for module in pkgutil.walk_packages([str(ROOT / package)], f"{package}."):
            importlib.import_module(module.name)
    found, todo = [], list(Schema.__subclasses__())
    while todo:
        schema = todo.pop()
        todo.extend(schema.__subclasses__())
        if schema.__module__.startswith(("services.", "gateway.")):
            found.append(schema)
    return found


def _filled(template: str) -> str:
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    return template.format(**{name: "x1" for name in names})


def _field_messages(field: fields.Field, seen: set[int]) -> Iterator[str]:
    if id(field) in seen:
        return
    seen.add(id(field))
    yield from (_filled(message) for message in field.error_messages.values())
    for validator in field.validators:
        for value in BAD_VALUES:
            try:
                validator(value)
            except ValidationError as error:
                yield from _flattened(error.messages)
            except Exception:  # a value this validator cannot compare (TypeError...)
                continue
    for inner in (getattr(field, "inner", None), getattr(field, "key_field", None),
                  getattr(field, "value_field", None)):
        if isinstance(inner, fields.Field):
            yield from _field_messages(inner, seen)
    if isinstance(field, fields.Nested):
        try:
            nested = field.schema
        except (ValueError, TypeError):  # a nested schema named by a string not registered
            return
        yield from _schema_messages(nested, seen)


def _schema_messages(schema: Schema, seen: set[int]) -> Iterator[str]:
    yield from (_filled(message) for message in schema.error_messages.values())
    for field in schema.fields.values():
        yield from _field_messages(field, seen)


def _flattened(messages) -> Iterator[str]:
    if isinstance(messages, str):
        yield messages
    elif isinstance(messages, dict):
        for value in messages.values():
            yield from _flattened(value)
    else:
        for value in messages:
            yield from _flattened(value)


def _untranslated(message: str) -> bool:
    return i18n.field_key(message) is None


def test_every_field_message_a_schema_can_give_has_a_catalogue_entry():
    """marshmallow's messages for every field and validator of every schema (tried with bad
    values), in the catalogue: a new validator or message fails here until it has its French."""
    missing, seen = set(), set()
    for schema_class in _schemas():
        try:
            schema = schema_class()
        except TypeError:  # a base needing arguments; its subclasses are listed too
            continue
        for message in _schema_messages(schema, seen):
            if _untranslated(message):
                missing.add(f"{schema_class.__module__}.{schema_class.__name__}: {message!r}")
    assert not missing, "\n".join(sorted(missing))


def test_every_field_message_written_in_the_code_has_a_catalogue_entry():
    missing = []
    for where, node in _written_messages():
        message = _sample(node)
        if message is None:
            if ast.unparse(node) not in COMPUTED:
                missing.append(f"{where}: computed message {ast.unparse(node)}")
        elif _untranslated(message):
            missing.append(f"{where}: {message!r}")
    assert not missing, "\n".join(missing)


def test_every_refusal_of_an_address_has_a_catalogue_entry():
    from services.identity.domain import EMAIL_REFUSALS
    assert [message for message in EMAIL_REFUSALS.values() if _untranslated(message)] == []


def test_a_message_is_translated_with_its_parameters():
    assert i18n.field_text("fr", "Longer than maximum length 200.") == "Trop long (200 au plus)."
    assert i18n.field_text("fr", "Must be one of: question, idea.") == (
        "Doit être l’une des valeurs : question, idea.")
    assert i18n.field_text("fr", "Must be greater than or equal to 1 and less than or equal "
                                 "to 100.") == "Doit être compris entre 1 et 100 (inclus)."
    assert i18n.field_text("fr", "Must be greater than or equal to 1.") == (
        "Doit être supérieur ou égal à 1.")
    assert i18n.field_text("fr", "control character U+000A is not allowed in a single-line "
                                 "field (position 3)") == (
        "caractère de contrôle U+000A refusé dans un champ d’une seule ligne (position 3)")
    assert i18n.field_text("en", "Missing data for required field.") == (
        "Missing data for required field.")
    assert i18n.field_text("fr", "something no catalogue has") == "something no catalogue has"


def test_field_errors_keep_their_shape_in_the_readers_language():
    """field -> list of strings, nested fields and list items included; the English is the
    message as marshmallow wrote it."""
    errors = {"title": ["Missing data for required field."],
              "tags": {"0": ["Longer than maximum length 40."]},
              "_schema": ["Unknown field."], "roles": ["superuser"]}
    assert localized_field_errors(errors, None, "fr") == {
        "title": ["Champ obligatoire manquant."],
        "tags": {"0": ["Trop long (40 au plus)."]},
        "_schema": ["Champ inconnu."], "roles": ["superuser"]}
    assert localized_field_errors(errors, None, "en") == errors


def test_a_problem_carries_its_field_errors_in_the_readers_language():
    error = InvalidInput("the body has invalid fields",
                         {"fields": {"kind": ["Must be one of: question, idea."]}})
    french = problem_from_exception(error, "/x", "r1", "fr").body
    assert french["errors"] == {"kind": ["Doit être l’une des valeurs : question, idea."]}
    english = problem_from_exception(error, "/x", "r1", "en").body
    assert english["errors"] == {"kind": ["Must be one of: question, idea."]}


def test_errors_a_service_wrote_in_both_languages_are_given_in_the_readers():
    """`fields_i18n` (the password estimator, the content detector) wins over the catalogue."""
    error = Unprocessable("weak", {"fields": {"password": ["too short"]},
                                   "fields_i18n": {"en": {"password": ["too short"]},
                                                   "fr": {"password": ["trop court"]}}})
    french = problem_from_exception(error, "/x", "r1", "fr").body
    assert french["errors"] == {"password": ["trop court"]}
    assert french["errors_i18n"]["en"] == {"password": ["too short"]}
    assert problem_from_exception(error, "/x", "r1", "en").body["errors"] == {
        "password": ["too short"]}


def test_catalogue_field_templates_cannot_swallow_one_another():
    """Each template, filled, is read back as itself (a broader template tried first would
    give another key), in English and in French (the site reads the API's answers back)."""
    for language in i18n.LANGUAGES:
        for key, template in i18n.catalogue(language).items():
            if key.startswith("field."):
                assert i18n.field_key(_filled(template)) == key, (language, key)
    assert i18n.field_text("en", "Trop long (200 au plus).") == (
        "Longer than maximum length 200.")
