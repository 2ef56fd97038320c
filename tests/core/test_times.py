"""Times outside what can be stored (years 1 to 9999 in UTC) are a 422 naming the field."""

from __future__ import annotations

import asyncio
import re

import httpx
import orjson
import pytest
from typer.testing import CliRunner

from app.cli import app as cli
from app.core.config import get_settings
from tests.conftest import Backend

# Valid RFC 3339 whose UTC instant falls outside years 1 to 9999, or no valid time at all.
OUT_OF_RANGE = [
    "9999-12-31T23:59:59-23:59",
    "0001-01-01T00:00:00+01:00",
    "0000-01-01T00:00:00Z",
    "10000-01-01T00:00:00Z",
]


def fields(response: httpx.Response) -> list[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [error["field"] for error in response.json()["errors"]]


@pytest.mark.parametrize("value", OUT_OF_RANGE)
@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/v1/articles", "published_after"),
        ("/v1/articles", "published_before"),
        ("/v1/articles", "updated_after"),
        ("/v1/search?q=rain", "published_after"),
        ("/v1/feeds/articles.rss", "published_after"),
        ("/v1/feeds/articles.atom", "published_before"),
        ("/v1/feeds/articles.json", "updated_after"),
        ("/v1/tags/weather/articles", "published_after"),
    ],
)
async def test_filters_out_of_range_are_422(
    anon: httpx.AsyncClient, path: str, name: str, value: str
) -> None:
    joiner = "&" if "?" in path else "?"
    response = await anon.get(f"{path}{joiner}{name}={value.replace('+', '%2B')}")
    assert fields(response) == [f"query.{name}"]


async def test_related_entities_since_out_of_range_is_422(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    made = await editor.post("/v1/entities", json={"name": "Bamako", "type": "location"})
    assert made.status_code == 201
    response = await anon.get(f"/v1/entities/bamako/related?since={OUT_OF_RANGE[0]}")
    assert fields(response) == ["query.since"]
    assert (await anon.get("/v1/entities/bamako/related?since=2024-01-01T00:00:00Z")).is_success


async def test_a_forged_cursor_with_an_out_of_range_time_is_422(anon: httpx.AsyncClient) -> None:
    import base64

    raw = orjson.dumps(["-published_at", "9999-12-31T23:59:59-23:59", "0" * 32])
    cursor = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    assert fields(await anon.get(f"/v1/articles?cursor={cursor}")) == ["query.cursor"]


@pytest.mark.parametrize("value", OUT_OF_RANGE)
async def test_bodies_out_of_range_are_422_and_store_nothing(
    editor: httpx.AsyncClient, value: str
) -> None:
    created = await editor.post("/v1/articles", json={"title": "Far", "published_at": value})
    assert fields(created) == ["body.published_at"]
    ok = await editor.post("/v1/articles", json={"title": "Near"})
    assert ok.status_code == 201
    patched = await editor.patch(f"/v1/articles/{ok.json()['id']}", json={"published_at": value})
    assert fields(patched) == ["body.published_at"]
    replaced = await editor.put(
        f"/v1/articles/{ok.json()['id']}", json={"title": "Near", "published_at": value}
    )
    assert fields(replaced) == ["body.published_at"]
    listed = (await editor.get("/v1/articles")).json()
    assert [a["title"] for a in listed["data"]] == ["Near"]
    assert listed["data"][0]["version"] == 1


async def test_the_last_storable_second_is_kept(editor: httpx.AsyncClient) -> None:
    response = await editor.post(
        "/v1/articles",
        json={"title": "Edge", "status": "published", "published_at": "9999-12-31T23:59:59Z"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["published_at"] == "9999-12-31T23:59:59Z"
    early = await editor.post(
        "/v1/articles", json={"title": "Early", "published_at": "0001-01-01T00:00:00-01:00"}
    )
    assert early.json()["published_at"] == "0001-01-01T01:00:00Z"


async def test_a_bulk_item_out_of_range_fails_alone(editor: httpx.AsyncClient) -> None:
    body = b"".join(
        orjson.dumps(item) + b"\n"
        for item in (
            {"title": "Kept One"},
            {"title": "Far Off", "published_at": OUT_OF_RANGE[0]},
            {"title": "Kept Two"},
        )
    )
    response = await editor.post(
        "/v1/articles:bulk", content=body, headers={"content-type": "application/x-ndjson"}
    )
    assert response.status_code == 200, response.text
    results = response.json()["data"]
    assert [r["status"] for r in results] == ["created", "error", "created"]
    problem = results[1]["problem"]
    assert problem["status"] == 422
    assert [e["field"] for e in problem["errors"]] == ["body.1.published_at"]


async def test_an_import_line_out_of_range_is_reported_with_its_line(
    backend: Backend, editor: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEDE_DATABASE_URL", backend.url)
    get_settings.cache_clear()
    data = b"".join(
        orjson.dumps(item) + b"\n"
        for item in ({"title": "Line One"}, {"title": "Line Two", "published_at": OUT_OF_RANGE[0]})
    )
    try:
        result = await asyncio.to_thread(CliRunner().invoke, cli, ["import", "-"], input=data)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert re.search(r"line 2: 422 .*published_at", result.stdout), result.stdout
    assert (await editor.get("/v1/articles")).json()["meta"]["total"] == 1
