"""Notifications in a nameko container with identity, posts, moderation and feeds, delivering to a
real local SMTP server."""
import pytest

from services.notifications.projections import PROJECTION
from services.shared.event_store import EventStore
from services.shared.projections import replay

from ...conftest import wait_for
from ..feeds.fixtures import actor, follow, post, published, register, reply
from .deliveries import inbox, mails, notified

pytestmark = pytest.mark.integration

IBAN = "FR76 3000 6000 0112 3456 7890 189"
IBAN_DIGITS = "3000 6000"


def cm(rpc):
    return register(rpc, "Camille CM", roles=["community_manager"])


def kinds(rpc, member):
    return sorted(n["type"] for n in inbox(rpc, member, limit=100)["items"])


def test_a_followed_members_post_notifies_in_app_and_by_mail(rpc, mailsink):
    author, follower = register(rpc, "Marie Dubois"), register(rpc)
    follow(rpc, follower, author)
    post_id = published(rpc, post(rpc, author, title="Plafond carte à l'étranger"))
    [notice] = notified(rpc, follower, "followed_activity")
    # French: the member set no language (the default)
    assert notice["text"] == "Marie Dubois a publié une nouvelle question « Plafond carte à " \
                             "l'étranger »"
    assert notice["link"] == f"https://community.bank.test/posts/{post_id}"
    assert notice["read"] is False and notice["email"] == "immediate"
    assert rpc.notifications.unread_count(actor(follower)) == {"unread": 1}
    [mail] = mails(mailsink, follower)
    assert mail["Subject"] == "[Agora] Marie Dubois a publié une nouvelle question « Plafond " \
                              "carte à l'étranger »"
    assert f"/posts/{post_id}" in mail.get_content() and mail["Message-ID"]
    assert kinds(rpc, author) == []  # never of one's own action


def test_a_long_french_subject_arrives_exactly_as_written(rpc, mailsink):
    """Folded over several lines, the Subject decodes to the notification's very text: no space
    lost where an encoded word ends ("une nouvelle idée« Export…")."""
    author, follower = register(rpc, "Karim Benali"), register(rpc)
    follow(rpc, follower, author)
    title = "Export my statements\u00a0: « CSV » every month, with the card payments and " \
            "their categories"
    published(rpc, post(rpc, author, kind="idea", title=title))
    [notice] = notified(rpc, follower, "followed_activity")
    assert notice["text"] == f"Karim Benali a publié une nouvelle idée « {title} »"
    [mail] = mails(mailsink, follower)
    assert "\n" in dict(mail.raw_items())["Subject"]  # folded, as received
    assert mail["Subject"] == f"[Agora] {notice['text']}"


def test_answers_acceptance_watchers_and_one_notice_per_event(rpc, mailsink, mongo_client,
                                                              notifications_config):
    asker, helper = register(rpc, "Asker One"), register(rpc, "Helper Two")
    watcher, mentioned = register(rpc), register(rpc, "Zoé Mentionnée")
    question = published(rpc, post(rpc, asker, title="Virement bloqué"))
    rpc.feeds.watch(actor(watcher), question, True)
    rpc.feeds.watch(actor(mentioned), question, True)
    answer = reply(rpc, helper, question, body="Ask @ZoeMentionnee, she knows. @nobody-here")
    [to_asker] = notified(rpc, asker, "reply")
    assert to_asker["text"] == "Helper Two a répondu à votre question « Virement bloqué »"
    assert to_asker["reply_id"] == answer
    notified(rpc, watcher, "watched_activity")
    notified(rpc, mentioned, "mention")
    assert kinds(rpc, mentioned) == ["mention"]  # mentioned and watching: one notice
    assert kinds(rpc, helper) == []
    mails(mailsink, asker, containing="a répondu à votre question")
    assert not mailsink.messages(to=watcher["email"])  # watched threads: daily digest
    pushes = mongo_client[f"{notifications_config['MONGO_DB_PREFIX']}_notifications"][
        "outgoing_push"]
    pushed = wait_for(lambda: pushes.find_one({"member_id": asker["id"], "state": "sent"}))
    assert pushed["notice"]["type"] == "reply" and "Try the app" not in str(pushed["notice"])
    assert pushes.find_one({"member_id": watcher["id"]}) is None  # push off for that type

    rpc.posts.accept_reply(actor(asker), question, {"reply_id": answer})
    [accepted] = notified(rpc, helper, "answer_accepted")
    assert accepted["text"] == "Asker One a accepté votre réponse à « Virement bloqué »"
    mails(mailsink, helper, containing="a accepté votre réponse")
    # an edit keeping the mention does not mention her twice
    rpc.posts.edit_reply(actor(helper), answer, {"body": "Ask @zoe.mentionnee (edited)"})
    wait_for(lambda: rpc.posts.get_reply(None, answer)["revision"] == 2)
    edited_again = reply(rpc, asker, question, body="Thanks! cc @ZoeMentionnee")
    notified(rpc, mentioned, "mention", count=2)
    assert sum(1 for n in inbox(rpc, mentioned, limit=100)["items"]
               if n["type"] == "mention") == 2, edited_again


