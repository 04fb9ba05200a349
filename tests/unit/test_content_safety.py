"""Characters no text field accepts, and confidential data in texts published without moderation
(profiles, idea-status notes): pure rules, shared by every service."""
import json
import re
from datetime import UTC, datetime

import pytest
from marshmallow import ValidationError

from gateway.routes.identity import ProfilePatch, RegisterBody
from services.conversations.schemas import (
    ConversationCreateSchema,
    MentionSchema,
    MessageCreateSchema,
)
from services.feeds.schemas import TagPath
from services.identity import domain as identity
from services.moderation.detector import confidential_fields, refuse_confidential
from services.moderation.schemas import (
    DecisionSchema,
    NoteSchema,
    PolicyUpdateSchema,
    SlaTargetsUpdateSchema,
)
from services.notifications import domain as notifications
from services.posts import domain as posts
from services.posts.schemas import (
    IdeaStatusSchema,
    PostCreateSchema,
    PostEditSchema,
    ReplyCreateSchema,
    ReplyEditSchema,
)
from services.shared import i18n
from services.shared.errors import InvalidInput, Unprocessable
from services.shared.validation import (
    as_single_line,
    load_input,
    multi_line,
    single_line,
    surrogate_errors,
)

from .streams import CM, idea, user

pytestmark = pytest.mark.unit

IBAN = "FR76 3000 6000 0112 3456 7890 189"
POST = {"kind": "question", "title": "My card", "body": "How do I?", "category": "cards"}
REFUSED_IN_ONE_LINE = ["\r", "\n", "\r\n", "\t", "\x00", "\x1b", "\x7f", "\x85", "\x9b",
                       "\u2028", "\u2029", "\u202e", "\u2066", "\u200f"]


@pytest.mark.parametrize("character", REFUSED_IN_ONE_LINE)
def test_single_line_fields_refuse_control_characters_and_name_them(character):
    with pytest.raises(ValidationError) as refused:
        single_line(f"Hello{character}world")
    assert f"U+{ord(character[0]):04X}" in str(refused.value) and "position 6" in str(refused.value)


def test_multi_line_texts_keep_line_breaks_tabs_and_bidi_marks_but_no_other_controls():
    rtl = "a\r\nb\n\tc \u200f\u202b\u0645\u202c \u2067\u0645\u2069 d"
    assert multi_line(rtl) == rtl
    # an override shows "override" as "edirrevo": an amount or a number read reversed
    for character in ("\x00", "\x08", "\x0b", "\x1b", "\x7f", "\x9b", "\u202d", "\u202e"):
        with pytest.raises(ValidationError):
            multi_line(f"a{character}b")
    ordinary = "Prêt à taux zéro — 2 % « garanti » 🙂"
    assert single_line(ordinary) == ordinary


BLANK = "  \u00a0 "  # spaces and a no-break space: nothing a reader can read


@pytest.mark.parametrize("schema, data, field", [
    (PostCreateSchema, {**POST, "title": BLANK}, "title"),
    (PostCreateSchema, {**POST, "body": BLANK + "\n\t" + BLANK}, "body"),
    (PostEditSchema, {"body": BLANK}, "body"),
    (ReplyCreateSchema, {"body": BLANK}, "body"),
    (ReplyEditSchema, {"body": BLANK}, "body"),
    (IdeaStatusSchema, {"status": "planned", "note": BLANK}, "note"),
    (NoteSchema, {"note": BLANK}, "note"),
    (ConversationCreateSchema, {"subject": "Ma carte", "message": BLANK}, "message"),
    (MessageCreateSchema, {"body": "\n" + BLANK}, "body"),
])
def test_a_text_a_person_writes_is_refused_when_it_is_only_spaces(schema, data, field):
    """A note of spaces was published to an idea's supporters; posts, replies and private
    messages of spaces were accepted. A text with words around them is kept as written."""
    assert field in schema().validate(data)
    kept = {**data, field: "  Bonjour, merci  "}
    assert schema().load(kept)[field] == kept[field]


@pytest.mark.parametrize("schema, data, field", [
    (PostCreateSchema, {**POST, "title": "Evil\r\nBcc: everyone@bank.example"}, "title"),
    (PostCreateSchema, {**POST, "tags": ["app\n"]}, "tags"),  # a "$" regexp alone lets it in
    (PostCreateSchema, {**POST, "category": "cards\n"}, "category"),
    (PostCreateSchema, {**POST, "body": "null\x00byte"}, "body"),
    (PostEditSchema, {"title": "Tab\there"}, "title"),
    (IdeaStatusSchema, {"status": "planned", "note": "line\u2028break"}, "note"),
    (IdeaStatusSchema, {"status": "planned", "note": "ok", "release": "v2\r"}, "release"),
    (DecisionSchema, {"decision": "redact", "title": "x\ny", "body": "b"}, "title"),
    (NoteSchema, {"note": "bell\x07"}, "note"),
    (PolicyUpdateSchema, {"premoderated_categories": ["cards\r"]}, "premoderated_categories"),
    (ConversationCreateSchema, {"subject": "Hi\r\nthere", "message": "m"}, "subject"),
    (MentionSchema, {"channel": "x", "external_id": "1", "handle": "a\nb", "text": "t"},
     "handle"),
    (TagPath, {"tag": "app\n"}, "tag"),
    (SlaTargetsUpdateSchema, {"categories": {"cards\n": {"target_seconds": 3600}}},
     "categories"),
    (ProfilePatch, {"display_name": "Ada\u202eadmin"}, "display_name"),
    (RegisterBody, {"email": "a@b.example", "password": "x" * 12, "display_name": "A\rB"},
     "display_name"),
])
def test_schemas_refuse_control_characters_with_a_field_error(schema, data, field):
    with pytest.raises(InvalidInput) as refused:
        load_input(schema, data)
    assert field in refused.value.details["fields"], refused.value.details


