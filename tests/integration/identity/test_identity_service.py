"""The identity service in a nameko container, against the real broker and database."""
import json
from datetime import timedelta

import eventlet
import jwt
import kombu
import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ServiceRpcProxy

from gateway.auth import TokenVerifier
from services.identity.keys import generate_keypair
from services.identity.projections import PROJECTION
from services.identity.service import IdentityService
from services.shared.envelope import Envelope, utc_now
from services.shared.event_store import EventStore
from services.shared.mongo import database_name
from services.shared.projections import replay
from services.shared.shredding import KEYS_SERVICE, SubjectKeys, unseal_envelope

from ...conftest import wait_for

pytestmark = pytest.mark.integration

PASSWORD = "integration passphrase here"


@pytest.fixture
def keys(tmp_path):
    return generate_keypair(tmp_path / "keys")


@pytest.fixture
def config(service_config, keys):
    return {**service_config, "IDENTITY": {
        "private_key_file": str(keys[0]), "argon2_memory_kib": 8192, "argon2_time_cost": 1,
        "login_account_limit": 3, "login_window_seconds": 60}}


@pytest.fixture
def identity(container_factory, config):
    container = container_factory(IdentityService, config)
    container.start()
    with ServiceRpcProxy("identity", config, timeout=20) as proxy:
        yield proxy


@pytest.fixture
def db(mongo_client, config):
    return mongo_client[f"{config['MONGO_DB_PREFIX']}_identity"]


def _register(identity, email, **extra):
    """Register, then learn the new account by logging in: registration answers alike for new and
    taken addresses (it never tells the caller which), so only the owner's login reveals the id."""
    _request_registration(identity, email, **extra)
    tokens = identity.login(email, PASSWORD, "127.0.0.1")
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    return identity.get_me({"id": claims["sub"], "roles": claims["roles"], "sid": claims["sid"]})


def _request_registration(identity, email, **extra):
    return identity.register({"email": email, "password": PASSWORD, "display_name": "Ada",
                              **extra}, "127.0.0.1")


def _registered_events(db) -> int:
    return sum(1 for commit in EventStore(db, "identity").read_all() for event in commit.events
               if event.type == "identity.user_registered")


def _bind(config, exchange):
    connection = kombu.Connection(config["AMQP_URI"])
    channel = connection.channel()
    kombu.Exchange(exchange, "topic", durable=True)(channel).declare()
    queue = kombu.Queue(f"probe-{exchange}", kombu.Exchange(exchange, "topic", durable=True),
                        routing_key="#", exclusive=True)(channel)
    queue.declare()
    return connection, queue


def _drain(queue):
    messages = []
    while (message := queue.get(no_ack=True)) is not None:
        messages.append(json.loads(message.body))
    return messages


def test_register_login_and_verify_the_token(identity, keys):
    profile = _register(identity, "Ada@Example.org", customer=True)
    assert profile["email"] == "ada@example.org" and profile["customer"]
    tokens = identity.login("ADA@example.org", PASSWORD, "127.0.0.1")
    verifier = TokenVerifier(keys[1].read_bytes(), "agora-identity", "agora-api")
    claims = verifier.verify(tokens["access_token"])
    assert claims["sub"] == profile["id"] and claims["roles"] == ["member"] and claims["sid"]
    me = identity.get_me({"id": profile["id"], "roles": ["member"], "sid": claims["sid"]})
    assert me["id"] == profile["id"]


