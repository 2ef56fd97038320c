"""Entity matcher rules, the seed story first."""

# Typographic quotes and Greek letters are the subject matter here.
# ruff: noqa: RUF001, RUF003

import itertools
import json
import sys
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from app.linking.matcher import _OTHER_WHITESPACE, EntityMatcher, Match

FIXTURES = Path(__file__).resolve().parents[2] / "app" / "demo"


def _load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def seed_matcher() -> EntityMatcher:
    return EntityMatcher.build(
        (e["name"], [e["name"], *e["aliases"]]) for e in _load("seed-entities.json")
    )


@pytest.fixture(scope="module")
def seed_body() -> str:
    article = _load("seed-article.json")
    assert article["body_format"] == "text"  # so body_text == body
    body: str = article["body"]
    return body


def linked(matcher: EntityMatcher, text: str) -> list[tuple[str, str]]:
    """(entity id, text as written) for each match, in order."""
    return [(m.entity_id, text[m.start : m.end]) for m in matcher.find(text)]


def matcher_of(*entities: tuple[str, Sequence[str]]) -> EntityMatcher:
    return EntityMatcher.build(entities)


# --- the seed story -------------------------------------------------------------------------


def test_seed_story_links_the_known_entities(seed_matcher: EntityMatcher, seed_body: str) -> None:
    found = linked(seed_matcher, seed_body)
    surfaces: dict[str, set[str]] = {}
    for entity_id, surface in found:
        surfaces.setdefault(entity_id, set()).add(surface)
    assert surfaces == {
        "Mali": {"Mali"},
        "MINUSMA": {
            "MINUSMA",
            "United Nations Multidimensional Integrated Stabilization Mission in Mali",
        },
        "United Nations": {"UN"},
        "Abdoulaye Diop": {"Abdoulaye Diop", "Diop"},
        "António Guterres": {"Antonio Guterres", "Guterres"},
        "El Ghassim Wane": {"El Ghassim Wane"},
        "Olivier Salgado": {"Olivier Salgado"},
        "Wagner Group": {"Wagner group"},
    }
    assert "Russia" not in surfaces  # the story only says "Russian"


def test_seed_story_spans(seed_matcher: EntityMatcher, seed_body: str) -> None:
    matches = seed_matcher.find(seed_body)
    assert [m.start for m in matches] == sorted(m.start for m in matches)
    assert all(a.end <= b.start for a, b in itertools.pairwise(matches))
    # "Mali’s" opens the story; "Guterres’" keeps its apostrophe out of the span.
    assert matches[0] == Match("Mali", 0, 4)
    guterres = seed_body.index("Guterres’ attempts")
    assert Match("António Guterres", guterres, guterres + len("Guterres")) in matches
    long_name = "United Nations Multidimensional Integrated Stabilization Mission in Mali"
    start = seed_body.index(long_name)
    inside = [m for m in matches if start <= m.start < start + len(long_name)]
    assert inside == [Match("MINUSMA", start, start + len(long_name))]


def test_seed_story_never_links_mali_inside_malian(
    seed_matcher: EntityMatcher, seed_body: str
) -> None:
    malian = {i for i in range(len(seed_body)) if seed_body.startswith("Malian", i)}
    assert len(malian) == 6
    assert not [m for m in seed_matcher.find(seed_body) if m.start in malian]
    assert sum(1 for entity_id, _ in linked(seed_matcher, seed_body) if entity_id == "Mali") == 5


def test_seed_title(seed_matcher: EntityMatcher) -> None:
    title = _load("seed-article.json")["title"]
    assert linked(seed_matcher, title) == [("Mali", "Mali"), ("United Nations", "UN")]


# --- whole words ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Mali",
        "Mali’s army",
        "Mali's army",
        "Mali’ army",
        "“Mali”",
        '"Mali"',
        "(Mali)",
        "in Mali.",
        "UN-Mali talks",
        "«Mali»",
        "Mali\n",
    ],
)
def test_word_boundaries_that_link(text: str) -> None:
    start = text.index("Mali")
    assert matcher_of(("mali", ["Mali"])).find(text) == [Match("mali", start, start + 4)]


@pytest.mark.parametrize(
    "text",
    [
        "Malian",
        "the Malian army",
        "AMali",
        "Mali2",
        "2Mali",
        "Malí",
        "Mali\u0301",
        "e\u0301Mali",
        "mali",
    ],
)
def test_word_boundaries_that_do_not_link(text: str) -> None:
    assert matcher_of(("mali", ["Mali"])).find(text) == []


def test_names_at_the_very_start_and_end() -> None:
    matcher = matcher_of(("mali", ["Mali"]), ("un", ["United Nations"]))
    text = "United Nations troops leave Mali"
    assert matcher.find(text) == [Match("un", 0, 14), Match("mali", 28, 32)]


# --- case -------------------------------------------------------------------------------------


