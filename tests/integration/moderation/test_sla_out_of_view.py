"""A question out of public view waits for no public answer: hidden by flags, its response-time
clock leaves the waiting clocks (the board, the counts, the breach checks) and comes back, still
counting from when it was asked, once a CM shows it again."""
import pytest

from ...conftest import wait_for
from ..posts.fixtures import cm, held_item, member, new_post, published

pytestmark = pytest.mark.integration


def waiting(moderation, manager) -> tuple[int, list[str]]:
    report = moderation.sla(manager, {"channel": "site", "limit": 50})
    return report["by_channel"]["site"]["unanswered"], [
        clock["post_id"] for clock in report["oldest_unanswered"]]


def test_a_question_hidden_by_flags_stops_waiting_until_shown_again(posts, moderation):
    manager = cm()
    moderation.set_policy(manager, {"flags_to_hide": 1, "trusted_min_approved": 0,
                                    "trusted_min_age_days": 0})
    question = new_post(posts, member())["id"]
    published(posts, question)
    started = wait_for(lambda: (w := waiting(moderation, manager)) == (1, [question]) and w,
                       message="clock started")
    assert started == (1, [question])
    assert moderation.flag(member(), "post", question, {"reason": "spam"})["held"] is True
    wait_for(lambda: posts.get_post(manager, question)["state"] == "hidden", message="hidden")
    wait_for(lambda: waiting(moderation, manager) == (0, []), message="no longer waiting")
    assert moderation.sla(manager)["unanswered"] == 0
    moderation.decide(manager, held_item(moderation, question)["id"], {"decision": "approve"})
    published(posts, question)
    wait_for(lambda: waiting(moderation, manager) == (1, [question]),
             message="waiting again once shown")


def test_a_question_hidden_then_deleted_leaves_no_clock(posts, moderation, platform,
                                                        mongo_client):
    """Deleting a question stops its clock, set aside (hidden) or not: none left behind."""
    manager, author = cm(), member()
    moderation.set_policy(manager, {"flags_to_hide": 1, "trusted_min_approved": 0,
                                    "trusted_min_age_days": 0})
    question = new_post(posts, author)["id"]
    published(posts, question)
    clocks = mongo_client[f"{platform['MONGO_DB_PREFIX']}_moderation"]["sla"]
    wait_for(lambda: clocks.find_one({"_id": question}), message="clock started")
    assert moderation.flag(member(), "post", question, {"reason": "spam"})["held"] is True
    wait_for(lambda: (clocks.find_one({"_id": question}) or {}).get("answered", False) is None,
             message="set aside while hidden")
    posts.delete_post(author, question)
    wait_for(lambda: clocks.find_one({"_id": question}) is None, message="clock gone")