def test_a_lone_surrogate_is_named_at_its_field_wherever_it_is_in_a_document():
    """JSON may escape half of a character ("\\ud800"): no database, page or e-mail takes
    it, so the gateway refuses a body holding one, field by field; a pair is one character."""
    refused = "Invalid text: an unpaired UTF-16 surrogate."
    document = json.loads('{"title": "\\ud800", "body": "ok \\ud83d\\ude00", '
                          '"tags": ["a", "b\\udfff"], "to": {"name": "\\ud800x"}, '
                          '"\\ud800": 1, "n": 5}')
    assert surrogate_errors(document) == {"title": [refused], "tags": {1: [refused]},
                                          "to": {"name": [refused]}, "_schema": [refused]}
    assert surrogate_errors(json.loads('{"body": "\\ud83d\\ude00 ok", "tags": []}')) == {}
    assert i18n.field_text("fr", refused) == (
        "Texte invalide : caractère non valide (UTF-16 isolé).")


def test_bodies_and_bios_keep_their_line_breaks():
    assert load_input(PostCreateSchema, {**POST, "body": "a\r\n\tb"})["body"] == "a\r\n\tb"
    assert load_input(ProfilePatch, {"bio": "line one\nline two"})["bio"] == "line one\nline two"


def test_an_old_title_with_a_line_break_still_makes_a_one_line_subject():
    notice = {"type": "followed_activity", "actor_name": "Ada", "title": "Evil\r\nBcc: x",
              "kind": "question"}
    subject = notifications.email(notice, "https://community.bank.test").subject
    assert "\r" not in subject and "\n" not in subject and "Bcc: x" in subject
    assert as_single_line("a\u2028b\u202ec") == "a b c"


# -- confidential data in texts published as typed ----------------------------------------------

def test_findings_are_named_by_kind_never_by_value():
    assert confidential_fields({"bio": f"IBAN {IBAN}", "display_name": "Ada", "x": None}) == {
        "bio": ["iban"]}
    with pytest.raises(Unprocessable) as refused:
        refuse_confidential({"bio": f"Mon IBAN {IBAN}, appelez le 06 12 34 56 78"})
    details = refused.value.details
    assert details["kinds"] == ["iban", "phone"]
    assert details["fields"]["bio"] == ["contains an IBAN and a phone number: remove it, it would "
                                        "be public"]
    assert "3000" not in str(refused.value) and "06 12" not in str(refused.value)


def test_a_profile_with_confidential_data_is_refused():
    state, _ = user()
    for changes in ({"bio": f"Virez sur {IBAN}"}, {"display_name": "ada@example.org"}):
        with pytest.raises(Unprocessable) as refused:
            identity.update_profile(state, changes)
        assert set(refused.value.details["fields"]) == set(changes)
    with pytest.raises(Unprocessable):
        identity.register("u2", "b@example.org", "Call 06 12 34 56 78", False,
                          datetime(2026, 1, 1, tzinfo=UTC))
    (updated,) = identity.update_profile(state, {"bio": "Client depuis 2004, 2 enfants"})
    assert updated.payload["bio"] == "Client depuis 2004, 2 enfants"


def test_an_idea_status_note_with_confidential_data_is_refused():
    stream = idea()
    with pytest.raises(Unprocessable) as refused:
        posts.change_idea_status(CM, stream.state, "under_review", f"Refund to {IBAN}")
    assert list(refused.value.details["fields"]) == ["note"]
    with pytest.raises(Unprocessable):
        posts.change_idea_status(CM, stream.state, "planned", "ok", release="call 0612345678")
    [event] = posts.change_idea_status(CM, stream.state, "under_review", "Studying it")
    assert event.payload["note"] == "Studying it"



def test_openapi_shows_the_refused_characters_as_patterns():
    from gateway.openapi import build_spec
    from gateway.service import GatewayService

    schemas = build_spec(GatewayService)["components"]["schemas"]
    title = schemas["PostCreate"]["properties"]["title"]["pattern"]
    body = schemas["PostCreate"]["properties"]["body"]["pattern"]
    assert title == single_line.json_pattern and body == multi_line.json_pattern
    assert re.match(title, "Prêt à taux zéro") and not re.match(title, "a\r\nb")
    assert re.match(body, "a\r\n\tb") and not re.match(body, "a\x00b")


@pytest.mark.parametrize("name", ["x" * 300, "localtime", "posixrules", "Factory", "../etc",
                                  "posix/Europe/Paris", "Mars/Olympus", ""])
def test_a_time_zone_is_one_the_tz_database_names(name):
    """`ZoneInfo` opens any file of the tz directory: a 300-character name was an OSError (500),
    and files that are no zone were taken for one."""
    from services.shared.validation import time_zone

    with pytest.raises(ValidationError):
        time_zone(name)
    assert time_zone("Europe/Paris") is None and time_zone("America/Martinique") is None
