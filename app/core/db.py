"""Engines, sessions and the one-unit-of-work-per-request dependency."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
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
    engine = create_async_engine(
        url,
        # Up to twice the pool size, as before, but kept once opened: overflow
        # connections closed on return were opened again moments later under
        # load, each a new server process and TLS handshake.
        pool_size=2 * settings.database_pool_size,
        max_overflow=0,
        pool_timeout=settings.database_timeout_seconds,
        connect_args={
            "timeout": settings.database_timeout_seconds,
            # A server that stops answering must not hang a request for ever.
            "command_timeout": settings.statement_timeout_ms / 1000
            + settings.database_timeout_seconds,
            "server_settings": server_settings,
        },
    )
    _drop_closed_connections(engine)
    return engine


# A pooled connection unused for this long is asked whether the server still
# holds it before it is handed out.
IDLE_CHECK_SECONDS = 1.0


def _drop_closed_connections(engine: AsyncEngine) -> None:
    """Never hand out a pooled connection the server has closed (a restart, a killed backend).

    In place of ``pool_pre_ping``, which asks the server on every checkout
    (BEGIN, a query, ROLLBACK: three round trips, more than a cached read): a
    close the driver has seen is known without asking, and only a connection
    left idle is asked. One the server ends in the very moment it is handed out
    fails that one request (503) and is replaced.
    """

    @event.listens_for(engine.sync_engine, "checkin")
    def on_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if dbapi_connection.driver_connection.is_closed():
            raise DisconnectionError("The server closed this connection.")
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_CHECK_SECONDS:
            return
        dialect = engine.dialect
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            if dialect.is_disconnect(exc, dbapi_connection, None):
                raise DisconnectionError("The server closed this connection.") from exc
            raise


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
        return cls(
            engine=engine,
            read_engine=read_engine,
            writer=async_sessionmaker(writer_bind, expire_on_commit=False),
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
        except BaseException:
            await session.rollback()
            raise


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
DatabaseDep = Annotated[Database, Depends(get_database)]
