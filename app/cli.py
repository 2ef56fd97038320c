"""The `lede` command."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import IO, Annotated, Any, TypeVar

import typer
import uvicorn
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings, get_settings
from app.core.db import Database
from app.core.errors import ProblemError
from app.core.schema import upgrade
from app.core.schemas import parse_utc
from app.core.security import Principal, Role

app = typer.Typer(help="Lede: a headless content API for newsrooms.", no_args_is_help=True)
keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
console = Console(stderr=True)
T = TypeVar("T")
# Who `lede import` writes as, in revisions and `updated_by`.
IMPORTER = Principal(role="admin", name="lede import")


def run_with_database(work: Callable[[Database], Awaitable[T]]) -> T:
    """Run ``work`` against the configured database."""

    async def main() -> T:
        database = Database.from_settings(get_settings())
        try:
            return await work(database)
        finally:
            await database.dispose()

    return asyncio.run(main())


def run_in_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one committed transaction against the configured database."""

    async def in_transaction(database: Database) -> T:
        async with database.writer() as session, session.begin():
            return await work(session)

    return run_with_database(in_transaction)


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
        # X-Forwarded-For is read by the app, from LEDE_TRUSTED_PROXIES only.
        proxy_headers=False,
        timeout_graceful_shutdown=30,
        # A worker builds its entity matcher and checks the schema as it starts;
        # on a busy machine that outlasts uvicorn's default 5 s health check.
        timeout_worker_healthcheck=60,
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

    try:
        key = run_in_session(work)
    except ProblemError as exc:
        console.print(f"[red]{exc.detail}[/red]")
        raise typer.Exit(1) from None
    console.print(f"Revoked {key.name!r} ({key.id}).")


@app.command("import")
def import_articles(
    file: Annotated[str, typer.Argument(help="NDJSON or a JSON array of articles; - for stdin.")],
    batch_size: Annotated[
        int, typer.Option(min=1, max=1000, help="Articles per transaction.")
    ] = 500,
    link_entities: Annotated[
        bool, typer.Option(help="Find mentions of known entities in each article.")
    ] = True,
) -> None:
    """Create or update articles from a file, matched by slug or canonical_url."""
    from app.articles import bulk
    from app.linking.service import LinkOptions

    linking = LinkOptions(
        enabled=link_entities, refresh_seconds=get_settings().entity_refresh_seconds
    )

    with ExitStack() as stack:
        if file == "-":
            stream: IO[bytes] = sys.stdin.buffer
        else:
            try:
                stream = stack.enter_context(Path(file).open("rb"))
            except OSError as exc:
                raise typer.BadParameter(str(exc), param_hint="FILE") from None
        try:
            items, total = bulk.read_items(stream)
        except ProblemError as exc:
            console.print(f"[red]Nothing imported:[/red] {exc.detail}")
            raise typer.Exit(1) from None
        progress = Progress(
            TextColumn("Importing"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        )
        with progress:
            task = progress.add_task("import", total=total)

            def advance(results: list[bulk.ItemResult]) -> None:
                progress.advance(task, len(results))

            tally = run_with_database(
                lambda database: bulk.import_articles(
                    database,
                    items,
                    principal=IMPORTER,
                    linking=linking,
                    batch_size=batch_size,
                    on_batch=advance,
                )
            )
    out = Console(soft_wrap=True)
    table = Table("created", "updated", "unchanged", "failed")
    table.add_row(*(str(n) for n in tally.counts().values()))
    out.print(table)
    for rejected in tally.rejected:
        where = f"line {rejected.line}" if rejected.line else f"item {rejected.index + 1}"
        problem = rejected.problem or {}
        out.print(f"{where}: {problem.get('status')} {problem.get('detail')}", markup=False)
    if tally.failed:
        raise typer.Exit(1)


def _rfc3339(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_utc(value)
    except ValueError:
        raise typer.BadParameter(
            "give an RFC 3339 time in the years 1 to 9999, such as 2024-05-01T00:00:00Z",
            param_hint="--since",
        ) from None


@app.command()
def export(
    since: Annotated[
        str | None, typer.Option(help="Only articles changed at or after this RFC 3339 time.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file, not stdout.")
    ] = None,
) -> None:
    """Write every article not in the trash as NDJSON that `lede import` reads back."""
    from app.articles import bulk
    from app.core.http import dumps

    changed_since = _rfc3339(since)
    with ExitStack() as stack:
        out: IO[bytes] = (
            stack.enter_context(output.open("wb")) if output is not None else sys.stdout.buffer
        )

        async def work(database: Database) -> int:
            count = 0
            async with database.reader() as session:
                async for item in bulk.export_articles(session, since=changed_since):
                    out.write(dumps(item) + b"\n")
                    count += 1
            return count

        count = run_with_database(work)
        out.flush()
    console.print(f"Exported {count} articles.")


@app.command()
def reindex() -> None:
    """Rebuild the full-text search index from the stored articles."""
    from app.search import service as search_service

    console.print(run_in_session(search_service.reindex))


def main() -> None:
    app()
