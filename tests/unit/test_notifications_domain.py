"""Notifications' pure rules: who is notified of what, dedupe and self-exclusion, preferences,
mentions, what a message may say, digests and retries."""
from datetime import UTC

import pytest

from services.notifications import domain
from services.notifications.domain import Facts
from services.shared import i18n
from services.shared.envelope import CommandContext, Envelope, NewEvent

pytestmark = pytest.mark.unit

POST = {"post_id": "p1", "author_id": "alice", "kind": "question", "category": "cards",
        "tags": [], "revision": 1, "title": "Card blocked", "body": "Help", "redacted": False,
        "official": False}
REPLY = {"reply_id": "r1", "post_id": "p1", "post_author_id": "alice", "post_kind": "question",
         "author_id": "carl", "kind": "answer", "official": False, "revision": 1,
         "body": "Call us", "redacted": False}
ITEM = {"item_id": "p1.r1", "review": "content", "target_type": "post", "target_id": "p1",
        "post_id": "p1", "revision": 1, "author_id": "alice"}


def event(kind: str, payload: dict, actor: str | None = None) -> Envelope:
    return Envelope.new(NewEvent(kind, payload), stream_id="s", stream_version=1,
                        context=CommandContext(actor=actor))


def who(notices):
    return {(n.recipient, n.type) for n in notices}


# -- who is notified of what ----------------------------------------------------------------

def test_a_reply_notifies_the_author_watchers_and_mentioned_once_each():
    reply = event("posts.reply_published", REPLY)
    facts = Facts(watchers=frozenset({"alice", "carl", "wendy", "zoe"}),
                  mentioned=frozenset({"zoe", "carl"}))
    notices = domain.notices_for(reply, facts)
    assert who(notices) == {("alice", "reply"), ("wendy", "watched_activity"),
                            ("zoe", "mention")}
    keys = {n.recipient: n.key for n in notices}
    assert keys["alice"] == f"{reply.id}:alice" and keys["zoe"] == "mention:r1:zoe"


def test_a_member_is_never_notified_of_their_own_action():
    own = event("posts.reply_published", {**REPLY, "author_id": "alice"})
    assert domain.notices_for(own, Facts(watchers=frozenset({"alice"}))) == []
    accept = event("posts.answer_accepted", {**POST, "reply_id": "r1", "reply_author_id": "carl",
                                             "previous_reply_id": None, "accepted_by": "carl"})
    assert domain.notices_for(accept, Facts()) == []  # a CM... who answered it themself
    accept = event("posts.answer_accepted", {**accept.payload, "accepted_by": "alice"})
    assert who(domain.notices_for(accept, Facts())) == {("carl", "answer_accepted")}


def test_muted_threads_notify_only_mentions():
    reply = event("posts.reply_published", REPLY)
    facts = Facts(watchers=frozenset({"wendy"}), muted=frozenset({"alice", "wendy", "zoe"}),
                  mentioned=frozenset({"zoe"}))
    assert who(domain.notices_for(reply, facts)) == {("zoe", "mention")}


def test_new_posts_notify_followers_and_mentions():
    post = event("posts.post_published", {**POST, "body": "cc @bob"})
    facts = Facts(followers=frozenset({"bob", "dan"}), mentioned=frozenset({"bob"}))
    assert who(domain.notices_for(post, facts)) == {("bob", "mention"),
                                                   ("dan", "followed_activity")}


def test_idea_status_changes_notify_voters_watchers_and_author_but_not_the_cm():
    change = event("posts.idea_status_changed", {
        **POST, "kind": "idea", "from_status": "submitted", "to_status": "under_review",
        "note": "n", "release": None, "changed_by": "cm"})
    facts = Facts(voters=frozenset({"v1", "cm"}), watchers=frozenset({"w1", "v1"}),
                  muted=frozenset({"w1"}))
    assert who(domain.notices_for(change, facts)) == {("v1", "idea_status"),
                                                     ("alice", "idea_status")}


def test_a_merge_tells_the_duplicates_people_where_their_vote_went():
    merged = event("posts.idea_merged", {
        **POST, "kind": "idea", "into_id": "p2", "into_author_id": "zoe",
        "from_status": "submitted", "merged_by": "cm"})
    facts = Facts(voters=frozenset({"v1", "cm"}), watchers=frozenset({"w1"}))
    notices = domain.notices_for(merged, facts)
    assert who(notices) == {("v1", "idea_status"), ("w1", "idea_status"),
                            ("alice", "idea_status")}
    shown = {**domain.details(merged, {"title": "Card blocked", "into_title": "Cards 2"}),
             "type": "idea_status"}
    assert shown["merged_into"] == "p2" and shown["status"] == "already_exists"
    assert domain.render(shown, "en") == ("The idea “Card blocked” was merged into “Cards 2”: "
                                          "your vote and your follow now count there")
    assert domain.render(shown, "fr") == ("L’idée « Card blocked » a été fusionnée avec "
                                          "« Cards 2 » : votre vote et votre suivi y sont "
                                          "reportés")
    assert domain.link("https://x.test", shown) == "https://x.test/posts/p2"


