"""Rate limits: headers on every answer, 429 past the limit, shared through Redis."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from app.core.ratelimit import WINDOW_SECONDS
from app.main import create_app
from tests.conftest import Backend, make_settings

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


async def test_limit_headers_then_429(backend: Backend) -> None:
    app = create_app(make_settings(backend.url, rate_limit_per_minute=3))
    token = uuid.uuid4().hex
    await _early_in_a_window(needed=5)
    async with _client(app, token) as client, _client(app, uuid.uuid4().hex) as stranger:
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
    token = uuid.uuid4().hex
    await _early_in_a_window(needed=10)
    statuses = []
    for app in (first, second, first, second, first):
        async with app.router.lifespan_context(app), _client(app, token) as client:
            statuses.append((await client.get("/v1/nowhere")).status_code)
    assert statuses == [404, 404, 404, 404, 429]
