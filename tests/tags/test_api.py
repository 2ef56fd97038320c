"""Tags over HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest


async def test_article_tags_are_created_and_counted(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await editor.post(
        "/v1/articles", json={"title": "A", "status": "published", "tags": ["Climate", "COP 28"]}
    )
    await editor.post(
        "/v1/articles", json={"title": "B", "status": "published", "tags": ["climate"]}
    )
    await editor.post("/v1/articles", json={"title": "C", "tags": ["Climate"]})
    tags = (await anon.get("/v1/tags")).json()
    assert [(t["slug"], t["name"], t["article_count"]) for t in tags["data"]] == [
        ("climate", "Climate", 2),
        ("cop-28", "COP 28", 1),
    ]
    page = (await anon.get("/v1/tags/climate/articles")).json()
    assert sorted(a["title"] for a in page["data"]) == ["A", "B"]
    assert (await anon.get("/v1/tags?q=co")).json()["data"][0]["slug"] == "cop-28"


async def test_tag_crud(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    created = await editor.post("/v1/tags", json={"name": "Elections", "description": "Votes"})
    assert created.status_code == 201
    tag = created.json()
    assert (tag["slug"], tag["article_count"], tag["version"]) == ("elections", 0, 1)
    duplicate = await editor.post("/v1/tags", json={"name": "ELECTIONS"})
    assert duplicate.status_code == 409
    renamed = await editor.patch("/v1/tags/elections", json={"slug": "votes", "name": "Votes"})
    assert renamed.json()["version"] == 2
    assert (await anon.get("/v1/tags/elections")).status_code == 301
    replaced = await editor.put("/v1/tags/votes", json={"name": "Votes"})
    assert replaced.json()["description"] is None
    assert (await editor.delete("/v1/tags/votes")).status_code == 204
    assert (await anon.get("/v1/tags/votes")).status_code == 410
    assert (await admin.delete("/v1/tags/votes?purge=true")).status_code == 204
    assert (await anon.get("/v1/tags/votes")).status_code == 404


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"name": ""},
        {"name": "x" * 201},
        {"name": "x", "colour": 1},
        {"name": 3},
        {"name": "a", "slug": "A B"},
    ],
)
async def test_bad_tag_input_is_422(editor: httpx.AsyncClient, payload: dict[str, Any]) -> None:
    response = await editor.post("/v1/tags", json=payload)
    assert response.status_code == 422
    assert response.json()["errors"]


async def test_bad_tag_listing_parameters(anon: httpx.AsyncClient) -> None:
    assert (await anon.get("/v1/tags?sort=size")).status_code == 422
    assert (await anon.get("/v1/tags?cursor=abc")).status_code == 422
    assert (await anon.get("/v1/tags/unknown/articles")).status_code == 404
