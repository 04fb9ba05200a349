"""The French and English catalogues: the same keys, the same placeholders, nothing empty;
language negotiation for anonymous requests and for the `agora` command."""
import re
import string

import pytest

from services.shared import i18n

pytestmark = pytest.mark.unit


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_both_catalogues_have_the_same_keys_and_placeholders():
    french, english = i18n.catalogue("fr"), i18n.catalogue("en")
    assert set(french) == set(english)
    for key in french:
        assert placeholders(french[key]) == placeholders(english[key]), key
        assert french[key].strip() and english[key].strip(), key


def test_every_problem_status_has_a_title_in_both_languages():
    from gateway.errors import STATUS_BY_ERROR

    for status in set(STATUS_BY_ERROR.values()):
        for language in i18n.LANGUAGES:
            assert i18n.text(language, f"problem.title.{status}")


def test_french_texts_use_french_typography():
    for key, value in i18n.catalogue("fr").items():
        # HTTP header names (Authorization:, X-Agora-Service-Key:) keep their own syntax
        prose = re.sub(r"\([^)]*\)|Authorization: ", "", value)
        assert "“" not in value and not re.search(r"\w:\s", prose), key  # « », espace avant :


def test_negotiation():
    assert i18n.negotiate("en-US,en;q=0.9") == "en"
    assert i18n.negotiate("fr-CA, en;q=0.5") == "fr"
    assert i18n.negotiate("de, en;q=0.3, fr;q=0.2") == "en"
    assert i18n.negotiate("en;q=0, fr") == "fr"
    assert i18n.negotiate("*") == "fr" and i18n.negotiate("") == "fr"
    assert i18n.text("xx", "notice.fallback") == i18n.text("fr", "notice.fallback")


