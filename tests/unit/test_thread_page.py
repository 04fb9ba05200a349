"""A thread as its templates draw it (pure rendering, both languages): the reply counts are the
post's, an idea's status and release read as the language writes them, a merged idea is read
only, the toggles keep their words and say their state with aria-pressed."""
from __future__ import annotations

import re

import pytest
from markupsafe import escape

from gateway.web import i18n
from gateway.web.pages.thread_actions import edit_notice, in_review, sent_notice
from gateway.web.render import environment, render_html

pytestmark = pytest.mark.unit

READER = {"id": "u2", "roles": ["member"]}


def _post(**fields):
    return {"id": "p1", "kind": "discussion", "state": "published", "title": "Frais",
            "author_id": "u1", "body": "b", "body_html": "<p>b</p>", "votes": 3,
            "reply_count": 0, "answer_count": 0, **fields}


def _reply(n: int, kind: str = "comment", **fields):
    return {"id": f"r{n}", "post_id": "p1", "kind": kind, "state": "published", "author_id": "u3",
            "body": "x", "body_html": "<p>x</p>", **fields}


def _render(template: str, language: str, **context) -> str:
    values = {"actor": READER, "csrf_token": "t", "here": "/posts/p1", "answers": [],
              "comments": [], "subscriptions": {"threads": [], "muted": [], "members": []},
              "category_names": {}, "flag_reasons": ["spam"], "more": None, **context}
    return render_html(template, language, values).get_data(as_text=True)


def _text(html: str, element_id: str) -> str:
    found = re.search(rf'<(\w+)[^>]* id="{element_id}"[^>]*>(.*?)</\1>', html, re.S)
    assert found, element_id
    return _words(found.group(2))


def _words(html: str) -> str:
    """The text of a piece of HTML, its spaces collapsed (a no-break space is kept)."""
    return re.sub(r"[ \t\n]+", " ", re.sub(r"<[^>]+>", "", html)).strip()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_reply_counts_are_the_posts_not_this_pages(language):
    """The second page of a thread with 53 comments shows 3 of them: the heading says 53."""
    post = _post(reply_count=53)
    html = _render("posts/thread.html", language, post=post,
                   comments=[_reply(n) for n in range(3)], more=None)
    assert _text(html, "comments-title") == i18n.translate(language, "thread.comments_heading",
                                                           count=53)
    question = _post(kind="question", reply_count=12, answer_count=12)
    html = _render("posts/thread.html", language, post=question,
                   answers=[_reply(n, "answer") for n in range(2)])
    assert _text(html, "answers-title") == i18n.translate(language, "thread.answers_heading",
                                                          count=12)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_held_reply_sent_with_htmx_is_confirmed_and_counted_apart(language):
    """A reply held for the CMs (an IBAN in it): a confirmation above the form, in the thread's
    live region (#reply-status), says it is sent, held and seen by its author only until the
    team decides; the heading no longer reads "0 answers" right above it."""
    question = _post(kind="question", reply_count=0, answer_count=0)
    held = _reply(9, "answer", state="pending", review={"state": "held", "reasons": ["detector"]},
                  body=None, body_html=None)
    html = _render("posts/_reply_added.html", language, post=question, reply=held, body="",
                   errors={})
    heading = re.search(r'<h2 id="answers-title" hx-swap-oob="true">(.*?)</h2>', html, re.S)
    assert heading and _words(heading.group(1)) == _words(
        i18n.translate(language, "thread.answers_heading_published", count=0) + ", "
        + i18n.translate(language, "thread.replies_waiting"))  # read as one sentence
    assert re.search(r'<li [^>]*id="reply-r9" tabindex="-1" autofocus>', html)
    said = re.search(r'<div hx-swap-oob="innerHTML:#reply-status"><p class="callout '
                     r'callout-warning reply-sent">([^<]*)</p></div>', html)
    assert said and said.group(1) == str(escape(
        i18n.translate(language, "thread.answer_sent_held")))
    published = _render("posts/_reply_added.html", language,
                        post=_post(kind="question", reply_count=1, answer_count=1),
                        reply=_reply(8, "answer"), body="", errors={})
    assert i18n.translate(language, "thread.answer_sent_published") in published
    assert re.search(r'<h2 id="answers-title" hx-swap-oob="true">([^<]*)</h2>', published
                     ).group(1) == i18n.translate(language, "thread.answers_heading", count=1)
    comment = _render("posts/_reply_added.html", language, post=_post(), body="", errors={},
                      reply=_reply(7, state="pending", review={"state": "pending"}))
    assert str(escape(i18n.translate(language, "thread.comment_sent_pending"))) in comment


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_thread_counts_its_readers_waiting_reply_apart_and_has_its_live_region(language):
    """Reloaded, the thread says the same: published answers, and the one waiting apart; the
    region that confirms a sent reply is there, empty, before any is sent."""
    question = _post(kind="question")
    mine = _reply(9, "answer", state="pending", author_id=READER["id"],
                  review={"state": "held", "reasons": ["detector"]})
    html = _render("posts/thread.html", language, post=question, answers=[mine])
    assert _text(html, "answers-title") == _words(
        i18n.translate(language, "thread.answers_heading_published", count=0) + ", "
        + i18n.translate(language, "thread.replies_waiting"))  # read as one sentence
    assert '<div class="reply-status" id="reply-status" role="status"></div>' in html
    plain = _render("posts/thread.html", language, post=question, answers=[])
    assert _text(plain, "answers-title") == i18n.translate(language, "thread.answers_heading",
                                                           count=0)


