"""Tags and category slugs (services/shared/slugs.py): accented words, slugs for URLs."""
from __future__ import annotations

import pytest
from marshmallow import ValidationError

from services.posts.schemas import CategoryCreateSchema, PostCreateSchema, Tag, TagSlug
from services.shared import slugs


def test_accented_words_are_tags_and_fold_to_one_slug():
    assert slugs.normalize_tag("Épargne") == "épargne"
    assert slugs.normalize_tag("  Épargne   Logement ") == "épargne-logement"
    assert slugs.tag_slug("épargne") == slugs.tag_slug("Epargne") == "epargne"
    assert slugs.tag_slug("pel-2026") == "pel-2026"


@pytest.mark.parametrize("raw, rule", [
    ("", "empty"), ("-x", "starts with"), ("a" * 41, "40 characters"),
    ("fr7630006000011234", "4 digits"), ("06 12 34 56 78", "4 digits"),
    ("l'épargne", "letters"), ("日本", "Latin"), ("бank", "mixes alphabets"),
    ("épargne-лogement", "mixes alphabets"),
])
def test_a_refused_tag_says_which_rule_it_breaks(raw, rule):
    with pytest.raises(slugs.InvalidTag, match=rule):
        slugs.normalize_tag(raw)


@pytest.mark.parametrize("look_alike, tag", [
    ("еpargne", "epargne"),                  # a Cyrillic "е"
    ("ÉPARGNЕ Logement", "épargne-logement"),  # a Cyrillic capital "Е", accents kept
    ("ехро-2026", "expo-2026"),              # every letter Cyrillic, all read as Latin
    ("ρel", "pel"),                          # a Greek "ρ"
])
def test_a_tag_that_reads_as_latin_is_the_latin_tag(look_alike, tag):
    """What a reader takes for "epargne" is "epargne": written so, and one slug with it (a tag
    stored before the rule, as typed, counts and is followed as the tag it looks like)."""
    assert slugs.normalize_tag(look_alike) == tag
    assert slugs.slugify(look_alike, slugs.TAG_MAX) == slugs.tag_slug(tag)


@pytest.mark.parametrize("tag, slug", [("nº-12", "no-12"), ("ℓivret", "livret"),
                                       ("ﬁnance", "finance"), ("aujourdʼhui", "aujourd-hui"),
                                       ("µg-2026", "g-2026"), ("ラーメン-2026", "2026"),
                                       ("tシャツ-2026", "t-2026")])
def test_compatibility_and_modifier_letters_and_other_writings_are_no_look_alikes(tag, slug):
    """"º" (an ordinal indicator) and "ℓ" are Latin letters in another form, "ʼ" and "ー" are
    modifier letters, "µ" a unit, and Japanese mixes Latin letters in words: none is an
    alphabet passing for Latin. The tag is kept as written, its slug is the plain letters'."""
    assert slugs.normalize_tag(tag) == tag and slugs.tag_slug(tag) == slug


def test_a_word_of_another_alphabet_stays_as_written():
    """A Russian word has letters no Latin one looks like ("б", "ж", "и", "я"): it is kept,
    and its tag is refused or found by its Latin part as before."""
    assert slugs.normalize_tag("сбережения-2026") == "сбережения-2026"
    assert slugs.tag_slug("сбережения-2026") == "2026"


def test_a_mixed_tag_stored_before_the_rule_is_still_looked_up():
    """Links and filters name tags posts already carry: one stored before the mixed-alphabet
    rule ("бank") is read as its slug, not refused."""
    assert slugs.tag_slug("бank") == "ank"
    assert TagSlug().deserialize("бank") == "ank"
    with pytest.raises(ValidationError, match="mixes alphabets"):
        Tag().deserialize("бank")


def test_category_slugs_are_derived_from_names():
    assert slugs.category_slug("Épargne logement") == "epargne-logement"
    assert slugs.category_slug("Crédit & prêts") == "credit-prets"
    assert slugs.category_slug("***") == ""
    assert slugs.category_slug("Сrédit") == "credit"  # a Cyrillic "С"


def test_post_and_category_schemas_normalise():
    post = PostCreateSchema().load({"kind": "question", "title": "Mon PEL", "body": "?",
                                    "category": "Épargne", "tags": ["Épargne Logement"]})
    assert post["category"] == "epargne" and post["tags"] == ["épargne-logement"]
    category = CategoryCreateSchema().load({"name": {"fr": "Épargne", "en": "Savings"}})
    assert category["description"] == {"fr": "", "en": ""} and "slug" not in category


def test_a_text_is_slugified_once_and_answered_alike(monkeypatch):
    """Slugs are kept per (text, length): a tag slugified again is not folded again, and the
    answer is the one the fold and the pattern make."""
    texts = ["Épargne", "  Crédit immobilier ", "Œuvre & Co", "---", "", "x" * 80, "ß"]
    for text in texts:
        for length in (slugs.TAG_MAX, slugs.CATEGORY_SLUG_MAX, 3):
            assert slugs.slugify(text, length) == slugs.slugify.__wrapped__(text, length)
    folded = []

    def fold(text):
        folded.append(text)
        return real(text)

    real = slugs.fold
    monkeypatch.setattr(slugs, "fold", fold)
    slugs.slugify.cache_clear()
    assert [slugs.slugify("Épargne", slugs.TAG_MAX) for _ in range(3)] == ["epargne"] * 3
    assert folded == ["Épargne"]
