"""Real sending processes: `lede serve` killed with deliveries due, and two `lede worker`s."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from asyncio.subprocess import PIPE, STDOUT
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest

from tests.conftest import Backend
from tests.ops.test_shutdown import LEDE, collect, wait_for_url
from tests.webhooks.conftest import Receiver
from tests.webhooks.test_delivery import subscribe

pytestmark = pytest.mark.usefixtures("private_ok")


def sender_env(backend: Backend, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "LEDE_DATABASE_URL": backend.url,
        "LEDE_RATE_LIMIT_PER_MINUTE": "0",
        # Info, so that uvicorn says where it listens.
        "LEDE_LOG_LEVEL": "info",
        "LEDE_SECRET_KEY": backend.app.state.secret_key,
        "LEDE_WEBHOOKS_ALLOW_PRIVATE": "true",
        "LEDE_WEBHOOKS_TIMEOUT_SECONDS": "1",
        "LEDE_WEBHOOKS_POLL_SECONDS": "0.05",
        "LEDE_WEBHOOKS_RETRY_SECONDS": json.dumps([1] * 7),
        **extra,
    }


@asynccontextmanager
async def running(
    *args: str, env: dict[str, str], ready: bool = False
) -> AsyncIterator[asyncio.subprocess.Process]:
    """A `lede` process, ended (with SIGKILL if it must) when the block is left."""
    process = await asyncio.create_subprocess_exec(LEDE, *args, env=env, stdout=PIPE, stderr=STDOUT)
    output: list[str] = []
    reader = asyncio.create_task(collect(process, output))
    try:
        if ready:
            await wait_for_url(process, output)
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
                await process.wait()
        await reader


async def until(done: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.05)


async def publish_many(editor: httpx.AsyncClient, count: int) -> set[str]:
    before = (await editor.get("/v1/changes", params={"limit": 1})).json()["meta"]["total"]
    items = [{"title": f"Story {n}", "body": "Text.", "status": "published"} for n in range(count)]
    response = await editor.post("/v1/articles:bulk", json=items)
    assert response.status_code == 200, response.text
    return {f"evt_{before + n}" for n in range(1, count + 1)}


async def test_a_killed_sender_loses_nothing(
    backend: Backend,
    admin: httpx.AsyncClient,
    editor: httpx.AsyncClient,
    receiver: Receiver,
) -> None:
    await subscribe(admin, receiver, events=["*"])
    receiver.down = True
    receiver.delay = 0.2
    expected = await publish_many(editor, 20)
    env = sender_env(backend, LEDE_WEBHOOKS="inline")
    async with running("serve", "--port", "0", env=env, ready=True) as first:
        await until(lambda: receiver.requests >= 3, 30, "the first sender sent nothing")
        first.kill()
        await first.wait()
    assert first.returncode == -signal.SIGKILL
    receiver.down = False
    async with running("serve", "--port", "0", env=env, ready=True):
        await until(lambda: receiver.event_ids() >= expected, 60, "events were lost")
    assert receiver.event_ids() == expected
    assert receiver.refused == []


async def test_two_workers_send_each_event_once(
    backend: Backend,
    admin: httpx.AsyncClient,
    editor: httpx.AsyncClient,
    receiver: Receiver,
) -> None:
    await subscribe(admin, receiver, events=["*"])
    receiver.delay = 0.005
    expected = await publish_many(editor, 200)
    # Time enough for every answer on a busy machine: a timed-out attempt is retried,
    # which is a second attempt, not the same one made twice.
    env = sender_env(backend, LEDE_WEBHOOKS="worker", LEDE_WEBHOOKS_TIMEOUT_SECONDS="10")
    async with running("worker", env=env), running("worker", env=env):
        await until(lambda: receiver.event_ids() >= expected, 90, "events were lost")
    assert receiver.overlaps == []
    assert receiver.requests == len(receiver.accepted) == len(expected)
    assert receiver.event_ids() == expected
