"""The full-text index on PostgreSQL: built once after a large import, and put back if missing.

Adding a story to a RUM (or GIN) index costs more than the rest of its row,
and the cost grows with the index: an import that brings in an archive at
least as large as the one stored drops the index first and builds it once at
the end, in a fraction of the time (``CREATE INDEX CONCURRENTLY``: writers are
not held up). Meanwhile search still answers, from a scan, slower. An import
stopped before its end leaves the index out: the next import or ``lede
migrate`` builds it again. SQLite's FTS5 table is kept by triggers and is left
as it is.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import func, select, text

from app.core.db import Database
from app.models import Article
from app.search.backends.postgres import GIN_INDEX, RUM_INDEX

# An import of at least this many stories, into an archive no larger, defers the index.
DEFER_AT = 5000
# A build over millions of stories takes minutes: no statement timeout applies to it.
BUILD_SECONDS = 3600.0


async def _wants_deferral(database: Database, expected: int | None) -> bool:
    if database.dialect != "postgresql" or expected is None or expected < DEFER_AT:
        return False
    async with database.reader() as session:
        stored = await session.scalar(select(func.count()).select_from(Article))
    return expected >= (stored or 0)


@asynccontextmanager
async def deferred(database: Database, expected: int | None) -> AsyncIterator[bool]:
    """Within: the full-text index is left out when ``expected`` stories are many enough
    (PostgreSQL); after, it is there. Yields whether it was left out."""
    if not await _wants_deferral(database, expected):
        yield False
        return
    async with database.writer() as session, session.begin():
        for index in (RUM_INDEX, GIN_INDEX):
            await session.execute(text(f"DROP INDEX IF EXISTS {index}"))
    try:
        yield True
    finally:
        await ensure(database)


async def ensure(database: Database) -> bool:
    """Build the full-text index if it is missing (PostgreSQL): RUM when the extension is
    installed (the "rank in the index" migration), else GIN. Says whether it built it."""
    if database.dialect != "postgresql":
        return False
    async with database.engine.connect() as connection:
        raw = (await connection.get_raw_connection()).driver_connection
        assert raw is not None
        present = await raw.fetchval(
            "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = ANY($1::text[]) AND i.indisvalid",
            [RUM_INDEX, GIN_INDEX],
        )
        if present:
            return False
        rum = await raw.fetchval("SELECT count(*) FROM pg_extension WHERE extname = 'rum'")
        name, using = (
            (RUM_INDEX, "rum (search_vector rum_tsvector_ops)")
            if rum
            else (GIN_INDEX, "gin (search_vector)")
        )
        # An earlier build that was stopped leaves an invalid index of that name.
        for index in (RUM_INDEX, GIN_INDEX):
            await raw.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {index}", timeout=BUILD_SECONDS)
        # Outside a transaction (as CONCURRENTLY must be): this connection's own
        # statement timeout is lifted for the build, then restored.
        await raw.execute("SET statement_timeout = 0")
        try:
            await raw.execute(
                f"CREATE INDEX CONCURRENTLY {name} ON articles USING {using}",
                timeout=BUILD_SECONDS,
            )
        finally:
            await raw.execute("RESET statement_timeout")
        return True
