"""Load-test Lede's hot reads over HTTP with wrk, beside a bare floor app on the same data.

Run from the repository root (Linux, two cores or more, ``wrk`` installed)::

    .venv/bin/python -m bench.bench_http --articles 100000 --db both --duration 10 --connections 32

For each database it loads (once; later runs reuse it, keyed by corpus size) the
generated corpus of ``bench.corpus`` with ``bench.loader``: PostgreSQL database
``lede_bench_<n>`` on ``--postgres``, SQLite file ``var/bench/lede-<n>.db``. Then it
starts ``lede serve`` pinned to core 0 (with ``taskset``; on PostgreSQL the backends
serving the benchmark database are pinned to core 0 too) and runs ``wrk`` pinned to
core 1 on four scenarios: list, detail, conditional GET (304) and search. The same
runs hit ``bench.floor_app`` (Starlette + asyncpg/aiosqlite + orjson, hand-written
SQL), and ``lede serve --workers 2`` on both cores for list and detail. Prints one
table per database. ``--profile list,detail`` records the server with py-spy during
those scenarios and prints where its time goes. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

import asyncpg
import httpx
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.clock import utcnow
from app.core.config import async_database_url
from app.core.http import version_etag
from app.core.migrations import upgrade
from app.models import Article
from app.models.visibility import visible_clause
from bench.corpus import DEFAULT_ENTITY_COUNT, QUERY_MIX
from bench.loader import load_corpus

ROOT = Path(__file__).resolve().parents[1]
VAR = ROOT / "var" / "bench"
VENV_BIN = Path(sys.executable).parent
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
SERVER_CORE = "0"
LOADGEN_CORE = "1"
BOTH_CORES = "0,1"
SLUG_SAMPLE = 1000
# Detail over this many other stories: the long tail of archive reads that no
# kept rendering holds.
LONG_TAIL = 20_000
WARMUP_SECONDS = 3
START_SECONDS = 60
IDLE_LIMIT_SECONDS = 120
PROFILE_RATE = 200
SCENARIOS = ("list", "detail", "long-tail", "conditional", "search")
SCALED = ("list", "detail")


# wrk -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WrkResult:
    requests: int
    rps: float
    p50_ms: float | None
    p99_ms: float | None
    non_2xx_3xx: int
    socket_errors: int
    # CPU time of the server's own processes (not the database's) per request:
    # unlike req/s, it hardly moves when other work shares the core.
    cpu_ms: float | None = None

    @property
    def errors(self) -> int:
        return self.non_2xx_3xx + self.socket_errors


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_PERCENTILE = re.compile(r"^\s*(\d+(?:\.\d+)?)%\s+(\d+(?:\.\d+)?)(us|ms|s|m|h)\s*$", re.MULTILINE)
_RPS = re.compile(r"^Requests/sec:\s+(\d+(?:\.\d+)?)", re.MULTILINE)
_TOTAL = re.compile(r"^\s*(\d+) requests in ", re.MULTILINE)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET = re.compile(
    r"Socket errors:\s+connect (\d+), read (\d+), write (\d+), timeout (\d+)", re.IGNORECASE
)


def parse_wrk(output: str) -> WrkResult:
    """Figures from ``wrk --latency`` output; latencies are None when nothing completed."""
    percentiles = {
        float(point): float(value) * _UNITS_MS[unit]
        for point, value, unit in _PERCENTILE.findall(output)
    }
    rps = _RPS.search(output)
    total = _TOTAL.search(output)
    if rps is None or total is None:
        raise ValueError(f"not wrk output:\n{output}")
    non_2xx = _NON_2XX.search(output)
    found = _SOCKET.search(output)
    sockets = [int(n) for n in found.groups()] if found else []
    requests = int(total.group(1))
    # wrk counts a response that came after --timeout as a request and a timeout, and
    # leaves it out of the latencies: with nothing else, its percentiles read 0.00us.
    timed_out = sockets[3] if sockets else 0
    if timed_out >= requests:
        percentiles = {}
    return WrkResult(
        requests=requests,
        rps=float(rps.group(1)),
        p50_ms=percentiles.get(50.0),
        p99_ms=percentiles.get(99.0),
        non_2xx_3xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(sockets),
    )


def _lua_string(value: str) -> str:
    # JSON's escapes for quotes and backslashes are Lua's too; the values are ASCII.
    return json.dumps(value, ensure_ascii=True)


def rotating_script(paths: Sequence[str], etags: Sequence[str] | None = None) -> str:
    """A wrk script that requests ``paths`` in turn, with ``If-None-Match`` when given."""
    lines = ["local paths = {", *(f"  {_lua_string(p)}," for p in paths), "}"]
    if etags is not None:
        lines += ["local etags = {", *(f"  {_lua_string(e)}," for e in etags), "}"]
    lines += ["local i = 0", "request = function()", "  i = i % #paths + 1"]
    if etags is not None:
        lines.append('  return wrk.format("GET", paths[i], {["If-None-Match"] = etags[i]})')
    else:
        lines.append('  return wrk.format("GET", paths[i])')
    lines.append("end")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    path: str
    # Requests the scenario makes, tried once before it runs.
    probes: list[tuple[str, dict[str, str]]]
    script: Path | None = None
    expect: int = 200


async def run_wrk(
    port: int, scenario: Scenario, *, duration: float, connections: int, core: str
) -> WrkResult:
    command = [
        "taskset", "-c", core, "wrk", "-t1", f"-c{connections}", f"-d{duration:g}s",
        "--latency", "--timeout", "10s",
    ]  # fmt: skip
    if scenario.script is not None:
        command += ["-s", str(scenario.script)]
    command.append(f"http://127.0.0.1:{port}{scenario.path}")
    process = await asyncio.create_subprocess_exec(
        *command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    output, _ = await process.communicate()
    if process.returncode:
        raise RuntimeError(f"wrk failed ({process.returncode}):\n{output.decode()}")
    return parse_wrk(output.decode())


# Servers ---------------------------------------------------------------------


def rss_mib(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return None
    found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(found.group(1)) / 1024 if found else None


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            # The command name may hold spaces and parentheses: fields follow the last ")".
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
    return found


@dataclass(slots=True)
class Server:
    label: str
    process: asyncio.subprocess.Process
    port: int
    workers: int

    def worker_pids(self) -> list[int]:
        """The processes that serve requests: the server itself, or each worker it forked."""
        pid = self.process.pid
        if self.workers == 1:
            return [pid]
        # uvicorn's supervisor spawns its workers with multiprocessing, beside a resource tracker.
        return [c for c in children(pid) if "resource_tracker" not in _cmdline(c)]

    def rss_mib(self) -> float | None:
        sizes = [size for pid in self.worker_pids() if (size := rss_mib(pid)) is not None]
        return max(sizes) if sizes else None


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    # utime and stime, fields 14 and 15 of proc(5), counted from the state field (3).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def wait_idle(server: Server, limit: float = IDLE_LIMIT_SECONDS) -> None:
    """Wait until the server has finished the requests a run left behind.

    wrk closes its connections when a run ends (or a request times out), but
    the server keeps working on what it had received; the next run would pay
    for it.
    """
    deadline = time.monotonic() + limit
    pids = server.worker_pids()
    before = sum(map(cpu_seconds, pids))
    while time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        now = sum(map(cpu_seconds, pids))
        if now - before < 0.05:
            return
        before = now


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@contextlib.asynccontextmanager
async def serving(
    label: str, command: Sequence[str], *, env: dict[str, str], port: int, cores: str, workers: int
) -> AsyncIterator[Server]:
    log = (VAR / f"{label.replace(' ', '-')}.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        "taskset", "-c", cores, *command,
        env={**os.environ, **env}, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    server = Server(label, process, port, workers)
    try:
        await _wait_healthy(server)
        yield server
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                os.killpg(process.pid, signal.SIGKILL)
                await process.wait()
        log.close()


async def _wait_healthy(server: Server) -> None:
    deadline = time.monotonic() + START_SECONDS
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            if server.process.returncode is not None:
                break
            with contextlib.suppress(httpx.HTTPError):
                response = await client.get(f"http://127.0.0.1:{server.port}/healthz")
                if response.status_code == 200:
                    return
            await asyncio.sleep(0.3)
    raise RuntimeError(f"{server.label} did not start: see {VAR}/{server.label}.log")


def lede_command(port: int, workers: int) -> list[str]:
    return [str(VENV_BIN / "lede"), "serve", "--port", str(port), "--workers", str(workers)]


def floor_command(port: int) -> list[str]:
    return [
        str(VENV_BIN / "uvicorn"), "bench.floor_app:app", "--port", str(port),
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip


# PostgreSQL backends ------------------------------------------------------------


class BackendPinner:
    """Keeps the PostgreSQL backends of one database on the server's cores.

    Backends inherit the postmaster's affinity, which other users of the
    cluster share, so only this database's backends are pinned: once before a
    run and every half second during it, for connections a pool opens mid-run.
    """

    def __init__(self, admin_url: str, database: str) -> None:
        self.admin_url = admin_url
        self.database = database
        self.cores = SERVER_CORE
        self.pinned: set[int] = set()

    async def pin(self) -> None:
        connection = await asyncpg.connect(self.admin_url)
        try:
            pids = {
                row[0]
                for row in await connection.fetch(
                    "SELECT pid FROM pg_stat_activity WHERE datname = $1", self.database
                )
            }
        finally:
            await connection.close()
        for pid in pids - self.pinned:
            process = await asyncio.create_subprocess_exec(
                "taskset", "-p", "-c", self.cores, str(pid),
                # A backend may have exited since it was listed.
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            await process.wait()
        self.pinned = pids

    def move_to(self, cores: str) -> None:
        if cores != self.cores:
            self.cores, self.pinned = cores, set()

    @contextlib.asynccontextmanager
    async def during(self) -> AsyncIterator[None]:
        await self.pin()

        async def keep() -> None:
            while True:
                await asyncio.sleep(0.5)
                await self.pin()

        task = asyncio.create_task(keep())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


# Corpus ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    kind: str
    url: str
    database: str


def _progress(label: str, total: int) -> Any:
    started = time.perf_counter()

    def report(done: int) -> None:
        rate = done / (time.perf_counter() - started)
        print(f"\r  {label}: {done:,}/{total:,} articles ({rate:,.0f}/s)", end="", flush=True)
        if done >= total:
            print()

    return report


async def _analyze(url: str, kind: str) -> None:
    """Planner statistics, as a deployment has them once autovacuum or optimize ran."""
    engine = create_async_engine(async_database_url(url))
    try:
        async with engine.connect() as connection:
            if kind == "postgresql":
                autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
                await autocommit.execute(text("VACUUM ANALYZE"))
            else:
                await connection.execute(text("ANALYZE"))
                await connection.commit()
    finally:
        await engine.dispose()


async def _load(url: str, kind: str, articles: int, entities: int, stem: str | None) -> None:
    await asyncio.to_thread(upgrade, url)
    loaded = await load_corpus(
        url,
        articles=articles,
        entities=entities,
        on_batch=_progress(kind, articles),
        stem=stem,
    )
    print(f"  {kind}: {loaded.line()}")
    await _analyze(url, kind)


def corpus_name(articles: int, stem: str | None, prefix: str = "lede") -> str:
    """``<prefix>-<n>`` for the generated corpus, ``<prefix>-<file name>-<n>`` for one read
    from files."""
    return f"{prefix}-{articles}" if stem is None else f"{prefix}-{Path(stem).name}-{articles}"


async def prepare_sqlite(
    articles: int, entities: int, fresh: bool, stem: str | None = None, *, name: str = "lede"
) -> Target:
    """The SQLite file ``var/bench/<corpus name>.db``, loaded if missing or ``fresh``."""
    name = corpus_name(articles, stem, name)
    path = VAR / f"{name}.db"
    if fresh:
        for old in VAR.glob(f"{name}.db*"):
            old.unlink()
    if not path.exists():
        # Built aside and renamed, so an interrupted load is never taken for a finished one.
        partial = VAR / f"{name}.loading.db"
        for old in VAR.glob(f"{name}.loading.db*"):
            old.unlink()
        await _load(f"sqlite:///{partial}", "sqlite", articles, entities, stem)
        partial.rename(path)
    url = f"sqlite:///{path}"
    await asyncio.to_thread(upgrade, url)
    return Target("sqlite", url, path.name)


async def _admin(admin_url: str, *statements: str) -> list[Any]:
    connection = await asyncpg.connect(admin_url)
    try:
        return [await connection.fetch(statement) for statement in statements]
    finally:
        await connection.close()


async def prepare_postgres(
    admin_url: str,
    articles: int,
    entities: int,
    fresh: bool,
    stem: str | None = None,
    *,
    name: str = "lede_bench",
) -> Target:
    """The PostgreSQL database ``<name>_<corpus>``, loaded if missing or ``fresh``."""
    name = corpus_name(articles, stem, name).replace("-", "_")
    partial = f"{name}_loading"
    base = admin_url.rsplit("/", 1)[0]
    if fresh:
        await _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    (exists,) = await _admin(admin_url, f"SELECT 1 FROM pg_database WHERE datname = '{name}'")
    if not exists:
        await _admin(
            admin_url,
            f'DROP DATABASE IF EXISTS "{partial}" WITH (FORCE)',
            f'CREATE DATABASE "{partial}"',
        )
        await _load(f"{base}/{partial}", "postgresql", articles, entities, stem)
        await _admin(admin_url, f'ALTER DATABASE "{partial}" RENAME TO "{name}"')
    url = f"{base}/{name}"
    await asyncio.to_thread(upgrade, url)
    return Target("postgresql", url, name)


async def sample_articles(url: str, count: int) -> list[tuple[str, str]]:
    """Slugs and ETags of published, visible articles spread over the table (random ids).

    The ETag is made by Lede's own ``version_etag``; the conditional scenario's
    check asks Lede for 304s with the first ones before it runs.
    """
    engine = create_async_engine(async_database_url(url))
    try:
        async with engine.connect() as connection:
            result = await connection.execute(
                select(Article.slug, Article.id, Article.version)
                .where(visible_clause(utcnow()))
                .order_by(Article.id)
                .limit(count)
            )
            return [(slug, version_etag(id_, version)) for slug, id_, version in result]
    finally:
        await engine.dispose()


# Running -------------------------------------------------------------------------


@dataclass(slots=True)
class Row:
    scenario: str
    lede: WrkResult | None = None
    rss: float | None = None
    floor: WrkResult | None = None
    note: str = ""
    baseline: WrkResult | None = None  # the one-worker run a two-worker row scales from


@dataclass(slots=True)
class Report:
    target: Target
    articles: int
    load_average: str = ""
    calibration: float = 0.0
    rows: list[Row] = field(default_factory=list)

    def row(self, scenario: str) -> Row:
        for row in self.rows:
            if row.scenario == scenario:
                return row
        self.rows.append(Row(scenario))
        return self.rows[-1]


@dataclass(slots=True)
class Plan:
    args: argparse.Namespace
    scenarios: dict[str, Scenario]


def _fmt(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _rate(rps: float | None) -> str:
    # wrk gives two decimals; a slow scenario would otherwise read 0.
    return _fmt(rps, 1 if rps is not None and rps < 100 else 0)


def render_table(report: Report, args: argparse.Namespace) -> str:
    header = (
        f"{report.target.kind} · {report.articles:,} articles · wrk -t1 -c{args.connections} "
        f"-d{args.duration:g}s · server on core {SERVER_CORE}, wrk on core {LOADGEN_CORE} · "
        f"load average before: {report.load_average} · "
        f"10M-step Python loop on core {SERVER_CORE}: {report.calibration:.2f} s"
    )
    columns = (
        "scenario", "Lede req/s", "p50 ms", "p99 ms", "errors", "RSS MiB", "CPU ms/req",
        "floor req/s", "floor CPU ms/req", "Lede/floor", "note",
    )  # fmt: skip
    lines = [header, "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in report.rows:
        lede, floor = row.lede, row.floor
        ratio = "—"
        if lede is not None and floor is not None and floor.rps:
            share = lede.rps / floor.rps
            ratio = f"{share:.1%}" if share < 0.1 else f"{share:.0%}"
        note = row.note
        if row.baseline is not None and lede is not None and row.baseline.rps:
            note = f"x{lede.rps / row.baseline.rps:.2f} vs 1 worker; {note}".rstrip("; ")
        cells = (
            row.scenario,
            _rate(lede.rps if lede else None),
            _fmt(lede.p50_ms if lede else None),
            _fmt(lede.p99_ms if lede else None),
            "—" if lede is None else str(lede.errors),
            _fmt(row.rss, 0),
            _fmt(lede.cpu_ms if lede else None, 2),
            _rate(floor.rps if floor else None),
            _fmt(floor.cpu_ms if floor else None, 2),
            ratio,
            note,
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


async def drive(
    plan: Plan, server: Server, scenario: Scenario, pinner: BackendPinner | None, seconds: float
) -> WrkResult:
    """One wrk run against ``server``, then wait for the work it left to drain."""
    pids = server.worker_pids()
    before = sum(map(cpu_seconds, pids))
    async with pinner.during() if pinner else contextlib.nullcontext():
        result = await run_wrk(
            server.port,
            scenario,
            duration=seconds,
            connections=plan.args.connections,
            core=LOADGEN_CORE,
        )
    await wait_idle(server)
    used = sum(map(cpu_seconds, pids)) - before
    return replace(result, cpu_ms=1000 * used / result.requests if result.requests else None)


async def _best_of(
    plan: Plan, server: Server, scenario: Scenario, pinner: BackendPinner | None
) -> WrkResult:
    runs = [
        await drive(plan, server, scenario, pinner, plan.args.duration)
        for _ in range(plan.args.repeat)
    ]
    return max(runs, key=lambda run: run.rps)


async def _warm_up(
    plan: Plan, server: Server, names: Sequence[str], pinner: BackendPinner | None
) -> None:
    for name in names:
        await drive(plan, server, plan.scenarios[name], pinner, WARMUP_SECONDS)


async def _check(port: int, scenario: Scenario) -> str:
    """Why the scenario would not measure what it claims, or ""."""
    async with httpx.AsyncClient(timeout=60) as client:
        for path, headers in scenario.probes:
            response = await client.get(f"http://127.0.0.1:{port}{path}", headers=headers)
            if response.status_code != scenario.expect:
                return f"{path} answered {response.status_code}, not {scenario.expect}"
    return ""


async def measure_server(
    plan: Plan,
    report: Report,
    label: str,
    command: list[str],
    env: dict[str, str],
    pinner: BackendPinner | None,
) -> None:
    args = plan.args
    is_floor = label == "floor"
    port = args.port + (1 if is_floor else 0)
    async with serving(
        f"{label}-{report.target.kind}",
        command,
        env=env,
        port=port,
        cores=SERVER_CORE,
        workers=1,
    ) as server:
        await _warm_up(plan, server, [n for n in plan.scenarios if n != "search"], pinner)
        for name, scenario in plan.scenarios.items():
            row = report.row(name)
            problem = await _check(port, scenario)
            if problem:
                row.note = "; ".join(filter(None, [row.note, f"{label} skipped: {problem}"]))
                continue
            if name == "search":
                await _warm_up(plan, server, ["search"], pinner)
            result = await _best_of(plan, server, scenario, pinner)
            if is_floor:
                row.floor = result
            else:
                row.lede, row.rss = result, server.rss_mib()
            print(f"  {label:<6} {name:<12} {result.rps:>9,.0f} req/s", flush=True)


async def measure_workers(
    plan: Plan, report: Report, env: dict[str, str], pinner: BackendPinner | None
) -> None:
    port = plan.args.port + 2
    label = f"lede-2-workers-{report.target.kind}"
    note = f"server on cores {BOTH_CORES}, wrk competes on core {LOADGEN_CORE}"
    if pinner is not None:
        pinner.move_to(BOTH_CORES)
    try:
        try:
            await _scale(plan, report, label, lede_command(port, 2), env, pinner, note)
        except RuntimeError as error:
            # uvicorn kills a worker that has not answered its health check within 5 s
            # of being spawned, and spawns another: on a slow or busy machine a worker
            # that takes longer to import the app never gets to serve.
            print(f"  {error}; trying uvicorn --timeout-worker-healthcheck 60", flush=True)
            note = f"lede serve --workers 2 did not start (see {label}.log): {FALLBACK}; {note}"
            await _scale(
                plan, report, f"{label}-uvicorn", fallback_command(port), env, pinner, note
            )
    finally:
        if pinner is not None:
            pinner.move_to(SERVER_CORE)


FALLBACK = "run as uvicorn app.main:create_app --factory --timeout-worker-healthcheck 60"


def fallback_command(port: int) -> list[str]:
    """What ``lede serve --workers 2`` runs, with a longer worker health check."""
    return [
        str(VENV_BIN / "uvicorn"), "app.main:create_app", "--factory", "--port", str(port),
        "--workers", "2", "--proxy-headers", "--no-access-log", "--timeout-graceful-shutdown",
        "30", "--timeout-worker-healthcheck", "60",
    ]  # fmt: skip


async def _scale(
    plan: Plan,
    report: Report,
    label: str,
    command: list[str],
    env: dict[str, str],
    pinner: BackendPinner | None,
    note: str,
) -> None:
    port = plan.args.port + 2
    async with serving(label, command, env=env, port=port, cores=BOTH_CORES, workers=2) as server:
        scaled = [name for name in SCALED if name in plan.scenarios]
        await _warm_up(plan, server, scaled, pinner)
        for name in scaled:
            baseline = report.row(name).lede
            result = await _best_of(plan, server, plan.scenarios[name], pinner)
            row = report.row(f"{name}, 2 workers")
            row.lede, row.rss, row.baseline, row.note = result, server.rss_mib(), baseline, note
            print(f"  lede x2 {name:<12} {result.rps:>9,.0f} req/s", flush=True)


def build_scenarios(
    kind: str, articles: Sequence[tuple[str, str]], chosen: Sequence[str]
) -> dict[str, Scenario]:
    scripts = VAR / "wrk"
    scripts.mkdir(parents=True, exist_ok=True)
    paths = [f"/v1/articles/{slug}" for slug, _etag in articles]
    detail_paths, long_tail = paths[:SLUG_SAMPLE], paths[SLUG_SAMPLE:] or paths
    etags = [etag for _slug, etag in articles[:SLUG_SAMPLE]]
    search_paths = [f"/v1/search?q={quote(q)}" for q in QUERY_MIX]
    sources = {
        "detail": rotating_script(detail_paths),
        "long-tail": rotating_script(long_tail),
        "conditional": rotating_script(detail_paths, etags),
        "search": rotating_script(search_paths),
    }
    for name, source in sources.items():
        (scripts / f"{kind}-{name}.lua").write_text(source)
    list_path = "/v1/articles?limit=20"
    every = {
        "list": Scenario("list", list_path, [(list_path, {})]),
        "detail": Scenario("detail", "/", [(detail_paths[0], {})], scripts / f"{kind}-detail.lua"),
        "long-tail": Scenario(
            "long-tail", "/", [(long_tail[0], {})], scripts / f"{kind}-long-tail.lua"
        ),
        "conditional": Scenario(
            "conditional",
            "/",
            [(p, {"If-None-Match": e}) for p, e in zip(detail_paths[:20], etags, strict=False)],
            scripts / f"{kind}-conditional.lua",
            expect=304,
        ),
        "search": Scenario("search", "/", [(search_paths[0], {})], scripts / f"{kind}-search.lua"),
    }
    return {name: every[name] for name in SCENARIOS if name in chosen}


def _load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


CALIBRATION = """
import time
started = time.perf_counter()
for _ in range(10_000_000):
    pass
