"""GDPR through the gateway: export my data, erase my account (identity, notifications)."""
import pytest
import requests

from services.feeds import domain
from services.shared.members import ERASED_DISPLAY_NAME

from ..conftest import wait_for
from .clients import Subscriber
from .conftest import PASSWORD
from .steps import ok, problem, submit, visible


@pytest.fixture
def crm(platform):
    subscriber = Subscriber(platform.amqp_uri, "identity.events")
    yield subscriber
    subscriber.close()


def test_export_returns_my_data_without_secrets(api):
    ada = api.new_user(display_name="Ada Export", customer=True)
    response = api.get("/api/v1/me/export", user=ada)
    assert response.status_code == 200, response.text
    data = response.json()["identity"]  # identity's section of the archive
    assert data["profile"]["email"] == ada.email
    assert data["profile"]["display_name"] == "Ada Export"
    assert data["profile"]["roles"] == ["member"]
    assert data["sessions"] and data["sessions"][0]["revoked_at"] is None
    assert any(entry["outcome"] == "success" for entry in data["logins"])
    text = response.text.lower()
    for secret in ("password", "hash", "refresh_token", "access_token", ada.refresh_token.lower(),
                   ada.access_token.lower()):
        assert secret not in text, secret
    assert api.get("/api/v1/me/export").status_code == 401


def test_erase_needs_the_right_password(api):
    ada = api.new_user()
    wrong = api.delete("/api/v1/me", user=ada, json={"password": "not my password at all"})
    assert wrong.status_code == 400, wrong.text
    assert "password" in wrong.json()["errors"]
    assert api.delete("/api/v1/me", user=ada, json={}).status_code == 400
    assert api.get("/api/v1/me", user=ada).status_code == 200  # nothing happened
    api.login(ada)


def test_erase_my_account(platform, api, crm, mongo_client):
    ada = api.new_user(display_name="Ada Erasable", customer=True)
    assert api.patch("/api/v1/me", user=ada, json={"bio": "likes engines"}).status_code == 200
    notifications = mongo_client[f"{platform.db_prefix}_notifications"]
    wait_for(lambda: (notifications["contacts"].find_one({"_id": ada.id}) or {}).get("email")
             == ada.email, timeout=20, message="notifications knows the address")
    prefs = api.put("/api/v1/me/notification-preferences", user=ada,
                    json={"types": {"reply": {"push": False}}})
    assert prefs.status_code == 200, prefs.text
    assert notifications["prefs"].find_one({"_id": ada.id}) is not None

    erased = api.delete("/api/v1/me", user=ada, json={"password": PASSWORD})
    assert erased.status_code == 204, erased.text

    # the sessions are revoked: the access token stops at once, the refresh token and the
    # password no longer work
    wait_for(lambda: api.get("/api/v1/me", user=ada).status_code == 401,
             message="the erased member's access token is refused")
    assert api.post("/api/v1/auth/refresh",
                    json={"refresh_token": ada.refresh_token}).status_code == 401
    assert api.post("/api/v1/auth/login", json={
        "email": ada.email, "password": PASSWORD}).status_code == 401

    public = api.get(f"/api/v1/users/{ada.id}")  # the profile is gone (test_erased_profile_...)
    assert public.status_code == 410, public.text
    assert "Erasable" not in public.text and ada.email not in public.text

    # the public tombstone carries no PII
    _, _, envelope = wait_for(lambda: crm.find(
        lambda item: item[0] == "identity.user_erased"
        and item[2]["payload"]["user_id"] == ada.id), message="identity.user_erased published")
    assert set(envelope["payload"]) == {"user_id", "erased_at"}
    assert ada.email not in str(envelope) and "Erasable" not in str(envelope)

    # notifications dropped the address, the preferences (an "erased" marker in their place,
    # so that nothing notifies her any more) and the inbox
    wait_for(lambda: "email" not in (notifications["contacts"].find_one({"_id": ada.id}) or {}),
             timeout=20, message="notifications forgot the address")
    assert set(notifications["prefs"].find_one({"_id": ada.id})) == {"_id", "_v", "erased"}
    assert notifications["inbox"].count_documents({"member_id": ada.id}) == 0
    assert (notifications["members"].find_one({"_id": ada.id}) or {}).get(
        "display_name") == ERASED_DISPLAY_NAME

    # identity's own read model has no PII, also after a replay of the whole log
    users = mongo_client[f"{platform.db_prefix}_identity"]["users"]

    def no_pii():
        user = users.find_one({"_id": ada.id}) or {}
        return (user.get("display_name") == ERASED_DISPLAY_NAME and "email" not in user
                and user.get("bio") == "")
    assert no_pii()
    result = platform.agora("replay", "identity", timeout=120)
    assert result.returncode == 0, result.stderr
    assert no_pii()
    assert api.get(f"/api/v1/users/{ada.id}").status_code == 410  # still erased after the replay
    identity_db = mongo_client[f"{platform.db_prefix}_identity"]
    assert identity_db["credentials"].find_one({"_id": ada.id}) is None
    assert identity_db["email_claims"].find_one({"_id": ada.email}) is None

    # the address is free again: a new account, a new id
    again = api.new_user(email=ada.email, display_name="Ada Again")
    assert again.id != ada.id
    assert api.get("/api/v1/me", user=again).json()["email"] == ada.email


