"""HTTP caching a CDN can trust: validators, 304s, and nothing cached past a scheduled release."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from app.main import create_app
from tests.conftest import Backend, make_settings


def _max_age(response: httpx.Response) -> int:
    match = re.search(r"max-age=(\d+)", response.headers["cache-control"])
    assert match, response.headers["cache-control"]
    return int(match.group(1))


async def test_if_modified_since(seeded: dict[str, Any], anon: httpx.AsyncClient) -> None:
    url = f"/v1/articles/{seeded['slug']}"
    first = await anon.get(url)
    last_modified = first.headers["last-modified"]
    assert (await anon.get(url, headers={"If-Modified-Since": last_modified})).status_code == 304
    earlier = format_datetime(datetime(2000, 1, 1, tzinfo=UTC), usegmt=True)
    assert (await anon.get(url, headers={"If-Modified-Since": earlier})).status_code == 200
    assert (await anon.get(url, headers={"If-Modified-Since": "garbage"})).status_code == 200


async def test_collection_etag_changes_when_a_member_changes(
    seeded: dict[str, Any], anon: httpx.AsyncClient, editor: httpx.AsyncClient
) -> None:
    before = (await anon.get("/v1/articles")).headers["etag"]
    await editor.patch(f"/v1/articles/{seeded['slug']}", json={"title": "Changed"})
    after = await anon.get("/v1/articles", headers={"If-None-Match": before})
    assert after.status_code == 200
    assert after.headers["etag"] != before


async def test_public_and_private_cache_headers(
    seeded: dict[str, Any], anon: httpx.AsyncClient, editor: httpx.AsyncClient
) -> None:
    public = await anon.get(f"/v1/articles/{seeded['slug']}")
    assert public.headers["cache-control"] == "public, max-age=60, stale-while-revalidate=300"
    assert "Authorization" in public.headers["vary"]
    private = await editor.get(f"/v1/articles/{seeded['slug']}")
    assert private.headers["cache-control"] == "private, no-store"
    write = await editor.patch(f"/v1/articles/{seeded['slug']}", json={"section": "x"})
    assert write.headers["cache-control"] == "no-store"


async def test_max_age_never_outlives_the_next_scheduled_release(
    anon: httpx.AsyncClient, editor: httpx.AsyncClient
) -> None:
    assert _max_age(await anon.get("/v1/articles")) == 60
    soon = (datetime.now(UTC) + timedelta(seconds=20)).isoformat()
    await editor.post(
        "/v1/articles", json={"title": "Embargo", "status": "published", "published_at": soon}
    )
    capped = await anon.get("/v1/articles?limit=5")
    assert 0 < _max_age(capped) <= 20


async def test_revalidation_never_confirms_a_draft_to_a_reader(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    draft = await editor.post("/v1/articles", json={"title": "Quiet draft"})
    etag = draft.headers["etag"]
    assert (
        await editor.get("/v1/articles/quiet-draft", headers={"If-None-Match": etag})
    ).status_code == 304
    for ref in ("quiet-draft", draft.json()["id"]):
        response = await anon.get(f"/v1/articles/{ref}", headers={"If-None-Match": etag})
        assert response.status_code == 404
    published = await editor.patch("/v1/articles/quiet-draft", json={"status": "published"})
    stale = await anon.get("/v1/articles/quiet-draft", headers={"If-None-Match": etag})
    assert stale.status_code == 200
    fresh = await anon.get(
        "/v1/articles/quiet-draft", headers={"If-None-Match": published.headers["etag"]}
    )
    assert fresh.status_code == 304
    assert fresh.headers["cache-control"].startswith("public")


async def test_a_failed_release_look_up_caps_max_age_and_is_no_500(
    backend: Backend, editor: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await editor.post("/v1/articles", json={"title": "Out", "status": "published"})
    app = create_app(make_settings(backend.url))
    app.state.database = backend.database

    @contextlib.asynccontextmanager
    async def refused() -> AsyncIterator[None]:
        raise ConnectionRefusedError("the database went away")
        yield

    monkeypatch.setattr(backend.database, "reader", refused)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        response = await client.get("/v1/articles")
    assert response.status_code == 200
    assert response.headers["cache-control"].startswith("public")
    assert _max_age(response) == 0
