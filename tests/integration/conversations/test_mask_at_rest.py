"""Masking at rest (services/conversations/mask_at_rest.py) against the real database: a write made
between the read and the rewrite is never overwritten (compare-and-set on the sealed value), and
an unmatched social case's plain text (no member, hence no key) is masked and stays plain. The
command itself, through the CLI and the API: tests/e2e/test_mask_at_rest.py."""
from __future__ import annotations

from services.conversations.mask_at_rest import PLACES, mask_at_rest, masked_update
from services.conversations.texts import Texts
from services.shared.shredding import SubjectKeys, is_sealed

CARD = "4970 1012 3456 7893"
MESSAGES = PLACES[0]


def test_a_text_written_meanwhile_is_not_overwritten(mongo_client, db_prefix):
    db = mongo_client[f"{db_prefix}_conversations"]
    keys = SubjectKeys.beside(db, "conversations")
    texts = Texts(db, keys)
    texts.store([{"_id": "m1", "conversation_id": "c1", "author_id": "u1",
                  "body": f"Ma carte {CARD}"}], "u1")
    update = masked_update(db["messages"].find_one({"_id": "m1"}), MESSAGES, keys)

    # meanwhile, another writer seals a new value there
    db["messages"].update_one({"_id": "m1"}, {"$set": {"body": keys.seal(
        "u1", "Écrit entre-temps", "conversations.messages.m1.body")}})
    assert db["messages"].bulk_write([update]).modified_count == 0
    assert texts.by_message(["m1"])["m1"]["body"] == "Écrit entre-temps"

    # without one, the same update applies
    texts.store([{"_id": "m2", "conversation_id": "c1", "author_id": "u1",
                  "body": f"Ma carte {CARD}"}], "u1")
    update = masked_update(db["messages"].find_one({"_id": "m2"}), MESSAGES, keys)
    assert db["messages"].bulk_write([update]).modified_count == 1
    assert texts.by_message(["m2"])["m2"]["body"] == "Ma carte •••• •••• •••• 7893"


def test_an_unmatched_social_case_text_is_masked_and_stays_plain(mongo_client, db_prefix):
    db = mongo_client[f"{db_prefix}_conversations"]
    Texts(db).store([{"_id": "s1", "conversation_id": "c2", "author_id": "x:twitter",
                      "channel": "twitter", "handle": "@someone", "subject": "Twitter",
                      "body": f"@banque ma carte {CARD} est bloquée"}], None)

    assert mask_at_rest(db, dry_run=True)[0]["masked"] == 1
    assert db["messages"].find_one({"_id": "s1"})["body"].endswith(f"{CARD} est bloquée")
    counted = mask_at_rest(db)
    assert counted[0] == {"collection": "messages", "scanned": 1, "masked": 1, "skipped": 0,
                          "conflicts": 0}
    stored = db["messages"].find_one({"_id": "s1"})
    assert stored["body"] == "@banque ma carte •••• •••• •••• 7893 est bloquée"
    assert not is_sealed(stored["body"]) and stored["subject"] == "Twitter"
    assert mask_at_rest(db)[0]["masked"] == 0


def test_only_card_data_is_masked_at_rest(mongo_client, db_prefix):
    """The command masks what it says, card numbers (and a security code beside one): a PIN or a
    password in history stored before write-time masking is left as written, bytes and all (the
    detector's guess at one must not rewrite old texts for good)."""
    db = mongo_client[f"{db_prefix}_conversations"]
    keys = SubjectKeys.beside(db, "conversations")
    Texts(db, keys).store([
        {"_id": "p1", "conversation_id": "c3", "author_id": "u1", "subject": "Accès",
         "body": "Mon mot de passe : Soleil2024! et mon code PIN est 4821"},
        {"_id": "p2", "conversation_id": "c3", "author_id": "u1",
         "body": f"Ma carte {CARD}, mot de passe : Soleil2024!"}], "u1")
    before = db["messages"].find_one({"_id": "p1"})

    assert mask_at_rest(db, keys)[0] == {"collection": "messages", "scanned": 2, "masked": 1,
                                         "skipped": 0, "conflicts": 0}
    assert db["messages"].find_one({"_id": "p1"}) == before
    assert Texts(db, keys).by_message(["p2"])["p2"]["body"] == (
        "Ma carte •••• •••• •••• 7893, mot de passe : Soleil2024!")


def test_the_walk_reads_every_document_a_page_at_a_time(mongo_client, db_prefix):
    """Pages of `batch_size` read after the last `_id` of the page before: five documents in
    pages of two are all read once (a page boundary lost or read twice shows in the counts)."""
    db = mongo_client[f"{db_prefix}_conversations"]
    keys = SubjectKeys.beside(db, "conversations")
    Texts(db, keys).store([
        {"_id": f"w{n}", "conversation_id": "c4", "author_id": "u4",
         "body": f"Ma carte {CARD}" if n % 2 else "Bonjour"} for n in range(5)], "u4")

    assert mask_at_rest(db, keys, batch_size=2)[0] == {
        "collection": "messages", "scanned": 5, "masked": 2, "skipped": 0, "conflicts": 0}
    assert mask_at_rest(db, keys, batch_size=2)[0]["masked"] == 0
