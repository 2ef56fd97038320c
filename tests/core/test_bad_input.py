"""Hostile and malformed input: a clear problem every time, never a 500, nothing stored lost."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.main import create_app
from tests.conftest import Backend, make_settings


async def test_body_over_the_limit_sent_chunked_is_413(
    backend: Backend, editor: httpx.AsyncClient
) -> None:
    app = create_app(make_settings(backend.url, max_body_bytes=4096))
    app.state.database = backend.database

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"title": "big", "body": "'
        for _ in range(64):
            yield b"x" * 1024
        yield b'"}'

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        headers=editor.headers,
    ) as client:
        chunked = await client.post(
            "/v1/articles", content=chunks(), headers={"content-type": "application/json"}
        )
        declared = await client.post("/v1/articles", json={"title": "x", "body": "y" * 8192})
        small = await client.post("/v1/articles", json={"title": "small"})
    assert "content-length" not in chunked.request.headers
    assert chunked.status_code == 413
    assert chunked.headers["content-type"] == "application/problem+json"
    assert declared.status_code == 413
    assert small.status_code == 201
    titles = [a["title"] for a in (await editor.get("/v1/articles")).json()["data"]]
    assert titles == ["small"]


@pytest.mark.parametrize(
    "ref",
    ["a%2Fb", "..", "%2E%2E", "UPPER-Case", "x" * 500, "%00", "caf%C3%A9", "%F0%9F%99%82"],
)
async def test_odd_refs_are_404_not_500(anon: httpx.AsyncClient, ref: str) -> None:
    for collection in ("articles", "entities", "tags"):
        response = await anon.get(f"/v1/{collection}/{ref}")
        assert response.status_code == 404, (collection, ref, response.text)
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "raw",
    [
        b'{"title": "lone \\ud800 surrogate"}',
        b'{"title": "nul \\u0000 byte"}',
        b'{"title": "ok", "tags": ["bell \\u0007"]}',
        b'{"title": "ok", "image": {"url": "https://x.test/a.jpg", "alt": "\\udfff"}}',
        b"[1, 2, 3]",
        b'"just a string"',
        b"",
        b"\xff\xfe\x00",
    ],
)
async def test_unstorable_or_malformed_bodies_are_422(
    editor: httpx.AsyncClient, raw: bytes
) -> None:
    response = await editor.post(
        "/v1/articles", content=raw, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"]


@pytest.mark.parametrize(
    "query",
    [
        "status=published&status=draft&sort=-published_at&limit=5&fields=title",
        "q=%00",
        "tag=%00",
        "section=%00",
        "author=" + "a" * 201,
        "fields=title,deleted_at",
        "fields=,,,",
        "updated_after=2024-13-45",
        "limit=99999999999999999999999",
        "offset=1e3",
    ],
)
async def test_query_strings_never_500(anon: httpx.AsyncClient, query: str) -> None:
    response = await anon.get(f"/v1/articles?{query}")
    assert response.status_code in (200, 422), response.text


async def test_wrong_content_type_is_a_clear_problem(editor: httpx.AsyncClient) -> None:
    response = await editor.post(
        "/v1/articles", content=b"title=x", headers={"content-type": "text/plain"}
    )
    assert response.status_code == 415
    assert response.headers["content-type"] == "application/problem+json"


async def test_patch_of_one_field_loses_nothing_else(
    seeded: dict[str, Any], editor: httpx.AsyncClient
) -> None:
    bad = await editor.patch(f"/v1/articles/{seeded['slug']}", json={"title": "x" * 301})
    assert bad.status_code == 422
    current = (await editor.get(f"/v1/articles/{seeded['slug']}")).json()
    assert current["version"] == 1
    assert current["body_text"] == seeded["body_text"]


async def test_problem_types_name_the_problem(
    anon: httpx.AsyncClient, editor: httpx.AsyncClient
) -> None:
    """Clients branch on ``type``: each kind of problem has its own URI."""
    missing = await anon.get("/v1/articles/no-such-story")
    assert missing.json()["type"] == "/problems/not-found"
    invalid = await anon.get("/v1/articles", params={"limit": 0})
    assert invalid.json()["type"] == "/problems/invalid-request"
    unknown_route = await anon.get("/v1/nothing-here")
    assert unknown_route.json()["type"] == "/problems/not-found"
    created = await editor.post("/v1/articles", json={"title": "Versions"})
    stale = await editor.patch(
        f"/v1/articles/{created.json()['id']}",
        json={"title": "Later"},
        headers={"If-Match": '"stale"'},
    )
    assert stale.status_code == 412
    assert stale.json()["type"] == "/problems/stale-version"
    refused = await anon.post("/v1/articles", json={"title": "No key"})
    assert refused.json()["type"] == "/problems/unauthorized"
