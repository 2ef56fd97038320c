"""Engines, sessions and the one-unit-of-work-per-request dependency."""

from __future__ import annotations

import asyncio
import math
import sqlite3
import time
from collections import namedtuple
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import CompoundSelect, Select, event, text
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.util import await_only, greenlet_spawn

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
    # A statement timeout of 0 sets none, on either side.
    command_timeout = (
        settings.statement_timeout_ms / 1000 + min(1.0, settings.database_timeout_seconds)
        if settings.statement_timeout_ms
        else None
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


# Hot reads on the driver's own connection ------------------------------------


@dataclass(frozen=True, slots=True)
class _Form:
    """A statement as one dialect runs it, for lists of given lengths: its SQL, where each
    positional value comes from (a parameter, or an item of a list parameter) and how
    values go in and come out (the column types' own conversions)."""

    sql: str
    sources: tuple[tuple[str, int | None, Any, Callable[[Any], Any] | None], ...]


class Prepared:
    """A read compiled once per dialect and run on a pooled connection's driver.

    For the reads every page view makes (the change-feed position, the article
    asked for, its tags and entities), the session, the connection wrapper and
    the result machinery cost several times what the database spends
    answering. Rows come back as named tuples, their values converted by the
    column types as a session would convert them.
    """

    def __init__(self, statement: Select[Any] | CompoundSelect[Any]) -> None:
        self.statement = statement
        self._compiled: dict[str, tuple[SQLCompiler, tuple[str, ...]]] = {}
        self._forms: dict[tuple[Any, ...], _Form] = {}
        self._results: dict[str, tuple[Callable[[Any], Any] | None, ...]] = {}
        columns = statement.selected_columns
        self.width = len(columns)
        self.row = namedtuple("Row", [column.key for column in columns], rename=True)  # type: ignore[misc]

    def form(self, dialect: Dialect, params: Mapping[str, Any]) -> _Form:
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            assert isinstance(compiled, SQLCompiler)
            lists = tuple(sorted(bind.key for bind in compiled.post_compile_params))
            found = self._compiled[dialect.name] = (compiled, lists)
        compiled, lists = found
        key = (dialect.name, *(len(params[name]) for name in lists))
        form = self._forms.get(key)
        if form is None:
            form = self._forms[key] = self._expand(dialect, compiled, lists, params)
        return form

    def _expand(
        self,
        dialect: Dialect,
        compiled: SQLCompiler,
        lists: Sequence[str],
        params: Mapping[str, Any],
    ) -> _Form:
        # An IN list of n values is n parameters, named "<list>_1" … "<list>_n".
        state = compiled.construct_expanded_state(params)
        sources: list[tuple[str, int | None, Any, Callable[[Any], Any] | None]] = []
        for name in state.positiontup or ():
            base, _, index = name.rpartition("_")
            if base in lists and index.isdigit():
                sources.append((base, int(index) - 1, None, state.processors.get(name)))
            else:
                bind = compiled.binds[name]
                process = bind.type._cached_bind_processor(dialect)
                sources.append((name, None, bind.value, process))
        return _Form(state.statement, tuple(sources))

    def results(self, dialect: Dialect) -> tuple[Callable[[Any], Any] | None, ...] | None:
        """How each column's values come out, once the driver has said their types."""
        return self._results.get(dialect.name)

    def learn_results(
        self, dialect: Dialect, column_types: Sequence[Any]
    ) -> tuple[Callable[[Any], Any] | None, ...]:
        # asyncpg's numeric conversions depend on the type the server reports.
        columns = self.statement.selected_columns
        found = self._results[dialect.name] = tuple(
            column.type._cached_result_processor(dialect, column_type)
            for column, column_type in zip(columns, column_types, strict=True)
        )
        return found


async def fetch_prepared(
    session: AsyncSession, prepared: Prepared, params: Mapping[str, Any]
) -> list[Any]:
    """The rows of ``prepared`` with ``params``, read as the session would read them.

    Outside a transaction (a GET's reads) on a connection of the session's
    pool, held for this one statement; inside one, on the session's own
    connection, so that a write sees what it wrote.
    """
    if session.in_transaction() or session.bind is None:
        result = await session.execute(prepared.statement, params)
        return list(result.all())
    engine = session.bind
    assert isinstance(engine, AsyncEngine)
    form = prepared.form(engine.dialect, params)
    args = []
    for name, index, default, process in form.sources:
        value = params.get(name, default) if index is None else params[name][index]
        args.append(value if process is None or value is None else process(value))
    connection = await engine.raw_connection()
    driver, name = connection.driver_connection, engine.dialect.driver
    try:
        results = prepared.results(engine.dialect) or prepared.learn_results(
            engine.dialect, await _column_types(driver, name, form.sql, prepared.width)
        )
        raw = await _driver_rows(driver, name, form, args)
    except BaseException as exc:
        # A connection a read failed on (a restart, a timeout) is not handed out again.
        connection.invalidate(exc if isinstance(exc, Exception) else None)
        raise
    finally:
        await greenlet_spawn(connection.close)
    return [
        prepared.row(
            *(v if p is None or v is None else p(v) for v, p in zip(r, results, strict=True))
        )
        for r in raw
    ]


async def _column_types(driver: Any, name: str, sql: str, count: int) -> list[Any]:
    if name == "asyncpg":
        return [attribute.type.oid for attribute in (await driver.prepare(sql)).get_attributes()]
    return [None] * count


async def _driver_rows(driver: Any, name: str, form: _Form, args: Sequence[Any]) -> list[Any]:
    if name == "asyncpg":
        return list(await driver.fetch(form.sql, *args))
    async with driver.execute(form.sql, args) as cursor:
        return list(await cursor.fetchall())