def test_moderation_decisions_notify_the_author():
    rejected = event("moderation.item_rejected", {**ITEM, "reason_code": "spam",
                                                  "reason": "Spam"}, actor="cm")
    assert who(domain.notices_for(rejected, Facts())) == {("alice", "moderation")}
    auto = event("moderation.item_approved", {**ITEM, "auto": True})
    assert domain.notices_for(auto, Facts()) == []  # nothing was held: nothing to say
    flags = event("moderation.item_approved", {**ITEM, "review": "flags", "auto": False})
    assert domain.notices_for(flags, Facts()) == []
    by_cm = event("moderation.item_approved", {**ITEM, "auto": False}, actor="cm")
    assert who(domain.notices_for(by_cm, Facts())) == {("alice", "moderation")}


def test_a_content_verdict_and_posts_outcome_of_it_name_the_same_ruling():
    """What the projection joins: moderation's refusal or redaction of a submitted revision and
    posts' event applying it; an author's publication (not redacted) is no outcome."""
    rejected = event("moderation.item_rejected", {**ITEM, "reason_code": "spam",
                                                  "reason": "Spam"})
    redacted = event("moderation.item_redacted", {**ITEM, "title": "T", "body": "B"})
    assert domain.ruling(rejected) == ("p1", 1, "rejected")
    assert domain.ruling(redacted) == ("p1", 1, "redacted")
    assert domain.told_once_posts_applied(rejected) and domain.told_once_posts_applied(redacted)
    reference = {key: POST[key] for key in ("post_id", "author_id", "kind", "category", "tags")}
    for kind in ("posts.post_rejected", "posts.post_edit_rejected"):
        assert domain.ruling(event(kind, {**reference, "revision": 1, "reason_code": "spam"})) \
            == ("p1", 1, "rejected")
    assert domain.ruling(event("posts.reply_edit_rejected", {
        **REPLY, "revision": 2, "reason_code": "spam"})) == ("r1", 2, "rejected")
    assert domain.ruling(event("posts.post_published", {**POST, "redacted": True})) == \
        ("p1", 1, "redacted")
    assert domain.ruling(event("posts.reply_edited", {
        **REPLY, "revision": 2, "redacted": True, "editor_id": "carl"})) == ("r1", 2, "redacted")
    assert domain.ruling(event("posts.post_published", POST)) is None  # the author's own
    # a flag round's: told at once; its rejection still meets posts' (cleaned up), a redaction
    # of the visible text is posts' `*_redacted`, nothing to meet
    flags = {**ITEM, "review": "flags"}
    assert not domain.told_once_posts_applied(event("moderation.item_rejected", {
        **flags, "reason_code": "spam", "reason": "Spam"}))
    assert domain.ruling(event("moderation.item_redacted", {**flags, "title": "T",
                                                            "body": "B"})) is None
    assert domain.ruling(event("posts.post_redacted", {**POST, "redacted": True})) is None


def test_a_cms_edit_of_someones_text_tells_its_author_and_their_own_edit_nobody():
    by_cm = event("posts.post_edited", {**POST, "revision": 2, "editor_id": "cm"}, actor="cm")
    mentioned = Facts(mentioned=frozenset({"bob"}))
    assert who(domain.notices_for(by_cm, mentioned)) == {("alice", "moderation"),
                                                         ("bob", "mention")}
    shown = domain.details(by_cm, {})
    assert (shown["decision"], shown["target_type"], shown["title"]) == \
        ("edited", "post", "Card blocked")
    own = event("posts.post_edited", {**POST, "revision": 2, "editor_id": "alice"}, actor="alice")
    assert domain.notices_for(own, Facts()) == []
    assert "decision" not in domain.details(own, {})
    reply = event("posts.reply_edited", {**REPLY, "revision": 2, "editor_id": "cm"}, actor="cm")
    assert who(domain.notices_for(reply, Facts())) == {("carl", "moderation")}
    shown = domain.details(reply, {"title": "Card blocked"})
    assert (shown["decision"], shown["target_type"], shown["reply_id"]) == \
        ("edited", "reply", "r1")
    told = {**shown, "type": "moderation", "by_team": True}
    assert domain.render(told, "fr") == ("L’équipe de la communauté a modifié votre réponse "
                                         "« Card blocked » ; la version précédente reste dans "
                                         "son historique")
    assert domain.render(told, "en") == ("The community team edited your reply “Card blocked”; "
                                         "the previous version stays in its history")
    assert domain.link("https://x.test", told) == "https://x.test/replies/r1"


