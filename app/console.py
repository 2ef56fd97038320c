"""What every `lede` command shares: its messages, and running against the database.

A database that is missing, unreachable or behind the code's schema is one
clear line and exit status 2, never a traceback, and no file is made.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import typer
from rich.console import Console
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings, get_settings
from app.core.db import Database
from app.core.migrations import SchemaBehind, check_schema

# Messages are never wrapped: an error stays one line, whatever the width.
console = Console(stderr=True, soft_wrap=True)
T = TypeVar("T")


def shown_url(url: str) -> str:
    """The database URL as it may be printed: the password hidden, the driver left out."""
    parsed = make_url(url)
    return parsed.set(drivername=parsed.get_backend_name()).render_as_string(hide_password=True)


def announce_database(settings: Settings) -> None:
    console.print(
        f"Database: {shown_url(settings.database_url)}", style="dim", markup=False, highlight=False
    )


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print one clear line, and the exit to raise."""
    console.print(message, style="red", markup=False, highlight=False)
    return typer.Exit(code)


def _missing_sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return None
    path = Path(database)
    return None if path.exists() else path


def run_with_database(
    work: Callable[[Database], Awaitable[T]], *, announce: bool = True, bulk: bool = False
) -> T:
    """Run ``work`` against the configured database, once it is known to be there and current.

    A database that is missing, unreachable or not migrated is one line and
    exit status 2, and no file is made. ``announce``: say first which database it is.
    ``bulk``: a job over the whole archive (an import, a reindex), whose statements
    the statement timeout meant for requests does not bound.
    """
    settings = get_settings()
    if bulk:
        settings = settings.model_copy(update={"statement_timeout_ms": 0})
    if announce:
        announce_database(settings)
    missing = _missing_sqlite_file(settings.database_url)
    if missing is not None:
        raise fail(f"There is no database at {missing}: run `lede migrate` first.", 2)

    async def main() -> T:
        database = Database.from_settings(settings)
        try:
            await check_schema(database.engine)
            return await work(database)
        finally:
            await database.dispose()

    try:
        return asyncio.run(main())
    except SchemaBehind as exc:
        raise fail(str(exc), 2) from None
    except (OSError, DBAPIError) as exc:
        raise unusable(settings, exc) from None


def unusable(settings: Settings, exc: Exception) -> typer.Exit:
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return fail(f"Cannot use the database {shown_url(settings.database_url)}: {reason}", 2)


def run_in_session(work: Callable[[AsyncSession], Awaitable[T]], *, bulk: bool = False) -> T:
    """Run ``work`` in one committed transaction against the configured database."""

    async def in_transaction(database: Database) -> T:
        async with database.writer() as session, session.begin():
            return await work(session)

    return run_with_database(in_transaction, bulk=bulk)


def plain_table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )
