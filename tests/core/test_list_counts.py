"""Tag and entity lists: counted once per write, yet exact after every write and release."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.tags import repository as tags_repository


async def publish(editor: httpx.AsyncClient, title: str, **fields: Any) -> None:
    response = await editor.post(
        "/v1/articles",
        params={"link_entities": "false"},
        json={"title": title, "status": "published", **fields},
    )
    assert response.status_code == 201, response.text


async def eventually(
    client: httpx.AsyncClient, path: str, want: Callable[[list[dict[str, Any]]], bool]
) -> None:
    """Wait until the list shows what ``want`` checks: the counting a write set off runs
    alongside reads, and lists show what was counted before until it is done."""
    data: list[dict[str, Any]] = []
    for _ in range(100):
        data = (await client.get(path)).json()["data"]
        if want(data):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{path} still shows {data}")


async def walk(client: httpx.AsyncClient, path: str, **params: str) -> list[dict[str, Any]]:
    """Every item of a list, page by page through the cursors."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = await client.get(
            path, params={**params, "limit": 2, **({"cursor": cursor} if cursor else {})}
        )
        assert page.status_code == 200, page.text
        items += page.json()["data"]
        cursor = page.json()["meta"]["next_cursor"]
        if cursor is None:
            return items


async def test_tags_by_count_page_through_cursors_and_follow_writes(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    for i, tags in enumerate([["Mali", "Niger"], ["Mali", "Chad"], ["Mali"], ["Niger"]]):
        await publish(editor, f"Story {i}", tags=tags)
    await editor.post("/v1/tags", json={"name": "Unused"})
    await editor.post("/v1/articles", json={"title": "Draft", "tags": ["Chad"]})
    listed = await walk(anon, "/v1/tags")
    assert [(t["name"], t["article_count"]) for t in listed][:3] == [
        ("Mali", 3),
        ("Niger", 2),
        ("Chad", 1),
    ]
    assert listed[3]["name"] == "Unused"
    assert listed[3]["article_count"] == 0
    first = (await anon.get("/v1/tags?limit=2")).json()
    assert first["meta"]["total"] == 4
    # Counted again after a write: the first list after it may still show the
    # counts from before (counted anew alongside), the next ones the new counts.
    await publish(editor, "Story 5", tags=["Chad"])
    await publish(editor, "Story 6", tags=["Chad"])
    right_after = (await anon.get("/v1/tags?limit=2")).json()["data"]
    assert {t["name"] for t in right_after} <= {"Mali", "Niger", "Chad"}
    await eventually(
        anon,
        "/v1/tags?limit=2",
        lambda tags: (
            sorted((t["name"], t["article_count"]) for t in tags) == [("Chad", 3), ("Mali", 3)]
        ),
    )
    typeahead = (await anon.get("/v1/tags?q=ni")).json()["data"]
    assert [(t["name"], t["article_count"]) for t in typeahead] == [("Niger", 2)]
    by_name = await walk(anon, "/v1/tags", sort="name")
    assert [(t["name"], t["article_count"]) for t in by_name] == [
        ("Chad", 3),
        ("Mali", 3),
        ("Niger", 2),
        ("Unused", 0),
    ]


async def test_entities_by_count_and_last_seen_page_through_cursors(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    days = [datetime(2024, 1, d, tzinfo=UTC) for d in (1, 2, 3)]
    for name in ("Gao", "Timbuktu", "Kidal"):
        await editor.post("/v1/entities", json={"name": name, "type": "location"})
    for day, names in zip(days, [["gao", "kidal"], ["gao"], ["timbuktu"]], strict=True):
        await publish(
            editor,
            f"On {day:%d}",
            published_at=day.isoformat(),
            # The first story is about Gao; the others only mention what they name.
            entities=[
                {"slug": n, "salience": "about" if day == days[0] and n == "gao" else "mentions"}
                for n in names
            ],
        )
    counted = await walk(anon, "/v1/entities")
    assert [e["article_count"] for e in counted] == [2, 1, 1]
    assert counted[0]["slug"] == "gao"
    assert {e["slug"] for e in counted} == {"gao", "kidal", "timbuktu"}
    assert counted[0]["first_seen"] == "2024-01-01T00:00:00Z"
    assert [e["about_count"] for e in counted] == [1, 0, 0]
    assert counted[0]["last_seen"] == "2024-01-02T00:00:00Z"
    recent = await walk(anon, "/v1/entities", sort="-last_seen")
    assert [e["slug"] for e in recent] == ["timbuktu", "gao", "kidal"]
    typed = (await anon.get("/v1/entities?q=ti&type=location")).json()
    assert [e["slug"] for e in typed["data"]] == ["timbuktu"]
    assert typed["meta"]["total"] == 1
    assert (await anon.get("/v1/entities?type=person")).json()["meta"]["total"] == 0


async def test_authors_by_count_page_through_cursors_and_follow_writes(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    for i, bylines in enumerate([["Ann Writer", "Bo Desk"], ["Ann Writer"], ["Cy Wire"]]):
        await publish(editor, f"Story {i}", authors=bylines)
    await editor.post("/v1/articles", json={"title": "Draft", "authors": ["Cy Wire"]})
    listed = await walk(anon, "/v1/authors", sort="-article_count")
    assert (listed[0]["name"], listed[0]["article_count"]) == ("Ann Writer", 2)
    assert sorted((a["name"], a["article_count"]) for a in listed[1:]) == [
        ("Bo Desk", 1),
        ("Cy Wire", 1),
    ]
    await publish(editor, "Story 3", authors=["Cy Wire"])
    await publish(editor, "Story 4", authors=["Cy Wire"])
    await eventually(
        anon,
        "/v1/authors?sort=-article_count&limit=1",
        lambda authors: [(a["name"], a["article_count"]) for a in authors] == [("Cy Wire", 3)],
    )
    typeahead = (await anon.get("/v1/authors?q=wri")).json()["data"]
    assert [(a["name"], a["article_count"]) for a in typeahead] == [("Ann Writer", 2)]
    one = (await anon.get("/v1/authors/cy-wire")).json()
    assert one["article_count"] == 3


async def test_a_list_after_a_write_does_not_wait_for_the_count(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await publish(editor, "First", tags=["Mali"])
    assert [t["article_count"] for t in (await anon.get("/v1/tags")).json()["data"]] == [1]
    counted = tags_repository.visible_counts

    async def slow(session: AsyncSession, now: datetime) -> dict[uuid.UUID, int]:
        await asyncio.sleep(3)
        return await counted(session, now)

    monkeypatch.setattr(tags_repository, "visible_counts", slow)
    await publish(editor, "Second", tags=["Mali"])
    started = time.monotonic()
    right_after = (await anon.get("/v1/tags")).json()["data"]
    # Not the 3 s the count now takes: what was counted before the write.
    assert time.monotonic() - started < 2.5
    assert [t["article_count"] for t in right_after] == [1]
    await eventually(anon, "/v1/tags", lambda tags: [t["article_count"] for t in tags] == [2])


async def test_a_scheduled_story_counts_once_it_goes_live(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await publish(editor, "Now", tags=["Sahel"])
    soon = datetime.now(UTC) + timedelta(seconds=2)
    await publish(editor, "Soon", tags=["Sahel"], published_at=soon.isoformat())
    before = (await anon.get("/v1/tags")).json()["data"]
    assert [t["article_count"] for t in before] == [1]
    await asyncio.sleep(max(0.0, (soon - datetime.now(UTC)).total_seconds()) + 0.05)
    after = (await anon.get("/v1/tags")).json()["data"]
    assert [t["article_count"] for t in after] == [2]


async def test_a_forged_list_cursor_is_422(anon: httpx.AsyncClient) -> None:
    for url in (
        "/v1/tags",
        "/v1/entities",
        "/v1/entities?sort=-last_seen",
        "/v1/authors?sort=-article_count",
    ):
        response = await anon.get(url, params={"cursor": "bm9wZQ"})
        assert response.status_code == 422, (url, response.text)
