"""The full-text index on PostgreSQL: built once after a large import, and put back if missing.

Adding a story to a RUM (or GIN) index costs more than the rest of its row,
and the cost grows with the index: an import that brings in an archive at
least as large as the one stored drops the index first and builds it once at
the end, in a fraction of the time (``CREATE INDEX CONCURRENTLY``: writers are
not held up). Meanwhile search still answers, from a scan, slower. An import
stopped before its end leaves the index out: the next import or ``lede
migrate`` builds it again. SQLite's FTS5 table is kept by triggers and is left
as it is. The search backend of the database drops and builds the index.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from app.core.db import Database
from app.search.backends import backend_for

# An import of at least this many stories, into an archive no larger, defers the index.
DEFER_AT = 5000


async def _wants_deferral(database: Database, expected: int | None) -> bool:
    backend = backend_for(database.dialect)
    if not backend.deferrable_index or expected is None or expected < DEFER_AT:
        return False
    async with database.reader() as session:
        stored = await backend.stored_articles(session)
    return expected >= stored


@asynccontextmanager
async def deferred(database: Database, expected: int | None) -> AsyncIterator[bool]:
    """Within: the full-text index is left out when ``expected`` stories are many enough
    (PostgreSQL); after, it is there. Yields whether it was left out."""
    if not await _wants_deferral(database, expected):
        yield False
        return
    async with database.writer() as session, session.begin():
        await backend_for(database.dialect).drop_index(session)
    try:
        yield True
    finally:
        await ensure(database)


async def ensure(database: Database) -> bool:
    """Build the full-text index if it is missing (PostgreSQL): RUM when the extension is
    installed (the "rank in the index" migration), else GIN. Says whether it built it."""
    return await backend_for(database.dialect).build_index(database.engine)
