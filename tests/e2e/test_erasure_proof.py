"""`agora erasure status <member-id>`: what the DPO shows to prove an erasure, read from the
running platform's databases — the key shredded, the tombstone logged, nothing left in clear in
any service's log; and, for a member who is not erased, a refusal that says why."""
from __future__ import annotations

import json

from ..conftest import wait_for
from .conftest import PASSWORD


def _status(platform, member_id):
    result = platform.agora("erasure", "status", member_id, env={"AGORA_LANGUAGE": "en"})
    report = json.loads(result.stdout[:result.stdout.rindex("}") + 1])
    return result, report


def test_the_dpo_proves_an_erasure_from_the_databases(platform, api, mongo_client):
    ada = api.new_user(display_name="Ada Proof", customer=True)
    assert api.patch("/api/v1/me", user=ada, json={"bio": "to be shredded"}).status_code == 200
    # the copies other services record of identity's events are counted too: wait for one
    notifications = mongo_client[f"{platform.db_prefix}_notifications"]
    wait_for(lambda: notifications["events"].find_one(
        {"stream_id": f"identity:user-{ada.id}"}), timeout=20, message="a recorded copy")

    before, report = _status(platform, ada.id)
    assert before.returncode == 1, before.stdout + before.stderr
    assert report["key"]["state"] == "present" and not report["erased"]
    assert report["tombstone"]["erased_at"] is None
    assert report["event_logs"]["identity"]["sealed"] >= 2  # the name, the bio
    assert report["event_logs"]["notifications"]["sealed"] >= 1
    assert f"{ada.id}: not erased" in before.stderr

    assert api.delete("/api/v1/me", user=ada, json={"password": PASSWORD}).status_code == 204
    after, report = _status(platform, ada.id)
    assert after.returncode == 0, after.stdout + after.stderr
    assert report["erased"] and report["key"]["state"] == "shredded"
    assert report["key"]["shredded_at"] and report["tombstone"]["erased_at"]
    assert report["personal_values_in_clear"] == 0
    assert f"{ada.id}: erased" in after.stdout
    for personal in (ada.email, "Ada Proof", "to be shredded"):
        assert personal not in after.stdout, personal


def test_a_restored_key_store_is_shredded_again_from_the_tombstones(platform, api, mongo_client):
    """The restore procedure: a key-store backup taken before an erasure brings the member's
    key back; `agora erasure reapply` shreds it again from identity's log."""
    ada, bob = api.new_user(), api.new_user()
    keys = mongo_client[f"{platform.db_prefix}_keys"]["subject_keys"]
    backup = wait_for(lambda: keys.find_one({"_id": ada.id}), timeout=20,
                      message="ada's key exists")
    assert api.delete("/api/v1/me", user=ada, json={"password": PASSWORD}).status_code == 204
    assert _status(platform, ada.id)[0].returncode == 0

    keys.replace_one({"_id": ada.id}, backup)  # what `mongorestore --drop` of that backup does
    restored, report = _status(platform, ada.id)
    assert restored.returncode == 1 and report["key"]["state"] == "present"

    result = platform.agora("erasure", "reapply", env={"AGORA_LANGUAGE": "en"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "shredded again" in result.stdout
    assert _status(platform, ada.id)[0].returncode == 0
    assert keys.find_one({"_id": bob.id}).get("key")  # a member not erased keeps their key
    again = platform.agora("erasure", "reapply", env={"AGORA_LANGUAGE": "en"})
    assert again.returncode == 0 and again.stdout.startswith("identity: 0 ")


def test_an_unknown_member_is_said_unknown_not_a_failed_erasure(platform):
    """A mistyped id: neither a proof nor a "not erased" a DPO could misread (exit status 2)."""
    result = platform.agora("erasure", "status", "0" * 32, env={"AGORA_LANGUAGE": "en"})
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    assert result.stderr.strip() == (f"no member with id {'0' * 32} (no key, no identity "
                                      "event): check the id")