def test_events_go_to_the_right_exchange_without_secrets(identity, config, db, mongo_client):
    public, public_queue = _bind(config, "identity.events")
    private, private_queue = _bind(config, "identity.private")
    try:
        profile = _register(identity, "grace@example.org", display_name="Grace Hopper")
        received = wait_for(lambda: [e for e in _drain(public_queue)
                                     if e["payload"]["user_id"] == profile["id"]] or None)
        assert [e["type"] for e in received] == ["identity.user_registered"]
        assert "grace@example.org" not in json.dumps(received)
        assert "Grace Hopper" not in json.dumps(received)  # sealed: personal, even if public
        contact = wait_for(lambda: _drain(private_queue))
        assert contact[0]["type"] == "identity.contact_changed"
        # sealed with the member's key: a queue holds no address in clear, Agora's consumers
        # open it through the kit
        assert "grace@example.org" not in json.dumps(contact)
        member_keys = SubjectKeys.in_database(
            mongo_client[database_name(config, KEYS_SERVICE)])
        opened = unseal_envelope(member_keys, Envelope.from_dict(contact[0]))
        assert opened.payload["email"] == "grace@example.org"
        wait_for(lambda: db.events.count_documents({"pending": True}) == 0,
                 message="outbox drained")
    finally:
        public.close()
        private.close()


def test_concurrent_registrations_one_winner(identity, config, db):
    def attempt(email):
        with ServiceRpcProxy("identity", config, timeout=20) as proxy:
            return _request_registration(proxy, email)

    outcomes = list(eventlet.GreenPool(6).imap(attempt, ["race@example.org", "RACE@example.org",
                                                         "Race@Example.org"] * 2))
    assert all(outcome == outcomes[0] for outcome in outcomes), outcomes  # alike, winner or not
    assert _registered_events(db) == 1
    assert db.email_claims.count_documents({"_id": "race@example.org"}) == 1


def test_a_claim_abandoned_by_a_crash_is_taken_over(identity, db):
    # a registration that claimed the address and died before committing any event
    db.email_claims.insert_one({"_id": "crashed@example.org", "user_id": "ghost",
                                "claimed_at": utc_now(), "confirmed": False})
    _request_registration(identity, "crashed@example.org")  # answered alike, but...
    assert _registered_events(db) == 0  # too fresh a claim: maybe still in progress
    db.email_claims.update_one({"_id": "crashed@example.org"},
                               {"$set": {"claimed_at": utc_now() - timedelta(minutes=5)}})
    profile = _register(identity, "crashed@example.org")
    assert db.email_claims.find_one({"_id": "crashed@example.org"})["user_id"] == profile["id"]


def test_throttling_and_audit(identity, db):
    _register(identity, "slow@example.org")
    for _ in range(3):
        with pytest.raises(RemoteError) as error:
            identity.login("slow@example.org", "not the password!", "10.0.0.1")
        assert error.value.exc_type == "Unauthenticated"
    with pytest.raises(RemoteError) as error:
        identity.login("slow@example.org", PASSWORD, "10.0.0.2")
    assert error.value.exc_type == "TooManyRequests"
    assert json.loads(error.value.value)["details"]["retry_after"] > 0
    # the audit holds no address in clear, only its keyed hash (and, for the account's own
    # lines, the address sealed with its key): the lines of the address are found by the hash
    user_id = db.email_claims.find_one({"_id": "slow@example.org"})["user_id"]
    address = db.login_audit.find_one({"user_id": user_id})["email_hash"]
    outcomes = [a["outcome"] for a in db.login_audit.find({"email_hash": address})]
    assert outcomes.count("bad_credentials") == 3 and outcomes.count("throttled") == 1


def _raw_text(documents) -> str:
    return json.dumps(list(documents), default=str)