def test_an_erased_members_profile_is_gone_and_their_contributions_stay(platform, api):
    # s25 review: the profile of an erased member still tied everything they wrote together
    # under one id; now 410 on the API and on the site, in the reader's language
    ada = api.new_user(display_name="Ada Profil")
    post = visible(api, submit(api, ada, kind="discussion", title="Mon avis sur l'appli")["id"])
    assert ok(api.get(f"/api/v1/users/{ada.id}"))["display_name"] == "Ada Profil"
    assert ok(api.delete("/api/v1/me", user=ada, json={"password": PASSWORD}), 204) is None

    gone = problem(api.get(f"/api/v1/users/{ada.id}"), 410)
    assert gone["detail"] == "ce membre a supprimé son compte" and gone["title"] == "Disparu"
    english = problem(api.get(f"/api/v1/users/{ada.id}", headers={"Accept-Language": "en"}), 410)
    assert english["detail"] == "this member deleted their account"
    problem(api.get(f"/api/v1/users/{'0' * 32}"), 404)  # never existed: still 404

    page = requests.get(f"{platform.base_url}/members/{ada.id}", timeout=10)
    assert page.status_code == 410 and "text/html" in page.headers["Content-Type"]
    assert "<h1>Ce membre a supprimé son compte</h1>" in page.text and "Ada" not in page.text
    page = requests.get(f"{platform.base_url}/members/{ada.id}", timeout=10,
                        headers={"Accept-Language": "en"})
    assert page.status_code == 410 and "<h1>This member deleted their account</h1>" in page.text

    # the contribution stays where it was written, signed with the erased label
    wait_for(lambda: ok(api.get(f"/api/v1/posts/{post['id']}"))["author"]["display_name"]
             == ERASED_DISPLAY_NAME, message="the post signed by a former member")


def test_an_erased_members_journal_is_gone_and_what_they_followed_goes(platform, api,
                                                                      mongo_client):
    # their activity journal tied what they wrote together under one id, as their profile did;
    # what they followed, watched and muted, and their home feed, stayed in feeds
    ada, bob = api.new_user(display_name="Ada Journal"), api.new_user(display_name="Bob Suivi")
    theirs = visible(api, submit(api, bob, kind="discussion", title="Le fil de Bob")["id"])
    hers = visible(api, submit(api, ada, kind="discussion", title="Le fil d'Ada")["id"])
    ok(api.put(f"/api/v1/me/following/{bob.id}", user=ada))
    ok(api.put(f"/api/v1/me/muted/{theirs['id']}", user=ada))
    ok(api.put(f"/api/v1/me/following/{ada.id}", user=bob))
    feeds = mongo_client[f"{platform.db_prefix}_feeds"]
    followed = domain.source_of(domain.FOLLOW, bob.id)
    wait_for(lambda: feeds["subs"].count_documents({"member": ada.id}) >= 2
             and feeds["home_entries"].count_documents({"m": ada.id}) >= 1,
             message="her follow, her own thread's watch and her home feed recorded")
    assert feeds["mutes"].count_documents({"member": ada.id}) == 1
    followers = feeds["sources"].find_one({"_id": followed})["count"]
    journal = ok(api.get(f"/api/v1/users/{ada.id}/activity"))["items"]
    assert [card["id"] for card in journal] == [hers["id"]]

    assert ok(api.delete("/api/v1/me", user=ada, json={"password": PASSWORD}), 204) is None
    wait_for(lambda: api.get(f"/api/v1/users/{ada.id}/activity").status_code == 410,
             message="her journal gone")
    gone = api.get(f"/api/v1/users/{ada.id}/activity")
    assert problem(gone, 410)["detail"] == "ce membre a supprimé son compte"
    english = api.get(f"/api/v1/users/{ada.id}/activity", headers={"Accept-Language": "en"})
    assert problem(english, 410)["detail"] == "this member deleted their account"
    assert ok(api.get(f"/api/v1/users/{bob.id}/activity"))["items"]  # others' are untouched

    for collection, field in (("subs", "member"), ("mutes", "member"), ("home_entries", "m")):
        assert feeds[collection].count_documents({field: ada.id}) == 0, collection
    assert feeds["members"].find_one({"_id": ada.id}) is None
    assert feeds["sources"].find_one({"_id": followed})["count"] == followers - 1
    # nobody can start following her; leaving is still possible
    problem(api.put(f"/api/v1/me/following/{ada.id}", user=api.new_user()), 404)
    ok(api.delete(f"/api/v1/me/following/{ada.id}", user=bob))
    # her thread stays, signed by a former member
    assert ok(api.get(f"/api/v1/posts/{hers['id']}"))["author"]["display_name"] == \
        ERASED_DISPLAY_NAME
