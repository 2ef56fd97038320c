"""Soak Lede with a mixed read and write load for a while, and say whether it held.

Run from the repository root::

    .venv/bin/python -m bench.soak --articles 10000 --db both --duration 120 --rate 10

For each database it takes the generated corpus of ``bench.corpus`` (loaded once
with ``bench.loader``, as ``bench.bench_http`` does, and reused: PostgreSQL
database ``<prefix>_<n>``, SQLite file ``var/bench/<prefix>-<n>.db``), copies it
for the run (the writes change it), starts ``lede serve`` on it on loopback and
sends, at a fixed rate, a mix of anonymous reads (article lists and details,
search, tag, entity and author lists, tag and entity typeahead) and an editor's
writes (creates, PATCHes without ``If-Match``, and a bulk request every half
minute). Prints the answers by
status, p50 and p99 per kind, and the server's RSS at the start and the end.
Bounded: it stops after ``--duration`` seconds, and each request after 10 (a
bulk request after 60).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import sqlite3
import statistics
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from app.core.clock import utcnow
from app.core.config import async_database_url
from app.keys.service import create_key
from app.models import Entity, Tag
from bench.bench_http import (
    DEFAULT_POSTGRES,
    VAR,
    Server,
    Target,
    _admin,
    lede_command,
    prepare_postgres,
    prepare_sqlite,
    sample_articles,
    serving,
)
from bench.corpus import DEFAULT_ENTITY_COUNT, QUERY_MIX

REQUEST_TIMEOUT = 10.0
# A bulk request writes many stories: it is given longer.
BULK_TIMEOUT = 60.0
SAMPLE = 1000
# Kinds of request and their share of the mix (bulk requests come on a timer).
MIX: dict[str, int] = {
    "list": 15,
    "detail": 25,
    "search": 10,
    "tags": 5,
    "tags?q": 10,
    "tag": 3,
    "entities": 5,
    "entities?q": 10,
    "entity": 3,
    "authors": 2,
    # A busy newsroom's desk: about one save every two seconds at the default rate.
    "create": 1,
    "patch": 2,
}
WRITES = frozenset({"create", "patch", "bulk"})
KINDS = (*MIX, "bulk")


@dataclass(frozen=True, slots=True)
class Corpus:
    """What the load picks from: stored slugs, tag and entity names and slugs, an editor's key."""

    slugs: list[str]
    tags: list[tuple[str, str]]
    entities: list[tuple[str, str]]
    key: str


@dataclass(slots=True)
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, kind: str, status: str, seconds: float) -> None:
        self.latencies.setdefault(kind, []).append(seconds)
        self.statuses.setdefault(kind, Counter())[status] += 1

    def errors(self) -> Counter[str]:
        found: Counter[str] = Counter()
        for counts in self.statuses.values():
            found.update({s: n for s, n in counts.items() if not s.startswith(("2", "3"))})
        return found


def _percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


# The database of a run --------------------------------------------------------


@contextlib.asynccontextmanager
async def run_copy(target: Target, admin_url: str) -> AsyncIterator[str]:
    """A copy of the loaded corpus for one run, removed afterwards."""
    if target.kind == "sqlite":
        source = VAR / target.database
        copy = source.with_name(source.stem + ".run.db")
        await asyncio.to_thread(_copy_sqlite, source, copy)
        try:
            yield f"sqlite:///{copy}"
        finally:
            for path in copy.parent.glob(copy.name + "*"):
                path.unlink()
        return
    name = f"{target.database}_run"
    await _admin(
        admin_url,
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        f'CREATE DATABASE "{name}" TEMPLATE "{target.database}"',
    )
    try:
        yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
    finally:
        await _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _copy_sqlite(source: Any, copy: Any) -> None:
    with sqlite3.connect(source) as original, sqlite3.connect(copy) as duplicate:
        original.backup(duplicate)


async def read_corpus(url: str) -> Corpus:
    """Published slugs, public tag and entity names, and a new editor key."""
    slugs = [slug for slug, _etag in await sample_articles(url, SAMPLE)]
    engine = create_async_engine(async_database_url(url))
    try:
        async with async_sessionmaker(engine)() as session:
            now = utcnow()
            tags = [
                (name, slug)
                for name, slug in await session.execute(
                    select(Tag.name, Tag.slug).where(Tag.public_from <= now).limit(SAMPLE)
                )
            ]
            entities = [
                (name, slug)
                for name, slug in await session.execute(
                    select(Entity.name, Entity.slug).where(Entity.public_from <= now).limit(SAMPLE)
                )
            ]
            _key, raw = await create_key(session, name="soak", role="editor", now=now)
            await session.commit()
    finally:
        await engine.dispose()
    return Corpus(slugs, tags, entities, raw)


# The load ---------------------------------------------------------------------


