"""Candidate names for /extract: names of several words, not sentence openers or shouting."""

# Typographic quotes and apostrophes are the subject matter here.
# ruff: noqa: RUF001

from __future__ import annotations

import json
from pathlib import Path

from app.linking.matcher import EntityMatcher, Match

DEMO = Path(__file__).resolve().parents[2] / "app" / "demo"


def names(matcher: EntityMatcher, text: str) -> list[str]:
    return [name for name, _spans, _type in matcher.candidates(text)]


def test_seed_story_offers_the_foreign_ministry_only() -> None:
    entities = json.loads((DEMO / "seed-entities.json").read_text(encoding="utf-8"))
    matcher = EntityMatcher.build((e["name"], [e["name"], *e["aliases"]]) for e in entities)
    body = json.loads((DEMO / "seed-article.json").read_text(encoding="utf-8"))["body"]
    # Known names, roles ("Foreign Minister", "Secretary-General"), adjectives
    # ("Malian", "Russian") and sentence openers are not offered.
    assert matcher.candidates(body) == [("Foreign Ministry", [(7, 23)], "organization")]


def test_openers_shouting_and_stop_words_are_not_names() -> None:
    text = (
        "However, the rally went ahead. AND the crowd chanted “VISIT MALI NOW” while "
        "Ousmane Diallo spoke. Support may wane, said Aminata Traore. SUPPORT THE TROOPS!"
    )
    assert names(EntityMatcher(), text) == ["Ousmane Diallo", "Aminata Traore"]
    both = "AND Ousmane Diallo AND Aminata Traore OR nobody."
    assert names(EntityMatcher(), both) == ["Ousmane Diallo", "Aminata Traore"]


def test_a_sentence_opener_is_dropped_from_the_front_of_a_name() -> None:
    text = "The Hague Court ruled. However Kofi Annan spoke. Talks Ended and talks resumed."
    # "Talks" opens a sentence and is also written in lowercase.
    assert names(EntityMatcher(), text) == ["Hague Court", "Kofi Annan"]


def test_groups_spans_in_order_of_appearance() -> None:
    matcher = EntityMatcher.build([("mali", ["Mali"])])
    text = (
        "Officials from the Ministry of Foreign Affairs met Amadou Koné in Bamako. "
        "Mali’s Ministry of Foreign Affairs later told officials on Monday "
        "Amadou Koné would return."
    )
    found = matcher.candidates(text)
    assert [(name, kind) for name, _spans, kind in found] == [
        ("Ministry of Foreign Affairs", None),
        ("Amadou Koné", None),
    ]
    spans = found[0][1]
    assert [text[start:end] for start, end in spans] == ["Ministry of Foreign Affairs"] * 2


def test_particles_and_edges() -> None:
    text = "Bashar al-Assad met the Minister of Health of Côte d’Ivoire and Ali bin Hassan of the"
    assert names(EntityMatcher(), text) == [
        "Bashar al-Assad",
        "Minister of Health of Côte d’Ivoire",
        "Ali bin Hassan",
    ]


def test_title_case_headlines_and_punctuation() -> None:
    headline = "Mali Demands Expulsion of UN Peacekeeping Mission Amid Security Concerns"
    assert names(EntityMatcher(), headline) == []
    assert names(EntityMatcher(), "Burkina Faso, Ivory Coast\nSierra Leone") == [
        "Burkina Faso",
        "Ivory Coast",
        "Sierra Leone",
    ]


def test_types_from_cues() -> None:
    text = (
        "Prime Minister Choguel Maiga met Foreign Minister Diallo and spokesperson Awa Keita, "
        "of the Kati Cotton Group in Burkina Faso, near the Sikasso Region."
    )
    assert [(name, kind) for name, _spans, kind in EntityMatcher().candidates(text)] == [
        ("Choguel Maiga", "person"),
        ("Diallo", "person"),
        ("Awa Keita", "person"),
        ("Kati Cotton Group", "organization"),
        ("Burkina Faso", "location"),
        ("Sikasso Region", "location"),
    ]


def test_known_names_and_given_matches_are_left_out() -> None:
    matcher = EntityMatcher.build([("diop", ["Abdoulaye Diop"])])
    text = "Foreign Minister Abdoulaye Diop spoke."
    assert matcher.candidates(text) == []
    # With matches given, only their spans are left out...
    other = "Foreign Minister Awa Diop spoke."
    assert matcher.candidates(other, [Match("x", 0, 7)]) == [("Awa Diop", [(17, 25)], "person")]
    # ...but a name that is exactly a known one is never offered, title or not.
    assert matcher.candidates(text, []) == []
