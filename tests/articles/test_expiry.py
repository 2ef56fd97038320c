"""expires_at: after it readers no longer see the story anywhere, with no job."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import Backend


def soon(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


def _max_age(response: httpx.Response) -> int:
    match = re.search(r"max-age=(\d+)", response.headers["cache-control"])
    assert match is not None, response.headers["cache-control"]
    return int(match.group(1))


async def create(editor: httpx.AsyncClient, **fields: Any) -> Any:
    response = await editor.post("/v1/articles", json=fields)
    assert response.status_code == 201, response.text
    return response.json()


async def test_expires_at_is_stored_shown_and_cleared(editor: httpx.AsyncClient) -> None:
    article = await create(
        editor,
        title="Licensed for a month",
        status="published",
        published_at="2030-01-01T00:00:00Z",
        expires_at="2030-01-31T00:00:00+00:00",
    )
    assert article["expires_at"] == "2030-01-31T00:00:00Z"
    slug = article["slug"]
    shown = await editor.get(f"/v1/articles/{slug}?fields=id,expires_at")
    assert shown.json() == {
        "id": article["id"],
        "slug": slug,
        "expires_at": "2030-01-31T00:00:00Z",
    }
    listed = await editor.get("/v1/articles?fields=slug,expires_at")
    assert listed.json()["data"] == [
        {"id": article["id"], "slug": slug, "expires_at": "2030-01-31T00:00:00Z"}
    ]
    cleared = await editor.patch(f"/v1/articles/{slug}", json={"expires_at": None})
    assert cleared.json()["expires_at"] is None
    revisions = (await editor.get(f"/v1/articles/{slug}/revisions")).json()["data"]
    assert revisions[0]["article"]["expires_at"] == "2030-01-31T00:00:00Z"
    restored = await editor.post(f"/v1/articles/{slug}/revisions/1/restore")
    assert restored.json()["expires_at"] == "2030-01-31T00:00:00Z"


@pytest.mark.parametrize(
    "body",
    [
        {
            "status": "published",
            "published_at": "2030-01-02T00:00:00Z",
            "expires_at": "2030-01-01T00:00:00Z",
        },
        {
            "status": "published",
            "published_at": "2030-01-01T00:00:00Z",
            "expires_at": "2030-01-01T00:00:00Z",
        },
        # Published now, so an expiry in the past comes before it.
        {"status": "published", "expires_at": "2020-01-01T00:00:00Z"},
        {"expires_at": "not a time"},
        {"expires_at": "10000-01-01T00:00:00Z"},
    ],
)
async def test_a_bad_expiry_is_a_422_naming_it(
    editor: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    response = await editor.post("/v1/articles", json={"title": "Bad expiry", **body})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["loc"] for e in response.json()["errors"]] == [["body", "expires_at"]]


async def test_an_expiry_before_the_stored_publication_is_refused_on_patch(
    editor: httpx.AsyncClient,
) -> None:
    article = await create(
        editor, title="Dated", status="published", published_at="2030-01-02T00:00:00Z"
    )
    response = await editor.patch(
        f"/v1/articles/{article['slug']}", json={"expires_at": "2030-01-01T00:00:00Z"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "expires_at"]
    bulk = await editor.post(
        "/v1/articles:bulk",
        json=[
            {
                "title": "Dated",
                "published_at": "2030-01-02T00:00:00Z",
                "status": "published",
                "expires_at": "2030-01-01T00:00:00Z",
            }
        ],
    )
    [item] = bulk.json()["data"]
    assert item["status"] == "error"
    assert item["problem"]["errors"][0]["loc"][-1] == "expires_at"


async def _reader_view(anon: httpx.AsyncClient, article: Any) -> dict[str, Any]:
    """What readers are told of the story, path by path."""
    slug = article["slug"]
    feed = await anon.get("/v1/feeds/articles.json")
    related = await anon.get("/v1/articles/neighbour/related")
    return {
        "detail": (await anon.get(f"/v1/articles/{slug}")).status_code,
        "list": [a["slug"] for a in (await anon.get("/v1/articles")).json()["data"]],
        "total": (await anon.get("/v1/articles")).json()["meta"]["total"],
        "search": [a["slug"] for a in (await anon.get("/v1/search?q=lapsing")).json()["data"]],
        "feed": [item["title"] for item in feed.json()["items"]],
        "related": [a["slug"] for a in related.json()["data"]],
        "tag": [a["slug"] for a in (await anon.get("/v1/tags/rights/articles")).json()["data"]],
        "tag count": (await anon.get("/v1/tags/rights")).json()["article_count"],
        "entity": [
            a["slug"] for a in (await anon.get("/v1/entities/acme/articles")).json()["data"]
        ],
        "entity count": (await anon.get("/v1/entities/acme")).json()["article_count"],
    }


async def test_an_expiring_story_vanishes_everywhere_at_its_time(
    backend: Backend, editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await editor.post("/v1/entities", json={"name": "Acme", "type": "organization"})
    await editor.post("/v1/tags", json={"name": "Rights"})
    shared = {"status": "published", "tags": ["Rights"], "body_format": "text"}
    await create(editor, title="Neighbour", body="Acme again.", **shared)
    # Long enough for the look around below on a busy machine.
    expires = datetime.now(UTC) + timedelta(seconds=5)
    article = await create(
        editor,
        title="Lapsing rights",
        body="Acme licensed this.",
        expires_at=expires.isoformat(),
        **shared,
    )
    before = await _reader_view(anon, article)
    assert before == {
        "detail": 200,
        "list": ["lapsing-rights", "neighbour"],
        "total": 2,
        "search": ["lapsing-rights"],
        "feed": ["Lapsing rights", "Neighbour"],
        "related": ["lapsing-rights"],
        "tag": ["lapsing-rights", "neighbour"],
        "tag count": 2,
        "entity": ["lapsing-rights", "neighbour"],
        "entity count": 2,
    }
    # No cache may keep it past its expiry.
    for path in ("/v1/articles", "/v1/articles/lapsing-rights", "/v1/feeds/articles.rss"):
        assert _max_age(await anon.get(path)) <= 5
    await asyncio.sleep((expires - datetime.now(UTC)).total_seconds() + 0.1)
    after = await _reader_view(anon, article)
    assert after == {
        "detail": 404,
        "list": ["neighbour"],
        "total": 1,
        "search": [],
        "feed": ["Neighbour"],
        "related": [],
        "tag": ["neighbour"],
        "tag count": 1,
        "entity": ["neighbour"],
        "entity count": 1,
    }
    unknown = await anon.get("/v1/articles/no-such-story")
    gone = await anon.get("/v1/articles/lapsing-rights")
    assert gone.json()["title"] == unknown.json()["title"]
    assert gone.headers.get("cache-control") == unknown.headers.get("cache-control")
    # Editors still see it, and can give it more time.
    assert (await editor.get("/v1/articles/lapsing-rights")).status_code == 200
    extended = await editor.patch("/v1/articles/lapsing-rights", json={"expires_at": soon(3600)})
    assert extended.status_code == 200
    assert (await anon.get("/v1/articles/lapsing-rights")).status_code == 200


async def test_readers_hear_unpublished_when_it_lapses(
    editor: httpx.AsyncClient, reader: httpx.AsyncClient
) -> None:
    start = (await reader.get("/v1/changes")).json()["meta"]["next_cursor"]
    article = await create(editor, title="Short licence", status="published", expires_at=soon(1.5))
    page = (await reader.get("/v1/changes", params={"cursor": start})).json()
    assert [(e["id"], e["event"]) for e in page["data"]] == [(article["id"], "created")]
    cursor = page["meta"]["next_cursor"]
    await asyncio.sleep(1.6)
    page = (await reader.get("/v1/changes", params={"cursor": cursor})).json()
    assert [(e["id"], e["event"]) for e in page["data"]] == [(article["id"], "unpublished")]
    page = (await reader.get("/v1/changes", params={"cursor": page["meta"]["next_cursor"]})).json()
    assert page["data"] == []


async def test_a_lapse_called_off_in_time_is_never_told(
    editor: httpx.AsyncClient, reader: httpx.AsyncClient
) -> None:
    article = await create(editor, title="Renewed", status="published", expires_at=soon(1))
    await editor.patch(f"/v1/articles/{article['slug']}", json={"expires_at": None})
    await asyncio.sleep(1.1)
    events = (await reader.get("/v1/changes")).json()["data"]
    assert [e["event"] for e in events] == ["created", "updated"]
    assert (await reader.get(f"/v1/articles/{article['slug']}")).status_code == 200
