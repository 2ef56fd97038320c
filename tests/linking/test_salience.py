"""About vs mentions: each mention's salience and score, and the lists that use them."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from app.cli import app as cli
from app.core.config import get_settings
from app.linking.salience import ABOUT_AT, score_mentions
from tests.conftest import Backend
from tests.linking.test_linking_api import by_name, make_entity, post_text


def salience(article: dict[str, Any]) -> dict[str, str]:
    return {m["entity"]["name"]: m["salience"] for m in article["entities"]}


async def test_seed_story_is_about_mali_and_minusma(seeded: dict[str, Any]) -> None:
    found = salience(seeded)
    assert found["Mali"] == found["MINUSMA"] == "about"
    assert found["Olivier Salgado"] == found["Wagner Group"] == "mentions"
    for mention in seeded["entities"]:
        assert 0 <= mention["score"] <= 1
    mentions = by_name(seeded)
    assert mentions["Mali"]["score"] > mentions["Wagner Group"]["score"]


async def test_salience_is_stored_and_read_back(
    seeded: dict[str, Any], anon: httpx.AsyncClient
) -> None:
    stored = (await anon.get(f"/v1/articles/{seeded['slug']}")).json()
    assert stored["entities"] == seeded["entities"]
    listed = (await anon.get("/v1/articles")).json()["data"][0]
    assert listed["entities"] == seeded["entities"]


# One story per rule: the same entity, made salient by one signal at a time.


async def _story(editor: httpx.AsyncClient, title: str, *paragraphs: str) -> dict[str, str]:
    return salience(await post_text(editor, title, "\n\n".join(paragraphs)))


FILLER = "Officials met in the capital on Tuesday to talk about the harvest and the roads."


async def test_named_in_the_headline(editor: httpx.AsyncClient) -> None:
    await make_entity(editor, "Niger", "location")
    await make_entity(editor, "Chad", "location")
    found = await _story(editor, "Niger votes", FILLER, FILLER, "Niger and Chad were quiet.")
    assert found == {"Niger": "about", "Chad": "mentions"}


async def test_named_in_the_first_paragraph_and_often(editor: httpx.AsyncClient) -> None:
    await make_entity(editor, "Niger", "location")
    await make_entity(editor, "Chad", "location")
    found = await _story(
        editor,
        "Elections",
        f"Niger went to the polls. {FILLER}",
        f"In Niger, turnout was high. {FILLER}",
        f"Chad sent observers. {FILLER}",
    )
    assert found == {"Niger": "about", "Chad": "mentions"}


async def test_most_mentioned_from_early_on(editor: httpx.AsyncClient) -> None:
    await make_entity(editor, "Niger", "location")
    await make_entity(editor, "Chad", "location")
    found = await _story(
        editor,
        "Elections",
        FILLER,
        "Niger voted. Niger counted. Niger waited.",
        f"{FILLER} {FILLER} {FILLER} Chad sent observers.",
    )
    assert found == {"Niger": "about", "Chad": "mentions"}


async def test_once_in_passing_late_in_the_story(editor: httpx.AsyncClient) -> None:
    await make_entity(editor, "Niger", "location")
    await make_entity(editor, "Chad", "location")
    found = await _story(
        editor,
        "Elections",
        f"Chad went to the polls. Chad counted. {FILLER}",
        FILLER,
        f"{FILLER} Observers came from Niger.",
    )
    assert found == {"Chad": "about", "Niger": "mentions"}


def test_the_rule_explains_its_score() -> None:
    scored = score_mentions(
        {"a": [[0, 4], [50, 54]], "b": [[90, 94]]},
        body_length=100,
        lead_until=40,
        in_title=frozenset({"b"}),
    )
    # a: lead 0.2 + prominence 0.3 + early 0.1; b: headline 0.4 + half as many 0.15 + 0.1 * 0.1.
    assert (scored["a"].score, scored["a"].salience) == (0.6, "about")
    assert (scored["b"].score, scored["b"].salience) == (0.56, "about")
    alone = score_mentions({"c": []}, body_length=0, lead_until=0, in_title=frozenset())
    assert (alone["c"].score, alone["c"].salience) == (0.0, "mentions")
    assert 0 < ABOUT_AT < 1


# The editor's word wins.


async def test_an_editor_salience_wins_and_stays(editor: httpx.AsyncClient) -> None:
    await make_entity(editor, "Niger", "location")
    await make_entity(editor, "Chad", "location")
    article = await post_text(
        editor,
        "Niger votes",
        "Niger and Chad.",
        entities=[{"slug": "niger", "salience": "mentions"}, {"slug": "chad", "salience": "about"}],
    )
    assert salience(article) == {"Niger": "mentions", "Chad": "about"}
    assert {m["source"] for m in article["entities"]} == {"manual"}
    # A later edit of the text keeps the editor's salience.
    edited = await editor.patch(f"/v1/articles/{article['slug']}", json={"body": "Chad, Niger."})
    assert salience(edited.json()) == {"Chad": "about", "Niger": "mentions"}
    # Naming them again without one hands the decision back to the rule.
    again = await editor.patch(
        f"/v1/articles/{article['slug']}", json={"entities": [{"slug": "chad"}]}
    )
    assert salience(again.json()) == {"Chad": "about", "Niger": "about"}
    assert by_name(again.json())["Niger"]["source"] == "auto"
    # The editor's salience is part of the revision: restoring brings it back.
    restored = await editor.post(f"/v1/articles/{article['slug']}/revisions/1/restore")
    assert salience(restored.json()) == {"Niger": "mentions", "Chad": "about"}


@pytest.mark.parametrize("value", ["central", "", None, 1, "ABOUT"])
async def test_bad_salience_is_422(editor: httpx.AsyncClient, value: Any) -> None:
    await make_entity(editor, "Niger", "location")
    response = await editor.post(
        "/v1/articles",
        json={"title": "T", "entities": [{"slug": "niger", "salience": value}]},
    )
    if value is None:
        assert response.status_code == 201, response.text
        return
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "body.entities.0.salience"


async def test_bulk_writes_compute_salience_and_keep_the_editors(
    editor: httpx.AsyncClient,
) -> None:
    await make_entity(editor, "Niger", "location")
    await make_entity(editor, "Chad", "location")
    items = [
        {"title": "Niger votes", "slug": "one", "body": "<p>Niger and Chad.</p>"},
        {
            "title": "Chad votes",
            "slug": "two",
            "body": "<p>Chad and Niger.</p>",
            "entities": [{"slug": "niger", "salience": "about"}],
        },
    ]
    response = await editor.post(
        "/v1/articles:bulk",
        content=b"".join(orjson.dumps(item) + b"\n" for item in items),
        headers={"content-type": "application/x-ndjson"},
    )
    assert response.status_code == 200, response.text
    one = (await editor.get("/v1/articles/one")).json()
    assert salience(one) == {"Niger": "about", "Chad": "about"}
    two = (await editor.get("/v1/articles/two")).json()
    assert salience(two) == {"Chad": "about", "Niger": "about"}
    # The same file again changes nothing.
    again = await editor.post(
        "/v1/articles:bulk",
        content=b"".join(orjson.dumps(item) + b"\n" for item in items),
        headers={"content-type": "application/x-ndjson"},
    )
    assert [r["status"] for r in again.json()["data"]] == ["unchanged", "unchanged"]


# Lists of stories about an entity.


async def _published(editor: httpx.AsyncClient, title: str, body: str, **fields: Any) -> str:
    article = await post_text(editor, title, body, status="published", **fields)
    return str(article["slug"])


async def test_about_filters_and_about_count(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await make_entity(editor, "Niger", "location")
    await make_entity(editor, "Chad", "location")
    both = await _published(editor, "Niger and Chad", "Niger and Chad.")
    niger = await _published(editor, "Niger votes", f"{FILLER}\n\n{FILLER} Chad watched.")
    passing = await _published(editor, "Harvest", f"{FILLER}\n\n{FILLER} Also Niger.")
    await post_text(editor, "Niger draft", "Niger.")  # a draft: never listed

    def slugs(response: httpx.Response) -> list[str]:
        assert response.status_code == 200, response.text
        return [a["slug"] for a in response.json()["data"]]

    assert set(slugs(await anon.get("/v1/articles?about=niger"))) == {both, niger}
    assert slugs(await anon.get("/v1/articles?about=niger&about=chad")) == [both]
    assert set(slugs(await anon.get("/v1/articles?entity=niger"))) == {both, niger, passing}
    assert set(slugs(await anon.get("/v1/entities/niger/articles?salience=about"))) == {
        both,
        niger,
    }
    assert len(slugs(await anon.get("/v1/entities/niger/articles"))) == 3
    assert slugs(await anon.get("/v1/articles?about=nobody")) == []
    assert slugs(await anon.get("/v1/search?q=harvest&about=niger")) == [niger]
    feed = await anon.get("/v1/feeds/articles.json?about=chad")
    assert [item["title"] for item in feed.json()["items"]] == ["Niger and Chad"]
    entity = (await anon.get("/v1/entities/niger")).json()
    assert (entity["article_count"], entity["about_count"]) == (3, 2)
    listed = (await anon.get("/v1/entities?q=nig")).json()["data"][0]
    assert (listed["article_count"], listed["about_count"]) == (3, 2)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("/v1/articles?about=", "query.about"),
        (f"/v1/articles?about={'x' * 201}", "query.about"),
        ("/v1/entities/niger/articles?salience=mentions", "query.salience"),
        ("/v1/entities/niger/articles?salience=", "query.salience"),
    ],
)
async def test_bad_about_queries_are_422(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient, query: str, field: str
) -> None:
    await make_entity(editor, "Niger", "location")
    response = await anon.get(query)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field


async def test_lede_reindex_computes_the_salience_of_stored_stories(
    backend: Backend,
    seeded: dict[str, Any],
    editor: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    named = await post_text(
        editor, "Mali", "Mali.", entities=[{"slug": "mali", "salience": "mentions"}]
    )
    # As the migration leaves stories written before salience existed.
    async with backend.database.writer() as session, session.begin():
        await session.execute(text("UPDATE mentions SET salience = 'mentions', score = 0"))
    monkeypatch.setenv("LEDE_DATABASE_URL", backend.url)
    get_settings.cache_clear()
    try:
        # The command runs its own event loop, so it cannot share the test's.
        result = await asyncio.to_thread(CliRunner().invoke, cli, ["reindex"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "salience" in result.output
    backend.app.state.read_caches.clear()  # this worker's rendered copies predate the command
    again = (await editor.get(f"/v1/articles/{seeded['slug']}")).json()
    assert again["entities"] == seeded["entities"]
    assert again["version"] == seeded["version"]
    kept = (await editor.get(f"/v1/articles/{named['slug']}")).json()
    assert kept["entities"] == named["entities"]
    assert salience(kept) == {"Mali": "mentions"}