def test_the_threads_meta_lines_use_the_dots_that_never_end_a_line():
    """The post's and a reply's bylines: pieces of a `.dotted` line, whose "·" never ends nor
    starts a line (site.css), not a typed "·" left dangling after the name on a phone."""
    post = _post(published_at="2026-12-01T10:00:00+00:00", edited_at="2026-12-02T10:00:00+00:00")
    reply = _reply(1, published_at="2026-12-01T11:00:00+00:00")
    html = _render("posts/thread.html", "fr", post=post, comments=[reply])
    for byline in re.findall(r'<p class="meta byline[^"]*"[^>]*>(.*?)</p>', html, re.S):
        assert "·" not in byline, byline
    assert len(re.findall(r'<p class="meta byline dotted"', html)) == 2


@pytest.mark.parametrize(("kind", "sent", "published", "edited"), [
    ("question", "Envoyée le", "Publiée le", "Modifiée le"),
    ("idea", "Envoyée le", "Publiée le", "Modifiée le"),
    ("discussion", "Envoyée le", "Publiée le", "Modifiée le"),
    ("article", "Envoyé le", "Publié le", "Modifié le")])
def test_the_byline_agrees_with_the_kind_held_then_published(kind, sent, published, edited):
    """A question reads « Envoyée le » while held: once published, « Publiée le », not a
    masculine « Publié le » (an article is masculine); English has one form."""
    held = _post(kind=kind, state="pending", created_at="2026-12-01T10:00:00+00:00")
    live = _post(kind=kind, created_at="2026-12-01T10:00:00+00:00",
                 published_at="2026-12-01T10:05:00+00:00",
                 edited_at="2026-12-02T10:00:00+00:00")
    bylines = {name: re.findall(r"<time [^>]*>([^<]*)</time>",
                                _render("posts/thread.html", "fr", post=post))
               for name, post in (("held", held), ("live", live))}
    assert bylines["held"][0].startswith(sent), bylines
    assert bylines["live"][0].startswith(published) and bylines["live"][1].startswith(edited)
    english = re.findall(r"<time [^>]*>([^<]*)</time>", _render("posts/thread.html", "en",
                                                                post=live))
    assert english[0].startswith("Published on") and english[1].startswith("Edited on")


def test_a_refused_reply_takes_the_focus_to_what_is_wrong():
    empty = _render("posts/_reply_form.html", "fr", post_id="p1", body="",
                    errors={"body": "Écrivez votre réponse."})
    assert re.search(r'<textarea id="reply-body"[^>]* aria-invalid="true" autofocus>', empty)
    refused = _render("posts/_reply_form.html", "fr", post_id="p1", body="x",
                      errors={"form": "Non."})
    assert re.search(r'<p [^>]*role="alert"[^>]* tabindex="-1" autofocus>Non\.</p>', refused)
    assert "autofocus" not in _render("posts/_reply_form.html", "fr", post_id="p1", body="",
                                      errors={})


@pytest.mark.parametrize(("language", "status"), [("fr", "Statut de l’idée\u00a0: Prévue"),
                                                  ("en", "Idea status: Planned")])
def test_an_ideas_status_and_its_release_link(language, status):
    change = {"from": "under_review", "to": "planned", "at": "2026-03-01T10:00:00Z"}
    idea = _post(kind="idea", status="planned", status_history=[
        {**change, "release": "https://example.org/releases/5.3"},
        {**change, "release": "javascript:alert(1)"}, {**change, "release": "version 5.3"}])
    html = _render("posts/thread.html", language, post=idea)
    assert _text(html, "status-title").replace("&#39;", "'") == status
    label = i18n.translate(language, "thread.release") + i18n.translate(language, "common.colon")
    assert (f'{label} <a href="https://example.org/releases/5.3" rel="noopener noreferrer">'
            "https://example.org/releases/5.3</a>") in html
    assert f"{label} javascript:alert(1)</p>" in html and 'href="javascript' not in html
    assert f"{label} version 5.3</p>" in html


@pytest.mark.parametrize(("language", "pair"), [("fr", "x.reason\u00a0: trop court"),
                                                ("en", "x.reason: trop court")])
def test_the_consoles_label_and_value_pairs_follow_the_language(language, pair):
    template = environment().from_string(
        '{% import "console/_macros.html" as m with context %}'
        '{{ m.problem_alert({"detail": "Non", "errors": {"reason": "trop court"}}, "x.") }}')
    html = template.render(t=lambda key, **params: i18n.translate(language, key, **params))
    assert f"<li>{pair}</li>" in html


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("actor", [READER, None])
def test_a_merged_idea_is_read_only_and_links_to_the_idea_that_carries_on(language, actor):
    idea = _post(kind="idea", status="already_exists", merged_into="p2", votes=0)
    html = _render("posts/thread.html", language, post=idea, actor=actor)
    sentence = str(escape(i18n.translate(language, "thread.merged_into")))
    assert re.search(rf'{re.escape(sentence)} <a href="/posts/p2">', html)
    for control in ('action="/posts/p1/vote"', 'id="reply-form"', '<p class="cta">',
                    'id="toggle-watch"', 'id="toggle-mute"'):
        assert control not in html, control
    open_idea = _render("posts/thread.html", language, post=_post(kind="idea"), actor=actor)
    assert ('id="reply-form"' if actor else '<p class="cta">') in open_idea


@pytest.mark.parametrize(("kind", "watch", "watched"), [
    ("question", "Suivre cette question", "Question suivie"),
    ("idea", "Suivre cette idée", "Idée suivie"),
    ("discussion", "Suivre cette discussion", "Discussion suivie")])
def test_toggles_say_their_state_in_words_and_with_aria_pressed(kind, watch, watched):
    """Once on, a toggle says so ("Question suivie"): the same words as before left a member
    unsure whether a tap would unfollow."""
    for on in (False, True):
        html = _render("posts/thread.html", "fr", post=_post(kind=kind), subscriptions={
            "threads": ["p1"] if on else [], "muted": ["p1"] if on else [],
            "members": ["u1"] if on else []})
        for name, off, pressed in (("watch", watch, watched),
                                   ("mute", "Mettre en sourdine", "En sourdine"),
                                   ("follow", "Suivre l’auteur", "Vous suivez l’auteur")):
            button = re.search(rf'<button [^>]*id="toggle-{name}-button" aria-pressed="(\w+)">'
                               r"(.*?)</button>", html, re.S)
            assert button and button.group(1) == ("true" if on else "false"), name
            assert _words(button.group(2)) == (pressed if on else off), name
        assert re.search(r'<button [^>]*id="vote-p1-button"', html)


@pytest.mark.parametrize(("language", "words"), [("fr", "Suivre ce membre"),
                                                 ("en", "Follow this member")])
def test_a_members_profile_offers_to_follow_the_member(language, words):
    profile = {"id": "u1", "display_name": "Julie", "badges": []}
    html = _render("members/profile.html", language, profile=profile, following=False,
                   items=[], more=None)
    assert _text(html, "toggle-follow-button") == words


def test_an_edit_waits_for_its_review_as_a_new_text_does():
    assert in_review({"review": {"state": "pending"}})
    assert in_review({"state": "published", "pending_edit": {"revision": 2, "state": "pending"}})
    assert not in_review({"state": "published", "pending_edit": {"revision": 2, "state": "held"}})
    assert not in_review({"state": "published"})


def test_an_edit_is_said_published_only_once_nothing_of_it_waits():
    assert edit_notice({"state": "published", "revision": 2}) == "edit_published"
    for state in ("pending", "held", "rejected"):
        assert edit_notice({"state": "published", "pending_edit": {"revision": 2,
                                                                   "state": state}}) == "edited"


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_post_held_for_review_is_said_sent_but_not_published_above_its_box(language):
    """The flash after /write (and after a refused text is corrected and sent again) agrees with
    the state box under it: held, it says the text waits for the team, not a plain "sent"."""
    from gateway.web.session import NOTICES

    held = {"id": "p1", "kind": "question", "state": "pending", "review": {"state": "held"}}
    assert sent_notice(held) == edit_notice(held, sent_again=True) == "posted_held"
    assert "posted_held" in NOTICES  # the cookie's notice is read back only if it is known
    words = i18n.translate(language, "common.notice_posted_held")
    assert words != "common.notice_posted_held"
    assert ("pas encore publiée" if language == "fr" else "not published yet") in words
    html = _render("posts/thread.html", language, post=_post(**held), notice="posted_held")
    assert _words(re.search(r'<p class="notice notice-posted_held">(.*?)</p>', html,
                            re.S).group(1)) == words
    for state in ("published", "pending"):  # published, or still being checked: "sent"
        post = {"id": "p1", "state": state, **({"review": {"state": "pending"}}
                                                if state == "pending" else {})}
        assert sent_notice(post) == "posted"
    reply = {"id": "r1", "post_id": "p1", "kind": "answer", "review": {"state": "held"}}
    assert sent_notice(reply) == "answer_posted"  # a reply's box says it where it is sent


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_held_edit_tells_its_author_why_that_the_old_version_stays_and_shows_hers(language):
    """A held edit is no new text "only you can see": the published version stays public, and
    its author sees the version she wrote (title and body), marked as waiting, below it."""
    held = {"revision": 2, "state": "held", "reasons": ["detector"]}
    draft = {"revision": 2, "title": "Frais bancaires", "body": "au 06 12 34 56 78",
             "body_html": "<p>au 06 12 34 56 78</p>"}
    html = _render("posts/thread.html", language, post=_post(pending_edit=held, draft=draft),
                   notice="edited", actor={"id": "u1", "roles": ["member"]})
    box = _text(html, "review-state-p1")
    assert box == _words(str(escape(i18n.translate(language, "compose.edit_state_heading")
                                    + " " + i18n.translate(language,
                                                           "compose.edit_state_held_detector"))))
    assert _words(str(escape(i18n.translate(language, "compose.state_held_detector")))) \
        not in _words(html)  # "only you can see it for now": false for an edit
    mine = _text(html, "pending-version-p1")
    assert mine.startswith(_words(str(escape(i18n.translate(language, "compose.pending_version")))))
    assert "Frais bancaires" in mine and "au 06 12 34 56 78" in mine
    assert html.index('<div class="prose"><p>b</p>') < html.index('id="pending-version-p1"')
    # anyone else (no draft from posts): the published version only
    other = _render("posts/thread.html", language, post=_post(pending_edit=held))
    assert 'id="pending-version-p1"' not in other


def test_a_reply_found_published_by_its_review_box_brings_the_new_count():
    """The box of a reply still being checked asks again: once ruled, the answer carries the
    heading of its list, counting it (htmx swaps it in out of band)."""
    question = _post(kind="question", reply_count=1, answer_count=1)
    html = _render("posts/review_state.html", "en", item=_reply(9, "answer"), post=question)
    assert '<h2 id="answers-title" hx-swap-oob="true">1 answer</h2>' in html
    assert "Published: everyone can read it." in html


def test_a_reply_ruled_on_tells_its_author_above_the_form_what_became_of_it():
    """The confirmation said "being checked": once ruled, it says the outcome, to the reply's
    author only (a CM watching someone's reply has a form of their own)."""
    question = _post(kind="question", reply_count=0, answer_count=0)
    held = _reply(9, "answer", state="pending", author_id=READER["id"],
                  review={"state": "held", "reasons": ["detector"]})
    html = _render("posts/review_state.html", "fr", item=held, post=question)
    said = re.search(r'<div hx-swap-oob="innerHTML:#reply-status">(.*?)</div>', html, re.S)
    assert said and _words(said.group(1)) == i18n.translate("fr", "thread.answer_sent_held")
    assert i18n.translate("fr", "thread.replies_waiting") in html
    theirs = _render("posts/review_state.html", "fr", item=_reply(8, "answer"), post=question)
    assert "#reply-status" not in theirs


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_cm_reads_a_members_held_text_as_theirs_with_its_queue_item(language):
    """posts gives CMs `review` too: the box speaks of that text (who sees it), never "yours",
    and links to the item where it is decided; a ruling shows as it does to its author."""
    cm = {"id": "cm1", "roles": ["member", "community_manager"]}
    held = {"state": "held", "reasons": ["policy"], "item_id": "p1.r1"}
    html = _render("posts/thread.html", language, actor=cm,
                   post=_post(state="pending", review=held))
    box = _text(html, "review-state-p1")
    words = [i18n.translate(language, f"thread.{key}") for key in (
        "staff_state_heading", "staff_state_held_policy", "staff_state_private",
        "staff_state_open_item")]
    assert box == _words(str(escape(" ".join(words))))
    assert 'href="/console/moderation?item=p1.r1"' in html
    ruled = _render("posts/review_state.html", language, actor=cm, item=_post(), post=None)
    assert _words(ruled) == _words(str(escape(" ".join(i18n.translate(language, key) for key in (
        "thread.staff_state_heading", "compose.state_published")))))


@pytest.mark.parametrize("language", ["fr", "en"])
def test_an_edit_page_names_what_is_edited_and_a_visitor_is_asked_to_comment_or_answer(language):
    """The edit page's heading says what the author edits ("Modifier votre question"), for
    every kind posts has; a visitor is invited to answer a question, to comment on the rest."""
    from services.posts.schemas import KINDS, REPLY_KINDS
    headings = {i18n.translate(language, f"contribute.edit_title_{kind}")
                for kind in (*KINDS, *REPLY_KINDS, "post", "reply")}
    assert not any(heading.startswith("contribute.") for heading in headings)
    assert len(headings) >= len(KINDS) + len(REPLY_KINDS) - 1  # a reply is an answer's name
    for kind, key in (("question", "sign_in_to_reply"), ("article", "sign_in_to_comment")):
        html = _render("posts/thread.html", language, actor=None, post=_post(kind=kind))
        assert i18n.translate(language, f"thread.{key}") in html