def test_the_login_audit_and_throttling_hold_no_address_in_clear(identity, db, mongo_client,
                                                                  config):
    profile = _register(identity, "sealed@example.org")  # logs in from 127.0.0.1
    with pytest.raises(RemoteError):
        identity.login("Sealed@Example.org", "not the password!", "198.51.100.23")
    with pytest.raises(RemoteError):  # an address nobody owns: no subject to seal it for
        identity.login("nobody-sealed@example.org", "not the password!", "198.51.100.24")
    audit = list(db.login_audit.find({"$or": [{"user_id": profile["id"]},
                                              {"client_hash": {"$exists": True}}]}))
    failures = list(db.login_failures.find()) + list(db.registration_attempts.find())
    sessions = list(db.sessions.find({"user_id": profile["id"]}))
    raw = _raw_text(audit + failures + sessions)
    for plain in ("sealed@example.org", "198.51.100.23", "198.51.100.24", "127.0.0.1"):
        assert plain not in raw
    unknown = [line for line in audit if line["user_id"] is None
               and line["outcome"] == "bad_credentials"]
    assert unknown and all(line["email"] is None and line["client"] is None
                           and len(line["email_hash"]) == 64 for line in unknown)
    # what the member is shown (their export) still reads the client addresses
    actor = {"id": profile["id"], "roles": ["member"]}
    export = identity.export_member(actor)
    assert {"127.0.0.1", "198.51.100.23"} <= {line["client"] for line in export["logins"]}
    assert {session["client"] for session in export["sessions"]} == {"127.0.0.1"}
    # throttling still counts the pair: the known account, from the new client
    for _ in range(2):
        with pytest.raises(RemoteError):
            identity.login("sealed@example.org", "not the password!", "198.51.100.23")
    with pytest.raises(RemoteError) as error:
        identity.login("sealed@example.org", PASSWORD, "198.51.100.99")
    assert error.value.exc_type == "TooManyRequests"
    # once the key is shredded, a backup of these lines reads nothing
    keys = SubjectKeys.in_database(mongo_client[f"{config['MONGO_DB_PREFIX']}_{KEYS_SERVICE}"])
    sealed = [line["client"] for line in audit if line["user_id"] == profile["id"]]
    assert sealed and all(keys.unseal(value, "identity.login_audit.client") for value in sealed)
    keys.shred(profile["id"])
    assert all(keys.unseal(value, "identity.login_audit.client") is None for value in sealed)


def test_refresh_rotation_and_reuse(identity):
    _register(identity, "rot@example.org")
    first = identity.login("rot@example.org", PASSWORD, None)
    second = identity.refresh(first["refresh_token"], None)
    with pytest.raises(RemoteError) as error:
        identity.refresh(first["refresh_token"], None)
    assert error.value.exc_type == "Unauthenticated"
    with pytest.raises(RemoteError):
        identity.refresh(second["refresh_token"], None)  # the family is revoked


def test_replay_rebuilds_the_users_read_model(identity, db):
    # an admin whose session proved its second factor just now (step-up for roles/advisors)
    db.sessions.insert_one({"_id": "s-root", "user_id": "root", "second_factor_at": utc_now()})
    admin_actor = {"id": "root", "roles": ["member", "admin"], "sid": "s-root"}
    a = _register(identity, "one@example.org", customer=True)
    b = _register(identity, "two@example.org")
    identity.set_roles(admin_actor, b["id"], ["advisor"])
    identity.assign_advisor(admin_actor, a["id"], b["id"], "Nantes")
    identity.update_me({"id": a["id"], "roles": ["member"]}, {"bio": "hi"})
    before = sorted(db.users.find({}), key=lambda u: u["_id"])
    figures = replay(EventStore(db, "identity"), PROJECTION)
    # 2 registrations x 3 (registered, its address, the address confirmation asked), a role,
    # an advisor, a profile
    assert figures["events"] == 9
    assert sorted(db.users.find({}), key=lambda u: u["_id"]) == before


def test_erasure_drops_the_failure_counts_and_hashes_of_the_address(identity, db):
    profile = _register(identity, "gone@example.org")
    with pytest.raises(RemoteError):
        identity.login("gone@example.org", "not the password!", "198.51.100.31")
    address = db.login_audit.find_one({"user_id": profile["id"],
                                       "outcome": "bad_credentials"})["email_hash"]
    counted = {"key": {"$regex": f"{address}$"}}  # pair:<client>|<address>, account:<address>
    assert db.login_failures.count_documents(counted) >= 1
    identity.erase_me({"id": profile["id"], "roles": ["member"]}, {"password": PASSWORD},
                      "198.51.100.31")
    assert db.login_failures.count_documents(counted) == 0
    assert db.login_audit.count_documents({"email_hash": address}) == 0
    lines = list(db.login_audit.find({"user_id": profile["id"]}))
    assert lines and all(line["email"] is None and line["client"] is None
                         and "client_hash" not in line for line in lines)