def test_decisions_on_a_cms_edit_of_someones_text_tell_its_author_nothing():
    of_cm = {**ITEM, "item_id": "p1.r2", "revision": 2, "submitted_by": "cm"}
    for decided in (event("moderation.item_approved", {**of_cm, "auto": False}, actor="cm2"),
                    event("moderation.item_rejected", {**of_cm, "reason_code": "spam",
                                                       "reason": "Spam"}, actor="cm2"),
                    event("moderation.item_redacted", {**of_cm, "title": "T", "body": "B"},
                          actor="cm2")):
        assert domain.notices_for(decided, Facts()) == [], decided.type
    assert not domain.a_cm_approved(event("moderation.item_approved", {**of_cm, "auto": False}))
    own = {**of_cm, "submitted_by": "alice"}  # the author's own edit, decided by a CM
    assert who(domain.notices_for(event("moderation.item_approved", {**own, "auto": False},
                                        actor="cm"), Facts())) == {("alice", "moderation")}


def test_sla_breaches_notify_community_managers():
    breach = event("moderation.sla_breached", {"post_id": "p1", "author_id": "alice",
                                               "category": "c", "channel": "site",
                                               "published_at": "t", "target_seconds": 43200})
    assert who(domain.notices_for(breach, Facts(staff=frozenset({"cm1", "cm2"})))) == {
        ("cm1", "sla_breach"), ("cm2", "sla_breach")}


def test_unrelated_events_notify_nobody():
    vote = event("posts.post_voted", {"post_id": "p1", "voter_id": "v"})
    assert domain.notices_for(vote, Facts(followers=frozenset({"x"}))) == []


# -- preferences ----------------------------------------------------------------------------

def test_preferences_resolve_over_defaults_and_in_app_stays_on():
    prefs = domain.preferences({"reply": {"email": "daily", "in_app": False}})
    assert prefs["reply"] == {"in_app": True, "email": "daily", "push": True}
    assert prefs["mention"] == {"in_app": True, "email": "immediate", "push": True}
    assert set(prefs) == set(domain.TYPES)
    assert domain.channels(None, "watched_activity")["email"] == "daily"


def test_changing_preferences_is_idempotent_and_keeps_other_types():
    first = domain.change_preferences(None, {"reply": {"email": "off"}})
    assert first == {"reply": {"email": "off"}}
    assert domain.change_preferences(first, {"reply": {"email": "off"}}) is None
    assert domain.change_preferences(None, {"reply": {"email": "immediate"}}) is None  # default
    second = domain.change_preferences(first, {"mention": {"push": False}})
    assert second == {"reply": {"email": "off"}, "mention": {"push": False}}


# -- mentions -------------------------------------------------------------------------------

def test_mentions_are_parsed_as_handles_or_ids():
    tokens = domain.parse_mentions("Ask @Zoé.Martin and @u123, not me@example.org", None)
    assert {"zoemartin", "u123"} <= tokens
    assert "example.org" not in tokens and "exampleorg" not in tokens
    assert domain.handle("Marie-Hélène  D'Arc") == "mariehelenedarc"


def test_a_shared_handle_mentions_the_staff_member_else_its_first_holder():
    members = [{"_id": "a", "handle": "jean", "handle_since": 20},
               {"_id": "b", "handle": "jean", "handle_since": 10},
               {"_id": "c", "handle": "zoe"}, {"_id": "u123", "handle": "other"}]
    found = domain.mentions_in("@Jean, @zoe et @u123")
    assert domain.resolve_mentions(found, members) == {"b", "c", "u123"}
    # a copier of the staff member's name never takes nor silences their mentions
    cm = {"_id": "z", "handle": "jean", "handle_since": 30, "roles": ["member",
                                                                      "community_manager"]}
    assert domain.resolve_mentions(domain.mentions_in("@Jean"), [*members, cm]) == {"z"}


def test_a_full_name_mentions_its_member_and_the_longest_name_wins():
    members = [{"_id": "z1", "handle": "zoe"}, {"_id": "z2", "handle": "zoedupont"},
               {"_id": "c", "handle": "chloendiaye"}]
    found = domain.mentions_in("Merci @Chloé N’Diaye ! @Zoé Dupont a raison", None)
    assert domain.resolve_mentions(found, members) == {"c", "z2"}
    # more capitalised words than the name: the longest reading naming someone
    assert domain.resolve_mentions(domain.mentions_in("@Zoé Dupont Merci"), members) == {"z2"}
    assert domain.resolve_mentions(domain.mentions_in("@Zoé Pour info"), members) == {"z1"}
    # a lower-case word or a sentence's end stops the name
    assert domain.resolve_mentions(domain.mentions_in("@Zoé dupont"), members) == {"z1"}
    assert domain.resolve_mentions(domain.mentions_in("@Zoé. Dupont"), members) == {"z1"}


