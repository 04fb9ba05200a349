"""Id shapes (services/shared/ids.py): every id the services make has its kind's exact shape,
no stream id of another kind has it, and every gateway path parameter is checked with one."""
import re

import pytest

from gateway.http import routes_of
from gateway.service import GatewayService
from services.conversations import domain as conversations
from services.moderation import domain as moderation
from services.posts import domain as posts
from services.shared import ids
from services.shared.envelope import new_id
from services.shared.errors import NotFound

pytestmark = pytest.mark.unit


def test_the_ids_the_services_make_have_their_shape():
    post, reply, user = posts.new_post_id(), posts.new_reply_id(), new_id()
    assert ids.POST.matches(post) and ids.REPLY.matches(reply) and ids.USER.matches(user)
    assert ids.CONVERSATION.matches(conversations.new_conversation_id())
    assert ids.CONVERSATION.matches(conversations.escalation_conversation_id(post))
    assert ids.CONVERSATION.matches(conversations.social_case_id(user, "twitter", "@a"))
    for item in (moderation.review_item_id(post, 1), moderation.review_item_id(reply, 12),
                 moderation.flags_item_id(post)):
        assert ids.MODERATION_ITEM.matches(item)
    for shape in ids.SHAPES:
        assert shape.matches(shape.example)


def test_stream_ids_of_other_kinds_never_pass_for_a_post_reply_or_user():
    post, reply, user = posts.new_post_id(), posts.new_reply_id(), new_id()
    other_streams = [posts.content_stream(post, 1), posts.vote_stream(post, user),
                     moderation.flags_item_id(post), moderation.member_stream(user),
                     f"user-{user}", conversations.stream(user), "policy", f"sla.{post}",
                     post.upper(), post + "\n", f"{post}/", "", None, 42]
    for wrong in other_streams:
        for shape in (ids.POST, ids.REPLY, ids.USER, ids.CONVERSATION):
            assert not shape.matches(wrong), (shape.kind, wrong)
            with pytest.raises(NotFound):
                shape.require(wrong)
    assert not ids.POST.matches(reply) and not ids.REPLY.matches(post)
    assert not ids.MODERATION_ITEM.matches(f"{user}.flags")  # items are about contributions
    assert ids.contribution("reply") is ids.REPLY


def test_every_path_parameter_of_the_gateway_has_an_exact_shape():
    for route in routes_of(GatewayService):
        for name in route.path_names:
            assert route.path_params is not None, route.path
            field = route.path_params.fields.get(name)
            assert field is not None and field.validators, (route.path, name)
            regexes = [v.regex for v in field.validators if hasattr(v, "regex")]
            assert regexes and all(isinstance(r, re.Pattern) for r in regexes), route.path
            errors = route.path_params.validate({n: "x.r1" for n in route.path_names})
            assert name in errors, (route.path, name)
