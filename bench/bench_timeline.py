"""Benchmark entity timelines on PostgreSQL with the generated corpus.

Run ``python -m bench.bench_timeline`` from the repository root; ``--help``
lists the options. It creates a database, loads the corpus with
``bench.loader`` (100 000 stories by default), computes the salience of every
mention as ``lede reindex`` does (timed: that is how stored stories get it),
then times ``GET /v1/entities/{ref}/timeline`` for the entity whose published
stories number closest to ``--stories``, per interval, through the app. The
database is dropped at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

if not __package__:
    # Run as a file: make the repository root importable.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg
import httpx
from sqlalchemy import func, select

from app.articles import salience
from app.core.clock import utcnow
from app.core.config import Settings
from app.core.db import Database
from app.core.migrations import upgrade
from app.main import create_app
from app.models import Article, Entity, Mention
from bench.loader import load_corpus

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
TARGET_MS = 50.0


async def _admin(url: str, statement: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def _busiest(database: Database, stories: int) -> tuple[str, int]:
    """The slug of the entity whose published stories number closest to ``stories``."""
    count = func.count().label("count")
    async with database.reader() as session:
        rows = (
            await session.execute(
                select(Entity.slug, count)
                .join(Mention, Mention.entity_id == Entity.id)
                .join(Article, Article.id == Mention.article_id)
                .where(Article.status == "published", Article.published_at <= utcnow())
                .group_by(Entity.slug)
            )
        ).all()
    slug, found = min(rows, key=lambda row: abs(row[1] - stories))
    return str(slug), int(found)


async def _rescore(database: Database) -> tuple[int, float]:
    started = time.perf_counter()
    async with database.writer() as session, session.begin():
        changed = await salience.rescore_mentions(session)
    return changed, time.perf_counter() - started


async def _time_timelines(settings: Settings, slug: str, runs: int) -> list[tuple[str, str]]:
    app = create_app(settings)
    rows: list[tuple[str, str]] = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for interval in ("week", "month", "day"):
                url = f"/v1/entities/{slug}/timeline?interval={interval}"
                response = await client.get(url)
                response.raise_for_status()
                periods = len(response.json()["data"])
                timings = []
                for _ in range(runs):
                    started = time.perf_counter()
                    (await client.get(url)).raise_for_status()
                    timings.append((time.perf_counter() - started) * 1000)
                p95 = statistics.quantiles(timings, n=20)[18]
                rows.append(
                    (
                        f"timeline ?interval={interval} ({periods} periods): median / p95",
                        f"{statistics.median(timings):.1f} / {p95:.1f} ms",
                    )
                )
    return rows


async def run(args: argparse.Namespace) -> None:
    name = f"lede_bench_timeline_{uuid.uuid4().hex[:8]}"
    url = f"{args.postgres.rsplit('/', 1)[0]}/{name}"
    await _admin(args.postgres, f'CREATE DATABASE "{name}"')
    try:
        await asyncio.to_thread(upgrade, url)
        loaded = await load_corpus(url, articles=args.articles, seed=args.seed)
        settings = Settings(database_url=url, log_level="warning", rate_limit_per_minute=0)
        database = Database.from_settings(settings)
        try:
            changed, seconds = await _rescore(database)
            # Through a connection of its own: the app's statement timeout does not apply.
            await _admin(url, "VACUUM ANALYZE")
            slug, stories = await _busiest(database, args.stories)
        finally:
            await database.dispose()
        rows = [
            ("corpus", f"{loaded.counts['articles']:,} stories in {loaded.seconds:.0f} s"),
            ("salience of every mention (lede reindex)", f"{changed:,} set in {seconds:.0f} s"),
            ("entity", f"{slug}: {stories:,} published stories"),
            *await _time_timelines(settings, slug, args.runs),
        ]
        width = max(len(label) for label, _ in rows)
        for label, value in rows:
            print(f"{label:<{width}}  {value}")
        print(f"target: median ≤ {TARGET_MS:.0f} ms")
    finally:
        if args.keep:
            print(f"kept {url}")
        else:
            await _admin(args.postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--stories", type=int, default=5000, help="stories of the entity timed")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--runs", type=int, default=30, help="timed requests per interval")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="a maintenance database")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
