"""PostgreSQL goes away mid-stream: 503s, then recovery, and no acknowledged write lost."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx
import pytest

from app.core.clock import utcnow
from app.core.migrations import upgrade
from app.keys.service import create_key
from app.main import create_app
from tests.conftest import POSTGRES_URL, _create_pg_database, _drop_pg_database, make_settings


@contextlib.asynccontextmanager
async def _ingester(url: str, **settings: float) -> AsyncIterator[httpx.AsyncClient]:
    """A client with an editor key of its own, on an app over ``url``."""
    app = create_app(make_settings(url, **settings))
    async with app.router.lifespan_context(app):
        async with app.state.database.writer() as session, session.begin():
            _key, raw = await create_key(session, name="ingester", role="editor", now=utcnow())
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://testserver",
            headers={"Authorization": f"Bearer {raw}"},
        ) as client:
            yield client


class Proxy:
    """A TCP relay to PostgreSQL that the test can cut and restore, or stall."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.server: asyncio.Server | None = None
        self.port = 0
        self.links: set[asyncio.StreamWriter] = set()
        # Cleared: connections stay open but nothing goes through (a hung server).
        self.flowing = asyncio.Event()
        self.flowing.set()

    def stall(self) -> None:
        self.flowing.clear()

    def resume(self) -> None:
        self.flowing.set()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while data := await reader.read(65536):
                await self.flowing.wait()
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await self.flowing.wait()
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        self.links |= {writer, upstream_writer}
        await asyncio.gather(
            self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer)
        )

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        for link in self.links:
            link.close()
        self.links.clear()
        await self.server.wait_closed()


@pytest.fixture
async def proxied_url() -> AsyncIterator[tuple[Proxy, str]]:
    name, url = await _create_pg_database()
    await asyncio.to_thread(upgrade, url)
    target = urlsplit(POSTGRES_URL)
    proxy = Proxy(target.hostname or "127.0.0.1", target.port or 5432)
    await proxy.start()
    try:
        yield proxy, url.replace(f"{target.hostname}:{target.port}", f"127.0.0.1:{proxy.port}")
    finally:
        with contextlib.suppress(Exception):
            await proxy.stop()
        await _drop_pg_database(name)


async def test_outage_answers_503_and_recovers_without_losing_writes(
    proxied_url: tuple[Proxy, str],
) -> None:
    proxy, url = proxied_url
    async with _ingester(url, database_timeout_seconds=1.0) as client:
        acknowledged: list[str] = []
        statuses: list[int] = []
        cut_at = restored_at = recovered_at = 0.0
        for i in range(60):
            if i == 20:
                await proxy.stop()
                cut_at = time.monotonic()
            if i == 40:
                await proxy.start()
                restored_at = time.monotonic()
            started = time.monotonic()
            response = await client.post("/v1/tags", json={"name": f"tag {i}"})
            assert time.monotonic() - started < 10, "a request hung past the timeout"
            statuses.append(response.status_code)
            if response.status_code == 201:
                acknowledged.append(response.json()["slug"])
                if i >= 40 and not recovered_at:
                    recovered_at = time.monotonic()
            else:
                assert response.status_code == 503, response.text
                assert response.headers["retry-after"]
                assert response.headers["content-type"] == "application/problem+json"
            if 20 <= i < 40:
                ready = await client.get("/readyz")
                assert ready.status_code == 503
        assert cut_at
        assert recovered_at
        assert statuses[:20] == [201] * 20
        assert set(statuses[20:40]) == {503}
        assert statuses[-5:] == [201] * 5
        page = (await client.get("/v1/tags?limit=100")).json()
        stored = {t["slug"] for t in page["data"]}
        assert set(acknowledged) <= stored
        assert (await client.get("/readyz")).status_code == 200
    print(
        f"\noutage: {len(statuses)} writes attempted, {len(acknowledged)} acknowledged, "
        f"{len(set(acknowledged) & stored)} found afterwards; "
        f"recovered {recovered_at - restored_at:.2f} s after the database came back"
    )


async def test_a_stalled_database_costs_the_documented_timeout_then_503(
    proxied_url: tuple[Proxy, str],
) -> None:
    """A server that holds packets, not refuses them: connect or statement timeout + 1 s."""
    proxy, url = proxied_url
    bound = 1.0 + 1.0 + 0.5  # the timeouts below, one second, and slack for a busy machine
    settings = {"database_timeout_seconds": 1.0, "statement_timeout_ms": 1000}
    async with _ingester(url, **settings) as client:
        assert (await client.post("/v1/tags", json={"name": "before"})).status_code == 201
        proxy.stall()
        waits: list[float] = []
        for i, (method, path) in enumerate(
            [("POST", "/v1/tags"), ("GET", "/v1/tags"), ("GET", "/readyz")] * 2
        ):
            if i == 3:
                await asyncio.sleep(1.1)  # pooled connections now idle: pinged first
            started = time.monotonic()
            response = await client.request(
                method, path, json={"name": f"during {i}"} if method == "POST" else None
            )
            waits.append(time.monotonic() - started)
            assert response.status_code == 503, (path, response.text)
            assert response.headers["content-type"] == "application/problem+json"
        assert max(waits) < bound, waits
        proxy.resume()
        for _ in range(50):
            if (await client.post("/v1/tags", json={"name": "after"})).status_code == 201:
                break
            await asyncio.sleep(0.2)
        names = {t["name"] for t in (await client.get("/v1/tags")).json()["data"]}
        assert {"before", "after"} <= names
    print(f"\nstalled database: answers in {min(waits):.2f}-{max(waits):.2f} s, all 503")
