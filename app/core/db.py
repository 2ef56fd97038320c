"""The database of a running app, its sessions, and the one-unit-of-work-per-request dependency."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool

from app.core.config import Settings
from app.core.engines import create_engine
from app.core.errors import is_database_unavailable
from app.core.sqlite import taking_turns

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def schema_revision(connection: Connection) -> str | None:
    """The migration the database's schema is at (alembic's table); None if never migrated."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


@dataclass(slots=True)
class Database:
    """The engines of one running app: the primary, and a read replica when configured."""

    engine: AsyncEngine
    read_engine: AsyncEngine
    writer: async_sessionmaker[AsyncSession]
    reader: async_sessionmaker[AsyncSession]
    # Reads on the primary, for clients that must see their own writes.
    primary_reader: async_sessionmaker[AsyncSession]
    # The same two for the reads of GET requests, which need no transaction
    # (see ``_request_reads``); a server-side cursor (``stream``) does.
    request_reader: async_sessionmaker[AsyncSession]
    request_primary_reader: async_sessionmaker[AsyncSession]

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        engine = create_engine(settings.database_url, settings)
        read_engine = (
            create_engine(settings.database_read_url, settings)
            if settings.database_read_url
            else engine
        )
        writer_bind = engine.execution_options(sqlite_immediate=True)
        writer_class = (
            taking_turns(settings.database_timeout_seconds)
            if engine.dialect.name == "sqlite"
            else Session
        )
        return cls(
            engine=engine,
            read_engine=read_engine,
            writer=async_sessionmaker(
                writer_bind, expire_on_commit=False, sync_session_class=writer_class
            ),
            reader=async_sessionmaker(read_engine, expire_on_commit=False),
            primary_reader=async_sessionmaker(engine, expire_on_commit=False),
            request_reader=async_sessionmaker(_request_reads(read_engine), expire_on_commit=False),
            request_primary_reader=async_sessionmaker(
                _request_reads(engine), expire_on_commit=False
            ),
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    async def gather_statistics(self) -> None:
        """Refresh the planner's statistics, after writes that changed the tables' sizes.

        Without them both databases plan the first queries after a large import
        as if the tables were empty (scans where an index serves).
        """
        async with self.writer() as session, session.begin():
            await session.execute(text("ANALYZE"))

    async def ping(self) -> None:
        """Ask the primary a trivial question; raises if it cannot answer."""
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()


def _request_reads(engine: AsyncEngine) -> AsyncEngine:
    """GET requests on PostgreSQL read outside a transaction block.

    Under READ COMMITTED each statement takes its own snapshot in a transaction
    too; BEGIN and ROLLBACK only added two round trips to every read.
    """
    if engine.dialect.name != "postgresql":
        return engine
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def pool_of(session: Session | AsyncSession) -> Pool:
    """The connection pool ``session`` draws from: one for each database an app reads."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    return engine.pool


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One unit of work per request: commit on success, roll back on error.

    Used with ``scope="function"`` so the commit happens before the response is
    sent: a write whose commit fails is never acknowledged.
    """
    database = get_database(request)
    writing = request.method in WRITE_METHODS
    if writing:
        maker = database.writer
    elif "authorization" in request.headers:
        # Keyed clients (editorial tools) read the primary: a replica may lag
        # behind the write they just made.
        maker = database.request_primary_reader
    else:
        maker = database.request_reader
    async with maker() as session:
        try:
            yield session
            if writing:
                await session.commit()
        except BaseException as exc:
            if is_database_unavailable(exc):
                # Not a ROLLBACK on a connection that stopped answering: that
                # would wait as long again. Dropped, it cannot be reused.
                await session.invalidate()
            else:
                await session.rollback()
            raise


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
DatabaseDep = Annotated[Database, Depends(get_database)]