class Load:
    """Requests of each kind, built from the corpus with a seeded random source."""

    def __init__(self, corpus: Corpus, seed: int) -> None:
        self.corpus = corpus
        self.rng = random.Random(seed)
        self.made = 0
        self.kinds = list(MIX)
        self.weights = list(MIX.values())

    def _prefix(self, named: Sequence[tuple[str, str]]) -> str:
        """What an editor has typed of a name so far: its first one to three letters."""
        name, _slug = self.rng.choice(named)
        return quote(name[: self.rng.randint(1, 3)].lower())

    def _story(self, title: str) -> dict[str, Any]:
        rng, corpus = self.rng, self.corpus
        (one, _), (other, _) = rng.sample(corpus.entities, 2)
        return {
            "title": title,
            "status": "published",
            "body": f"<p>{one} met {other} on the desk today, and the wire followed the story"
            " all afternoon.</p>",
            "tags": [name for name, _slug in rng.sample(corpus.tags, 2)],
        }

    def request(self) -> tuple[str, str, str, dict[str, Any]]:
        """(kind, method, path, request options) of the next request."""
        rng, corpus = self.rng, self.corpus
        kind = rng.choices(self.kinds, self.weights)[0]
        slug = rng.choice(corpus.slugs)
        if kind == "create":
            self.made += 1
            return kind, "POST", "/v1/articles", {"json": self._story(f"Soak story {self.made}")}
        if kind == "patch":
            summary = f"Updated at {time.time():.3f}"
            return kind, "PATCH", f"/v1/articles/{slug}", {"json": {"summary": summary}}
        paths: dict[str, Callable[[], str]] = {
            "list": lambda: f"/v1/articles?limit=20&offset={rng.randrange(0, 200, 20)}",
            "detail": lambda: f"/v1/articles/{slug}",
            "search": lambda: f"/v1/search?q={quote(rng.choice(QUERY_MIX))}",
            "tags": lambda: "/v1/tags?limit=20",
            "tags?q": lambda: f"/v1/tags?q={self._prefix(corpus.tags)}&limit=10",
            "tag": lambda: f"/v1/tags/{rng.choice(corpus.tags)[1]}",
            "entities": lambda: "/v1/entities?limit=20",
            "entities?q": lambda: f"/v1/entities?q={self._prefix(corpus.entities)}&limit=10",
            "entity": lambda: f"/v1/entities/{rng.choice(corpus.entities)[1]}",
            "authors": lambda: "/v1/authors?sort=-article_count&limit=20",
        }
        return kind, "GET", paths[kind](), {}

    def bulk(self, size: int) -> tuple[str, str, str, dict[str, Any]]:
        """Half new stories, half updates of stored ones, as an ingester sends them."""
        items = [
            {**self._story(f"Soak bulk story {self.made + i}"), "slug": f"soak-bulk-{i}"}
            for i in range(size // 2)
        ]
        self.made += size // 2
        items += [
            {"slug": slug, "title": f"Wire update {i}", "status": "published"}
            for i, slug in enumerate(self.rng.sample(self.corpus.slugs, size - size // 2))
        ]
        body = "".join(json.dumps(item) + "\n" for item in items)
        headers = {"Content-Type": "application/x-ndjson"}
        return "bulk", "POST", "/v1/articles:bulk", {"content": body, "headers": headers}


async def _send(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
    tally: Tally,
    request: tuple[str, str, str, dict[str, Any]],
    inflight: asyncio.Semaphore,
) -> None:
    kind, method, path, options = request
    reader, editor = clients
    started = time.monotonic()
    try:
        client = editor if kind in WRITES else reader
        timeout = BULK_TIMEOUT if kind == "bulk" else REQUEST_TIMEOUT
        response = await client.request(method, path, timeout=timeout, **options)
        status = str(response.status_code)
    except httpx.TimeoutException:
        status = "timeout"
    except httpx.HTTPError as exc:
        status = type(exc).__name__
    finally:
        inflight.release()
    tally.add(kind, status, time.monotonic() - started)


async def soak(server: Server, corpus: Corpus, args: argparse.Namespace) -> Tally:
    """Requests at ``args.rate`` a second (a bulk every ``args.bulk_every``) for the duration."""
    load = Load(corpus, args.seed)
    tally = Tally()
    inflight = asyncio.Semaphore(args.max_inflight)
    tasks: set[asyncio.Task[None]] = set()
    base_url = f"http://127.0.0.1:{server.port}"
    limits = httpx.Limits(max_connections=args.max_inflight)
    # Readers are anonymous, as a site's are; the newsroom writes with a key.
    async with (
        httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT, limits=limits) as reader,
        httpx.AsyncClient(
            base_url=base_url,
            headers={"Authorization": f"Bearer {corpus.key}"},
            timeout=REQUEST_TIMEOUT,
            limits=limits,
        ) as editor,
    ):
        started = time.monotonic()
        next_bulk = started + args.bulk_every
        sent = 0
        while (now := time.monotonic()) - started < args.duration:
            due = started + sent / args.rate
            if due > now:
                await asyncio.sleep(due - now)
            await inflight.acquire()
            if args.bulk_every and time.monotonic() >= next_bulk:
                request = load.bulk(args.bulk_size)
                next_bulk += args.bulk_every
            else:
                request = load.request()
                sent += 1
            task = asyncio.create_task(_send((reader, editor), tally, request, inflight))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.wait(tasks)
    return tally


def render(kind: str, tally: Tally, rss: tuple[float | None, float | None], seconds: float) -> str:
    lines = [
        f"{kind}: {sum(map(len, tally.latencies.values())):,} requests in {seconds:.0f} s; "
        f"RSS {_mib(rss[0])} MiB at the start, {_mib(rss[1])} MiB at the end",
        "",
        "| kind | requests | statuses | p50 ms | p99 ms | max ms |",
        "|---|---|---|---|---|---|",
    ]
    every: list[float] = []
    for name in KINDS:
        values = tally.latencies.get(name)
        if not values:
            continue
        every += values
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(tally.statuses[name].items()))
        lines.append(
            f"| {name} | {len(values):,} | {statuses} | {_ms(statistics.median(values))} "
            f"| {_ms(_percentile(values, 0.99))} | {_ms(max(values))} |"
        )
    if every:
        lines.append(
            f"| all | {len(every):,} | | {_ms(statistics.median(every))} "
            f"| {_ms(_percentile(every, 0.99))} | {_ms(max(every))} |"
        )
    errors = tally.errors()
    lines += ["", f"errors: {dict(errors) if errors else 0}"]
    return "\n".join(lines)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}"