# -- what a message may say -------------------------------------------------------------------

def notice(**fields):
    return {"type": "reply", "actor_name": "Carl", "kind": "question", "reply_kind": "answer",
            "title": "Card blocked", "post_id": "p1", "reply_id": "r1", **fields}


def test_rendering_each_type_in_english_and_in_french():
    rejected = notice(type="moderation", decision="rejected", reason="Spam or advertising",
                      reason_code="spam", target_type="post")
    status = notice(type="idea_status", status="under_review", note="Soon", kind="idea")
    by_team = notice(type="moderation", decision="approved", target_type="reply",
                     by_team=True, actor_name=None)
    assert domain.render(notice(), "en") == "Carl answered your question “Card blocked”"
    assert domain.render(notice(), "fr") == "Carl a répondu à votre question « Card blocked »"
    assert domain.render(notice(reply_kind="comment", kind="idea"), "en") == \
        "Carl commented on your idea “Card blocked”"
    assert domain.render(notice(reply_kind="comment", kind="idea"), "fr") == \
        "Carl a commenté votre idée « Card blocked »"
    assert domain.render(rejected, "en") == \
        "The community team did not publish your question: spam or advertising."
    assert domain.render(rejected, "fr") == \
        "L’équipe de la communauté n’a pas publié votre question : spam ou publicité."
    assert domain.render(status, "en") == \
        "The idea “Card blocked” now has the status “Under review” — Soon"
    assert domain.render(status, "fr") == \
        "L’idée « Card blocked » est passée au statut « À l’étude » — Soon"
    assert domain.render(by_team, "fr").startswith(
        "L’équipe de la communauté a approuvé et publié votre réponse")
    assert domain.render(notice(type="followed_activity", kind="article"), "fr") == \
        "Carl a publié un nouvel article « Card blocked »"
    assert domain.render(notice()) == domain.render(notice(), "fr")  # French by default
    assert domain.with_actor_name({"by_team": True}, {}, "en")["actor_name"] == \
        "The community team"
    assert domain.link("https://x.test/", notice()) == "https://x.test/replies/r1"
    assert domain.link("https://x.test/", notice(reply_id=None)) == "https://x.test/posts/p1"


def test_confidential_content_never_reaches_a_message():
    secret = "FR76 3000 6000 0112 3456 7890 189"
    leaky = notice(type="private_message", title=secret, body=secret, original=secret,
                   text=secret, note=secret)
    for message in (domain.email(leaky, "https://x.test"), domain.push(leaky),
                    domain.digest([leaky], "https://x.test")):
        assert secret not in message.subject + message.text
    assert domain.link("https://x.test", leaky) == "https://x.test/notifications"
    # fields outside the whitelist are never rendered, whatever the type
    for kind in domain.TYPES:
        message = domain.email(notice(type=kind, body=secret, original=secret), "https://x")
        assert secret not in message.subject + message.text


def test_a_private_message_asks_to_sign_in_only_outside_the_site():
    """The notifications list is read signed in; an e-mail, a digest or the phone may not be."""
    message = notice(type="private_message", conversation_id="c1")
    assert domain.render(message, "fr") == "Vous avez un nouveau message privé."
    assert domain.render(message, "en") == "You have a new private message."
    assert domain.email(message, "https://x.test", "fr").subject == \
        "[Agora] Vous avez un nouveau message privé. Connectez-vous pour le lire."
    assert "Sign in to read it." in domain.email(message, "https://x.test", "en").text
    assert "Sign in to read it." in domain.digest([message], "https://x.test", "en").text
    assert domain.push(message, "fr").text.endswith("Connectez-vous pour le lire.")


def test_a_blank_staff_note_leaves_no_dangling_dash():
    for note in ("", "   ", "\n\t", None):
        status = notice(type="idea_status", status="planned", note=note, kind="idea")
        assert domain.render(status, "fr") == \
            "L’idée « Card blocked » est passée au statut « Prévue »"
        assert domain.render(status, "en") == "The idea “Card blocked” now has the status “Planned”"
    padded = notice(type="idea_status", status="planned", note="  Soon \n", kind="idea")
    assert domain.render(padded, "en") == \
        "The idea “Card blocked” now has the status “Planned” — Soon"


def test_a_digest_groups_by_type():
    items = [notice(type="watched_activity", title="A", ts=1),
             notice(type="reply", title="B", ts=2), notice(type="watched_activity", title="C",
                                                           ts=3)]
    message = domain.digest(items, "https://x.test", "en")
    assert message.subject == "[Agora] Your digest: 3 notification(s)"
    assert message.text.index("Replies to your contributions (1)") < \
        message.text.index("In threads you watch (2)")
    assert message.text.index("“A”") < message.text.index("“C”")
    french = domain.digest(items, "https://x.test", "fr")
    assert french.subject == "[Agora] Votre résumé : 3 notification(s)"
    assert "Réponses à vos contributions (1)" in french.text
    assert "Choisissez ce que vous recevez : https://x.test/notifications/preferences" in \
        french.text


