"""A large import builds the full-text index once at its end; a missing index is built again."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text

from app.articles import bulk, bulk_items, transfer
from app.core.security import Principal
from app.search import index
from tests.conftest import Backend

IMPORTER = Principal(role="editor", key_id=None, name="importer")


async def _indexes(backend: Backend) -> list[str]:
    """The valid full-text indexes on the articles (PostgreSQL)."""
    async with backend.database.reader() as session:
        rows = await session.scalars(
            text(
                "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE i.indrelid = 'articles'::regclass AND i.indisvalid "
                "AND c.relname IN ('ix_articles_search_rum', 'ix_articles_search_vector')"
            )
        )
        return list(rows)


def _stories(n: int) -> list[bulk_items.RawItem]:
    return [
        bulk_items.RawItem(
            value={
                "title": f"Harvest report {i}",
                "body": f"<p>Millet and sorghum, week {i}.</p>",
                "status": "published",
                "published_at": "2026-01-05T10:00:00Z",
            }
        )
        for i in range(n)
    ]


async def test_a_large_import_leaves_the_index_out_then_builds_it(
    backend: Backend, anon: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend.name != "postgresql":
        pytest.skip("SQLite's FTS5 table is kept by triggers, row by row")
    monkeypatch.setattr(index, "DEFER_AT", 4)
    before = await _indexes(backend)
    assert len(before) == 1
    during: list[list[str]] = []
    upsert = bulk.upsert_articles

    async def upsert_noting_indexes(*args: Any, **kwargs: Any) -> list[bulk_items.ItemResult]:
        during.append(await _indexes(backend))
        return await upsert(*args, **kwargs)

    monkeypatch.setattr(bulk, "upsert_articles", upsert_noting_indexes)
    tally = await transfer.import_articles(
        backend.database, _stories(6), principal=IMPORTER, batch_size=2, expected=6
    )
    assert tally.created == 6
    assert during == [[], [], []]
    assert await _indexes(backend) == before
    search = (await anon.get("/v1/search", params={"q": "sorghum"})).json()
    assert search["meta"]["total"] == 6


async def test_an_import_into_a_larger_archive_keeps_the_index(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend.name != "postgresql":
        pytest.skip("PostgreSQL only")
    monkeypatch.setattr(index, "DEFER_AT", 2)
    await transfer.import_articles(backend.database, _stories(5), principal=IMPORTER)
    async with index.deferred(backend.database, expected=3) as left_out:
        assert not left_out
        assert await _indexes(backend)
    async with index.deferred(backend.database, expected=5) as left_out:
        assert left_out
        assert await _indexes(backend) == []
    assert await _indexes(backend)


async def test_a_missing_index_is_built_again(backend: Backend) -> None:
    if backend.name != "postgresql":
        assert not await index.ensure(backend.database)
        return
    before = await _indexes(backend)
    async with backend.database.writer() as session, session.begin():
        await session.execute(text(f"DROP INDEX {before[0]}"))
    assert await index.ensure(backend.database)
    assert await _indexes(backend) == before
    assert not await index.ensure(backend.database)
