"""The `lede` command."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer
import uvicorn
from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings, get_settings
from app.core.db import Database
from app.core.schema import upgrade
from app.core.security import Role

app = typer.Typer(help="Lede: a headless content API for newsrooms.", no_args_is_help=True)
keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
console = Console(stderr=True)
T = TypeVar("T")


def run_in_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one committed transaction against the configured database."""

    async def main() -> T:
        database = Database.from_settings(get_settings())
        try:
            async with database.writer() as session, session.begin():
                return await work(session)
        finally:
            await database.dispose()

    return asyncio.run(main())


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Serve the API (requests in flight finish on shutdown)."""
    # uvicorn re-raises the signal it stopped on, which would end a graceful stop
    # as "killed by SIGTERM"; once the requests in flight are done, exit 0.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        timeout_graceful_shutdown=30,
        access_log=False,
    )


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    settings: Settings = get_settings()
    upgrade(settings.database_url)
    console.print("[green]Schema is at head.[/green]")


@app.command()
def demo() -> None:
    """Load the seed story (Mali and MINUSMA), its entities and a small demo set."""
    from app.demo.load import load_demo

    created = run_in_session(load_demo)
    console.print(f"Demo content: {created}")


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="reader, editor or admin.")],
    name: Annotated[str, typer.Option(help="Who or what uses the key.")],
) -> None:
    """Make a key. The secret is printed once, alone on the last line."""
    from app.keys import service
    from app.models.base import utcnow

    if role not in ("reader", "editor", "admin"):
        raise typer.BadParameter("role must be reader, editor or admin", param_hint="--role")
    chosen: Role = role  # type: ignore[assignment]

    async def work(session: AsyncSession) -> tuple[Any, str]:
        return await service.create_key(session, name=name, role=chosen, now=utcnow())

    key, raw = run_in_session(work)
    console.print(
        f"Created {key.role} key {key.name!r} ({key.id}). Keep it: it is not shown again."
    )
    print(raw)


@keys_app.command("list")
def keys_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List keys (never their secrets)."""
    from app.keys import service

    async def work(session: AsyncSession) -> list[dict[str, Any]]:
        return [service.to_dict(k) for k in await service.list_keys(session)]

    keys = run_in_session(work)
    if as_json:
        print(json.dumps(keys, default=str, indent=2))
        return
    table = Table("id", "name", "role", "prefix", "created", "revoked")
    for k in keys:
        table.add_row(
            str(k["id"]),
            k["name"],
            k["role"],
            k["prefix"],
            str(k["created_at"]),
            str(k["revoked_at"] or ""),
        )
    Console().print(table)


@keys_app.command("revoke")
def keys_revoke(ref: Annotated[str, typer.Argument(help="Key id or name.")]) -> None:
    """Revoke a key."""
    from app.keys import service
    from app.models.base import utcnow

    async def work(session: AsyncSession) -> Any:
        return await service.revoke_key(session, ref, now=utcnow())

    key = run_in_session(work)
    console.print(f"Revoked {key.name!r} ({key.id}).")


def main() -> None:
    app()