def test_the_command_line_language(monkeypatch):
    """English unless the operator asks for French: the operators' other tools (logs, runbook,
    replay's figures) speak English, and one command's output is in one language."""
    for name in ("AGORA_LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    assert i18n.cli_language() == "en"
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert i18n.cli_language() == "en"
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    assert i18n.cli_language() == "fr"
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    assert i18n.cli_language() == "en"
    monkeypatch.setenv("AGORA_LANGUAGE", "fr")
    assert i18n.cli_language() == "fr"


# -- every error message a client reads has its French -------------------------------------------

ERROR_TYPES = {"InvalidInput", "Unprocessable", "NotFound", "Forbidden", "Unauthenticated",
               "Conflict", "TooManyRequests", "CommandExpired", "PayloadTooLarge",
               "UnsupportedMediaType", "MethodNotAllowed", "SessionRevoked", "TokenExpired",
               "CsrfRejected", "InvalidToken"}
# messages computed from a value the function checks against the catalogue itself
COMPUTED = {("services/notifications/service.py", "str(error)")}  # InvalidToken's, below


def _raised_messages():
    """(file, line, error type, message node) of every kit error built in services/gateway."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for path in sorted([*root.glob("services/**/*.py"), *root.glob("gateway/**/*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            function = node.func
            name = function.id if isinstance(function, ast.Name) else getattr(
                function, "attr", None)
            if name in ERROR_TYPES and node.args:
                yield str(path.relative_to(root)), node.lineno, name, node.args[0]
            elif name == "from_catalogue" and node.args:
                yield str(path.relative_to(root)), node.lineno, "from_catalogue", node.args[0]
            elif name == "check" and len(node.args) == 3:  # Throttle.check(keys, now, key)
                yield str(path.relative_to(root)), node.lineno, "from_catalogue", node.args[2]


def test_every_error_message_a_client_reads_is_in_both_catalogues():
    """A literal message must be one of the catalogue's (the gateway translates it); anything
    computed goes through `from_catalogue(key, ..., **params)` with a key the catalogue has —
    an f-string message would reach French readers in English."""
    import ast

    known = {text for key, text in i18n.catalogue("en").items() if key.startswith("error.")}
    keys = {key.removeprefix("error.") for key in i18n.catalogue("en")
            if key.startswith("error.")}
    missing = []
    for path, line, kind, message in _raised_messages():
        where = f"{path}:{line}"
        if kind == "from_catalogue":
            if isinstance(message, ast.Constant):
                if message.value not in keys:
                    missing.append(f"{where}: no key error.{message.value}")
            elif isinstance(message, ast.JoinedStr):  # f"no_such_{kind}": every value listed
                prefix = "".join(part.value for part in message.values
                                 if isinstance(part, ast.Constant))
                if not any(key.startswith(prefix) for key in keys):
                    missing.append(f"{where}: no key starting error.{prefix}")
            elif not isinstance(message, ast.IfExp | ast.Name):
                missing.append(f"{where}: {ast.unparse(message)}")
        elif isinstance(message, ast.Constant):
            if message.value not in known:
                missing.append(f"{where}: {message.value!r}")
        elif (path, ast.unparse(message)) not in COMPUTED:
            missing.append(f"{where}: computed message {ast.unparse(message)}")
    assert not missing, "\n".join(missing)


def test_computed_error_keys_exist():
    """The keys built from a value (`no_such_{kind}`, `thread_locked_{what}`, terms)."""
    from services.shared import ids

    for shape in (ids.USER, ids.POST, ids.REPLY, ids.CONVERSATION, ids.MODERATION_ITEM):
        assert i18n.has(f"error.no_such_{shape.kind.replace(' ', '_')}")
    for name in ("post", "reply", "member", "contribution", "tag"):
        assert i18n.has(f"error.no_such_{name}")
    for what in ("edited", "changed"):
        assert i18n.has(f"error.thread_locked_{what}")
    from services.posts import domain

    for status in domain.IDEA_TRANSITIONS:
        assert i18n.has(f"idea_status.{status}")
    for state in ("new", "pending", "published", "hidden", "rejected", "deleted"):
        assert i18n.has(f"content_state.{state}")
    for state in ("approved", "rejected", "redacted", "open", "held", "review"):
        assert i18n.has(f"moderation_state.{state}")


def test_a_catalogued_error_is_answered_in_the_readers_language():
    from gateway.errors import problem_from_exception
    from services.shared.errors import Forbidden, NotFound

    error = Forbidden.from_catalogue("author_or_moderator_edits", terms={"thing": "noun.reply"})
    assert error.message == "only its author or a community manager can edit this reply"
    french = problem_from_exception(error, "/x", "r1", "fr").body
    assert french["detail"] == ("seuls son auteur et l’équipe de la communauté peuvent modifier "
                                "ce contenu (réponse)")
    assert "catalogue" not in french and "noun.reply" not in str(french)
    english = problem_from_exception(error, "/x", "r1", "en").body
    assert english["detail"] == error.message
    category = NotFound.from_catalogue("no_such_category", {"slug": "épargne"}, slug="épargne")
    assert problem_from_exception(category, language="fr").body["detail"] == (
        "catégorie introuvable : épargne")
    # a key this gateway does not know yet (a newer service): the service's English stays
    newer = NotFound("something new", None, {"key": "from_the_future", "params": {}})
    assert problem_from_exception(newer, language="fr").body["detail"] == "something new"


def test_the_catalogue_key_crosses_the_rpc_hop():
    """nameko re-raises a service's error at the gateway as RemoteError(str(error))."""
    from nameko.exceptions import RemoteError

    from gateway.errors import problem_from_exception
    from services.shared.errors import Unprocessable

    error = Unprocessable.from_catalogue(
        "idea_transition", {"status": "submitted"},
        terms={"current": "idea_status.submitted", "wanted": "idea_status.delivered"})
    remote = RemoteError("Unprocessable", str(error))
    body = problem_from_exception(remote, "/x", "r1", "fr").body
    assert body["detail"] == ("une idée ne peut pas passer du statut « Proposée » au statut "
                              "« Réalisée »")
    assert problem_from_exception(remote, "/x", "r1", "en").body["detail"] == (
        "an idea cannot go from “Submitted” to “Delivered”")


def test_a_route_for_other_roles_names_them_in_words_in_the_readers_language():
    """Not "cette route est réservée à admin | service": the roles in words, in French."""
    from gateway.auth import AUTH_LEVELS, authorize
    from gateway.errors import problem_from_exception
    from services.shared.errors import Forbidden

    member = {"id": "u1", "roles": ["member"]}
    with pytest.raises(Forbidden) as refused:
        authorize(("admin", "service"), member)
    details = {language: problem_from_exception(refused.value, "/x", "r1", language).body[
        "detail"] for language in i18n.LANGUAGES}
    assert details == {"fr": "cette route est réservée aux administrateurs ou aux systèmes de "
                             "la banque",
                       "en": "this route is for admins or bank systems only"}
    with pytest.raises(Forbidden) as refused:
        authorize(("community_manager",), member)
    assert problem_from_exception(refused.value, language="fr").body["detail"] == (
        "cette route est réservée à l’équipe de la communauté et aux administrateurs")
    for level in set(AUTH_LEVELS) - {"none", "public"}:  # every level a route may require
        assert i18n.has(f"audience.{level}"), level


def test_a_revoked_session_says_why_when_the_member_can_act_on_it():
    from gateway.auth import SessionRevoked
    from gateway.errors import problem_from_exception
    from services.shared.errors import session_revoked

    changed = session_revoked("roles_changed", SessionRevoked)
    body = problem_from_exception(changed, "/api/v1/me", "r1", "fr").body
    assert (body["status"], body["reason"], body["detail"]) == (
        401, "roles_changed", "vos rôles ont changé : reconnectez-vous")
    logout = problem_from_exception(session_revoked("logout"), language="en").body
    assert (logout["reason"], logout["detail"]) == (
        "logout", "the session has been revoked; log in again")


def test_the_redaction_mark_is_written_in_each_readers_language_even_concurrently():
    """Each green thread answers its own request: the language of one never leaks into
    another's answer (the gateway sets READER_LANGUAGE per request)."""
    import eventlet

    from gateway.calls import READER_LANGUAGE
    from gateway.routes.posts import PostPage

    page = {"items": [{"id": "p1", "redacted": True,
                       "redaction_mark": "edited by the community team"},
                      {"id": "p2", "redacted": False}], "next_cursor": None}

    def answer(language):
        READER_LANGUAGE.set(language)
        eventlet.sleep(0)  # ok: let the other request's thread run in between
        return [item.get("redaction_mark") for item in PostPage().dump(page)["items"]]

    pool = eventlet.GreenPool()
    french, english = pool.spawn(answer, "fr"), pool.spawn(answer, "en")
    assert french.wait() == ["modifié par l’équipe de la communauté", None]
    assert english.wait() == ["edited by the community team", None]