def test_single_word_alias_is_case_sensitive() -> None:
    matcher = matcher_of(("wane", ["El Ghassim Wane", "Wane"]))
    assert matcher.find("Support began to wane in June.") == []
    assert linked(matcher, "Mr Wane said.") == [("wane", "Wane")]
    assert matcher.find("WANE SAID") == []


def test_un_does_not_match_french_un() -> None:
    matcher = matcher_of(("un", ["United Nations", "UN", "U.N."]))
    assert matcher.find("Il y a un soldat et une mission.") == []
    assert linked(matcher, "L'ONU (UN) et les U.N. observers") == [("un", "UN"), ("un", "U.N.")]


def test_multi_word_names_match_in_any_case() -> None:
    matcher = matcher_of(("un", ["United Nations", "UN"]), ("wagner", ["Wagner Group", "Wagner"]))
    text = "UNITED NATIONS ACCUSES WAGNER GROUP; the united nations and the Wagner group"
    assert linked(matcher, text) == [
        ("un", "UNITED NATIONS"),
        ("wagner", "WAGNER GROUP"),
        ("un", "united nations"),
        ("wagner", "Wagner group"),
    ]
    # A single word stays case-sensitive even in a headline.
    assert matcher.find("WAGNER ACCUSED") == []


def test_case_folding_keeps_offsets_when_lower_grows() -> None:
    assert len("İ".lower()) == 2
    matcher = matcher_of(("un", ["United Nations"]), ("ist", ["İstanbul Stock Exchange"]))
    text = "İİ UNITED NATIONS İ İSTANBUL STOCK EXCHANGE İ"
    assert linked(matcher, text) == [
        ("un", "UNITED NATIONS"),
        ("ist", "İSTANBUL STOCK EXCHANGE"),
    ]


def test_final_sigma_folds_like_sigma() -> None:
    matcher = matcher_of(("nikos", ["ΝΊΚΟΣ ΑΝΑΣΤΑΣΙΆΔΗΣ"]))
    text = "Ο Νίκος Αναστασιάδης είπε"
    assert linked(matcher, text) == [("nikos", "Νίκος Αναστασιάδης")]


# --- overlaps and shared names ----------------------------------------------------------------


def test_longest_match_wins() -> None:
    matcher = matcher_of(
        (
            "minusma",
            ["MINUSMA", "United Nations Multidimensional Integrated Stabilization Mission in Mali"],
        ),
        ("un", ["United Nations", "UN"]),
        ("mali", ["Mali"]),
    )
    text = "The United Nations Multidimensional Integrated Stabilization Mission in Mali left."
    assert linked(matcher, text) == [
        ("minusma", "United Nations Multidimensional Integrated Stabilization Mission in Mali")
    ]


def test_adjacent_names_both_link() -> None:
    matcher = matcher_of(
        ("un", ["United Nations", "UN"]),
        ("guterres", ["António Guterres", "Antonio Guterres", "Guterres"]),
    )
    text = "UN Secretary-General Antonio Guterres said"
    assert linked(matcher, text) == [("un", "UN"), ("guterres", "Antonio Guterres")]


def test_overlapping_names_leftmost_then_longest() -> None:
    matcher = matcher_of(
        ("ny", ["New York"]), ("nyt", ["New York Times"]), ("times-sq", ["Times Square"])
    )
    assert linked(matcher, "the New York Times Square office") == [("nyt", "New York Times")]
    assert linked(matcher, "New York Times Square") == [("nyt", "New York Times")]
    assert linked(matcher, "New York, Times Square") == [
        ("ny", "New York"),
        ("times-sq", "Times Square"),
    ]


def test_a_shorter_name_links_where_the_longer_is_not_a_whole_word() -> None:
    matcher = matcher_of(("ny", ["New York"]), ("nyt", ["New York Times"]))
    assert linked(matcher, "New York Timesheets") == [("ny", "New York")]


def test_same_name_for_two_entities_yields_both() -> None:
    matcher = matcher_of(
        ("jordan-person", ["Michael Jordan", "Jordan"]), ("jordan-place", ["Jordan"])
    )
    assert matcher.find("Jordan and Jordan") == [
        Match("jordan-person", 0, 6),
        Match("jordan-place", 0, 6),
        Match("jordan-person", 11, 17),
        Match("jordan-place", 11, 17),
    ]
    assert linked(matcher, "Michael Jordan") == [("jordan-person", "Michael Jordan")]


def test_variants_of_one_name_yield_one_match() -> None:
    matcher = matcher_of(
        ("wagner", ["Wagner Group", "Wagner group", "WAGNER GROUP", "Wagner  Group"])
    )
    assert matcher.find("Wagner Group") == [Match("wagner", 0, 12)]


# --- names and text oddities ------------------------------------------------------------------


