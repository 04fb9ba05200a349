"""Crypto-shredding through the gateway: a member registers, changes their profile and erases
their account; the append-only logs keep their events, but nothing in them reads as the
member's address, name or bio (sealed with the member's key, which erasure shredded), and
`agora replay` of identity and of a consuming service rebuilds the same anonymised read models."""
import uuid

from bson import json_util

from services.shared.members import ERASED_DISPLAY_NAME
from services.shared.shredding import is_sealed

from ..conftest import wait_for
from .conftest import PASSWORD

LOGS = ("identity", "feeds", "notifications", "posts", "conversations", "moderation")


def _dump(collection, query=None) -> str:
    return json_util.dumps(list(collection.find(query or {})))


def _anonymised_state(db, collection: str, member_id: str) -> dict:
    """The member's read-model document without the projection's own bookkeeping (`_...`)."""
    document = db[collection].find_one({"_id": member_id}) or {}
    return {key: value for key, value in document.items() if not key.startswith("_")}


def test_erasure_shreds_the_members_personal_data_in_every_log(platform, api, mongo_client):
    marker = uuid.uuid4().hex[:8]
    name, new_name = f"Ada Shred{marker}", f"Ada Lovelace{marker}"
    bio = f"Analytical engines, since {marker}"
    ada = api.new_user(display_name=name, customer=True)
    response = api.patch("/api/v1/me", user=ada, json={"display_name": new_name, "bio": bio})
    assert response.status_code == 200, response.text
    assert response.json()["bio"] == bio  # read through the API: plain, as before

    db = {service: mongo_client[f"{platform.db_prefix}_{service}"] for service in LOGS}
    feeds_summaries = db["feeds"]["member_summaries"]
    wait_for(lambda: (feeds_summaries.find_one({"_id": ada.id}) or {}).get("display_name")
             == new_name, timeout=20, message="feeds learnt the new name")

    # before erasure: identity's log holds the member's events, sealed
    identity_log = _dump(db["identity"]["events"], {"stream_id": {"$regex": ada.id}})
    assert ada.id in identity_log
    for text in (ada.email, name, new_name, bio):
        assert text not in identity_log, text
    registered = next(event for commit in db["identity"]["events"].find(
        {"stream_id": f"user-{ada.id}"}) for event in commit["events"]
        if event["type"] == "identity.user_registered")
    assert is_sealed(registered["payload"]["display_name"])

    erased = api.delete("/api/v1/me", user=ada, json={"password": PASSWORD})
    assert erased.status_code == 204, erased.text
    keys = mongo_client[f"{platform.db_prefix}_keys"]["subject_keys"].find_one({"_id": ada.id})
    assert keys is not None and "key" not in keys and "shredded_at" in keys

    wait_for(lambda: (feeds_summaries.find_one({"_id": ada.id}) or {}).get("erased"),
             timeout=20, message="feeds saw the erasure")
    # every service's event log (own events and the copies received from identity): no trace
    for service, database in db.items():
        log = _dump(database["events"])
        for text in (ada.email, name, new_name, bio):
            assert text not in log, (service, text)

    # the log is not rewritten (the events are still there) yet reads as "Former member"
    assert db["identity"]["events"].count_documents({"stream_id": f"user-{ada.id}"}) >= 3
    assert api.get(f"/api/v1/users/{ada.id}").status_code == 410  # the profile: gone

    before = {"identity": _anonymised_state(db["identity"], "users", ada.id),
              "feeds": _anonymised_state(db["feeds"], "member_summaries", ada.id)}
    assert before["identity"]["display_name"] == ERASED_DISPLAY_NAME
    assert before["identity"]["bio"] == "" and "email" not in before["identity"]
    assert before["feeds"]["erased"] is True and "display_name" not in before["feeds"]
    for service in ("identity", "feeds"):
        result = platform.agora("replay", service, timeout=300)
        assert result.returncode == 0, result.stderr
    # the upgrade step finds nothing to seal on a platform that always sealed
    sealed = platform.agora("seal-existing", "identity", "feeds", timeout=300,
                            env={"AGORA_LANGUAGE": "en"})
    assert sealed.returncode == 0, sealed.stderr
    assert sealed.stdout.splitlines() == ["identity: 0 older commit(s) sealed",
                                          "feeds: 0 older commit(s) sealed"]
    after = {"identity": _anonymised_state(db["identity"], "users", ada.id),
             "feeds": _anonymised_state(db["feeds"], "member_summaries", ada.id)}
    assert after == before
    assert api.get(f"/api/v1/users/{ada.id}").status_code == 410  # an erased member's profile