def _mib(value: float | None) -> str:
    return "?" if value is None else f"{value:,.0f}"


async def soak_database(kind: str, args: argparse.Namespace) -> str:
    print(f"{kind}: preparing {args.articles:,} articles", flush=True)
    if kind == "sqlite":
        target = await prepare_sqlite(args.articles, args.entities, False, name=args.prefix)
    else:
        target = await prepare_postgres(
            args.postgres, args.articles, args.entities, False, name=args.prefix
        )
    async with run_copy(target, args.postgres) as url:
        corpus = await read_corpus(url)
        env = {
            "LEDE_DATABASE_URL": url,
            "LEDE_RATE_LIMIT_PER_MINUTE": "0",
            "LEDE_LOG_LEVEL": "warning",
        }
        label = f"soak-{kind}"
        async with serving(
            label,
            lede_command(args.port, args.workers),
            env=env,
            port=args.port,
            cores=args.cores,
            workers=args.workers,
        ) as server:
            rss_start = server.rss_mib()
            print(f"{kind}: {args.duration:.0f} s at {args.rate:g} requests/s", flush=True)
            started = time.monotonic()
            tally = await soak(server, corpus, args)
            seconds = time.monotonic() - started
            rss_end = server.rss_mib()
    table = render(kind, tally, (rss_start, rss_end), seconds)
    print(table, flush=True)
    return table


async def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak", description=__doc__.split("\n")[0]
    )
    add = parser.add_argument
    add("--articles", type=int, default=10_000, help="corpus size (the seed story included)")
    add("--entities", type=int, default=DEFAULT_ENTITY_COUNT)
    add("--db", choices=("postgresql", "sqlite", "both"), default="both")
    add("--duration", type=float, default=120, help="seconds of load per database")
    add("--rate", type=float, default=20, help="requests a second, bulk requests aside")
    add("--max-inflight", type=int, default=64, help="requests waiting for an answer at most")
    add("--bulk-every", type=float, default=30, help="seconds between bulk requests (0: none)")
    add("--bulk-size", type=int, default=50, help="stories per bulk request")
    add("--workers", type=int, default=2, help="lede serve --workers, as the Docker image runs")
    add("--seed", type=int, default=7)
    add("--postgres", default=DEFAULT_POSTGRES, help="an admin URL of the PostgreSQL server")
    add("--prefix", default="lede_soak", help="name of the loaded databases")
    add("--port", type=int, default=8710)
    add("--cores", default=f"0-{(os.cpu_count() or 1) - 1}", help="the server's cores (taskset -c)")
    args = parser.parse_args(argv)
    if shutil.which("taskset") is None:
        sys.exit("taskset is not installed: apt-get install -y util-linux")
    main_task = asyncio.current_task()
    assert main_task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    VAR.mkdir(parents=True, exist_ok=True)
    kinds = ("postgresql", "sqlite") if args.db == "both" else (args.db,)
    tables = [await soak_database(kind, args) for kind in kinds]
    print()
    print("\n\n".join(tables))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
