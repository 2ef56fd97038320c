"""Engines for SQLite or PostgreSQL, and pooled connections checked before they are handed out."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.util import await_only

from app.core.config import Settings
from app.core.sqlite import configure_sqlite, make_sqlite_folder


def create_engine(url: str, settings: Settings) -> AsyncEngine:
    """An async engine with the per-connection settings each database needs."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        make_sqlite_folder(url)
        engine = create_async_engine(
            url, connect_args={"timeout": settings.database_timeout_seconds}
        )
        configure_sqlite(engine, settings)
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
