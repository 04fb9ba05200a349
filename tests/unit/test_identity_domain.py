"""Identity's pure rules: no broker, no database, no clock."""
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.identity import domain, limits, passwords, tokens
from services.shared.errors import Forbidden, InvalidInput, NotFound, Unprocessable
from services.shared.throttle import ThrottlePolicy, retry_after

from .streams import NOW, envelopes, user

pytestmark = pytest.mark.unit

ADMIN = {"id": "admin-1", "roles": ["member", "admin"], "kind": "user"}
MEMBER = {"id": "m-1", "roles": ["member"], "kind": "user"}
SERVICE = {"id": "service:crm", "roles": ["service"], "kind": "service"}


# -- e-mail ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, normalized", [
    ("Ada@Example.ORG", "ada@example.org"),
    ("  ada@example.org ", "ada@example.org"),
    ("ＡＤＡ@example.org", "ada@example.org"),  # full-width letters (NFKC)
])
def test_email_normalization(raw, normalized):
    assert domain.normalize_email(raw) == normalized


@pytest.mark.parametrize("raw", ["", "ada", "ada@", "@example.org", "a b@example.org",
                                 "ada@localhost", "x" * 300 + "@example.org"])
def test_invalid_emails(raw):
    with pytest.raises(InvalidInput):
        domain.normalize_email(raw)


# -- password policy ------------------------------------------------------------------------------

@pytest.mark.parametrize("password", [
    "agora-demo-2026", "correct horse battery staple", "Tr0ub4dor&3xyz!", "x7#Lq9!mZp2@",
    "Tranquille-Girafe-Mange-7-Crêpes", "my grandmother's bicycle hums off-key in winter",
])
def test_acceptable_passwords(password):
    assert passwords.password_problems_en(password, "ada@example.org", "Ada") == []


@pytest.mark.parametrize("password", [
    "liverpool123",        # passed the former hundred-entry list (issue 9, item 8)
    "motdepasse123",       # French
    "azertyuiop",          # the French keyboard's top row
    "azertyuiop2026",
    "soleilmarseille",     # French words
    "nicolas1985",         # a French first name and a year
    "password1234", "Password2024!", "P@ssw0rd!!!!!!", "123456789012", "aaaaaaaaaaaaaaa",
    "abcdefghijklmnopq", "qwertyuiop123",
])
def test_common_and_guessable_passwords_are_refused(password):
    problems = passwords.password_problems_en(password, "someone@example.org", "Someone")
    assert "this password is too easy to guess" in problems or any(
        "at least 12" in problem for problem in problems), problems


def test_the_email_local_part_and_the_name_are_refused():
    for password in ("lovelace.ada1815", "ada.lovelace.1815", "adalovelace2026!"):
        problems = passwords.password_problems_en(password, "ada.lovelace.1815@example.org",
                                            "Ada Lovelace")
        assert "do not use your e-mail address or your name in your password" in problems, (
            password, problems)


@pytest.mark.parametrize("password, fragment", [
    ("short", "at least 12"),
    ("elevenchars", "at least 12"),
    ("", "required"),
    ("x" * 2000, "at most"),
])
def test_length_rules(password, fragment):
    problems = passwords.password_problems_en(password, "lovelace@example.org", "Ada")
    assert any(fragment in problem for problem in problems), problems


def test_a_long_passphrase_is_accepted_even_beyond_what_the_estimator_reads():
    passphrase = "the quiet heron counts forty silver boats before dawn " * 3
    assert len(passphrase) > passwords.ESTIMATED_PREFIX
    assert passwords.password_problems_en(passphrase, "ada@example.org", "Ada") == []


def test_refusals_carry_the_estimators_feedback_in_english_and_french():
    with pytest.raises(InvalidInput) as error:
        passwords.check_password("liverpool123", "fan@example.org", "Fan",
                                 field_name="new_password")
    details = error.value.details
    english = details["fields"]["new_password"]
    assert english == details["fields_i18n"]["en"]["new_password"]
    french = details["fields_i18n"]["fr"]["new_password"]
    assert "ce mot de passe est trop facile à deviner" in french
    assert "This is similar to a commonly used password." in english
    assert "Il ressemble à un mot de passe très utilisé." in french
    assert len(french) == len(english)


