"""Entities over HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest


async def test_create_and_read_entity(editor: httpx.AsyncClient, anon: httpx.AsyncClient) -> None:
    response = await editor.post(
        "/v1/entities",
        json={
            "name": "António Guterres",
            "type": "person",
            "aliases": ["Antonio Guterres", "Guterres", "Guterres"],
            "description": "Secretary-General of the United Nations",
            "external_ids": {"wikidata": "Q311440"},
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["slug"] == "antonio-guterres"
    assert body["aliases"] == ["Antonio Guterres", "Guterres"]
    assert body["article_count"] == 0
    assert body["first_seen"] is None
    assert response.headers["location"].endswith("/v1/entities/antonio-guterres")
    fetched = await anon.get("/v1/entities/antonio-guterres")
    assert fetched.status_code == 200
    assert fetched.json()["external_ids"] == {"wikidata": "Q311440"}
    assert fetched.headers["etag"] == f'"{body["id"]}-1"'


async def test_typeahead_over_names_and_aliases(
    seeded: dict[str, Any], anon: httpx.AsyncClient
) -> None:
    async def names(q: str) -> list[str]:
        response = await anon.get("/v1/entities", params={"q": q, "sort": "name"})
        assert response.status_code == 200, response.text
        return [e["name"] for e in response.json()["data"]]

    assert await names("gut") == ["António Guterres"]
    assert await names("antonio") == ["António Guterres"]
    assert await names("U.N") == ["United Nations"]
    assert await names("united") == ["MINUSMA", "United Nations"]
    assert await names("wagner g") == ["Wagner Group"]
    assert await names("%") == []
    assert await names("zzz") == []


async def test_list_by_type_and_sorts(seeded: dict[str, Any], anon: httpx.AsyncClient) -> None:
    people = (await anon.get("/v1/entities?type=person&sort=name")).json()
    assert [e["name"] for e in people["data"]] == [
        "Abdoulaye Diop",
        "António Guterres",
        "El Ghassim Wane",
        "Olivier Salgado",
    ]
    everything = (await anon.get("/v1/entities?limit=4")).json()
    assert everything["meta"]["total"] == 9
    seen = [e["slug"] for e in everything["data"]]
    while everything["meta"]["next_cursor"]:
        everything = (await anon.get(everything["links"]["next"])).json()
        seen += [e["slug"] for e in everything["data"]]
    assert len(seen) == len(set(seen)) == 9
    by_last_seen = await anon.get("/v1/entities?sort=-last_seen")
    assert by_last_seen.status_code == 200


async def test_entity_article_page_lists_manual_mentions(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await editor.post("/v1/entities", json={"name": "Mali", "type": "location"})
    created = await editor.post(
        "/v1/articles",
        json={
            "title": "About Mali",
            "body": "Mali is in West Africa. Mali borders Niger.",
            "body_format": "text",
            "status": "published",
            "entities": [{"slug": "mali"}, {"name": "Niger", "type": "location"}],
        },
    )
    assert created.status_code == 201, created.text
    mentions = {m["entity"]["slug"]: m for m in created.json()["entities"]}
    assert mentions["mali"]["spans"] == [[0, 4], [24, 28]]
    assert mentions["mali"]["count"] == 2
    assert mentions["mali"]["source"] == "manual"
    assert mentions["niger"]["entity"]["type"] == "location"
    page = (await anon.get("/v1/entities/mali/articles")).json()
    assert [a["title"] for a in page["data"]] == ["About Mali"]
    mali = (await anon.get("/v1/entities/mali")).json()
    assert mali["article_count"] == 1
    assert mali["first_seen"] == mali["last_seen"] == created.json()["published_at"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "X", "type": "planet"}, "body.type"),
        ({"name": "", "type": "person"}, "body.name"),
        ({"type": "person"}, "body.name"),
        ({"name": "X", "type": "person", "extra": 1}, "body.extra"),
        ({"name": "X", "type": "person", "aliases": "X"}, "body.aliases"),
        ({"name": "X", "type": "person", "external_ids": []}, "body.external_ids"),
        ({"name": "X\u0000", "type": "person"}, "body.name"),
    ],
)
async def test_bad_entity_input_is_422(
    editor: httpx.AsyncClient, payload: dict[str, Any], field: str
) -> None:
    response = await editor.post("/v1/entities", json=payload)
    assert response.status_code == 422, response.text
    assert any(e["field"].startswith(field) for e in response.json()["errors"])


async def test_duplicate_name_and_type_is_409_but_other_type_is_fine(
    editor: httpx.AsyncClient,
) -> None:
    assert (
        await editor.post("/v1/entities", json={"name": "Jordan", "type": "location"})
    ).status_code == 201
    duplicate = await editor.post("/v1/entities", json={"name": "jordan", "type": "location"})
    assert duplicate.status_code == 409
    person = await editor.post("/v1/entities", json={"name": "Jordan", "type": "person"})
    assert person.status_code == 201
    assert person.json()["slug"] == "jordan-2"


async def test_patch_rename_keeps_old_slug_as_301_and_checks_if_match(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    created = (
        await editor.post("/v1/entities", json={"name": "UN", "type": "organization"})
    ).json()
    stale = f'"{created["id"]}-0"'
    refused = await editor.patch(
        "/v1/entities/un", json={"name": "United Nations"}, headers={"If-Match": stale}
    )
    assert refused.status_code == 412
    response = await editor.patch(
        "/v1/entities/un",
        json={"name": "United Nations", "slug": "united-nations", "aliases": ["UN"]},
        headers={"If-Match": f'"{created["id"]}-1"'},
    )
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 2
    moved = await anon.get("/v1/entities/un")
    assert moved.status_code == 301
    assert moved.headers["location"].endswith("/v1/entities/united-nations")
    assert (await anon.get("/v1/entities?q=un")).json()["data"][0]["slug"] == "united-nations"


async def test_delete_entity_then_410(editor: httpx.AsyncClient, anon: httpx.AsyncClient) -> None:
    await editor.post("/v1/entities", json={"name": "Ephemeral", "type": "other"})
    assert (await anon.delete("/v1/entities/ephemeral")).status_code == 401
    assert (await editor.delete("/v1/entities/ephemeral")).status_code == 204
    assert (await anon.get("/v1/entities/ephemeral")).status_code == 410
    assert (await anon.get("/v1/entities")).json()["meta"]["total"] == 0
    assert (await anon.get("/v1/entities/nobody")).status_code == 404