def test_a_threads_title_keeps_its_question_mark_on_its_line():
    html = _render("posts/thread.html", "fr", post=_post(title="Frais de tenue de compte ?"))
    assert '<h1 id="thread-title">Frais de tenue de compte\u202f?</h1>' in html


@pytest.mark.parametrize("language", ["fr", "en"])
def test_its_author_takes_back_a_text_never_published_not_one_taken_down(language):
    author = {"id": "u1", "roles": ["member"]}
    confirm = str(escape(i18n.translate(language, "contribute.delete_unpublished_confirm")))
    held = _render("posts/thread.html", language, actor=author, post=_post(
        state="pending", review={"state": "held", "reasons": ["detector"]}))
    assert confirm in held and 'action="/posts/p1/delete"' in held
    taken_down = _render("posts/thread.html", language, actor=author, post=_post(
        state="rejected", published_at="2026-12-01T10:00:00Z",
        review={"state": "rejected", "reason_code": "abusive"}))
    assert confirm not in taken_down
    assert confirm not in _render("posts/thread.html", language, actor=READER, post=_post(
        state="pending", review={"state": "held", "reasons": ["detector"]}))


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_home_page_takes_a_member_on_and_invites_a_visitor(language):
    sections = {name: [] for name in ("featured", "latest", "unanswered", "ideas")}
    member = _render("home/home.html", language, sections=sections, here="/")
    assert 'href="/me/feed"' in member and 'href="/write"' in member
    assert 'href="/register"' not in member.split('id="hero-title"')[1].split("</section>")[0]
    visitor = _render("home/home.html", language, sections=sections, here="/", actor=None)
    hero = visitor.split('id="hero-title"')[1].split("</section>")[0]
    assert 'href="/register"' in hero and 'href="/me/feed"' not in hero


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_refused_text_leads_its_author_to_the_rules_its_refusal_cites(language):
    refused = {"state": "rejected", "reason_code": "not_compliant"}
    html = _render("posts/thread.html", language, post=_post(state="rejected", review=refused),
                   actor={"id": "u1", "roles": ["member"]})
    box = _text(html, "review-state-p1")
    assert _words(str(escape(i18n.translate(language, "rules.refused_link")))) in box
    assert 'class="review-state-rules" href="/rules#moderation"' in html
    held = _render("posts/thread.html", language, actor={"id": "u1", "roles": ["member"]},
                   post=_post(state="pending", review={"state": "held", "reasons": ["policy"]}))
    assert "review-state-rules" not in held  # nothing was refused


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_refusal_without_a_specific_reason_says_it_once(language):
    """The catch-all reason read "Refusée par les gestionnaires de communauté : Refusé par
    l'équipe de la communauté": the same thing twice, and no reason."""
    refused = {"state": "rejected", "reason_code": "other", "reason": "Refused"}
    html = _render("posts/thread.html", language, post=_post(state="rejected", review=refused),
                   actor={"id": "u1", "roles": ["member"]})
    assert _words(str(escape(i18n.translate(language, "compose.state_rejected_no_reason")))) \
        in _text(html, "review-state-p1")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_refusal_names_the_team_and_continues_its_sentence_with_the_reason(language):
    """The box read "Refusée par les gestionnaires de communauté : Doublon…": a second name
    for the team (the notice, the rules and the marks say « l’équipe de la communauté ») and a
    capital after the colon."""
    refused = {"state": "rejected", "reason_code": "duplicate", "reason": "Duplicate"}
    html = _render("posts/thread.html", language, post=_post(state="rejected", review=refused),
                   actor={"id": "u1", "roles": ["member"]})
    expected = {"fr": "Refusée par l’équipe de la communauté : doublon d’une contribution "
                      "existante",
                "en": "Rejected by the community team: duplicate of an existing contribution"}
    assert expected[language] in _text(html, "review-state-p1")