def test_waiting_times_read_naturally():
    assert [domain.duration(s, "en") for s in (1, 90, 600, 3600, 43200, 5400)] == [
        "1 s", "1.5 min", "10 min", "1 h", "12 h", "1.5 h"]
    assert domain.duration(5400, "fr") == "1,5 h"


def test_retries_back_off_exponentially_up_to_a_cap():
    assert [domain.retry_delay(n, 5, 60) for n in (1, 2, 3, 4, 5)] == [5, 10, 20, 40, 60]


def test_a_private_message_notifies_the_other_participants_by_reference_only():
    posted = event("conversations.message_posted", {
        "conversation_id": "c1", "message_id": "m1", "author_id": "alice",
        "participant_ids": ["alice", "adv"]})
    assert who(domain.notices_for(posted, Facts())) == {("adv", "private_message")}
    shown = domain.details(posted, {"title": "should not matter"})
    assert shown == {"conversation_id": "c1", "post_id": None, "kind": None, "title": None,
                     "from_customer": False, "by_advisor": None, "channel": None}
    assert domain.link("https://x.test", {"type": "private_message", **shown}) == \
        "https://x.test/conversations/c1"


def test_a_customers_message_names_them_to_staff_in_the_site_only():
    """The staff who answer a customer see who wrote in their notifications list; an e-mail, a
    digest or a phone's screen still say nothing of the dialogue (nor who it is with), and
    staff's messages to the customer name nobody (the member's page names the team)."""
    def posted(author):
        return event("conversations.message_posted", {
            "conversation_id": "c1", "message_id": "m1", "author_id": author,
            "member_id": "alice", "participant_ids": ["alice", "adv"]})
    from_customer = {"type": "private_message", "actor_name": "Marie Dubois",
                     **domain.details(posted("alice"), {})}
    assert from_customer["from_customer"] is True
    assert domain.render(from_customer, "fr") == "Marie Dubois vous a écrit un message privé."
    assert domain.render(from_customer, "en") == "Marie Dubois sent you a private message."
    for message in (domain.email(from_customer, "https://x.test", "fr"),
                    domain.push(from_customer, "fr"),
                    domain.digest([from_customer], "https://x.test", "fr")):
        assert "Marie" not in message.subject + message.text
    from_staff = {"type": "private_message", "actor_name": "Claire Conseil",
                  **domain.details(posted("adv"), {})}
    assert domain.render(from_staff, "fr") == "Vous avez un nouveau message privé."
    # a notice stored before (no `from_customer`), or whose author's name is not known yet
    assert domain.render({**from_customer, "from_customer": None}, "en") == \
        "You have a new private message."
    assert domain.render({**from_customer, "actor_name": None}, "en") == \
        "You have a new private message."


def test_a_conversation_links_staff_to_the_console_and_the_member_to_their_page():
    """`for_staff` is the recipient's (a staff role when notified): staff answer in the
    console, the member reads the customer page; a notice stored before has no `for_staff`."""
    for kind in ("private_message", "sla_breach"):
        notice = {"type": kind, "conversation_id": "c1", "post_id": None}
        assert domain.link("https://x.test", {**notice, "for_staff": True}) == \
            "https://x.test/console/conversations/c1"
        for member in ({**notice, "for_staff": False}, notice):
            assert domain.link("https://x.test/", member) == "https://x.test/conversations/c1"


def test_a_conversation_links_by_the_readers_roles_when_given_over_those_when_notified():
    """The inbox passes the reader's current roles: a member made advisor since answers in the
    console, an ex-advisor reads the member page (the console would answer 404)."""
    notice = {"type": "private_message", "conversation_id": "c1", "post_id": None}
    assert domain.link("https://x.test", {**notice, "for_staff": False}, staff=True) == \
        "https://x.test/console/conversations/c1"
    assert domain.link("https://x.test", {**notice, "for_staff": True}, staff=False) == \
        "https://x.test/conversations/c1"


def test_a_staff_member_reads_their_own_conversation_as_its_customer():
    """`own_conversation`: the recipient is the conversation's customer (a staff member who
    banks here too): their own page, whatever roles they hold then or now."""
    notice = {"type": "private_message", "conversation_id": "c1", "post_id": None,
              "own_conversation": True}
    for roles in ({"for_staff": True}, {"for_staff": False}):
        for staff_now in (None, True, False):
            assert domain.link("https://x.test", {**notice, **roles}, staff=staff_now) == \
                "https://x.test/conversations/c1"


