"""The `lede` command."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import tempfile
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import IO, Annotated, Any

import typer
import uvicorn
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from app.console import (
    announce_database,
    console,
    fail,
    plain_table,
    run_in_session,
    run_with_database,
    unusable,
)
from app.core.config import Settings, get_settings
from app.core.db import Database
from app.core.errors import ProblemError
from app.core.logging import configure_logging
from app.core.migrations import upgrade
from app.core.schemas import parse_utc, rfc3339
from app.core.security import Principal, Role
from app.ops.metrics import MULTIPROCESS_DIR

app = typer.Typer(help="Lede: a headless content API for newsrooms.", no_args_is_help=True)
keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
# How long `lede serve` lets requests in flight finish when told to stop.
DRAIN_SECONDS = 30
# Who `lede import` writes as, in revisions and `updated_by`.
IMPORTER = Principal(role="admin", name="lede import")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Serve the API (requests in flight finish on shutdown)."""
    run_with_database(_ready)
    configure_logging(get_settings())
    # uvicorn re-raises the signal it stopped on, which would end a graceful stop
    # as "killed by SIGTERM"; once the requests in flight are done, exit 0.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with ExitStack() as stack:
        if workers > 1 and MULTIPROCESS_DIR not in os.environ:
            # Each worker writes its metrics here, for /metrics to add them up;
            # made empty for this run, removed after it.
            os.environ[MULTIPROCESS_DIR] = stack.enter_context(
                tempfile.TemporaryDirectory(prefix="lede-metrics-")
            )
        uvicorn.run(
            "app.main:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            # X-Forwarded-For is read by the app, from LEDE_TRUSTED_PROXIES only.
            proxy_headers=False,
            timeout_graceful_shutdown=DRAIN_SECONDS,
            # A worker builds its entity matcher and checks the schema as it starts;
            # on a busy machine that outlasts uvicorn's default 5 s health check.
            timeout_worker_healthcheck=60,
            access_log=False,
            # Lede configures uvicorn's loggers itself: JSON lines like its own.
            log_config=None,
        )


async def _ready(database: Database) -> None:
    """Nothing more to check: run_with_database has found the database current."""


@app.command()
def worker(
    metrics_port: Annotated[
        int | None, typer.Option(help="Serve Prometheus metrics on this port.")
    ] = None,
) -> None:
    """Send webhooks (with LEDE_WEBHOOKS=worker); any number of workers may run."""
    from app.webhooks.sender import run_worker

    asyncio.run(run_worker(get_settings(), metrics_port=metrics_port))


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    settings: Settings = get_settings()
    announce_database(settings)
    try:
        applied = upgrade(settings.database_url)
    except (OSError, DBAPIError) as exc:
        raise unusable(settings, exc) from None
    from app.search import index as search_index

    if run_with_database(search_index.ensure, announce=False):
        console.print("Built the full-text index again: an import stopped early had left it out.")
    if not applied:
        console.print("The schema was already up to date: nothing to do.")
        return
    for revision in applied:
        console.print(f"  applied {revision}", highlight=False)
    console.print(f"[green]Applied {len(applied)} migration(s); the schema is up to date.[/green]")


@app.command()
def demo() -> None:
    """Load the seed story (Mali and MINUSMA), its entities and a small demo set."""
    from app.demo.load import load_demo

    created = run_in_session(load_demo)
    if not any(created.values()):
        console.print("The demo content is there already: nothing added.")
        return
    console.print(
        f"Loaded the demo: {created['articles']} articles and {created['entities']} entities."
    )


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help="reader, editor or admin.")],
    name: Annotated[str, typer.Option(help="Who or what uses the key.")],
) -> None:
    """Make a key. The secret is printed once, alone on the last line."""
    from app.core.clock import utcnow
    from app.keys import service

    if role not in ("reader", "editor", "admin"):
        raise typer.BadParameter("role must be reader, editor or admin", param_hint="--role")
    chosen: Role = role  # type: ignore[assignment]

    async def work(session: AsyncSession) -> tuple[Any, str]:
        return await service.create_key(session, name=name, role=chosen, now=utcnow())

    try:
        key, raw = run_in_session(work)
    except ProblemError as exc:
        raise fail(exc.detail or exc.title) from None
    console.print(
        f"Created {key.role} key {key.name!r} ({key.id}). Keep it: it is not shown again."
    )
    print(raw)


