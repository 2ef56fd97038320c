"""Concurrent editors: one wins, the others are told, nobody is silently overwritten."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx


async def test_fifty_patches_with_one_etag_give_one_success(editor: httpx.AsyncClient) -> None:
    created = await editor.post("/v1/articles", json={"title": "Contested"})
    etag = created.headers["etag"]
    responses = await asyncio.gather(
        *(
            editor.patch(
                "/v1/articles/contested", json={"title": f"Edit {i}"}, headers={"If-Match": etag}
            )
            for i in range(50)
        )
    )
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: 1, 412: 49}, statuses
    winner = next(r for r in responses if r.status_code == 200).json()
    current = (await editor.get("/v1/articles/contested")).json()
    assert current["title"] == winner["title"]
    assert current["version"] == 2


async def test_concurrent_creates_never_lock_up(editor: httpx.AsyncClient) -> None:
    responses = await asyncio.gather(
        *(
            editor.post("/v1/articles", json={"title": f"Story {i}", "tags": ["Busy"]})
            for i in range(20)
        )
    )
    assert {r.status_code for r in responses} == {201}
    assert (await editor.get("/v1/articles")).json()["meta"]["total"] == 20
