"""Search under load: nDCG@10, req/s, p50 and p99 on PostgreSQL with RUM, with GIN only, and SQLite.

Run from the repository root::

    python -m bench.bench_search_load --articles 100000

For each database it runs, in one go, what ``bench/bench_http.py`` runs for the
search scenario: ``lede serve --workers 1`` pinned to core 0 with the
database's backends (SQLite is in process), wrk on core 1 (``-t1 -c32``,
``--duration`` seconds after a warm-up: the mix twice, one query at a time,
then wrk for a few seconds), rotating over a query mix: the 50
queries of ``bench.corpus.QUERY_MIX``, or with ``--corpus-stem`` the
``.queries.txt`` of a corpus written as NDJSON (the shared yardstick's
``corpus.py``). Lede runs twice: with the readers' search-page cache off
(``LEDE_SEARCH_CACHE_BYTES=0``: every request ranks, counts and highlights)
and at its default size, where the mix, asked again and again, is answered
from the pages kept since the last write. The bare floor (``bench/floor_app.py``:
every match ranked by ``ts_rank_cd`` over the GIN index, or bm25, with no
total, highlight or entity) runs on the same data for the ratio.

The databases are those of ``bench_http`` (``lede_bench_<n>``, or
``lede_bench_<stem name>_<n>``, loaded once with ``bench/loader.py``), copied
before the relevance collection (``bench/relevance.py``) is added to them: on
PostgreSQL ``<name>_search`` keeps the RUM index and ``<name>_search_gin``
has the GIN index in its place (what a server without ``rum`` builds); on
SQLite ``var/bench/<name>-search.db``. nDCG@10 is that of the collection's
queries over everything loaded.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx

if not __package__:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.core.config import Settings
from app.core.db import Database
from app.core.migrations import upgrade
from app.search.backends.postgres import GIN_INDEX, RUM_INDEX
from bench.bench_http import (
    DEFAULT_POSTGRES,
    LOADGEN_CORE,
    SERVER_CORE,
    VAR,
    BackendPinner,
    Plan,
    Scenario,
    Target,
    WrkResult,
    _admin,
    _analyze,
    _preflight,
    calibrate,
    cpu_seconds,
    drive,
    floor_command,
    lede_command,
    prepare_postgres,
    prepare_sqlite,
    rotating_script,
    serving,
)
from bench.bench_search import relevance_line
from bench.corpus import DEFAULT_ENTITY_COUNT, QUERY_MIX

WARMUP_SECONDS = 5
# The two runs of Lede: its readers' search-page cache off, then at its default size.
CACHES = (("uncached", "0"), ("cached", str(Settings.model_fields["search_cache_bytes"].default)))


@dataclass(frozen=True, slots=True)
class Run:
    wrk: WrkResult
    # CPU time of the database's backends per request (PostgreSQL; SQLite is in process).
    db_cpu_ms: float | None


@dataclass(frozen=True, slots=True)
class Measured:
    label: str
    relevance: str
    runs: dict[str, Run]


async def _copy_postgres(admin: str, source: str, name: str, *, gin: bool) -> Target:
    """``name``, a copy of the database ``source`` (with the GIN index instead of RUM)."""
    base = admin.rsplit("/", 1)[0]
    (exists,) = await _admin(admin, f"SELECT 1 FROM pg_database WHERE datname = '{name}'")
    if not exists:
        partial = f"{name}_copying"
        await _admin(
            admin,
            f'DROP DATABASE IF EXISTS "{partial}" WITH (FORCE)',
            f'CREATE DATABASE "{partial}" TEMPLATE "{source}"',
        )
        if gin:
            await _admin(
                f"{base}/{partial}",
                f"DROP INDEX IF EXISTS {RUM_INDEX}",
                f"CREATE INDEX IF NOT EXISTS {GIN_INDEX} ON articles USING gin (search_vector)",
            )
            await _analyze(f"{base}/{partial}", "postgresql")
        await _admin(admin, f'ALTER DATABASE "{partial}" RENAME TO "{name}"')
    url = f"{base}/{name}"
    await asyncio.to_thread(upgrade, url)
    return Target("postgresql", url, name)


def _copy_sqlite(source: Target) -> Target:
    path = VAR / source.database.replace(".db", "-search.db")
    if not path.exists():
        partial = path.with_suffix(".copying")
        shutil.copyfile(VAR / source.database, partial)
        partial.rename(path)
    return Target("sqlite", f"sqlite:///{path}", path.name)


async def _relevance(target: Target) -> str:
    settings = Settings(database_url=target.url, log_level="warning", rate_limit_per_minute=0)
    database = Database.from_settings(settings)
    try:
        return await relevance_line(database, settings)
    finally:
        await database.dispose()


async def _sample(pinner: BackendPinner | None, seen: dict[int, float]) -> None:
    """Keep the CPU time of the backends as last seen: a backend whose connection a
    cancelled request closed takes its figures with it when it exits."""
    while pinner is not None:
        for pid in pinner.pinned:
            seen[pid] = max(seen.get(pid, 0.0), cpu_seconds(pid))
        await asyncio.sleep(0.2)


async def _run(
    plan: Plan,
    label: str,
    command: list[str],
    env: dict[str, str],
    scenario: Scenario,
    paths: Sequence[str],
    pinner: BackendPinner | None,
) -> Run:
    port = plan.args.port
    async with serving(label, command, env=env, port=port, cores=SERVER_CORE, workers=1) as server:
        # Each query of the mix twice, one at a time: a page is kept from the second
        # time it is made, so the cached run measures the mix once it is all kept.
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            for path in [*paths, *paths]:
                (await client.get(path)).raise_for_status()
        await drive(plan, server, scenario, pinner, WARMUP_SECONDS)
        before = {pid: cpu_seconds(pid) for pid in (pinner.pinned if pinner else ())}
        seen = dict(before)
        sampling = asyncio.create_task(_sample(pinner, seen))
        try:
            result = await drive(plan, server, scenario, pinner, plan.args.duration)
        finally:
            sampling.cancel()
        used = sum(cpu - before.get(pid, 0.0) for pid, cpu in seen.items())
    db_cpu_ms = 1000 * used / result.requests if pinner is not None and result.requests else None
    print(
        f"  {label:<28} {result.rps:>8,.1f} req/s  p50 {result.p50_ms or 0:>8.1f} ms"
        f"  p99 {result.p99_ms or 0:>8.1f} ms  errors {result.errors}",
        flush=True,
    )
    return Run(result, db_cpu_ms)


async def measure(
    plan: Plan,
    label: str,
    target: Target,
    scenario: Scenario,
    paths: Sequence[str],
    floor: bool,
) -> Measured:
    pinner = None if target.kind == "sqlite" else BackendPinner(plan.args.postgres, target.database)
    relevance = await _relevance(target)
    print(f"{label}: {relevance.strip()}", flush=True)
    env = {"LEDE_DATABASE_URL": target.url, "LEDE_RATE_LIMIT_PER_MINUTE": "0"}
    env["LEDE_LOG_LEVEL"] = "warning"
    runs = {}
    for name, size in CACHES:
        runs[name] = await _run(
            plan,
            f"{label}, {name}",
            lede_command(plan.args.port, 1),
            env | {"LEDE_SEARCH_CACHE_BYTES": size},
            scenario,
            paths,
            pinner,
        )
    if floor:
        runs["floor"] = await _run(
            plan,
            f"{label}, floor",
            floor_command(plan.args.port),
            {"FLOOR_DATABASE_URL": target.url},
            scenario,
            paths,
            pinner,
        )
    return Measured(label, relevance, runs)


def render(measured: Sequence[Measured], args: argparse.Namespace, calibration: float) -> str:
    lines = [
        f"{args.articles:,} articles · wrk -t1 -c{args.connections} -d{args.duration:g}s · "
        f"server and its database on core {SERVER_CORE}, wrk on core {LOADGEN_CORE} · "
        f"10M-step Python loop on core {SERVER_CORE}: {calibration:.2f} s",
        "| database | nDCG@10 | run | req/s | p50 ms | p99 ms | errors | server CPU ms/req "
        "| database CPU ms/req | vs floor |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for item in measured:
        ndcg = item.relevance.split("nDCG@10 ")[1].split()[0]
        floor = item.runs.get("floor")
        for name, measured_run in item.runs.items():
            run = measured_run.wrk
            ratio = "—"
            if floor is not None and floor.wrk.rps:
                ratio = f"{run.rps / floor.wrk.rps:.1f}"
            cells = (
                item.label,
                ndcg,
                name,
                f"{run.rps:,.1f}",
                "—" if run.p50_ms is None else f"{run.p50_ms:,.1f}",
                "—" if run.p99_ms is None else f"{run.p99_ms:,.1f}",
                str(run.errors),
                "—" if run.cpu_ms is None else f"{run.cpu_ms:.2f}",
                "—" if measured_run.db_cpu_ms is None else f"{measured_run.db_cpu_ms:.2f}",
                ratio,
            )
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _queries(stem: str | None, path: str | None) -> list[str]:
    source = path or (f"{stem}.queries.txt" if stem else None)
    if source is None:
        return list(QUERY_MIX)
    return [line.strip() for line in Path(source).read_text().splitlines() if line.strip()]


async def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_search_load", description=__doc__.split("\n")[0]
    )
    add = parser.add_argument
    add("--articles", type=int, default=20_000)
    add("--entities", type=int, default=DEFAULT_ENTITY_COUNT)
    add("--corpus-stem", help="read the corpus from <stem>.ndjson and .entities.ndjson")
    add("--queries", help="the query mix, one a line (default: see above)")
    add("--databases", default="rum,gin,sqlite", help="comma-separated: rum, gin, sqlite")
    add("--duration", type=float, default=10, help="seconds per wrk run")
    add("--connections", type=int, default=32)
    add("--postgres", default=DEFAULT_POSTGRES, help="an admin URL of the PostgreSQL server")
    add("--port", type=int, default=8720)
    add("--no-floor", dest="floor", action="store_false", help="skip the bare floor app")
    args = parser.parse_args(argv)
    _preflight()
    VAR.mkdir(parents=True, exist_ok=True)
    stem = args.corpus_stem
    chosen = args.databases.split(",")
    paths = [f"/v1/search?q={quote(q)}" for q in _queries(stem, args.queries)]
    script = VAR / "wrk" / "search-load.lua"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(rotating_script(paths))
    scenario = Scenario("search", "/", [(paths[0], {})], script)
    plan = Plan(args, {"search": scenario})
    targets: list[tuple[str, Target]] = []
    if "rum" in chosen or "gin" in chosen:
        loaded = await prepare_postgres(args.postgres, args.articles, args.entities, False, stem)
        rum = await _copy_postgres(
            args.postgres, loaded.database, f"{loaded.database}_search", gin=False
        )
        # The relevance collection goes in before the GIN copy is made of it.
        await _relevance(rum)
        if "rum" in chosen:
            targets.append(("PostgreSQL, RUM", rum))
        if "gin" in chosen:
            gin = await _copy_postgres(args.postgres, rum.database, f"{rum.database}_gin", gin=True)
            targets.append(("PostgreSQL, GIN only", gin))
    if "sqlite" in chosen:
        loaded = await prepare_sqlite(args.articles, args.entities, False, stem)
        targets.append(("SQLite", _copy_sqlite(loaded)))
    calibration = await calibrate()
    measured = [
        await measure(plan, label, target, scenario, paths, args.floor) for label, target in targets
    ]
    print()
    print(render(measured, args, calibration))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