def test_whitespace_in_names_and_text() -> None:
    matcher = matcher_of(("un", ["United   Nations", " \tSecurity\nCouncil "]))
    assert linked(matcher, "United Nations") == [("un", "United Nations")]
    assert linked(matcher, "the United\nNations and the Security\u00a0Council") == [
        ("un", "United\nNations"),
        ("un", "Security\u00a0Council"),
    ]
    # Names match with single spaces: a run of whitespace in the text does not.
    assert matcher.find("United  Nations") == []


def test_empty_and_punctuation_only_names_are_ignored() -> None:
    matcher = matcher_of(("blank", ["", "   ", "...", "—", "“”", "_"]), ("mali", ["Mali", ""]))
    assert len(matcher) == 2
    assert linked(matcher, "... — “” _ Mali") == [("mali", "Mali")]


def test_empty_text_and_empty_matcher() -> None:
    assert matcher_of(("mali", ["Mali"])).find("") == []
    empty = EntityMatcher()
    assert len(empty) == 0
    assert empty.find("Mali") == []
    assert EntityMatcher.build([]).find("Mali") == []
    assert empty.candidates("Foreign Ministry") == [("Foreign Ministry", [(0, 16)], "organization")]


def test_emoji_and_combining_characters_keep_offsets() -> None:
    matcher = matcher_of(("mali", ["Mali"]), ("un", ["United Nations"]), ("jose", ["José Ramos"]))
    text = "🇲🇱 Mali 👍🏽 UNITED NATIONS e\u0301 José Ramos 😀"
    assert linked(matcher, text) == [
        ("mali", "Mali"),
        ("un", "UNITED NATIONS"),
        ("jose", "José Ramos"),
    ]
    # Decomposed é is another spelling; names and text are not normalised.
    assert matcher.find("Jose\u0301 Ramos") == []


def test_punctuation_inside_names() -> None:
    matcher = matcher_of(("un", ["U.N."]), ("sg", ["Secretary-General"]))
    assert linked(matcher, "the U.N. Secretary-General, and U.N.-led forces") == [
        ("un", "U.N."),
        ("sg", "Secretary-General"),
        ("un", "U.N."),
    ]


def test_whitespace_table_is_complete() -> None:
    # The hand-written table must list what str.isspace() accepts in this Python.
    spaces = {c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()}
    assert set(_OTHER_WHITESPACE) == spaces - {" "}


def test_no_combining_mark_below_u0300() -> None:
    # The word-boundary check skips the category lookup below U+0300.
    assert not [c for c in map(chr, range(0x300)) if unicodedata.category(c).startswith("M")]


# --- building and updating --------------------------------------------------------------------


def test_build_keeps_the_last_entry_of_a_repeated_id() -> None:
    matcher = matcher_of(("x", ["Mali"]), ("x", ["Niger"]))
    assert len(matcher) == 1
    assert linked(matcher, "Mali and Niger") == [("x", "Niger")]


def test_with_changes_returns_a_new_matcher() -> None:
    before = matcher_of(
        ("mali", ["Mali"]),
        ("jordan-person", ["Jordan"]),
        ("jordan-place", ["Jordan"]),
        ("niger", ["Niger"]),
    )
    after = before.with_changes(
        upsert=[("mali", ["Republic of Mali"]), ("chad", ["Chad"])],
        remove=["jordan-place", "niger", "unknown"],
    )
    text = "Mali, the Republic of Mali, Jordan, Niger and Chad"
    assert linked(after, text) == [
        ("mali", "Republic of Mali"),
        ("jordan-person", "Jordan"),
        ("chad", "Chad"),
    ]
    assert len(after) == 3
    # The original is untouched, so readers holding it keep a consistent view.
    assert linked(before, text) == [
        ("mali", "Mali"),
        ("mali", "Mali"),
        ("jordan-person", "Jordan"),
        ("jordan-place", "Jordan"),
        ("niger", "Niger"),
    ]
    assert len(before) == 4


def test_with_changes_without_name_changes_shares_the_automaton() -> None:
    before = matcher_of(("mali", ["Mali", "Republic of Mali"]), ("niger", ["Niger"]))
    after = before.with_changes([("mali", ["Republic of  Mali", "Mali"])], ["unknown"])
    assert after._automaton is before._automaton
    assert linked(after, "Mali, Niger") == [("mali", "Mali"), ("niger", "Niger")]
    assert before.with_changes([("chad", [""])], [])._automaton is before._automaton
    assert before.with_changes([("mali", ["Mali"])], [])._automaton is not before._automaton


def test_with_changes_can_remove_everything() -> None:
    emptied = matcher_of(("mali", ["Mali"])).with_changes([], ["mali"])
    assert len(emptied) == 0
    assert emptied.find("Mali") == []


def test_match_is_a_frozen_value() -> None:
    match = Match("mali", 0, 4)
    assert match == Match("mali", 0, 4)
    assert len({match, Match("mali", 0, 4)}) == 1
    with pytest.raises(AttributeError):
        match.start = 1  # type: ignore[misc]