def test_idea_status_changes_notify_voters_and_watchers(rpc, mailsink):
    author, voter, watcher, manager = register(rpc), register(rpc), register(rpc), cm(rpc)
    idea = published(rpc, post(rpc, author, kind="idea", title="Virements instantanés gratuits"))
    rpc.posts.vote(actor(voter), "post", idea, True)
    rpc.feeds.watch(actor(watcher), idea, True)
    wait_for(lambda: rpc.posts.get_post(None, idea)["votes"] == 2)  # the author's and one
    rpc.posts.set_idea_status(actor(manager), idea, {"status": "under_review",
                                                     "note": "Prévu pour juin"})
    for member in (voter, watcher, author):
        [notice] = notified(rpc, member, "idea_status")
        assert notice["text"] == ("L’idée « Virements instantanés gratuits » est passée au "
                                  "statut « À l’étude » — Prévu pour juin")
    mails(mailsink, voter, containing="au statut « À l’étude »")  # the site's name for it
    assert kinds(rpc, manager) == []


def test_moderation_decisions_reach_the_author_without_confidential_text(rpc, mailsink):
    author, follower, manager = register(rpc), register(rpc), cm(rpc)
    follow(rpc, follower, author)
    rpc.moderation.set_policy(actor(manager), {"premoderated_categories": ["insurance"]})
    refused = post(rpc, author, category="insurance", title=f"Mon IBAN {IBAN}")
    held = post(rpc, author, title="Prélèvement inconnu", body=f"Mon IBAN est {IBAN}")

    def queued(target):
        return wait_for(lambda: next((i for i in rpc.moderation.queue(
            actor(manager), {"limit": 200})["items"] if i["target_id"] == target), None))
    rpc.moderation.decide(actor(manager), queued(refused)["id"],
                          {"decision": "reject", "reason_code": "spam"})
    [rejected] = notified(rpc, author, "moderation", decision="rejected")
    assert rejected["text"] == \
        "L’équipe de la communauté n’a pas publié votre question : spam ou publicité."
    assert rejected["title"] is None
    item = queued(held)
    rpc.moderation.decide(actor(manager), item["id"], {
        "decision": "redact", "body": item["proposal"]["body"]})
    [redacted] = notified(rpc, author, "moderation", decision="redacted")
    assert "après en avoir masqué des données personnelles ou bancaires" in redacted["text"]
    notified(rpc, follower, "followed_activity")
    everything = mails(mailsink, author, count=2) + mails(mailsink, follower)
    for mail in everything:
        assert IBAN_DIGITS not in mail.get_content() and IBAN_DIGITS not in mail["Subject"]
    assert kinds(rpc, follower) == ["followed_activity"]  # the refused post never existed


def test_preferences_turn_email_off_and_digests_group_the_rest(rpc, mailsink):
    author, follower, sentinel = register(rpc, "Prolific Author"), register(rpc), register(rpc)
    follow(rpc, follower, author)
    follow(rpc, sentinel, author)
    prefs = rpc.notifications.set_preferences(actor(follower), {"types": {
        "followed_activity": {"email": "off", "push": True}}})
    assert prefs["types"]["followed_activity"] == {"in_app": True, "email": "off", "push": True}
    assert prefs["types"]["reply"] == {"in_app": True, "email": "immediate", "push": True}
    with pytest.raises(Exception, match="InvalidInput"):
        rpc.notifications.set_preferences(actor(follower), {"types": {
            "reply": {"in_app": False}}})
    published(rpc, post(rpc, author, title="Première"))
    [notice] = notified(rpc, follower, "followed_activity")
    assert notice["email"] == "off" and notice["push"] is True
    mails(mailsink, sentinel)  # delivered after the follower's notice was queued
    assert mailsink.messages(to=follower["email"]) == []

    rpc.notifications.set_preferences(actor(follower), {"types": {
        "followed_activity": {"email": "daily"}}})
    published(rpc, post(rpc, author, title="Deuxième"))
    published(rpc, post(rpc, author, kind="idea", title="Troisième"))
    notified(rpc, follower, "followed_activity", count=3)
    mails(mailsink, sentinel, count=3)
    assert mailsink.messages(to=follower["email"]) == []
    wait_for(lambda: rpc.notifications.deliver_now(True)["digests"] == 0 and
             mailsink.messages(to=follower["email"]))
    [digest] = mailsink.messages(to=follower["email"])
    assert digest["Subject"] == "[Agora] Votre résumé : 2 notification(s)"
    body = digest.get_content()
    assert "Des personnes que vous suivez (2)" in body and "« Deuxième »" in body and \
        "« Troisième »" in body
    rpc.notifications.deliver_now(True)
    assert len(mailsink.messages(to=follower["email"])) == 1  # each item in one digest only


