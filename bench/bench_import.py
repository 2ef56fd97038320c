"""Benchmark `lede import`: synthetic stories into a fresh SQLite file and PostgreSQL database.

Run ``python -m bench.bench_import --articles 10000`` from the repository root;
``--help`` lists the options. The stories come from ``bench.corpus`` (fixed seed),
are written once as NDJSON, then read and upserted by the code ``lede import`` runs,
in batches of one transaction each. Prints articles per second for each database.

With ``--corpus /tmp/corpus/articles`` the stories are those of the shared
yardstick's corpus (``articles.ndjson``), each naming its entities by name and
type as the yardstick imports them, and that corpus's entities
(``articles.entities.ndjson``) are loaded first.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import asyncpg
import orjson

from app.articles.bulk_items import ItemResult, Tally, read_items
from app.articles.transfer import import_articles
from app.cli import IMPORTER
from app.core.clock import utcnow
from app.core.config import Settings
from app.core.db import Database
from app.core.migrations import upgrade
from app.entities.schemas import EntityCreate
from app.entities.service import create_entities
from bench.corpus import DEFAULT_ENTITY_COUNT, iter_articles, make_entities

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass(frozen=True, slots=True)
class Plan:
    corpus: Path
    batch_size: int
    again: bool
    entities: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Run:
    database: str
    label: str
    tally: Tally
    seconds: float
    cpu_seconds: float

    def line(self, articles: int) -> str:
        counts = ", ".join(f"{k} {v:,}" for k, v in self.tally.counts().items())
        # Client CPU (this process) per article: less swayed by a busy machine than wall time.
        return (
            f"{self.database:<11} {self.label:<7} {articles:>8,} articles in "
            f"{self.seconds:7.1f} s  {articles / self.seconds:8,.0f} articles/s  "
            f"{self.cpu_seconds * 1000 / articles:6.1f} ms CPU/article  ({counts})"
        )


def write_corpus(path: Path, articles: Iterable[dict[str, Any]], count: int) -> None:
    started = time.perf_counter()
    with path.open("wb") as out:
        for article in islice(articles, count):
            out.write(orjson.dumps(article, option=orjson.OPT_APPEND_NEWLINE))
    print(f"corpus: {count:,} articles in {time.perf_counter() - started:.1f} s", file=sys.stderr)


def yardstick_articles(stem: str) -> Iterator[dict[str, Any]]:
    """The shared corpus's stories as the yardstick imports them: entities by name and type."""
    with Path(f"{stem}.ndjson").open("rb") as lines:
        for line in lines:
            a = orjson.loads(line)
            yield {
                "slug": a["slug"],
                "title": a["title"],
                "summary": a["summary"],
                "body": a["body"],
                "body_format": "text",
                "published_at": a["published_at"],
                "status": a["status"],
                "section": a.get("section"),
                "tags": a.get("tags", []),
                "entities": [{"name": e["name"], "type": e["type"]} for e in a.get("entities", [])],
            }


def yardstick_entities(stem: str) -> list[dict[str, Any]]:
    """The shared corpus's entities, as the yardstick posts them."""
    with Path(f"{stem}.entities.ndjson").open("rb") as lines:
        return [
            {"name": e["name"], "type": e["type"], "slug": e["slug"], "aliases": e["aliases"]}
            for e in map(orjson.loads, lines)
        ]


def open_database(url: str) -> Database:
    # No timeouts: a batch's statements may take long on a busy machine.
    return Database.from_settings(
        Settings(database_url=url, statement_timeout_ms=0, database_timeout_seconds=3600)
    )


async def load_entities(url: str, entities: list[dict[str, Any]]) -> None:
    """The entities the stories name, so that linking has something to find (not timed)."""
    database = open_database(url)
    try:
        async with database.writer() as session, session.begin():
            for start in range(0, len(entities), 1000):
                chunk = [EntityCreate(**entity) for entity in entities[start : start + 1000]]
                await create_entities(session, chunk, now=utcnow())
    finally:
        await database.dispose()


async def timed_import(url: str, plan: Plan, label: str) -> tuple[Tally, float, float]:
    database = open_database(url)
    done = 0
    started = time.perf_counter()
    cpu_started = time.process_time()

    def report(results: list[ItemResult]) -> None:
        nonlocal done
        done += len(results)
        rate = done / (time.perf_counter() - started)
        print(f"  {label}: {done:,} ({rate:,.0f}/s)", file=sys.stderr)

    try:
        with plan.corpus.open("rb") as stream:
            items, total = read_items(stream)
            tally = await import_articles(
                database,
                items,
                principal=IMPORTER,
                batch_size=plan.batch_size,
                expected=total,
                on_batch=report,
            )
        return tally, time.perf_counter() - started, time.process_time() - cpu_started
    finally:
        await database.dispose()


async def run_on(name: str, url: str, plan: Plan) -> list[Run]:
    await asyncio.to_thread(upgrade, url)
    await load_entities(url, plan.entities)
    runs = []
    for label in ("import", "again")[: 2 if plan.again else 1]:
        tally, seconds, cpu_seconds = await timed_import(url, plan, f"{name} {label}")
        runs.append(Run(name, label, tally, seconds, cpu_seconds))
    return runs


async def on_postgres(admin_url: str, plan: Plan) -> list[Run]:
    name = f"lede_bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        return await run_on("postgresql", f"{admin_url.rsplit('/', 1)[0]}/{name}", plan)
    finally:
        admin = await asyncpg.connect(admin_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_import", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument(
        "--entities",
        type=int,
        default=0,
        help="Known entities loaded first, for linking to find (0: none, linking finds nothing).",
    )
    parser.add_argument(
        "--databases", default="sqlite,postgresql", help="Comma-separated: sqlite, postgresql."
    )
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES, help="Where to create it.")
    parser.add_argument(
        "--corpus",
        metavar="STEM",
        help="The shared yardstick's corpus (STEM.ndjson, STEM.entities.ndjson) instead of "
        "generated stories: its entities are loaded, and the stories name theirs.",
    )
    parser.add_argument(
        "--again", action="store_true", help="Import the same file a second time (unchanged)."
    )
    args = parser.parse_args(argv)
    chosen = {d.strip() for d in args.databases.split(",") if d.strip()}
    if not chosen <= {"sqlite", "postgresql"}:
        parser.error("--databases takes sqlite and/or postgresql")

    if args.corpus:
        loaded = yardstick_entities(args.corpus)
        articles: Iterable[dict[str, Any]] = yardstick_articles(args.corpus)
    else:
        # The stories name the corpus entities whether or not they are loaded; the
        # first are the ones named most often.
        entities = make_entities(max(args.entities, DEFAULT_ENTITY_COUNT), seed=args.seed)
        articles = iter_articles(args.articles, seed=args.seed, entities=entities)
        loaded = entities[: args.entities]
    with tempfile.TemporaryDirectory(prefix="lede-bench-") as scratch:
        plan = Plan(
            corpus=Path(scratch) / "articles.ndjson",
            batch_size=args.batch_size,
            again=args.again,
            entities=loaded,
        )
        write_corpus(plan.corpus, articles, args.articles)
        runs: list[Run] = []
        if "sqlite" in chosen:
            runs += await run_on("sqlite", f"sqlite:///{Path(scratch) / 'lede.db'}", plan)
        if "postgresql" in chosen:
            runs += await on_postgres(args.postgres_url, plan)
    for run in runs:
        print(run.line(args.articles))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
