"""One name, several entities: the story's context decides, or nothing is linked."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.linking import context
from app.linking.context import cue_type
from tests.linking.test_linking_api import by_name, make_entity, post_text


def linked(article: dict[str, Any]) -> set[str]:
    return {m["entity"]["slug"] for m in article["entities"]}


def one_entity_per_span(article: dict[str, Any]) -> bool:
    spans = [tuple(span) for m in article["entities"] for span in m["spans"]]
    return len(spans) == len(set(spans))


@pytest.fixture
async def georgias(editor: httpx.AsyncClient) -> None:
    """The country and the US state, each written "Georgia", and stories that place them."""
    await make_entity(editor, "Georgia", "location")
    await make_entity(editor, "State of Georgia", "location", "Georgia")
    for name, type_ in (
        ("Tbilisi", "location"),
        ("Irakli Kobakhidze", "person"),
        ("Atlanta", "location"),
        ("Brian Kemp", "person"),
    ):
        await make_entity(editor, name, type_)
    for body, slug in (
        ("Talks in Tbilisi with Irakli Kobakhidze.", "georgia"),
        ("Brian Kemp spoke in Atlanta.", "state-of-georgia"),
    ):
        await post_text(editor, "Earlier", body, status="published", entities=[{"slug": slug}])


async def test_the_country_next_to_tbilisi(georgias: None, editor: httpx.AsyncClient) -> None:
    article = await post_text(
        editor, "Protests", "Protests grew in Georgia as Irakli Kobakhidze returned to Tbilisi."
    )
    assert linked(article) == {"georgia", "irakli-kobakhidze", "tbilisi"}
    assert by_name(article)["Georgia"]["spans"] == [[17, 24]]
    assert one_entity_per_span(article)


async def test_the_state_next_to_atlanta(georgias: None, editor: httpx.AsyncClient) -> None:
    article = await post_text(
        editor, "Storms", "Storms hit Atlanta; Georgia declared an emergency."
    )
    assert linked(article) == {"state-of-georgia", "atlanta"}
    assert one_entity_per_span(article)


async def test_context_comes_from_the_newest_stories(
    georgias: None, editor: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only the newest story counts: it placed the state beside Atlanta, none the country.
    monkeypatch.setattr(context, "CONTEXT_STORIES", 1)
    country = await post_text(
        editor, "Protests", "Protests grew in Georgia as Irakli Kobakhidze returned to Tbilisi."
    )
    assert linked(country) == {"irakli-kobakhidze", "tbilisi"}
    state = await post_text(editor, "Storms", "Storms hit Atlanta; Georgia declared an emergency.")
    assert linked(state) == {"state-of-georgia", "atlanta"}


async def test_nothing_to_go_by_links_neither(georgias: None, editor: httpx.AsyncClient) -> None:
    article = await post_text(editor, "Weather", "It rained all week in Georgia.")
    assert article["entities"] == []


async def test_a_person_and_a_country_by_type_cues(editor: httpx.AsyncClient) -> None:
    await make_entity(editor, "Jordan", "location")
    await make_entity(editor, "Michael Jordan", "person", "Jordan")
    country = await post_text(editor, "Visit", "The delegation arrived in Jordan on Sunday.")
    assert linked(country) == {"jordan"}
    person = await post_text(editor, "Game", "Coach Jordan praised the team.")
    assert linked(person) == {"michael-jordan"}
    neither = await post_text(editor, "Talks", "Jordan welcomed the delegation.")
    assert neither["entities"] == []
    # The full name elsewhere in the story settles the lone one.
    settled = await post_text(editor, "Later", "Michael Jordan scored. Later Jordan rested.")
    assert linked(settled) == {"michael-jordan"}
    assert by_name(settled)["Michael Jordan"]["count"] == 2


async def test_extract_lists_what_it_cannot_settle(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    country = await make_entity(editor, "Jordan", "location")
    person = await make_entity(editor, "Michael Jordan", "person", "Jordan")
    text = "Jordan said little. Jordan left."
    response = await anon.post("/v1/extract", json={"text": text})
    assert response.status_code == 200, response.text
    found = response.json()
    assert found["entities"] == []
    assert found["candidates"] == []
    [ambiguous] = found["ambiguous"]
    assert ambiguous["text"] == "Jordan"
    assert ambiguous["spans"] == [[0, 6], [20, 26]]
    assert sorted(ambiguous["candidates"], key=lambda c: c["slug"]) == [
        {
            "id": country["id"],
            "slug": "jordan",
            "name": "Jordan",
            "type": "location",
            "score": 0.0,
        },
        {
            "id": person["id"],
            "slug": "michael-jordan",
            "name": "Michael Jordan",
            "type": "person",
            "score": 0.0,
        },
    ]
    # Settled by a cue, the name is a known entity like any other.
    settled = (await anon.post("/v1/extract", json={"text": "Flights to and from Jordan."})).json()
    assert settled["ambiguous"] == []
    assert [e["entity"]["slug"] for e in settled["entities"]] == ["jordan"]


async def test_extract_scores_the_candidates_evidence(
    georgias: None, anon: httpx.AsyncClient
) -> None:
    # Tbilisi and Atlanta both named: each candidate has evidence, neither enough.
    text = "From Tbilisi to Atlanta, Georgia was on every lip."
    found = (await anon.post("/v1/extract", json={"text": text})).json()
    [ambiguous] = found["ambiguous"]
    scores = {c["slug"]: c["score"] for c in ambiguous["candidates"]}
    assert scores == {"georgia": 0.5, "state-of-georgia": 0.5}
    assert {e["entity"]["slug"] for e in found["entities"]} == {"tbilisi", "atlanta"}


async def test_extract_candidates_are_names(anon: httpx.AsyncClient) -> None:
    text = (
        "However, the rally went ahead. AND the crowd chanted VISIT MALI NOW while "
        "Ousmane Diallo spoke. Support may wane, said Minister Aminata Traore."
    )
    found = (await anon.post("/v1/extract", json={"text": text})).json()
    diallo, traore = text.index("Ousmane Diallo"), text.index("Aminata Traore")
    assert found["candidates"] == [
        {"name": "Ousmane Diallo", "count": 1, "spans": [[diallo, diallo + 14]]},
        {"name": "Aminata Traore", "count": 1, "spans": [[traore, traore + 14]], "type": "person"},
    ]


@pytest.mark.parametrize(
    ("text", "start", "expected"),
    [
        ("UN Secretary-General Guterres", 21, "person"),
        ("Foreign Minister Diop", 17, "person"),
        ("Mr. Jordan", 4, "person"),
        ("flights from Jordan", 13, "location"),
        ("in  Jordan", 4, "location"),
        ("the Jordan", 4, None),
        ("Jordan", 0, None),
        ("in-Jordan", 3, None),
    ],
)
def test_type_cues(text: str, start: int, expected: str | None) -> None:
    assert cue_type(text, start) == expected
