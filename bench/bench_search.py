"""Benchmark full-text search on SQLite and PostgreSQL with the synthetic corpus.

Run from the repository root::

    python -m bench.bench_search --articles 100000

For each database it loads ``--articles`` stories of ``bench/corpus.py`` straight
into a fresh database built by the migrations (bulk INSERTs of the rows the API
would store: bodies rendered as the API renders them, summaries derived, tags
linked; entity linking skipped), then runs the corpus's query mix through the
search service in process, one query at a time as a reader, and prints queries
per second and latency percentiles. The time measured is the whole service
call in its own session: parsing, matching, ranking, counting, loading the
page of 20 and highlighting it. ``--http`` also times the same mix through the
ASGI app (routing, JSON, cache headers). Then it adds the relevance collection
(``bench/relevance.py``) to the articles through the API, once, and prints the
nDCG@10 of its queries over everything loaded.

PostgreSQL is reached at ``--postgres`` (a database is created there and
dropped after, unless ``--keep``); ``--reuse`` runs the queries again on the
databases a ``--keep`` run left, without loading.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped, unused-ignore]
import httpx
from sqlalchemy import func, insert, select, text

if not __package__:
    # Run as a file: make the repository root importable.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.articles.content import count_words, derive_summary, reading_time_minutes, render_body
from app.articles.filters import LIST_FIELDS, ArticleFilters
from app.core.clock import utcnow
from app.core.config import Settings
from app.core.db import Database
from app.core.migrations import upgrade
from app.core.pagination import Page
from app.core.security import ANONYMOUS
from app.core.slugs import fold_name, make_slug
from app.keys.service import create_key
from app.main import create_app
from app.models import Article, ArticleTag, Tag
from app.search import service
from bench import relevance
from bench.corpus import QUERY_MIX, iter_articles

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
COMMON_WORD = "government"
BATCH = 1000
SHOW_SLOWEST = 8
TARGETS_MS = {
    ("postgresql", "mix"): 50.0,
    ("postgresql", COMMON_WORD): 150.0,
    ("sqlite", "mix"): 100.0,
}


def _percentiles(samples: Sequence[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles([sample * 1000 for sample in samples], n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


@dataclass
class Figures:
    """Latencies of one run: wall clock, and CPU time (this process and the database's)."""

    label: str
    wall: list[float]
    cpu: list[float] | None

    def line(self, target_ms: float | None) -> str:
        p50, p95, p99 = _percentiles(self.wall)
        verdict = ""
        if target_ms is not None:
            verdict = f"  p95 target {target_ms:.0f}: {'met' if p95 <= target_ms else 'MISSED'}"
        cpu = ""
        if self.cpu is not None:
            cpu_p50, cpu_p95, _ = _percentiles(self.cpu)
            cpu = f"  | cpu p50 {cpu_p50:6.1f} p95 {cpu_p95:6.1f}"
        return (
            f"  {self.label:<31} {len(self.wall):>4} q {len(self.wall) / sum(self.wall):>6.1f} q/s"
            f"  p50 {p50:6.1f} p95 {p95:6.1f} p99 {p99:6.1f} ms{cpu}{verdict}"
        )


# Loading ---------------------------------------------------------------------


def _rows(count: int, seed: int) -> Iterator[tuple[dict[str, Any], list[str]]]:
    """Article rows as the API stores them, each with its tag names."""
    rng = random.Random(seed)
    fallback = datetime.fromisoformat("2026-11-01T00:00:00+00:00")
    for index, payload in enumerate(iter_articles(count, seed=seed)):
        rendered = render_body(payload["body"], payload.get("body_format", "html"))
        summary = payload.get("summary")
        published = payload.get("published_at")
        published_at = datetime.fromisoformat(published) if published else None
        words = count_words(rendered.text)
        stamp = published_at or fallback
        row = {
            "id": uuid.UUID(int=rng.getrandbits(128), version=4),
            "slug": f"{make_slug(payload['title'], fallback='article')[:180]}-{index}",
            "title": payload["title"],
            "summary": summary if summary is not None else derive_summary(rendered.text),
            "summary_derived": summary is None,
            "body": payload["body"],
            "body_format": payload.get("body_format", "html"),
            "body_html": rendered.html,
            "body_text": rendered.text,
            "authors": payload.get("authors", []),
            "section": payload.get("section"),
            "language": payload.get("language", "en"),
            "status": payload.get("status", "draft"),
            "published_at": published_at,
            "canonical_url": payload.get("canonical_url"),
            "source": payload.get("source"),
            "image": None,
            "word_count": words,
            "reading_time_minutes": reading_time_minutes(words),
            "updated_by": "bench",
            "version": 1,
            "deleted_at": None,
            "created_at": stamp,
            "updated_at": stamp,
        }
        yield row, payload.get("tags", [])


async def load(database: Database, count: int, seed: int) -> None:
    tags: dict[str, uuid.UUID] = {}
    slugs: set[str] = set()
    started = time.perf_counter()
    loaded = 0
    batch: list[tuple[dict[str, Any], list[str]]] = []

    async def flush() -> None:
        new_tags = []
        links = []
        for row, names in batch:
            for position, name in enumerate(dict.fromkeys(names)):
                key = fold_name(name)
                if key not in tags:
                    tags[key] = uuid.uuid4()
                    slug = base = make_slug(name, fallback="tag")
                    suffix = 2
                    while slug in slugs:
                        slug, suffix = f"{base}-{suffix}", suffix + 1
                    slugs.add(slug)
                    now = utcnow()
                    new_tags.append(
                        {
                            "id": tags[key],
                            "slug": slug,
                            "name": name,
                            "name_key": key,
                            "version": 1,
                            "created_at": now,
                            "updated_at": now,
                            # Search's facets show the tags of what readers see.
                            "public_from": now,
                        }
                    )
                links.append({"article_id": row["id"], "tag_id": tags[key], "position": position})
        async with database.writer() as session, session.begin():
            if new_tags:
                await session.execute(insert(Tag), new_tags)
            await session.execute(insert(Article), [row for row, _names in batch])
            await session.execute(insert(ArticleTag), links)
        batch.clear()

    for item in _rows(count, seed):
        batch.append(item)
        if len(batch) == BATCH:
            await flush()
            loaded += BATCH
            if loaded % (10 * BATCH) == 0:
                rate = loaded / (time.perf_counter() - started)
                print(f"  loaded {loaded:,} articles ({rate:,.0f}/s)", flush=True)
    if batch:
        loaded += len(batch)
        await flush()
    elapsed = time.perf_counter() - started
    print(f"  loaded {loaded:,} articles in {elapsed:,.0f} s ({loaded / elapsed:,.0f}/s)")


async def analyze(database: Database) -> None:
    """What a running deployment has after a while: planner statistics (autovacuum, optimize)."""
    async with database.engine.connect() as connection:
        if database.dialect == "postgresql":
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            # Longer than any request may take.
            await autocommit.execute(text("SET statement_timeout = 0"))
            await autocommit.execute(text("VACUUM ANALYZE"))
        else:
            await connection.execute(text("ANALYZE"))
            await connection.commit()


# Measuring -------------------------------------------------------------------


class Timer:
    """Wall-clock and CPU time of calls; the CPU time counts this process (with the
    SQLite thread) and, when it runs on this machine, the PostgreSQL backend serving
    the one connection a sequential run uses. On a busy machine the wall clock
    counts waiting for a core; the CPU time is what an idle core would take."""

    def __init__(self, backend_pid: int | None) -> None:
        path = Path(f"/proc/{backend_pid}/schedstat") if backend_pid else None
        self.schedstat = path if path is not None and path.exists() else None
        # A PostgreSQL server elsewhere: its share of the CPU time is unknown.
        self.complete = backend_pid is None or self.schedstat is not None

    def cpu(self) -> float:
        spent = time.process_time()
        if self.schedstat is not None:
            spent += int(self.schedstat.read_text().split()[0]) / 1e9
        return spent

    async def run(
        self, label: str, call: Callable[[str], Awaitable[Any]], queries: Sequence[str]
    ) -> Figures:
        wall, cpu = [], []
        for q in queries:
            started, cpu_started = time.perf_counter(), self.cpu()
            await call(q)
            wall.append(time.perf_counter() - started)
            cpu.append(self.cpu() - cpu_started)
        return Figures(label, wall, cpu if self.complete else None)


def searcher(database: Database, **options: Any) -> Callable[[str], Awaitable[Any]]:
    async def run(q: str) -> Any:
        async with database.reader() as session:
            return await service.search_articles(
                session,
                text=q,
                filters=ArticleFilters(),
                sort=options.get("sort", "relevance"),
                page=Page(limit=20, offset=None, cursor=None),
                fields=LIST_FIELDS,
                facets=options.get("facets", ()),
                principal=ANONYMOUS,
                now=utcnow(),
            )

    return run


async def _backend_pid(database: Database) -> int | None:
    if database.dialect != "postgresql":
        return None
    async with database.reader() as session:
        pid: int = await session.scalar(text("SELECT pg_backend_pid()"))
    return pid


async def measure(
    database: Database, settings: Settings, *, rounds: int, repeat: int, http: bool
) -> None:
    mix = list(QUERY_MIX) * rounds
    common = [COMMON_WORD] * repeat
    relevance = searcher(database)
    timer = Timer(await _backend_pid(database))
    # Warm the caches (pages, prepared statements, the entity lookup) once.
    await timer.run("", relevance, QUERY_MIX)
    by_relevance = await timer.run("query mix, relevance", relevance, mix)
    runs = [
        ("mix", by_relevance),
        (
            "",
            await timer.run(
                "query mix, -published_at", searcher(database, sort="-published_at"), mix
            ),
        ),
        (COMMON_WORD, await timer.run(f"{COMMON_WORD!r}, relevance", relevance, common)),
        (
            "",
            await timer.run(
                f"{COMMON_WORD!r}, all four facets",
                searcher(database, facets=service.FACET_KINDS),
                common,
            ),
        ),
    ]
    if http:
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

                async def over_http(q: str) -> Any:
                    response = await client.get("/v1/search", params={"q": q})
                    response.raise_for_status()

                http_timer = Timer(None)
                await http_timer.run("", over_http, QUERY_MIX)
                figures = await http_timer.run("query mix over HTTP (ASGI)", over_http, mix)
                if database.dialect == "postgresql":
                    # The app has its own connections: their backends are not timed.
                    figures.cpu = None
                runs.append(("", figures))
    for key, figures in runs:
        print(figures.line(TARGETS_MS.get((database.dialect, key)) if key else None))
    print(await relevance_line(database, settings))
    print(f"  slowest of the mix by relevance (median of {rounds}, wall / cpu ms):")
    walls: dict[str, list[float]] = {}
    cpus: dict[str, list[float]] = {}
    for q, wall, cpu in zip(
        mix, by_relevance.wall, by_relevance.cpu or by_relevance.wall, strict=True
    ):
        walls.setdefault(q, []).append(wall)
        cpus.setdefault(q, []).append(cpu)
    slowest = sorted(walls, key=lambda q: statistics.median(walls[q]), reverse=True)
    for q in slowest[:SHOW_SLOWEST]:
        wall_ms = statistics.median(walls[q]) * 1000
        print(f"    {wall_ms:7.1f} / {statistics.median(cpus[q]) * 1000:6.1f}  {q}")


async def relevance_line(database: Database, settings: Settings) -> str:
    """nDCG@10 of the relevance collection (bench/relevance.py), added to the articles once."""
    async with database.writer() as session, session.begin():
        _key, raw = await create_key(
            session, name=f"bench-{uuid.uuid4().hex[:8]}", role="editor", now=utcnow()
        )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {raw}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", headers=headers
        ) as client:
            probe = await client.get("/v1/articles/" + next(relevance.stories())["slug"])
            if probe.status_code == 404:
                await relevance.load(client)

            async def search(q: str) -> list[str]:
                params: dict[str, str | int] = {"q": q, "limit": relevance.K, "fields": "id,slug"}
                response = await client.get("/v1/search", params=params)
                response.raise_for_status()
                return [hit["slug"] for hit in response.json()["data"]]

            mean, by_kind = await relevance.ndcg(search)
    kinds = ", ".join(f"{kind} {value:.3f}" for kind, value in by_kind.items())
    count = len(relevance.queries())
    return f"  relevance collection, {count} queries: nDCG@10 {mean:.3f} ({kinds})"


