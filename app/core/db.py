"""Engines, sessions and the one-unit-of-work-per-request dependency."""

from __future__ import annotations

import asyncio
import math
import sqlite3
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.util import await_only

from app.core.config import Settings
from app.core.errors import is_database_unavailable

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
    # The server cancels a statement at its timeout; the client gives up one
    # second later, when only a server that stopped answering is still silent.
    # A request so costs at most the connect or the statement timeout, plus 1 s.
    command_timeout = settings.statement_timeout_ms / 1000 + min(
        1.0, settings.database_timeout_seconds
    )
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
            "command_timeout": command_timeout,
            "server_settings": server_settings,
        },
    )
    _drop_closed_connections(engine)
    return engine


# A pooled connection unused for this long is asked whether the server still
# holds it before it is handed out; a server that takes longer than
# PING_SECONDS to answer that is taken as gone (the pool connects anew).
IDLE_CHECK_SECONDS = 1.0
PING_SECONDS = 1.0


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

    @event.listens_for(engine.sync_engine, "handle_error")
    def on_error(context: Any) -> None:
        # The client's command timeout fired: the server stopped answering. Drop
        # the connection rather than wait as long again for its ROLLBACK.
        if isinstance(context.original_exception, TimeoutError):
            context.is_disconnect = True

    @event.listens_for(engine.sync_engine, "invalidate")
    def on_invalidate(dbapi_connection: Any, _record: Any, exception: Any) -> None:
        # Dropped for an error, it may be talking to a server that stopped
        # answering: cut it now, not after the driver's graceful close times
        # out too. A cancelled request's connection (CancelledError is no
        # Exception) closes gracefully, which ends the server's work on it.
        if isinstance(exception, Exception):
            dbapi_connection.driver_connection.terminate()

    @event.listens_for(engine.sync_engine, "checkout")
    def on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if dbapi_connection.driver_connection.is_closed():
            raise DisconnectionError("The server closed this connection.")
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_CHECK_SECONDS:
            return
        try:
            await_only(dbapi_connection.driver_connection.fetchrow(";", timeout=PING_SECONDS))
        except Exception as exc:  # whatever the reason, this connection cannot serve
            raise DisconnectionError("The server did not answer on this connection.") from exc


def _configure_sqlite(engine: AsyncEngine, settings: Settings) -> None:
    busy_ms = int(settings.database_timeout_seconds * 1000)
    limit = settings.statement_timeout_ms / 1000

    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, record: Any) -> None:
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
        # As https://sqlite.org/lang_analyze.html advises for every connection:
        # planner statistics kept fresh, at a bounded cost.
        cursor.execute("PRAGMA analysis_limit=400")
        cursor.execute("PRAGMA optimize=0x10002")
        cursor.close()
        if limit:
            # The statement timeout PostgreSQL has: SQLite asks this handler
            # every few thousand steps, and a true answer interrupts the statement.
            started = record.info[_STARTED] = [math.inf]
            await_only(
                dbapi_connection.driver_connection.set_progress_handler(
                    lambda: time.monotonic() - started[0] > limit, 4000
                )
            )

    if limit:

        @event.listens_for(engine.sync_engine, "before_cursor_execute")
        def start_clock(conn: Any, *_args: Any) -> None:
            conn.info[_STARTED][0] = time.monotonic()

        @event.listens_for(engine.sync_engine, "after_cursor_execute")
        def stop_clock(conn: Any, *_args: Any) -> None:
            conn.info[_STARTED][0] = math.inf

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


# Connection-record key: when the running statement started (SQLite).
_STARTED = "lede.statement_started"
# Session key: the transaction that holds this process's SQLite write turn.
_TURN = "lede.write_turn"


def _taking_turns(timeout: float) -> type[Session]:
    """Sessions whose transactions take the SQLite write lock in turn, first come first served.

    SQLite's own wait for its lock (the busy timeout) polls, with growing
    sleeps: a writer that commits and begins again at once, as a long bulk
    does between chunks, can keep a waiting writer out until it gives up. In
    this process writers queue instead; other processes still meet the busy
    timeout. The wait is as bounded as that timeout, then "database is locked".
    """
    turn = asyncio.Lock()

    class TakingTurns(Session):
        pass

    @event.listens_for(TakingTurns, "after_transaction_create")
    def wait_for_turn(session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is not None:
            return
        try:
            await_only(asyncio.wait_for(turn.acquire(), timeout))
        except TimeoutError:
            raise OperationalError(
                "BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked")
            ) from None
        session.info[_TURN] = transaction

    @event.listens_for(TakingTurns, "after_transaction_end")
    def end_turn(session: Session, transaction: SessionTransaction) -> None:
        if session.info.get(_TURN) is transaction:
            del session.info[_TURN]
            turn.release()

    return TakingTurns


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
            _taking_turns(settings.database_timeout_seconds)
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
