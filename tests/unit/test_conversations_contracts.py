"""Conversations contracts: every event documented on the public exchange with its exact payload
fields, none of which can carry a text; gateway response schemas know every key the service
answers with."""

from gateway.routes import conversations as routes
from services.conversations import (  # noqa: F401 - schemas registers the payloads
    domain,
    saved_replies,
    schemas,
)
from services.conversations import presenters as conversation_presenters
from services.shared.members import summary as summary_of
from services.shared.payloads import REGISTRY

from .contracts import assert_documented, asyncapi

TEXT_FIELDS = {"body", "text", "subject", "message", "handle", "title", "email", "external_id"}


def conversation_event_types():
    return [t for t in REGISTRY.event_types() if t.startswith("conversations.")]


def test_asyncapi_documents_every_conversations_event_without_content():
    document = asyncapi()
    assert len(conversation_event_types()) >= 7
    assert domain.NOTE_ADDED in conversation_event_types()  # an internal note: ids only too
    for event_type in conversation_event_types():
        # staff's own saved replies: private (conversations.private), ids only all the same
        assert REGISTRY.is_private(event_type) == (event_type in (
            saved_replies.SAVED, saved_replies.REMOVED)), event_type
        assert_documented(document, event_type)  # on the exchange its privacy says
        assert not TEXT_FIELDS & set(REGISTRY.schema(event_type).fields), event_type


def test_gateway_schemas_cover_the_service_views():
    summary = conversation_presenters.summary(
        {"_id": "c", "participant_ids": [], "pool": None, "member_id": "u"}, "subject",
        {"u": summary_of("u", None)})
    assert set(summary) <= set(routes.ConversationSummary().fields)
    assert set(summary) | {"messages", "next_cursor"} <= set(routes.Conversation().fields)
    message = conversation_presenters.message({"_id": "m"}, {"body": "b"}, {})
    assert set(message) | {"conversation_id"} <= set(routes.Message().fields)


def test_gateway_note_schema_covers_the_note_view():
    note = conversation_presenters.note({"_id": "n", "conversation_id": "c", "author_id": "u"},
                                        "body", {})
    assert set(note) <= set(routes.ConversationNote().fields)
