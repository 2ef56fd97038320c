"""GET /v1/changes: every event once, in commit order, and readers see only what is public."""

from __future__ import annotations

import asyncio
import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest

from app.core.pagination import encode_cursor

FEED = "/v1/changes"
EVENT_FIELDS = {"seq", "event", "resource_type", "id", "version", "occurred_at"}


async def read(client: httpx.AsyncClient, cursor: str | None = None, **params: Any) -> Any:
    if cursor is not None:
        params["cursor"] = cursor
    response = await client.get(FEED, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def read_all(client: httpx.AsyncClient, cursor: str | None = None) -> tuple[list[Any], str]:
    """Every event from ``cursor`` on, following ``links.next``; and where to poll next."""
    events: list[Any] = []
    while True:
        page = await read(client, cursor, limit=100)
        events.extend(page["data"])
        cursor = page["meta"]["next_cursor"]
        assert cursor
        if page["links"]["next"] is None:
            return events, cursor


def summary(events: list[Any]) -> list[tuple[str, str]]:
    return [(e["resource_type"], e["event"]) for e in events]


def soon(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


async def create(editor: httpx.AsyncClient, **fields: Any) -> Any:
    response = await editor.post("/v1/articles", json=fields)
    assert response.status_code == 201, response.text
    return response.json()


async def test_editors_read_every_event_with_its_fields(editor: httpx.AsyncClient) -> None:
    article = await create(editor, title="Draft Story", tags=["Local"])
    await editor.patch(f"/v1/articles/{article['id']}", json={"title": "Draft Story, Edited"})
    await editor.delete(f"/v1/articles/{article['id']}")
    events, _ = await read_all(editor)
    assert summary(events) == [
        ("tags", "created"),
        ("articles", "created"),
        ("articles", "updated"),
        ("articles", "deleted"),
    ]
    assert all(set(e) == EVENT_FIELDS for e in events)
    assert [e["seq"] for e in events] == [1, 2, 3, 4]
    assert [e["version"] for e in events[1:]] == [1, 2, 3]
    assert events[1]["id"] == article["id"]
    assert events[1]["occurred_at"].endswith("Z")


async def test_readers_see_public_events_only(
    editor: httpx.AsyncClient, reader: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    draft = await create(editor, title="A Draft")
    live = await create(editor, title="Live Story", status="published")
    gone = await create(editor, title="Live Then Gone", status="published")
    await editor.patch(f"/v1/articles/{draft['id']}", json={"title": "A Draft, Edited"})
    await editor.patch(f"/v1/articles/{live['id']}", json={"status": "draft"})
    await editor.delete(f"/v1/articles/{gone['id']}")
    await editor.delete(f"/v1/articles/{draft['id']}")
    expected = [
        (live["id"], "created"),
        (gone["id"], "created"),
        (live["id"], "unpublished"),
        (gone["id"], "deleted"),
    ]
    for client in (reader, anon):
        events, _ = await read_all(client)
        assert [(e["id"], e["event"]) for e in events] == expected
    page = await anon.get(FEED)
    assert page.headers["cache-control"].startswith("public")
    everything, _ = await read_all(editor)
    assert len(everything) == 7
    assert (await editor.get(FEED)).headers["cache-control"] == "private, no-store"


async def test_pages_chain_and_the_last_one_says_where_to_poll(
    editor: httpx.AsyncClient,
) -> None:
    for i in range(5):
        await create(editor, title=f"Story {i}")
    first = await read(editor, limit=2)
    assert [e["seq"] for e in first["data"]] == [1, 2]
    assert first["meta"]["total"] == 5
    assert first["links"]["next"].endswith(f"cursor={first['meta']['next_cursor']}")
    second = await read(editor, first["meta"]["next_cursor"], limit=2)
    assert [e["seq"] for e in second["data"]] == [3, 4]
    last = await read(editor, second["meta"]["next_cursor"], limit=2)
    assert [e["seq"] for e in last["data"]] == [5]
    assert last["links"]["next"] is None
    cursor = last["meta"]["next_cursor"]
    assert cursor
    idle = await read(editor, cursor, limit=2)
    assert idle["data"] == []
    assert idle["meta"]["next_cursor"]
    await create(editor, title="Story 5")
    fresh = await read(editor, idle["meta"]["next_cursor"], limit=2)
    assert [e["seq"] for e in fresh["data"]] == [6]


async def test_an_empty_feed_still_gives_a_cursor(anon: httpx.AsyncClient) -> None:
    page = await read(anon)
    assert page["data"] == []
    assert page["meta"]["total"] == 0
    assert page["meta"]["next_cursor"]
    assert page["links"]["next"] is None


async def test_resource_type_filters_events(editor: httpx.AsyncClient) -> None:
    await create(editor, title="Tagged", tags=["One", "Two"])
    tags = await read(editor, resource_type="tags")
    assert summary(tags["data"]) == [("tags", "created"), ("tags", "created")]
    articles = await read(editor, resource_type="articles")
    assert summary(articles["data"]) == [("articles", "created")]
    assert articles["meta"]["total"] == 1


async def test_a_scheduled_article_reaches_readers_when_it_goes_live(
    editor: httpx.AsyncClient, reader: httpx.AsyncClient
) -> None:
    _, cursor = await read_all(reader)
    scheduled = await create(editor, title="Embargoed", status="published", published_at=soon(1.5))
    later = await create(editor, title="Published Now", status="published")
    events, cursor = await read_all(reader, cursor)
    assert [e["id"] for e in events] == [later["id"]]
    assert (await read(reader))["meta"]["total"] == 1
    await asyncio.sleep(1.6)
    events, cursor = await read_all(reader, cursor)
    assert [(e["id"], e["event"]) for e in events] == [(scheduled["id"], "created")]
    # Numbered before the event the reader already had: it is handed out late, once.
    assert events[0]["seq"] < (await read(editor))["data"][-1]["seq"]
    events, _ = await read_all(reader, cursor)
    assert events == []


async def test_a_plan_withdrawn_before_going_live_is_never_told(
    editor: httpx.AsyncClient, reader: httpx.AsyncClient
) -> None:
    _, cursor = await read_all(reader)
    planned = await create(editor, title="Planned", status="published", published_at=soon(1))
    moved = await create(editor, title="Moved", status="published", published_at=soon(1))
    await editor.patch(f"/v1/articles/{planned['id']}", json={"status": "draft"})
    await editor.patch(f"/v1/articles/{moved['id']}", json={"published_at": soon(3600)})
    await asyncio.sleep(1.1)
    late, _ = await read_all(reader, cursor)
    assert late == []
    from_start, _ = await read_all(reader)
    assert from_start == []
    everything, _ = await read_all(editor)
    assert len(everything) == 4


async def test_a_cursor_cannot_peek_at_the_future(
    editor: httpx.AsyncClient, reader: httpx.AsyncClient
) -> None:
    await create(editor, title="Embargoed", status="published", published_at=soon(3600))
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    forged = encode_cursor("changes", [0, None, future, 0])
    assert (await read(reader, forged))["data"] == []


def b64(value: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(value)).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "not a cursor!"},
        {"cursor": b64(["-published_at", "2024-01-01T00:00:00Z", "x"])},
        {"cursor": b64(["changes", -1, None, None, 0])},
        {"cursor": b64(["changes", "1", None, None, 0])},
        {"cursor": b64(["changes", True, None, None, 0])},
        {"cursor": b64(["changes", 1, "yesterday", None, 0])},
        {"cursor": b64(["changes", 1, "2024-01-01T00:00:00", None, 0])},
        {"cursor": b64(["changes", 1, None, None])},
        {"cursor": "x" * 501},
        {"resource_type": "people"},
        {"limit": 0},
        {"limit": 101},
        {"offset": 10},
    ],
)
async def test_bad_parameters_are_a_422(anon: httpx.AsyncClient, params: dict[str, Any]) -> None:
    response = await anon.get(FEED, params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_concurrent_writes_are_read_once_each_in_order(editor: httpx.AsyncClient) -> None:
    writers_done = asyncio.Event()
    seen: list[Any] = []

    async def write(i: int) -> str:
        response = await editor.post(
            "/v1/articles", json={"title": f"Concurrent {i}", "tags": [f"Desk {i % 3}"]}
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    async def follow() -> None:
        cursor = None
        while True:
            finished = writers_done.is_set()
            page = await read(editor, cursor, limit=3)
            seen.extend(page["data"])
            cursor = page["meta"]["next_cursor"]
            if finished and page["links"]["next"] is None:
                return
            await asyncio.sleep(0)

    async def write_all() -> list[str]:
        try:
            return list(await asyncio.gather(*(write(i) for i in range(20))))
        finally:
            writers_done.set()

    ids, _ = await asyncio.gather(write_all(), follow())
    seqs = [e["seq"] for e in seen]
    assert seqs == list(range(1, len(seen) + 1))
    assert len(seen) == 23
    assert sorted(e["id"] for e in seen if e["resource_type"] == "articles") == sorted(ids)


@pytest.mark.parametrize("role", ["anon", "editor"])
async def test_an_unchanged_feed_revalidates_to_304(
    seeded: dict[str, Any],
    anon: httpx.AsyncClient,
    editor: httpx.AsyncClient,
    role: str,
) -> None:
    client = anon if role == "anon" else editor
    first = await client.get(FEED)
    again = await client.get(FEED, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    polled = await client.get(FEED, params={"cursor": first.json()["meta"]["next_cursor"]})
    assert polled.json()["data"] == []
    repolled = await client.get(
        FEED,
        params={"cursor": first.json()["meta"]["next_cursor"]},
        headers={"If-None-Match": polled.headers["etag"]},
    )
    assert repolled.status_code == 304
    await editor.post("/v1/tags", json={"name": "New tag"})
    changed = await client.get(FEED, headers={"If-None-Match": first.headers["etag"]})
    assert changed.status_code == 200
    assert changed.json()["meta"]["total"] == first.json()["meta"]["total"] + 1