def test_every_feedback_of_the_estimator_has_a_french_translation():
    import ast

    import zxcvbn.feedback

    tree = ast.parse(Path(zxcvbn.feedback.__file__).read_text())
    texts = {node.args[0].value for node in ast.walk(tree)
             if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "_"
             and isinstance(node.args[0], ast.Constant)}
    assert len(texts) >= 25
    assert texts <= set(passwords.FEEDBACK_FR), texts - set(passwords.FEEDBACK_FR)


def test_the_french_lists_are_shipped_and_loaded():
    names = passwords.load_french_lists()
    assert set(names) == {"fr_common_passwords", "fr_names", "fr_words"}
    from zxcvbn import matching

    assert {"motdepasse", "azerty"} <= set(matching.RANKED_DICTIONARIES["fr_common_passwords"])
    assert len(matching.RANKED_DICTIONARIES["fr_words"]) > 20000
    assert "nicolas" in matching.RANKED_DICTIONARIES["fr_names"]


# -- the user aggregate -----------------------------------------------------------------------

def test_register_produces_public_and_private_facts():
    public, private = domain.register("u1", "Ada@Example.org", " Ada ", True, NOW)
    assert [e.type for e in public] == [domain.REGISTERED]
    assert [e.type for e in private] == [domain.CONTACT_CHANGED]
    assert "email" not in public[0].payload
    assert public[0].payload["display_name"] == "Ada"
    assert private[0].payload["email"] == "ada@example.org"
    state = domain.fold(envelopes(public))
    assert state.exists and state.customer and state.roles == () and state.version == 1
    assert domain.user_stream("u1") != domain.account_stream("u1")


def test_register_with_roles_grants_them_as_events():
    events, _ = domain.register("u1", "a@example.org", "Ada", False, NOW, roles=["admin"])
    assert events[-1].type == domain.ROLE_GRANTED and events[-1].payload["role"] == "admin"
    with pytest.raises(InvalidInput):
        domain.register("u1", "a@example.org", "Ada", False, NOW, roles=["emperor"])


def test_profile_update_emits_only_changes():
    state, _ = user()
    assert domain.update_profile(state, {"display_name": state.display_name}) == []
    (event,) = domain.update_profile(state, {"bio": "hello", "display_name": state.display_name})
    assert event.payload == {"user_id": "u1", "bio": "hello"}


def test_only_admins_set_roles():
    state, _ = user()
    with pytest.raises(Forbidden):
        domain.set_roles(state, MEMBER, ["admin"])
    with pytest.raises(Forbidden):
        domain.set_roles(state, SERVICE, ["advisor"])
    events = domain.set_roles(state, ADMIN, ["advisor", "community_manager", "member"])
    assert [(e.type, e.payload["role"]) for e in events] == [
        (domain.ROLE_GRANTED, "advisor"), (domain.ROLE_GRANTED, "community_manager")]


def test_set_roles_revokes_what_is_left_out_and_is_idempotent():
    state, history = user(roles=["advisor", "community_manager"])
    events = domain.set_roles(state, ADMIN, ["advisor"])
    assert [(e.type, e.payload["role"]) for e in events] == [
        (domain.ROLE_REVOKED, "community_manager")]
    after = domain.fold(envelopes([*history, *events]))
    assert after.roles == ("advisor",)
    assert domain.set_roles(after, ADMIN, ["advisor"]) == []


def test_an_admin_cannot_drop_their_own_admin_role():
    state, _ = user("admin-1", roles=["admin"])
    with pytest.raises(Unprocessable):
        domain.set_roles(state, ADMIN, [])
    with pytest.raises(InvalidInput):
        domain.set_roles(state, ADMIN, ["admin", "superuser"])


def test_badges_follow_roles_and_verification():
    assert domain.badges(["member", "advisor"], False) == ["bank_advisor"]
    assert domain.badges(["member"], True) == ["verified_customer"]
    assert domain.badges(["member", "community_manager"], False) == ["community_manager"]
    assert domain.badges(["member", "admin"], False) == []


def test_verification_by_admin_or_bank_system_only():
    state, _ = user()
    with pytest.raises(Forbidden):
        domain.set_verification(state, MEMBER, True)
    (event,) = domain.set_verification(state, SERVICE, True)
    assert event.type == domain.USER_VERIFIED
    verified = domain.apply(state, envelopes([event], start=3)[0])
    assert verified.verified_customer and domain.set_verification(verified, ADMIN, True) == []
    (withdrawn,) = domain.set_verification(verified, ADMIN, False)
    assert withdrawn.type == domain.VERIFICATION_WITHDRAWN