print(time.perf_counter() - started)
"""


async def calibrate() -> float:
    """Seconds a bare loop of ten million steps takes on the server's core: how fast it is now."""
    process = await asyncio.create_subprocess_exec(
        "taskset", "-c", SERVER_CORE, sys.executable, "-c", CALIBRATION, stdout=subprocess.PIPE
    )
    output, _ = await process.communicate()
    return float(output)


async def bench_database(kind: str, args: argparse.Namespace) -> Report:
    print(f"{kind}: preparing {args.articles:,} articles", flush=True)
    if kind == "sqlite":
        target = await prepare_sqlite(args.articles, args.entities, args.fresh)
        pinner = None
    else:
        target = await prepare_postgres(args.postgres, args.articles, args.entities, args.fresh)
        pinner = BackendPinner(args.postgres, target.database)
    report = Report(target, args.articles, _load_average(), await calibrate())
    if args.load_only:
        return report
    env = {
        "LEDE_DATABASE_URL": target.url,
        "LEDE_RATE_LIMIT_PER_MINUTE": "0",
        "LEDE_LOG_LEVEL": "warning",
    }
    articles = await sample_articles(target.url, SLUG_SAMPLE + LONG_TAIL)
    chosen = [s for s in args.scenarios.split(",") if s]
    plan = Plan(args, build_scenarios(kind, articles, chosen))
    for name in plan.scenarios:
        report.row(name)
    await measure_server(plan, report, "lede", lede_command(args.port, 1), env, pinner)
    if not args.no_floor:
        floor_env = {"FLOOR_DATABASE_URL": target.url}
        await measure_server(plan, report, "floor", floor_command(args.port + 1), floor_env, pinner)
    if args.workers_check:
        await measure_workers(plan, report, env, pinner)
    print(render_table(report, args), flush=True)
    if args.profile:
        await profile(plan, report, env, pinner, args.profile.split(","))
    return report


