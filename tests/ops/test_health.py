"""Liveness and readiness, with the database up, down, and behind on migrations.

The lifespan refuses to start on a database it cannot use, so the apps whose
database is down or behind get theirs put on ``app.state`` by hand, as the
lifespan would, and are driven without starting it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from app.core.db import Database
from app.core.migrations import SchemaBehind, head_revision
from app.main import create_app
from tests.conftest import Backend, make_settings

# Nothing listens on port 1: connections are refused at once.
UNREACHABLE = "postgresql://lede@127.0.0.1:1/lede"


@asynccontextmanager
async def unstarted_client(url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(url, database_timeout_seconds=2)
    app = create_app(settings)
    database = Database.from_settings(settings)
    app.state.database = database
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as client:
            yield client
    finally:
        await database.dispose()


@pytest.fixture
async def down() -> AsyncIterator[httpx.AsyncClient]:
    async with unstarted_client(UNREACHABLE) as client:
        yield client


@pytest.fixture
def never_migrated(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'never-migrated.db'}"


@pytest.fixture
async def behind(never_migrated: str) -> AsyncIterator[httpx.AsyncClient]:
    async with unstarted_client(never_migrated) as client:
        yield client


async def test_ready_when_the_database_answers_at_head(
    backend: Backend, anon: httpx.AsyncClient
) -> None:
    response = await anon.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "database": backend.name}
    assert response.headers["cache-control"] == "no-store"


async def test_alive_whatever_the_database(
    anon: httpx.AsyncClient, down: httpx.AsyncClient, behind: httpx.AsyncClient
) -> None:
    for client in (anon, down, behind):
        response = await client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}
        assert response.headers["cache-control"] == "no-store"


async def test_not_ready_while_the_database_is_unreachable(down: httpx.AsyncClient) -> None:
    response = await down.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) > 0
    problem = response.json()
    assert problem["status"] == 503
    assert "unreachable" in problem["detail"]


async def test_not_ready_while_the_schema_is_behind(behind: httpx.AsyncClient) -> None:
    response = await behind.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) > 0
    detail = response.json()["detail"]
    assert str(head_revision()) in detail
    assert "lede migrate" in detail


async def test_the_app_refuses_to_start_on_a_schema_behind(never_migrated: str) -> None:
    app = create_app(make_settings(never_migrated))
    with pytest.raises(SchemaBehind, match="lede migrate"):
        async with app.router.lifespan_context(app):
            pass
