"""Rate limits: headers on every answer, 429 past the limit, shared through Redis."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy import event

from app.core.ratelimit import WINDOW_SECONDS
from app.core.security import KeyCache, Principal
from app.main import create_app
from tests.conftest import Backend, make_settings
from tests.core.test_outage import Proxy

REDIS_URL = "redis://127.0.0.1:6379/15"


def _client(app: FastAPI, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        headers={"Authorization": f"Bearer {token}"},
    )


async def _early_in_a_window(needed: float) -> None:
    """Wait for a fresh window if this one ends within ``needed`` seconds: requests counted
    across two windows would each start from zero."""
    left = WINDOW_SECONDS - time.time() % WINDOW_SECONDS
    if left < needed:
        await asyncio.sleep(left + 0.1)


def _app(backend: Backend, **settings: Any) -> FastAPI:
    app = create_app(make_settings(backend.url, **settings))
    app.state.database = backend.database
    return app


async def test_limit_headers_then_429(backend: Backend) -> None:
    app = _app(backend, rate_limit_per_minute=3)
    token = backend.keys["editor"]
    await _early_in_a_window(needed=5)
    async with _client(app, token) as client, _client(app, backend.keys["reader"]) as stranger:
        answers = [await client.get("/v1/nowhere") for _ in range(4)]
        other = await stranger.get("/v1/nowhere")
        health = await client.get("/healthz")
    assert [r.status_code for r in answers] == [404, 404, 404, 429]
    assert [r.headers["ratelimit-remaining"] for r in answers[:3]] == ["2", "1", "0"]
    assert answers[0].headers["ratelimit-limit"] == "3"
    refused = answers[3]
    assert refused.headers["content-type"] == "application/problem+json"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert other.status_code == 404
    assert health.status_code == 200


async def test_workers_share_limits_through_redis(backend: Backend) -> None:
    redis = Redis.from_url(REDIS_URL)
    try:
        await redis.ping()
    except OSError:
        pytest.fail("Redis must be running on 127.0.0.1:6379 (.ci/run starts it)")
    finally:
        await redis.aclose()
    settings = make_settings(backend.url, rate_limit_per_minute=4, redis_url=REDIS_URL)
    first, second = create_app(settings), create_app(settings)
    token = backend.keys["reader"]
    await _early_in_a_window(needed=10)
    statuses = []
    for app in (first, second, first, second, first):
        async with app.router.lifespan_context(app), _client(app, token) as client:
            statuses.append((await client.get("/v1/nowhere")).status_code)
    assert statuses == [404, 404, 404, 404, 429]


async def test_one_key_is_one_bucket_however_the_header_is_spelled(backend: Backend) -> None:
    app = _app(backend, rate_limit_per_minute=3)
    key = backend.keys["reader"]
    await _early_in_a_window(needed=5)
    spellings = [f"Bearer {key}", f"bearer  {key}", f"BEARER {key} ", f"Bearer\t{key}"]
    statuses = []
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        for header in spellings:
            response = await client.get("/v1/tags", headers={"Authorization": header})
            statuses.append(response.status_code)
    assert statuses == [200, 200, 200, 429]


async def test_made_up_tokens_count_against_their_address_and_cost_no_query(
    backend: Backend,
) -> None:
    app = _app(backend, rate_limit_per_minute=4)
    looked_up: list[str] = []
    await _early_in_a_window(needed=5)

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "api_keys" in statement:
            looked_up.append(statement)

    engine = backend.database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        statuses = []
        key_shaped = "lede_" + "x" * 43
        for token in [uuid.uuid4().hex, key_shaped, key_shaped, "nonsense", uuid.uuid4().hex]:
            async with _client(app, token) as client:
                statuses.append((await client.get("/v1/tags")).status_code)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert statuses == [401, 401, 401, 401, 429]
    # Only the key-shaped token was looked up, once: then it was known to be unknown.
    assert len(looked_up) == 1


def test_made_up_tokens_never_push_real_keys_out_of_the_cache() -> None:
    cache = KeyCache(size=3)
    editor = Principal(role="editor", key_id="1", name="desk")
    cache.put("real", editor, until=100.0)
    for i in range(10):
        cache.put(f"made-up {i}", None, until=100.0)
    assert cache.get("real", now=1.0) == (True, editor)
    assert cache.get("made-up 9", now=1.0) == (True, None)
    assert cache.get("made-up 0", now=1.0) == (False, None)
    for i in range(3):
        cache.put(f"key {i}", Principal(role="reader", key_id=str(i)), until=100.0)
    # Least recently used goes first: "real" was read since it was put.
    assert cache.get("real", now=1.0) == (False, None)
    assert cache.get("real", now=200.0) == (False, None)


@pytest.mark.parametrize(("trusted", "buckets"), [([], 1), (["127.0.0.1"], 2)])
async def test_x_forwarded_for_counts_only_from_trusted_proxies(
    backend: Backend, trusted: list[str], buckets: int
) -> None:
    app = _app(backend, rate_limit_per_minute=2, trusted_proxies=trusted)
    await _early_in_a_window(needed=5)
    statuses = []
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        for forwarded in ["203.0.113.1", "203.0.113.1", "203.0.113.2", "203.0.113.2"]:
            response = await client.get("/v1/tags", headers={"X-Forwarded-For": forwarded})
            statuses.append(response.status_code)
    assert statuses == ([200, 200, 429, 429] if buckets == 1 else [200, 200, 200, 200])


async def test_a_hung_redis_costs_one_short_wait_then_memory_counts(backend: Backend) -> None:
    """Through a relay that holds Redis's packets: no request waits long, none fails."""
    proxy = Proxy("127.0.0.1", 6379)
    await proxy.start()
    try:
        url = f"redis://127.0.0.1:{proxy.port}/15"
        app = _app(backend, rate_limit_per_minute=5, redis_url=url)
        await _early_in_a_window(needed=10)
        async with app.router.lifespan_context(app), _client(app, backend.keys["admin"]) as c:
            assert (await c.get("/v1/tags")).status_code == 200
            proxy.stall()
            waits, statuses = [], []
            for _ in range(8):
                started = time.monotonic()
                response = await c.get("/v1/tags")
                waits.append(time.monotonic() - started)
                statuses.append(response.status_code)
            proxy.resume()
    finally:
        with contextlib.suppress(Exception):
            await proxy.stop()
    # The first waits for Redis's timeout; the rest skip it and count in memory.
    assert max(waits) < 1.0, waits
    assert sum(waits[1:]) < 1.0, waits
    assert statuses[:4] == [200] * 4
    assert statuses[-1] == 429
    await asyncio.sleep(0)


async def test_a_refused_redis_is_logged_once_and_counts_go_on_in_memory(
    backend: Backend, capsys: pytest.CaptureFixture[str]
) -> None:
    app = _app(backend, rate_limit_per_minute=3, redis_url="redis://127.0.0.1:1/15")
    await _early_in_a_window(needed=5)
    capsys.readouterr()
    async with app.router.lifespan_context(app), _client(app, backend.keys["admin"]) as c:
        statuses = [(await c.get("/v1/tags")).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    logged = [
        line
        for line in capsys.readouterr().err.splitlines()
        if "rate_limit_redis_unavailable" in line
    ]
    assert len(logged) == 1, logged
