"""Idempotency-Key: retries replay, never write twice."""

from __future__ import annotations

import asyncio

import httpx


async def test_retry_replays_the_first_response(editor: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "wire-123"}
    story = {"title": "Quake Strikes Coast", "status": "published"}
    first = await editor.post("/v1/articles", json=story, headers=headers)
    again = await editor.post("/v1/articles", json=story, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    listing = await editor.get("/v1/articles")
    assert listing.json()["meta"]["total"] == 1


async def test_same_key_other_body_is_422(editor: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "k1"}
    assert (await editor.post("/v1/tags", json={"name": "One"}, headers=headers)).status_code == 201
    other = await editor.post("/v1/tags", json={"name": "Two"}, headers=headers)
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "header.Idempotency-Key"
    assert (await editor.get("/v1/tags")).json()["meta"]["total"] == 1


async def test_keys_are_scoped_per_api_key(
    editor: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    headers = {"Idempotency-Key": "shared"}
    await editor.post("/v1/tags", json={"name": "Editor tag"}, headers=headers)
    mine = await admin.post("/v1/tags", json={"name": "Admin tag"}, headers=headers)
    assert mine.status_code == 201
    assert "idempotent-replayed" not in mine.headers


async def test_failed_request_is_not_remembered(editor: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "retry-after-fix"}
    bad = await editor.post("/v1/articles", json={"title": ""}, headers=headers)
    assert bad.status_code == 422
    bad_again = await editor.post("/v1/articles", json={"title": ""}, headers=headers)
    assert bad_again.status_code == 422


async def test_bad_key_header_is_422(editor: httpx.AsyncClient) -> None:
    response = await editor.post(
        "/v1/tags", json={"name": "x"}, headers={"Idempotency-Key": "x" * 256}
    )
    assert response.status_code == 422


async def test_concurrent_duplicates_write_once(editor: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "burst"}
    story = {"title": "Burst", "status": "published"}
    responses = await asyncio.gather(
        *(editor.post("/v1/articles", json=story, headers=headers) for _ in range(8))
    )
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}
    assert statuses.count(201) >= 1
    created = {r.json()["id"] for r in responses if r.status_code == 201}
    assert len(created) == 1
    assert (await editor.get("/v1/articles")).json()["meta"]["total"] == 1
