"""Tags and entities named only by hidden stories stay hidden; trashed ones leave articles at
once; a hidden story's former slug answers as an unknown one."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx


def soon(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


async def create(editor: httpx.AsyncClient, **fields: Any) -> Any:
    response = await editor.post("/v1/articles", json=fields)
    assert response.status_code == 201, response.text
    return response.json()


async def _sees(client: httpx.AsyncClient) -> dict[str, Any]:
    """What a client is told of the tag "Merger" and the entity "Embargo Corp"."""
    tag_events = (await client.get("/v1/changes?resource_type=tags")).json()["data"]
    entity_events = (await client.get("/v1/changes?resource_type=entities")).json()["data"]
    return {
        "tag": (await client.get("/v1/tags/merger")).status_code,
        "tag articles": (await client.get("/v1/tags/merger/articles")).status_code,
        "tags": [t["slug"] for t in (await client.get("/v1/tags")).json()["data"]],
        "tag typeahead": [t["slug"] for t in (await client.get("/v1/tags?q=mer")).json()["data"]],
        "entity": (await client.get("/v1/entities/embargo-corp")).status_code,
        "entities": [e["slug"] for e in (await client.get("/v1/entities")).json()["data"]],
        "entity typeahead": [
            e["slug"] for e in (await client.get("/v1/entities?q=embargo")).json()["data"]
        ],
        "events": [e["event"] for e in tag_events + entity_events],
    }


HIDDEN = {
    "tag": 404,
    "tag articles": 404,
    "tags": [],
    "tag typeahead": [],
    "entity": 404,
    "entities": [],
    "entity typeahead": [],
    "events": [],
}
SHOWN = {
    "tag": 200,
    "tag articles": 200,
    "tags": ["merger"],
    "tag typeahead": ["merger"],
    "entity": 200,
    "entities": ["embargo-corp"],
    "entity typeahead": ["embargo-corp"],
    "events": ["created", "created"],
}
NAMED = {
    "tags": ["Merger"],
    "entities": [{"name": "Embargo Corp", "type": "organization"}],
}


async def test_names_from_a_draft_wait_for_a_public_story(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    draft = await create(editor, title="Talks under embargo", **NAMED)
    assert await _sees(anon) == HIDDEN
    # Editors see them, and hear of them.
    assert (await editor.get("/v1/tags/merger")).status_code == 200
    assert (await editor.get("/v1/entities?q=embargo")).json()["data"][0]["slug"] == "embargo-corp"
    await editor.patch(f"/v1/articles/{draft['slug']}", json={"status": "published"})
    assert await _sees(anon) == SHOWN
    # Once public, they stay: the story going back to draft does not take them back.
    await editor.patch(f"/v1/articles/{draft['slug']}", json={"status": "draft"})
    shown = await _sees(anon)
    assert shown["tag"] == 200
    assert shown["entity"] == 200


async def test_names_from_a_scheduled_story_appear_when_it_goes_live(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    # Far enough ahead for the writes and looks below on a busy machine.
    release = datetime.now(UTC) + timedelta(seconds=5)
    await create(
        editor,
        title="Embargoed deal",
        status="published",
        published_at=release.isoformat(),
        **NAMED,
    )
    await create(
        editor,
        title="Called off",
        status="published",
        published_at=soon(4),
        tags=["Withdrawn plan"],
    )
    await editor.patch("/v1/articles/called-off", json={"published_at": soon(3600)})
    assert await _sees(anon) == HIDDEN
    await asyncio.sleep((release - datetime.now(UTC)).total_seconds() + 0.1)
    assert await _sees(anon) == SHOWN
    assert (await anon.get("/v1/tags/withdrawn-plan")).status_code == 404


async def test_names_made_through_their_own_endpoint_are_public_at_once(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    assert (await editor.post("/v1/tags", json={"name": "Merger"})).status_code == 201
    entity = {"name": "Embargo Corp", "type": "organization"}
    assert (await editor.post("/v1/entities", json=entity)).status_code == 201
    await create(editor, title="Still a draft", **NAMED)
    assert await _sees(anon) == SHOWN


async def test_a_trashed_tag_or_entity_leaves_every_article_at_once(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await editor.post("/v1/entities", json={"name": "Acme", "type": "organization"})
    await editor.post("/v1/tags", json={"name": "Business"})
    await editor.post("/v1/tags", json={"name": "World"})
    await create(
        editor,
        title="Acme grows",
        body="Acme grows again.",
        body_format="text",
        status="published",
        tags=["Business", "World"],
    )
    assert (await editor.delete("/v1/tags/business")).status_code == 204
    assert (await editor.delete("/v1/entities/acme")).status_code == 204
    for client in (anon, editor):
        article = (await client.get("/v1/articles/acme-grows")).json()
        assert [t["slug"] for t in article["tags"]] == ["world"]
        assert article["entities"] == []
        listed = (await client.get("/v1/articles")).json()["data"][0]
        assert [t["slug"] for t in listed["tags"]] == ["world"]
        assert listed["entities"] == []
    feed = (await anon.get("/v1/feeds/articles.json")).json()
    assert feed["items"][0]["tags"] == ["World"]
    facets = (await anon.get("/v1/search?q=acme&facets=tag,entity")).json()["meta"]["facets"]
    assert [f["slug"] for f in facets["tag"]] == ["world"]
    assert facets["entity"] == []
    # A write answers with the article as reads show it.
    edited = await editor.patch("/v1/articles/acme-grows", json={"section": "business"})
    assert [t["slug"] for t in edited.json()["tags"]] == ["world"]


async def test_a_hidden_storys_former_slug_answers_as_an_unknown_one(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    public = await create(editor, title="Public story", status="published")
    await editor.patch(f"/v1/articles/{public['id']}", json={"slug": "public-story-renamed"})
    moved = await anon.get("/v1/articles/public-story")
    assert moved.status_code == 301
    assert moved.headers["location"].endswith("/v1/articles/public-story-renamed")
    draft = await create(editor, title="Draft story")
    await editor.patch(f"/v1/articles/{draft['id']}", json={"slug": "draft-story-renamed"})
    assert (await editor.get("/v1/articles/draft-story")).status_code == 301
    unknown = await anon.get("/v1/articles/never-was")
    for path in ("/v1/articles/draft-story", "/v1/articles/draft-story/related"):
        response = await anon.get(path)
        assert response.status_code == 404
        assert response.headers.get("location") is None
        assert response.headers.get("cache-control") == unknown.headers.get("cache-control")
        assert response.json()["title"] == unknown.json()["title"]
    # The same once the public story is unpublished.
    await editor.patch("/v1/articles/public-story-renamed", json={"status": "draft"})
    assert (await anon.get("/v1/articles/public-story")).status_code == 404


async def test_a_hidden_tags_former_slug_answers_as_an_unknown_one(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await create(editor, title="Draft", tags=["Secret plan"])
    await editor.patch("/v1/tags/secret-plan", json={"slug": "secret-plan-2"})
    await editor.post("/v1/tags", json={"name": "Open plan"})
    await editor.patch("/v1/tags/open-plan", json={"slug": "open-plan-2"})
    assert (await anon.get("/v1/tags/open-plan")).status_code == 301
    for path in ("/v1/tags/secret-plan", "/v1/tags/secret-plan/articles"):
        response = await anon.get(path)
        assert response.status_code == 404
        assert response.headers.get("location") is None
    assert (await editor.get("/v1/tags/secret-plan")).status_code == 301


async def test_extract_knows_a_hidden_entity_only_for_editors(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    entity = {"name": "Quietwater Holdings", "type": "organization"}
    await create(editor, title="Takeover talks", entities=[entity])
    text = {"text": "Quietwater Holdings said nothing."}
    seen = (await anon.post("/v1/extract", json=text)).json()
    assert seen["entities"] == []
    known = (await editor.post("/v1/extract", json=text)).json()
    assert [e["entity"]["slug"] for e in known["entities"]] == ["quietwater-holdings"]
