"""Planner statistics after large writes, and a time limit on every statement."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.articles import bulk, bulk_items, transfer
from app.core.db import Database
from app.core.errors import is_database_unavailable
from app.core.security import Principal
from tests.conftest import Backend, make_settings

EDITOR = Principal(role="editor", key_id=None, name="importer")


async def _analyzed(backend: Backend) -> bool:
    async with backend.database.writer() as session:
        if backend.name == "sqlite":
            found = await session.scalar(
                text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            )
            if not found:
                return False
            stat = "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'articles'"
        else:
            stat = "SELECT count(*) FROM pg_stats WHERE tablename = 'articles'"
        return bool(await session.scalar(text(stat)))


async def test_a_large_import_gathers_planner_statistics(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "ANALYZE_AFTER", 3)
    items = [bulk_items.RawItem(value={"title": f"Imported {i}"}) for i in range(3)]
    tally = await transfer.import_articles(backend.database, items, principal=EDITOR)
    assert tally.created == 3
    assert await _analyzed(backend)


async def test_a_runaway_statement_is_stopped_at_the_statement_timeout(backend: Backend) -> None:
    """SQLite through a progress handler, PostgreSQL through its statement_timeout."""
    database = Database.from_settings(make_settings(backend.url, statement_timeout_ms=200))
    try:
        started = time.monotonic()
        with pytest.raises(DBAPIError) as raised:
            async with database.reader() as session:
                await session.execute(
                    text(
                        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
                        "SELECT count(*) FROM n"
                    )
                )
        assert time.monotonic() - started < 2
        assert is_database_unavailable(raised.value)
        async with database.reader() as session:
            assert await session.scalar(text("SELECT 1")) == 1
    finally:
        await database.dispose()


async def test_a_statement_timeout_of_zero_lets_a_long_statement_finish(backend: Backend) -> None:
    """0 sets no limit: not on the server, and not on the client waiting for it either."""
    database = Database.from_settings(make_settings(backend.url, statement_timeout_ms=0))
    slow = (
        "SELECT count(*) FROM (SELECT pg_sleep(1.5)) AS s"
        if backend.name == "postgresql"
        else "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000) "
        "SELECT count(*) FROM n"
    )
    try:
        async with database.reader() as session:
            assert await session.scalar(text(slow)) in {1, 3_000_000}
    finally:
        await database.dispose()
