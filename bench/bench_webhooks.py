"""Benchmark webhook delivery: latency with one sender, throughput with two.

Run ``python -m bench.bench_webhooks`` from the repository root (``--help`` for
the options). A receiver on 127.0.0.1 (a small HTTP/1.1 server answering 204)
notes when each event arrives.

- **Latency**: against a fresh SQLite file (or ``--postgres URL``), one sender
  runs in the background of the app, as ``lede serve`` runs it
  (``LEDE_WEBHOOKS=inline``, the default poll interval unless ``--poll``);
  ``--events`` articles are published through the API at ``--rate`` a second,
  and each event's latency is the time from the write's answer (its commit) to
  the receiver reading the request. Prints p50, p95 and the worst.
- **Throughput** (with ``--postgres URL``, a server where databases can be
  created): ``--queued`` events are written in one bulk request, then two
  ``lede worker`` processes send them; deliveries per second are counted from
  the first arrival to the last, and per CPU second of the workers (a figure
  that depends less on what else the machine runs).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import resource
import signal
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

if not __package__:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg
import httpx
import orjson

from app.core.clock import utcnow
from app.core.config import Settings
from app.core.migrations import upgrade
from app.keys.service import create_key
from app.main import create_app

LEDE = Path(sys.executable).with_name("lede")


class Receiver:
    """A minimal keep-alive HTTP/1.1 server: reads each request, notes the article id, 204."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.first = self.last = 0.0
        self.server: asyncio.Server | None = None
        self.expected = 0
        self.all_in = asyncio.Event()

    async def wait_for(self, count: int, seconds: float) -> None:
        self.expected = count
        if len(self.arrived) >= count:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.all_in.wait(), seconds)

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/hook"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                body = await reader.readexactly(length)
                now = time.perf_counter()
                article = orjson.loads(body)["data"]["id"]
                self.arrived.setdefault(article, now)
                self.first = self.first or now
                self.last = now
                if self.expected and len(self.arrived) >= self.expected:
                    self.all_in.set()
                writer.write(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def settings_for(url: str, **extra: Any) -> Settings:
    return Settings(
        database_url=url,
        rate_limit_per_minute=0,
        log_level="warning",
        secret_key="bench-secret-key-bench-secret-key-bench",
        webhooks_allow_private=True,
        **extra,
    )


async def _key(app: Any) -> str:
    async with app.state.database.writer() as session, session.begin():
        _, raw = await create_key(session, name="bench", role="admin", now=utcnow())
    return str(raw)


async def latency(url: str, events: int, rate: float, poll: float | None) -> None:
    await asyncio.to_thread(upgrade, url)
    receiver = Receiver()
    hook = await receiver.start()
    extra = {} if poll is None else {"webhooks_poll_seconds": poll}
    settings = settings_for(url, webhooks="inline", **extra)
    app = create_app(settings)
    committed: dict[str, float] = {}
    async with app.router.lifespan_context(app):
        key = await _key(app)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://bench",
            headers={"Authorization": f"Bearer {key}"},
        ) as client:
            made = await client.post("/v1/webhooks", json={"url": hook, "events": ["*"]})
            assert made.status_code == 201, made.text
            started = time.perf_counter()
            for n in range(events):
                due = started + n / rate
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                response = await client.post(
                    "/v1/articles",
                    params={"link_entities": "false"},
                    json={"title": f"Story {n}", "body": "Text.", "status": "published"},
                )
                assert response.status_code == 201, response.text
                committed[response.json()["id"]] = time.perf_counter()
            await receiver.wait_for(events, 60)
    waits = sorted((receiver.arrived[a] - t) * 1000 for a, t in committed.items())
    quantiles = statistics.quantiles(waits, n=100)
    poll_seconds = settings.webhooks_poll_seconds
    print(
        f"latency, one sender (poll {poll_seconds:g} s), {len(waits)}/{events} events at "
        f"{rate:g}/s: p50 {quantiles[49]:.0f} ms, p95 {quantiles[94]:.0f} ms, "
        f"max {waits[-1]:.0f} ms"
    )


async def throughput(admin_url: str, queued: int) -> None:
    name = f"lede_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{admin_url.rsplit('/', 1)[0]}/{name}"
    try:
        await asyncio.to_thread(upgrade, url)
        receiver = Receiver()
        hook = await receiver.start()
        app = create_app(settings_for(url, webhooks="worker"))
        async with app.router.lifespan_context(app):
            key = await _key(app)
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url="http://bench",
                headers={"Authorization": f"Bearer {key}"},
                timeout=600,
            ) as client:
                made = await client.post("/v1/webhooks", json={"url": hook, "events": ["*"]})
                assert made.status_code == 201, made.text
                for start in range(0, queued, 1000):
                    batch = [
                        {"title": f"Story {n}", "body": "Text.", "status": "published"}
                        for n in range(start, min(queued, start + 1000))
                    ]
                    response = await client.post(
                        "/v1/articles:bulk", params={"link_entities": "false"}, json=batch
                    )
                    assert response.status_code == 200, response.text
        env = {
            **os.environ,
            "LEDE_DATABASE_URL": url,
            "LEDE_LOG_LEVEL": "warning",
            "LEDE_WEBHOOKS_ALLOW_PRIVATE": "true",
            "LEDE_WEBHOOKS_POLL_SECONDS": "0.1",
        }
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        workers = [await asyncio.create_subprocess_exec(LEDE, "worker", env=env) for _ in range(2)]
        await receiver.wait_for(queued, 600)
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
            await worker.wait()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        seconds = receiver.last - receiver.first
        print(
            f"throughput, two workers on PostgreSQL: {len(receiver.arrived)}/{queued} "
            f"deliveries in {seconds:.1f} s = {len(receiver.arrived) / seconds:.0f}/s; "
            f"the workers used {cpu:.1f} s of CPU (start-up included) = "
            f"{len(receiver.arrived) / cpu:.0f} deliveries per CPU second"
        )
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=50.0, help="Writes a second.")
    parser.add_argument("--poll", type=float, default=None, help="LEDE_WEBHOOKS_POLL_SECONDS.")
    parser.add_argument("--queued", type=int, default=5000)
    parser.add_argument(
        "--postgres", default=None, help="postgresql://… of a server to create databases on."
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        asyncio.run(latency(url, args.events, args.rate, args.poll))
    if args.postgres:
        asyncio.run(throughput(args.postgres, args.queued))


if __name__ == "__main__":
    main()