@keys_app.command("list")
def keys_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List keys (never their secrets)."""
    from app.keys import repository, service

    async def work(session: AsyncSession) -> list[dict[str, Any]]:
        keys, _total = await repository.keys_page(session, limit=None, offset=0)
        return [service.to_dict(k) for k in keys]

    keys = run_in_session(work)
    if as_json:
        print(json.dumps(keys, default=_json_value, indent=2))
        return
    header = ["id", "name", "role", "prefix", "created", "revoked"]
    rows = [
        [
            str(k["id"]),
            k["name"],
            k["role"],
            k["prefix"],
            rfc3339(k["created_at"]),
            rfc3339(k["revoked_at"]) if k["revoked_at"] else "",
        ]
        for k in keys
    ]
    out = Console()
    if not out.is_terminal:
        # Piped: plain columns that scripts can split, never cut to a width.
        print(plain_table([header, *rows]))
        return
    table = Table(*header)
    for column in table.columns:
        column.overflow = "fold"
    for row in rows:
        table.add_row(*row)
    out.print(table)


def _json_value(value: object) -> str:
    return rfc3339(value) if isinstance(value, datetime) else str(value)


@keys_app.command("revoke")
def keys_revoke(ref: Annotated[str, typer.Argument(help="Key id or name.")]) -> None:
    """Revoke a key."""
    from app.core.clock import utcnow
    from app.keys import service

    async def work(session: AsyncSession) -> Any:
        return await service.revoke_key(session, ref, now=utcnow())

    try:
        key = run_in_session(work)
    except ProblemError as exc:
        raise fail(exc.detail or exc.title) from None
    console.print(f"Revoked {key.name!r} ({key.id}).")


@app.command("import")
def import_articles(
    file: Annotated[str, typer.Argument(help="NDJSON or a JSON array of articles; - for stdin.")],
    batch_size: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=1000,
            help="Articles per transaction [default: about a hundredth of the file, 50 to 500].",
        ),
    ] = None,
    link_entities: Annotated[
        bool, typer.Option(help="Find mentions of known entities in each article.")
    ] = True,
) -> None:
    """Create or update articles from a file, matched by slug or canonical_url."""
    from app.articles import bulk_items, transfer
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
            items, total = bulk_items.read_items(stream)
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

            def advance(results: list[bulk_items.ItemResult]) -> None:
                progress.advance(task, len(results))

            tally = run_with_database(
                lambda database: transfer.import_articles(
                    database,
                    items,
                    principal=IMPORTER,
                    linking=linking,
                    batch_size=batch_size or smooth_batch_size(total),
                    expected=total,
                    on_batch=advance,
                ),
                bulk=True,
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


def smooth_batch_size(total: int | None) -> int:
    """Batches that move the progress bar about a hundred times, none under 50 or over 500."""
    return 500 if total is None else min(500, max(50, total // 100))


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
    from app.articles import transfer
    from app.core.http import dumps

    changed_since = _rfc3339(since)
    with ExitStack() as stack:
        out: IO[bytes] = (
            stack.enter_context(output.open("wb")) if output is not None else sys.stdout.buffer
        )

        async def work(database: Database) -> int:
            count = 0
            async with database.reader() as session:
                async for item in transfer.export_articles(session, since=changed_since):
                    out.write(dumps(item) + b"\n")
                    count += 1
            return count

        count = run_with_database(work)
        out.flush()
    console.print(f"Exported {count} articles.")


@app.command()
def reindex() -> None:
    """Rebuild the search index and the salience of mentions from the stored articles."""
    from app.articles import salience
    from app.changes.service import CHANGES_COUNTER, bump_at_commit
    from app.search import service as search_service

    async def work(session: AsyncSession) -> str:
        done = await search_service.reindex(session)
        changed = await salience.rescore_mentions(session)
        # Running workers drop the pages and searches they keep, made before.
        bump_at_commit(session, CHANGES_COUNTER)
        return f"{done}\nComputed the salience of mentions again: {changed} changed."

    console.print(run_in_session(work, bulk=True))


def main() -> None:
    app()