def test_advisor_assignment_rules():
    customer, _ = user("c1", customer=True)
    prospect, _ = user("p1", customer=False)
    advisor, _ = user("a1", roles=["advisor"])
    plain, _ = user("x1")
    with pytest.raises(Forbidden):
        domain.assign_advisor(customer, advisor, MEMBER, "Lyon")
    with pytest.raises(Unprocessable):
        domain.assign_advisor(customer, plain, ADMIN, "Lyon")
    with pytest.raises(Unprocessable):
        domain.assign_advisor(customer, domain.UserState(), ADMIN, "Lyon")
    with pytest.raises(Unprocessable):
        domain.assign_advisor(prospect, advisor, ADMIN, "Lyon")
    with pytest.raises(Unprocessable):
        domain.assign_advisor(advisor, advisor, ADMIN, "Lyon")
    (event,) = domain.assign_advisor(customer, advisor, SERVICE, " Lyon ")
    assert event.payload == {"user_id": "c1", "advisor_id": "a1", "branch": "Lyon"}
    assigned = domain.apply(customer, envelopes([event], "user-c1", start=3)[0])
    assert assigned.advisor.advisor_id == "a1"
    assert domain.assign_advisor(assigned, advisor, ADMIN, "Lyon") == []  # same: no-op


def test_require_user():
    with pytest.raises(NotFound):
        domain.require_user(domain.UserState(), "nobody")


# -- refresh-token families ---------------------------------------------------------------------

def _session(**kwargs):
    token, digest = tokens.new_refresh_token("f" * 32)
    fields = {"id": "f" * 32, "user_id": "u1", "token_hash": digest,
              "expires_at": NOW + timedelta(days=30)}
    fields.update(kwargs)
    return token, tokens.Session(**fields)


def test_refresh_token_format_and_parsing():
    token, digest = tokens.new_refresh_token("a" * 32)
    assert token.startswith("a" * 32 + ".")
    assert tokens.parse_refresh_token(token) == ("a" * 32, digest)
    for bad in ("", "nodot", "a" * 32 + ".short", "zz" * 16 + "." + "x" * 40, None):
        assert tokens.parse_refresh_token(bad) is None


def test_the_current_token_rotates():
    token, session = _session()
    _, digest = tokens.parse_refresh_token(token)
    assert tokens.refresh_decision(session, digest, NOW) == "rotate"


def test_a_used_token_is_reuse_which_revokes_the_family():
    old_token, old = _session()
    _, old_digest = tokens.parse_refresh_token(old_token)
    _, new_digest = tokens.new_refresh_token(old.id)
    rotated = tokens.Session(old.id, "u1", new_digest, used_hashes=(old_digest,),
                             expires_at=old.expires_at)
    assert tokens.refresh_decision(rotated, old_digest, NOW) == "reuse"
    revoked = tokens.Session(old.id, "u1", new_digest, used_hashes=(old_digest,),
                             expires_at=old.expires_at, revoked=True)
    assert tokens.refresh_decision(revoked, old_digest, NOW) == "revoked"
    assert tokens.refresh_decision(revoked, new_digest, NOW) == "revoked"


def test_expired_unknown_and_guessed_tokens():
    token, session = _session(expires_at=NOW - timedelta(seconds=1))
    _, digest = tokens.parse_refresh_token(token)
    assert tokens.refresh_decision(session, digest, NOW) == "expired"
    assert tokens.refresh_decision(None, digest, NOW) == "unknown"
    # a guessed secret for a known family is refused *without* revoking anything
    assert tokens.refresh_decision(session, tokens.token_hash("guess"), NOW) == "unknown"


def test_logout_accepts_current_and_used_tokens_only():
    token, session = _session(used_hashes=(tokens.token_hash("older-secret"),))
    _, digest = tokens.parse_refresh_token(token)
    assert tokens.owns_token(session, digest)
    assert tokens.owns_token(session, tokens.token_hash("older-secret"))
    assert not tokens.owns_token(session, tokens.token_hash("guess"))
    assert not tokens.owns_token(None, digest)


# -- throttling windows (the shared kit's, used for logins, registrations and flags) -------------

POLICY = ThrottlePolicy(limit=3, window=timedelta(minutes=10))


def test_under_the_limit_is_allowed():
    failures = [NOW - timedelta(minutes=1), NOW - timedelta(minutes=2)]
    assert retry_after(failures, NOW, POLICY) is None


def test_at_the_limit_waits_until_the_oldest_counted_failure_leaves_the_window():
    failures = [NOW - timedelta(minutes=9), NOW - timedelta(minutes=5), NOW - timedelta(minutes=1)]
    assert retry_after(failures, NOW, POLICY) == pytest.approx(60)


def test_old_failures_do_not_count():
    failures = [NOW - timedelta(minutes=m) for m in (30, 11, 1)]
    assert retry_after(failures, NOW, POLICY) is None


def test_many_failures_wait_for_the_limit_th_most_recent():
    failures = [NOW - timedelta(minutes=m) for m in (9, 8, 7, 3, 2)]
    # the 3 most recent are at -7, -3 and -2 min: the oldest of those leaves in 3 minutes
    assert retry_after(failures, NOW, POLICY) == pytest.approx(3 * 60)


def test_wait_is_at_least_a_second():
    failures = [NOW - timedelta(minutes=10) + timedelta(milliseconds=1)] * 3
    assert retry_after(failures, NOW, POLICY) == 1.0


def test_registrations_are_counted_per_client_address_only():
    assert limits.registration_keys("192.0.2.1") == {"address": "address:192.0.2.1"}
    assert limits.registration_keys(None) == {}


def test_throttle_keys():
    assert limits.throttle_keys("ada@example.org", "192.0.2.1") == {
        "pair": "pair:192.0.2.1|ada@example.org", "address": "address:192.0.2.1",
        "account": "account:ada@example.org"}
    assert limits.throttle_keys("ada@example.org", None) == {
        "pair": "pair:-|ada@example.org", "account": "account:ada@example.org"}


def test_a_known_victim_cannot_be_locked_out_by_an_attacker():
    """Five failures from the attacker's address throttle the attacker's pair only; the
    victim's own address is another pair, and known to the account: no account-wide key."""
    victim = limits.throttle_keys("ada@example.org", "198.51.100.1", known_client=True)
    attacker = limits.throttle_keys("ada@example.org", "203.0.113.9")
    assert "account" not in victim
    assert victim["pair"] != attacker["pair"] and victim["address"] != attacker["address"]
    failures = [NOW - timedelta(seconds=n) for n in range(5)]
    policy = limits.DEFAULT_PAIR_POLICY
    assert retry_after(failures, NOW, policy) is not None       # the attacker's pair
    assert retry_after([], NOW, policy) is None                 # the victim's pair
    assert limits.DEFAULT_ACCOUNT_POLICY.limit >= 20 * policy.limit  # distributed guesses only


def test_registration_answers_alike_for_any_address():
    first = domain.registration_received("ada@example.org")
    assert first == domain.registration_received("ada@example.org")
    assert set(first) == {"status", "email", "message"} and set(first["message"]) == {"en", "fr"}
    assert "id" not in first


def test_a_registration_attempt_on_a_taken_address_names_only_its_account():
    [event] = domain.registration_attempted("u1", NOW)
    assert event.type == domain.REGISTRATION_ATTEMPTED
    assert event.payload == {"user_id": "u1", "attempted_at": NOW.isoformat()}


# -- GDPR erasure -------------------------------------------------------------------------------

def test_erase_is_a_tombstone_without_pii_and_happens_once():
    now = datetime(2026, 1, 2, tzinfo=UTC)
    public, _ = domain.register("u1", "ada@example.org", "Ada Lovelace", True, now)
    history = [*public, domain.NewEvent(domain.PROFILE_UPDATED, {"user_id": "u1",
                                                                  "bio": "engines"})]
    state = domain.fold(envelopes(history))
    events = domain.erase(state, now)
    assert [e.type for e in events] == [domain.USER_ERASED]
    assert events[0].payload == {"user_id": "u1", "erased_at": now.isoformat()}
    erased = domain.fold(envelopes([*history, *events]))
    assert erased.erased and erased.display_name == domain.FORMER_MEMBER and erased.bio == ""
    assert domain.erase(erased, now) == []
    with pytest.raises(NotFound):
        domain.update_profile(erased, {"display_name": "Back again"})
