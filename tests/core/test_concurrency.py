"""Concurrent editors: one wins, the others are told, nobody is silently overwritten."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest

from app.main import create_app
from tests.conftest import Backend, make_settings


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


async def test_twenty_patches_without_if_match_all_succeed(editor: httpx.AsyncClient) -> None:
    await editor.post("/v1/articles", json={"title": "Open Door", "authors": []})
    responses = await asyncio.gather(
        *(editor.patch("/v1/articles/open-door", json={"summary": f"Take {i}"}) for i in range(20))
    )
    assert Counter(r.status_code for r in responses) == {200: 20}, [r.text for r in responses]
    current = (await editor.get("/v1/articles/open-door")).json()
    assert current["version"] == 21
    # The last writer wins: the stored summary is the one the last answer showed.
    last = max((r.json() for r in responses), key=lambda a: a["version"])
    assert current["summary"] == last["summary"]


async def test_twenty_puts_without_if_match_all_succeed(editor: httpx.AsyncClient) -> None:
    await editor.post("/v1/entities", json={"name": "Gao", "type": "location"})
    responses = await asyncio.gather(
        *(
            editor.put(
                "/v1/entities/gao", json={"name": "Gao", "type": "location", "description": str(i)}
            )
            for i in range(20)
        )
    )
    assert Counter(r.status_code for r in responses) == {200: 20}, [r.text for r in responses]
    assert (await editor.get("/v1/entities/gao")).json()["version"] == 21


async def test_twenty_creates_with_one_title_get_numbered_slugs(
    editor: httpx.AsyncClient,
) -> None:
    responses = await asyncio.gather(
        *(editor.post("/v1/articles", json={"title": "Same Headline"}) for _ in range(20))
    )
    assert Counter(r.status_code for r in responses) == {201: 20}, [r.text for r in responses]
    slugs = sorted(r.json()["slug"] for r in responses)
    assert slugs == sorted(["same-headline", *(f"same-headline-{n}" for n in range(2, 21))])


async def test_twenty_creates_naming_one_new_entity_and_tag_make_one_of_each(
    editor: httpx.AsyncClient,
) -> None:
    responses = await asyncio.gather(
        *(
            editor.post(
                "/v1/articles",
                json={
                    "title": f"Wire {i}",
                    "tags": ["Sahel Watch"],
                    "entities": [{"name": "Kidal Accord", "type": "event"}],
                },
            )
            for i in range(20)
        )
    )
    assert Counter(r.status_code for r in responses) == {201: 20}, [r.text for r in responses]
    entities = (await editor.get("/v1/entities?q=kidal")).json()["data"]
    assert [e["slug"] for e in entities] == ["kidal-accord"]
    tags = (await editor.get("/v1/tags?q=sahel")).json()["data"]
    assert [t["slug"] for t in tags] == ["sahel-watch"]
    assert {r.json()["entities"][0]["entity"]["slug"] for r in responses} == {"kidal-accord"}


def _stories(version: int, count: int) -> str:
    return "".join(
        json.dumps(
            {
                "title": f"Wire story {i}",
                "slug": f"wire-story-{i}",
                "body": f"<p>Take {version}: paragraph {i} about the Sahel.</p>" * 20,
                "tags": [f"Batch {i % 10}"],
            }
        )
        + "\n"
        for i in range(count)
    )


@contextlib.asynccontextmanager
async def other_worker(backend: Backend) -> AsyncIterator[httpx.AsyncClient]:
    """An editor's client of a second app on the same database: another worker process
    as the database sees it (connections and, on SQLite, a write queue of its own)."""
    app = create_app(make_settings(backend.url))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
            base_url="http://testserver",
            headers={"Authorization": f"Bearer {backend.keys['editor']}"},
        ) as client,
    ):
        yield client


# Updates are written one by one: 300 of them already span several chunks.
@pytest.mark.parametrize(
    ("kind", "count", "worker"),
    [("created", 1000, "same"), ("updated", 300, "same"), ("updated", 300, "other")],
)
async def test_a_short_write_does_not_wait_for_a_long_bulk(
    backend: Backend, editor: httpx.AsyncClient, kind: str, count: int, worker: str
) -> None:
    ndjson = {"content-type": "application/x-ndjson"}
    if kind == "updated":
        first = await editor.post("/v1/articles:bulk", content=_stories(1, count), headers=ndjson)
        assert first.json()["meta"]["created"] == count
    async with contextlib.AsyncExitStack() as stack:
        desk = (
            editor if worker == "same" else await stack.enter_async_context(other_worker(backend))
        )
        started = time.monotonic()
        bulk = asyncio.create_task(
            editor.post("/v1/articles:bulk", content=_stories(2, count), headers=ndjson)
        )
        await asyncio.sleep(0.5)
        short_started = time.monotonic()
        short = await desk.post("/v1/articles", json={"title": "Breaking", "tags": ["Desk"]})
        short_done = time.monotonic()
    long = await bulk
    long_done = time.monotonic()
    assert short.status_code == 201, short.text
    assert long.status_code == 200, long.text
    assert long.json()["meta"][kind] == count
    print(
        f"\n{backend.name}: {count}-story bulk ({kind}) took {long_done - started:.2f} s; "
        f"a short POST from the {worker} worker waited {short_done - short_started:.2f} s"
    )
    # It went through while the bulk was still running, not after it.
    assert short_done < long_done
