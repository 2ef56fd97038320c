"""What SQLite needs: a folder for its file, per-connection settings, a statement timeout,
and writers that take turns for its one write lock."""

from __future__ import annotations

import asyncio
import math
import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.util import await_only

from app.core.config import Settings


def make_sqlite_folder(url: str) -> None:
    """SQLite makes the file but not its folder (./var/ on a fresh checkout)."""
    parsed = make_url(url)
    database = parsed.database or ""
    local_file = database not in ("", ":memory:") and not database.startswith("file:")
    if parsed.get_backend_name() == "sqlite" and local_file:
        Path(database).parent.mkdir(parents=True, exist_ok=True)


# Connection-record key: when the running statement started (SQLite).
_STARTED = "lede.statement_started"
# Session key: the transaction that holds this process's SQLite write turn.
_TURN = "lede.write_turn"


def configure_sqlite(engine: AsyncEngine, settings: Settings) -> None:
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


def taking_turns(timeout: float) -> type[Session]:
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