# Profiling ---------------------------------------------------------------------


def summarize_profile(collapsed: str, *, expected: float | None = None, top: int = 25) -> str:
    """Shares of samples from py-spy's raw (collapsed) output: by package, by leaf, inclusive.

    Recorded with ``--gil``, a sample is a moment some thread held the GIL, so the
    shares split the Python CPU time; ``expected`` (rate times seconds) turns the
    sample count into how busy the interpreter was.
    """
    total = 0
    by_package: Counter[str] = Counter()
    by_leaf: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [_frame_name(frame) for frame in stack.split(";")[1:]]
        if not frames:
            continue
        by_leaf[frames[-1]] += count
        by_package[_package(stack.split(";")[-1])] += count
        for name in set(frames):
            inclusive[name] += count
    if not total:
        return "  (no samples)"

    def share(counter: Counter[str]) -> list[str]:
        return [f"  {n / total:6.1%}  {name}" for name, n in counter.most_common(top)]

    busy = f" (the GIL was held {total / expected:.0%} of the time)" if expected else ""
    return "\n".join(
        [
            f"  {total:,} samples{busy}",
            "self time by package (the frame on top of the stack):",
            *share(by_package),
            "self time by function:",
            *share(by_leaf),
            "inclusive time by function (on the stack):",
            *share(inclusive),
        ]
    )


_FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


def _frame_name(frame: str) -> str:
    """``function (file)`` without the line number, with the path cut to its package."""
    found = _FRAME.match(frame)
    if found is None:
        return frame
    return f"{found['function']} ({_short_path(found['file'])})"


def _short_path(path: str) -> str:
    for marker in ("site-packages/", "/work/main/", str(ROOT) + "/", "lib/python3"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def _package(frame: str) -> str:
    found = _FRAME.match(frame)
    path = _short_path(found["file"]) if found else frame
    parts = path.split("/")
    if parts[0] == "app" and len(parts) > 1:
        return "/".join(parts[:2])
    if parts[0] in ("sqlalchemy",) and len(parts) > 1:
        return "/".join(parts[:2])
    return parts[0] if len(parts) > 1 else "stdlib/other: " + parts[0]


async def profile(
    plan: Plan,
    report: Report,
    env: dict[str, str],
    pinner: BackendPinner | None,
    names: Sequence[str],
) -> None:
    py_spy = shutil.which("py-spy", path=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    if py_spy is None:
        print("  profile: py-spy is not installed (pip install py-spy); skipped")
        return
    port = plan.args.port
    async with serving(
        f"lede-profile-{report.target.kind}", lede_command(port, 1), env=env, port=port,
        cores=SERVER_CORE, workers=1,
    ) as server:  # fmt: skip
        await _warm_up(plan, server, [n for n in names if n in plan.scenarios], pinner)
        for name in names:
            scenario = plan.scenarios.get(name)
            if scenario is None:
                continue
            out = VAR / f"profile-{report.target.kind}-{name}.txt"
            spy = await asyncio.create_subprocess_exec(
                "taskset", "-c", LOADGEN_CORE, py_spy, "record", "-p", str(server.process.pid),
                "-d", f"{plan.args.duration:g}", "-r", str(PROFILE_RATE), "--gil", "-f", "raw",
                "-o", str(out), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
            )  # fmt: skip
            result = await drive(plan, server, scenario, pinner, plan.args.duration)
            await spy.wait()
            print(
                f"\nprofile of {name} on {report.target.kind} ({result.rps:,.0f} req/s while "
                f"sampled; collapsed stacks in {out.relative_to(ROOT)}, speedscope opens them):"
            )
            if out.exists():
                expected = plan.args.duration * PROFILE_RATE
                print(summarize_profile(out.read_text(), expected=expected))
            else:
                print("  (py-spy wrote none)")


# Entry point -------------------------------------------------------------------


def _preflight() -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")
    if shutil.which("taskset") is None:
        sys.exit("taskset is not installed: apt-get install -y util-linux")
    if (os.cpu_count() or 1) < 2:
        sys.exit("two cores are needed: one for the server, one for wrk")


async def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_http", description=__doc__.split("\n")[0]
    )
    add = parser.add_argument
    add("--articles", type=int, default=20_000, help="corpus size (the seed story included)")
    add("--entities", type=int, default=DEFAULT_ENTITY_COUNT)
    add("--db", choices=("postgresql", "sqlite", "both"), default="both")
    add("--duration", type=float, default=10, help="seconds per wrk run")
    add("--connections", type=int, default=32)
    add("--repeat", type=int, default=1, help="runs per scenario; the best is reported")
    add("--scenarios", default=",".join(SCENARIOS), help="comma-separated subset")
    add("--postgres", default=DEFAULT_POSTGRES, help="an admin URL of the PostgreSQL server")
    add("--port", type=int, default=8700, help="Lede's port; the floor takes the next one")
    add("--fresh", action="store_true", help="load the corpus again even if it is there")
    add("--load-only", action="store_true", help="prepare the databases, measure nothing")
    add("--no-floor", action="store_true", help="skip the bare floor app")
    add(
        "--no-workers-check",
        dest="workers_check",
        action="store_false",
        help="skip the lede serve --workers 2 runs",
    )
    add("--profile", default="", help="scenarios to record with py-spy, e.g. list,detail")
    args = parser.parse_args(argv)
    _preflight()
    # Stopped with SIGTERM, still stop the servers started so far (SIGINT does so already).
    main_task = asyncio.current_task()
    assert main_task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    VAR.mkdir(parents=True, exist_ok=True)
    kinds = ("postgresql", "sqlite") if args.db == "both" else (args.db,)
    reports = [await bench_database(kind, args) for kind in kinds]
    if args.load_only:
        return
    for report in reports:
        print()
        print(render_table(report, args))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
