"""Engines, sessions and the one-unit-of-work-per-request dependency."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from app.core.config import Settings

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def make_sqlite_folder(url: str) -> None:
    """SQLite makes the file but not its folder (./var/ on a fresh checkout)."""
    parsed = make_url(url)
    database = parsed.database or ""
    local_file = database not in ("", ":memory:") and not database.startswith("file:")
    if parsed.get_backend_name() == "sqlite" and local_file:
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def create_engine(url: str, settings: Settings) -> AsyncEngine:
    """An async engine with the per-connection settings each database needs."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        make_sqlite_folder(url)
        engine = create_async_engine(
            url, connect_args={"timeout": settings.database_timeout_seconds}
        )
        _configure_sqlite(engine, settings)
        return engine
    server_settings = {"application_name": "lede"}
    if settings.statement_timeout_ms:
        server_settings["statement_timeout"] = str(settings.statement_timeout_ms)
    return create_async_engine(
        url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_pool_size,
        pool_timeout=settings.database_timeout_seconds,
        pool_pre_ping=True,
        connect_args={
            "timeout": settings.database_timeout_seconds,
            # A server that stops answering must not hang a request for ever.
            "command_timeout": settings.statement_timeout_ms / 1000
            + settings.database_timeout_seconds,
            "server_settings": server_settings,
        },
    )


def _configure_sqlite(engine: AsyncEngine, settings: Settings) -> None:
    busy_ms = int(settings.database_timeout_seconds * 1000)

    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, say when a transaction begins, so that a
        # writing transaction can take the write lock up front (BEGIN IMMEDIATE):
        # a deferred one that reads then writes fails with "database is locked"
        # whatever the busy timeout (https://sqlite.org/lang_transaction.html).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@dataclass(slots=True)
class Database:
    """The engines of one running app: the primary, and a read replica when configured."""

    engine: AsyncEngine
    read_engine: AsyncEngine
    writer: async_sessionmaker[AsyncSession]
    reader: async_sessionmaker[AsyncSession]
    # Reads on the primary, for clients that must see their own writes.
    primary_reader: async_sessionmaker[AsyncSession]

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        engine = create_engine(settings.database_url, settings)
        read_engine = (
            create_engine(settings.database_read_url, settings)
            if settings.database_read_url
            else engine
        )
        writer_bind = engine.execution_options(sqlite_immediate=True)
        return cls(
            engine=engine,
            read_engine=read_engine,
            writer=async_sessionmaker(writer_bind, expire_on_commit=False),
            reader=async_sessionmaker(read_engine, expire_on_commit=False),
            primary_reader=async_sessionmaker(engine, expire_on_commit=False),
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()


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
        maker = database.primary_reader
    else:
        maker = database.reader
    async with maker() as session:
        try:
            yield session
            if writing:
                await session.commit()
        except BaseException:
            await session.rollback()
            raise


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
DatabaseDep = Annotated[Database, Depends(get_database)]