def test_a_registration_attempt_tells_the_account_owner_in_their_language_when_known():
    event = Envelope.new(NewEvent("identity.registration_attempted", {
        "user_id": "u1", "attempted_at": "2026-01-01T00:00:00+00:00"}), stream_id="account-u1",
        stream_version=3, context=CommandContext(actor="anonymous"))
    notices = domain.notices_for(event, Facts())
    assert [(n.recipient, n.type) for n in notices] == [("u1", "account_security")]
    # an owner who never chose a language: the e-mail in both, French first
    message = domain.email({"type": "account_security"}, "https://agora.test")
    assert message.text.index("Quelqu’un a essayé") < message.text.index("Someone tried")
    assert message.subject == ("[Agora] Tentative d’inscription avec votre adresse / "
                               "Registration attempt with your address")
    # the inbox (read signed in) and an owner who chose: one language
    security = {"type": "account_security"}
    for language, theirs, other in (("en", "Someone tried", "Quelqu’un"),
                                    ("fr", "Quelqu’un a essayé", "Someone")):
        for text in (domain.render(security, language), domain.push(security, language).text,
                     domain.email(security, "https://agora.test", language).text):
            assert text.startswith(theirs) and other not in text
    assert domain.email(security, "https://agora.test", "en").subject == \
        "[Agora] Registration attempt with your address"
    assert domain.render(security).startswith("Quelqu’un a essayé")  # the inbox's default
    assert "Someone" not in domain.render(security)
    assert domain.channels(None, "account_security")["email"] == "immediate"


def test_notification_links_lead_to_pages_the_site_serves():
    """The e-mails' footer and a reply's link name the site's own routes (one constant each),
    not a page of their own invention (/settings/notifications was a 404)."""
    from gateway.service import GatewayService
    from gateway.web.page import pages_of

    served = {spec.path for spec in pages_of(GatewayService) if spec.method == "GET"}
    footer = domain.email(notice(), "https://x.test", "en").text.rsplit("\n", 1)[-1]
    assert footer == "Choose what you receive: https://x.test/notifications/preferences"
    assert {domain.PREFERENCES_PAGE, domain.REPLY_PAGE, domain.CONVERSATION_PAGE,
            domain.CONSOLE_CONVERSATION_PAGE} <= served
    assert domain.link("https://x.test", notice()) == \
        "https://x.test" + domain.REPLY_PAGE.format(id="r1")


def test_the_digest_slot_is_the_members_last_local_hour():
    from datetime import datetime

    def slot(now, hour, zone):
        moment = datetime.fromisoformat(now).timestamp()
        return datetime.fromtimestamp(domain.digest_slot(moment, hour, zone),
                                      UTC).isoformat()

    assert slot("2026-12-01T12:00:00+00:00", 8, "Europe/Paris") == "2026-12-01T07:00:00+00:00"
    assert slot("2026-12-01T06:59:59+00:00", 8, "Europe/Paris") == "2026-11-30T07:00:00+00:00"
    assert slot("2026-07-01T12:00:00+00:00", 8, "Europe/Paris") == "2026-07-01T06:00:00+00:00"
    assert slot("2026-12-01T12:00:00+00:00", 9, "Asia/Tokyo") == "2026-12-01T00:00:00+00:00"
    assert domain.digest_settings(None, 8, "Europe/Paris") == {"hour": 8,
                                                               "timezone": "Europe/Paris"}
    assert domain.digest_settings({"hour": 6}, 8, "UTC") == {"hour": 6, "timezone": "UTC"}


def test_unsubscribe_tokens_are_signed_expiring_and_single_purpose():
    from services.notifications import unsubscribe

    token = unsubscribe.issue("s3cret", "u1", ["reply", "mention", "reply"], now=100,
                              lifetime=50)
    assert unsubscribe.verify("s3cret", token, now=149) == unsubscribe.Unsubscribe(
        "u1", ("mention", "reply"), 150)
    with pytest.raises(unsubscribe.InvalidToken) as expired:
        unsubscribe.verify("s3cret", token, now=151)
    assert expired.value.expired
    for forged in (token.replace(".", "x."), token + "A", "", "a.b",
                   token.split(".")[0] + ".\u00e9\u00e9"):  # non-ASCII: was a TypeError (502)
        with pytest.raises(unsubscribe.InvalidToken):
            unsubscribe.verify("s3cret", forged, now=120)
    with pytest.raises(unsubscribe.InvalidToken):
        unsubscribe.verify("another secret", token, now=120)