# Databases -------------------------------------------------------------------


async def _postgres_admin(url: str, statement: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def _count_articles(database: Database) -> int:
    async with database.reader() as session:
        return await session.scalar(select(func.count()).select_from(Article)) or 0


async def bench_database(kind: str, args: argparse.Namespace) -> None:
    name = f"lede_bench_search_{args.articles}"
    if kind == "sqlite":
        path = Path(args.sqlite_dir) / f"{name}.db"
        url = f"sqlite:///{path}"
    else:
        base = args.postgres.rsplit("/", 1)[0]
        url = f"{base}/{name}"
    print(f"{kind}: {url}")
    fresh = not args.reuse
    if fresh:
        if kind == "sqlite":
            path.parent.mkdir(parents=True, exist_ok=True)
            for leftover in path.parent.glob(f"{path.name}*"):
                leftover.unlink()
        else:
            await _postgres_admin(args.postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await _postgres_admin(args.postgres, f'CREATE DATABASE "{name}"')
        await asyncio.to_thread(upgrade, url)
    settings = Settings(database_url=url, log_level="warning", rate_limit_per_minute=0)
    database = Database.from_settings(settings)
    try:
        if fresh:
            await load(database, args.articles, args.seed)
            await analyze(database)
        print(f"  {await _count_articles(database):,} articles; concurrency 1, page of 20")
        await measure(database, settings, rounds=args.rounds, repeat=args.repeat, http=args.http)
    finally:
        await database.dispose()
        if not args.keep and not args.reuse:
            if kind == "sqlite":
                for leftover in path.parent.glob(f"{path.name}*"):
                    leftover.unlink()
            else:
                await _postgres_admin(
                    args.postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
                )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_search", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql"
    )
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="a maintenance database")
    parser.add_argument("--sqlite-dir", default="var", help="where the SQLite file goes")
    parser.add_argument("--rounds", type=int, default=3, help="times the query mix is run")
    parser.add_argument("--repeat", type=int, default=30, help=f"times {COMMON_WORD!r} is run")
    parser.add_argument("--http", action="store_true", help="also time the mix through the app")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument("--reuse", action="store_true", help="query the databases --keep left")
    args = parser.parse_args(argv)
    for kind in args.databases.split(","):
        asyncio.run(bench_database(kind.strip(), args))


if __name__ == "__main__":
    main(sys.argv[1:])
