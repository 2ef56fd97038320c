"""Every test runs against SQLite and PostgreSQL, each built by the real migrations."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from app.core.clock import utcnow
from app.core.config import Settings
from app.core.db import Database
from app.core.migrations import upgrade
from app.keys.service import create_key
from app.main import create_app
from app.models import Base

POSTGRES_URL = os.environ.get("LEDE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
DEMO = Path(__file__).resolve().parents[1] / "app" / "demo"
KEEP = {"api_keys", "alembic_version", "counters"}


@dataclass
class Backend:
    name: str
    url: str
    app: FastAPI
    database: Database
    keys: dict[str, str]


async def _create_pg_database() -> tuple[str, str]:
    name = f"lede_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(POSTGRES_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = POSTGRES_URL.rsplit("/", 1)[0]
    return name, f"{base}/{name}"


async def _drop_pg_database(name: str) -> None:
    admin = await asyncpg.connect(POSTGRES_URL)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def make_settings(url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": url,
        "rate_limit_per_minute": 0,
        "log_level": "warning",
        "base_url": "http://testserver",
        # Tests that send webhooks run their own sender.
        "webhooks": "worker",
        "secret_key": "test-secret-key-that-is-long-enough-for-hs256",
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
async def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Backend]:
    pg_name = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'lede.db'}"
    else:
        pg_name, url = await _create_pg_database()
    try:
        await asyncio.to_thread(upgrade, url)
        app = create_app(make_settings(url))
        async with app.router.lifespan_context(app):
            database: Database = app.state.database
            keys: dict[str, str] = {}
            async with database.writer() as session, session.begin():
                for role in ("reader", "editor", "admin"):
                    _key, raw = await create_key(
                        session, name=f"test {role}", role=role, now=utcnow()
                    )
                    keys[role] = raw
            yield Backend(request.param, url, app, database, keys)
    finally:
        if pg_name is not None:
            await _drop_pg_database(pg_name)


@pytest.fixture(autouse=True)
async def _clean(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Each test starts from empty content tables (keys kept)."""
    yield
    if "backend" not in request.fixturenames:
        return
    backend: Backend = request.getfixturevalue("backend")
    tables = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name not in KEEP]
    async with backend.database.writer() as session, session.begin():
        for table in tables:
            await session.execute(text(f"DELETE FROM {table}"))
        await session.execute(text("UPDATE counters SET value = 0"))
    backend.app.state.api_keys.forget()
    backend.app.state.read_caches.clear()


def _client(backend: Backend, role: str | None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {backend.keys[role]}"} if role else {}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=backend.app, raise_app_exceptions=False),
        base_url="http://testserver",
        headers=headers,
    )


@pytest.fixture
async def anon(backend: Backend) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(backend, None) as client:
        yield client


@pytest.fixture
async def reader(backend: Backend) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(backend, "reader") as client:
        yield client


@pytest.fixture
async def editor(backend: Backend) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(backend, "editor") as client:
        yield client


@pytest.fixture
async def admin(backend: Backend) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(backend, "admin") as client:
        yield client


def read_fixture(name: str) -> Any:
    import json

    return json.loads((DEMO / name).read_text(encoding="utf-8"))


@pytest.fixture
def seed_article() -> dict[str, Any]:
    data: dict[str, Any] = read_fixture("seed-article.json")
    return data


@pytest.fixture
def seed_entities() -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = read_fixture("seed-entities.json")
    return data


@pytest.fixture
async def seeded(
    editor: httpx.AsyncClient, seed_article: dict[str, Any], seed_entities: list[dict[str, Any]]
) -> dict[str, Any]:
    """The seed entities and the seed story, posted through the API."""
    for entity in seed_entities:
        response = await editor.post("/v1/entities", json=entity)
        assert response.status_code == 201, response.text
    response = await editor.post("/v1/articles", json=seed_article)
    assert response.status_code == 201, response.text
    article: dict[str, Any] = response.json()
    return article