def test_a_preferences_change_records_the_new_choices_and_digest_and_nothing_when_unchanged():
    first = domain.preferences_changed("alice", None, {"types": {"reply": {"email": "off"}}})
    assert [(e.type, e.payload) for e in first] == [("notifications.preferences_changed", {
        "member_id": "alice", "types": {"reply": {"email": "off"}}, "digest": None})]
    last = first[0].payload
    assert domain.preferences_changed("alice", last, {"types": {"reply": {"email": "off"}}}) \
        == []
    digest = domain.preferences_changed("alice", last, {"digest": {"hour": 7}})
    assert digest[0].payload == {"member_id": "alice", "types": {"reply": {"email": "off"}},
                                 "digest": {"hour": 7}}
    assert domain.preferences_changed("alice", digest[0].payload, {"digest": {"hour": 7}}) == []


def test_a_refused_reply_names_its_public_thread_and_a_refused_post_its_masked_title():
    """"Nous n'avons pas publié votre réponse : Spam ou publicité" said neither who ("Nous",
    a fourth name for the team) nor where: a member with several replies waiting could not
    tell which one. A reply's thread is public, so it is named. A refused post is named to its
    author in the site, its title masked (it may hold what got it refused), never in what
    leaves the site (an e-mail, a digest, a phone's screen). Each line ends with a period."""
    refusal = {"reason_code": "duplicate", "reason": "Duplicate of an existing contribution"}
    reply = event("moderation.item_rejected", {
        **ITEM, "item_id": "r1.r1", "target_type": "reply", "target_id": "r1", **refusal})
    post = event("moderation.item_rejected", {**ITEM, **refusal})
    thread = {"title": "Card blocked", "kind": "question"}

    def told(shown):
        return {**shown, "type": "moderation", "by_team": True}
    about_reply = told(domain.details(reply, thread))
    assert domain.render(about_reply, "fr") == (
        "L’équipe de la communauté n’a pas publié votre réponse dans « Card blocked » : "
        "doublon d’une contribution existante.")
    assert domain.render(about_reply, "en") == ("The community team did not publish your reply "
                                                "in “Card blocked”: duplicate of an existing "
                                                "contribution.")
    iban = "FR76 3000 6000 0112 3456 7890 189"
    about_post = told(domain.details(post, {"title": f"Virement refusé {iban}",
                                            "kind": "question"}))
    assert about_post["title"] is None  # the field the site shows as a public title
    assert domain.render(about_post, "fr") == (
        "L’équipe de la communauté n’a pas publié votre question « Virement refusé FR76 •••• "
        "•••• •••• •••• •••0 189 » : doublon d’une contribution existante.")
    assert domain.render(about_post, "en") == (
        "The community team did not publish your question “Virement refusé FR76 •••• •••• "
        "•••• •••• •••0 189”: duplicate of an existing contribution.")
    for message in (domain.email(about_post, "https://x.test", "fr"),
                    domain.push(about_post, "fr"),
                    domain.digest([about_post], "https://x.test", "fr")):
        said = message.subject + message.text
        assert "Virement" not in said and "FR76" not in said
        assert "n’a pas publié votre question : doublon d’une contribution existante." in said
    # a post notifications never saw published: no title, the same sentence
    unseen = told(domain.details(post, {"kind": "question"}))
    assert domain.render(unseen, "fr") == ("L’équipe de la communauté n’a pas publié votre "
                                           "question : doublon d’une contribution existante.")


def test_a_refused_edit_of_a_published_post_says_it_was_the_edit():
    """The question stays published when an edit of it is refused: the line says the edit was
    not published, not the question (a refusal after flags, or of a text never published,
    says the question)."""
    refusal = {"reason_code": "off_topic", "reason": "Off topic for this community"}
    published = {"title": "Plafond de ma carte", "kind": "question", "revision": 1}

    def told(**item):
        return {**domain.details(event("moderation.item_rejected", {**ITEM, **refusal, **item}),
                                 published), "type": "moderation", "by_team": True}
    edit = told(item_id="p1.r2", revision=2)
    assert domain.render(edit, "fr") == (
        "L’équipe de la communauté n’a pas publié la modification de votre question "
        "« Plafond de ma carte » : hors sujet pour cette communauté.")
    assert domain.render(edit, "en") == (
        "The community team did not publish the edit to your question “Plafond de ma carte”: "
        "off topic for this community.")
    taken_down = told(item_id="p1.flags", review="flags")
    assert domain.render(taken_down, "fr").startswith(
        "L’équipe de la communauté n’a pas publié votre question « Plafond de ma carte »")
    never_published = {**domain.details(event("moderation.item_rejected", {
        **ITEM, **refusal, "item_id": "p1.r2", "revision": 2}), {"kind": "question"}),
        "type": "moderation"}
    assert domain.render(never_published, "en") == \
        "The community team did not publish your question: off topic for this community."