def test_marking_read_and_paging(rpc):
    author, follower = register(rpc), register(rpc)
    follow(rpc, follower, author)
    for n in range(5):
        published(rpc, post(rpc, author, title=f"Post number {n}"))
    notified(rpc, follower, "followed_activity", count=5)
    first = inbox(rpc, follower, limit=2)
    assert first["unread"] == 5 and first["next_cursor"]
    second = inbox(rpc, follower, limit=2, cursor=first["next_cursor"])
    assert [n["title"] for n in first["items"] + second["items"]] == [
        "Post number 4", "Post number 3", "Post number 2", "Post number 1"]
    assert rpc.notifications.mark_read(actor(follower), {"ids": [first["items"][0]["id"]]}) == {
        "unread": 4}
    assert rpc.notifications.mark_read(actor(follower), {"ids": [first["items"][0]["id"]]}) == {
        "unread": 4}
    assert len(inbox(rpc, follower, unread=True, limit=100)["items"]) == 4
    assert [n["id"] for n in inbox(rpc, follower, unread=False)["items"]] == [
        first["items"][0]["id"]]
    assert rpc.notifications.mark_read(actor(follower), {"all": True}) == {"unread": 0}
    with pytest.raises(Exception, match="InvalidInput"):
        rpc.notifications.mark_read(actor(follower), {"ids": ["x"], "all": True})
    other = register(rpc)
    assert rpc.notifications.mark_read(actor(other), {"all": True}) == {"unread": 0}


def test_smtp_outage_loses_nothing_and_duplicates_nothing(rpc, mailsink, mongo_client,
                                                          notifications_config):
    author, follower = register(rpc), register(rpc)
    follow(rpc, follower, author)
    mailsink.stop()
    published(rpc, post(rpc, author, title="Pendant la panne"))
    notified(rpc, follower, "followed_activity")
    outbox = mongo_client[f"{notifications_config['MONGO_DB_PREFIX']}_notifications"][
        "outgoing_mail"]
    wait_for(lambda: outbox.find_one({"member_id": follower["id"], "attempts": {"$gte": 2}}),
             message="retried while the server is down")
    mailsink.start()
    mails(mailsink, follower, containing="Pendant la panne")
    rpc.notifications.deliver_now()
    assert len(mailsink.messages(to=follower["email"])) == 1
    assert outbox.find_one({"member_id": follower["id"]})["state"] == "sent"


def test_replay_rebuilds_the_inbox_and_sends_nothing_again(rpc, mailsink, mongo_client,
                                                           notifications_config):
    author, follower, helper = register(rpc), register(rpc), register(rpc)
    follow(rpc, follower, author)
    question = published(rpc, post(rpc, author))
    reply(rpc, helper, question)
    notified(rpc, author, "reply")
    notified(rpc, follower, "followed_activity")
    first = inbox(rpc, follower)["items"][0]["id"]
    rpc.notifications.mark_read(actor(follower), {"ids": [first]})
    mails(mailsink, follower)
    mails(mailsink, author)
    before = [inbox(rpc, member) for member in (author, follower, helper)]
    sent = len(mailsink.messages())
    db = mongo_client[f"{notifications_config['MONGO_DB_PREFIX']}_notifications"]
    replay(EventStore(db, "notifications"), PROJECTION, quiesce_seconds=0.6)
    assert [inbox(rpc, member) for member in (author, follower, helper)] == before
    rpc.notifications.deliver_now()
    wait_for(lambda: db.inbox.count_documents({"queued": False}) == 0)
    assert len(mailsink.messages()) == sent