def test_a_reason_ends_its_line_with_one_period():
    """A reason written before reason codes (the CM's service's English, ending a sentence
    already) gets no second period; the catalogue's labels, which have none, get one."""
    refused = {"type": "moderation", "decision": "rejected", "target_type": "post",
               "kind": "idea", "by_team": True}
    assert domain.render({**refused, "reason_code": "legacy", "reason": "Off topic."}, "en") \
        == "The community team did not publish your idea: off topic."
    assert domain.render({**refused, "reason_code": "legacy", "reason": "Why?"}, "fr") \
        == "L’équipe de la communauté n’a pas publié votre idée : why?"
    assert domain.render({**refused, "reason_code": "abusive"}, "fr").endswith(
        "contenu injurieux, insultant ou discriminatoire.")
    assert domain.with_period("Fin…") == "Fin…" and domain.with_period("Fin ") == "Fin."


def posted(author: str, **payload) -> Envelope:
    return event("conversations.message_posted", {
        "conversation_id": "c1", "message_id": "m1", "author_id": author, "member_id": "alice",
        "participant_ids": ["alice", "adv"], **payload})


def test_a_social_media_mention_says_so_and_names_its_network():
    """A customer's public mention that became a case is no private message: the staff who
    answer read who mentioned them and where (the network's own spelling); never its text,
    and out of the site the neutral line."""
    def shown(channel, name="Karim Benali"):
        return {"type": "private_message", "actor_name": name,
                **domain.details(posted("alice", channel=channel), {})}
    assert domain.render(shown("twitter"), "fr") == \
        "Karim Benali a mentionné la banque sur Twitter."
    assert domain.render(shown("twitter"), "en") == "Karim Benali mentioned the bank on Twitter."
    assert domain.render(shown("linkedin"), "fr") == \
        "Karim Benali a mentionné la banque sur LinkedIn."
    assert domain.render(shown("other"), "fr") == \
        "Karim Benali a mentionné la banque sur les réseaux sociaux."
    assert domain.render(shown("other"), "en") == "Karim Benali mentioned the bank on social media."
    # an author matched to no member
    assert domain.render(shown("facebook", None), "fr") == \
        "Quelqu’un a mentionné la banque sur Facebook."
    for message in (domain.email(shown("twitter"), "https://x.test", "fr"),
                    domain.push(shown("twitter"), "fr"),
                    domain.digest([shown("twitter")], "https://x.test", "fr")):
        said = message.subject + message.text
        assert "Karim" not in said and "Twitter" not in said
        assert "Vous avez un nouveau message privé. Connectez-vous pour le lire." in said


def test_the_customer_reads_their_advisors_name_and_other_staff_as_the_bank_s_team():
    """The customer's notice names their own advisor, said to be theirs (the site does not
    know the advisor's gender: its neutral « conseiller·ère »); other staff are the bank's team
    (staff other than one's advisor are not named to members). In the site only; a message
    from before the event carried the advisor reads as it did."""
    def to_customer(author, name, **payload):
        return {"type": "private_message", "actor_name": name, "own_conversation": True,
                **domain.details(posted(author, **payload), {})}
    by_advisor = to_customer("adv", "Alice Martin", advisor_id="adv")
    assert domain.render(by_advisor, "fr") == "Alice Martin, votre conseiller·ère, vous a écrit."
    assert domain.render(by_advisor, "en") == "Alice Martin, your advisor, wrote to you."
    assert domain.render({**by_advisor, "actor_name": None}, "fr") == \
        "Votre conseiller·ère vous a écrit."
    by_cm = to_customer("cm", "Camille", advisor_id="adv")
    no_advisor = to_customer("cm", "Camille", advisor_id=None)  # a non-customer's conversation
    for notice in (by_cm, no_advisor):
        assert domain.render(notice, "fr") == "L’équipe de la banque vous a écrit."
        assert domain.render(notice, "en") == "The bank’s team wrote to you."
    before = to_customer("adv", "Alice Martin")  # no `advisor_id` in the event
    assert domain.render(before, "fr") == "Vous avez un nouveau message privé."
    # the advisor is named to their customer only: other staff in it read the neutral line
    assert domain.render({**by_advisor, "own_conversation": None}, "fr") == \
        "Vous avez un nouveau message privé."
    for message in (domain.email(by_advisor, "https://x.test", "fr"),
                    domain.push(by_advisor, "fr"),
                    domain.digest([by_advisor], "https://x.test", "fr")):
        said = message.subject + message.text
        assert "Alice" not in said and "conseill" not in said


def test_a_reason_continues_the_sentence_in_lower_case_but_an_acronym_keeps_its_capitals():
    assert i18n.in_sentence("Spam ou publicité") == "spam ou publicité"
    assert i18n.in_sentence("IBAN visible") == "IBAN visible"
    assert i18n.in_sentence("") == "" and i18n.in_sentence("A") == "A"
