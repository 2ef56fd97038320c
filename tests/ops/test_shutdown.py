"""Graceful shutdown: on SIGTERM, `lede serve` finishes the requests in flight and exits 0."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import time
from asyncio.subprocess import PIPE, STDOUT
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from app.core.migrations import upgrade

LEDE = Path(sys.executable).with_name("lede")
IN_FLIGHT = 100
# A busy machine (the suite runs in parallel) can take a while to start a server.
START_SECONDS = 60
LISTENING = re.compile(r"Uvicorn running on (http://127\.0\.0\.1:\d+)")


async def wait_for_url(process: asyncio.subprocess.Process, output: list[str]) -> str:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        assert process.returncode is None, "".join(output)
        found = LISTENING.search("".join(output))
        if found:
            return found.group(1)
        await asyncio.sleep(0.05)
    raise AssertionError(f"lede serve did not start within {START_SECONDS} s:\n" + "".join(output))


async def collect(process: asyncio.subprocess.Process, output: list[str]) -> None:
    assert process.stdout is not None
    async for line in process.stdout:
        output.append(line.decode(errors="replace"))


def started_and_running(exposition: str) -> tuple[float, float]:
    """Listing requests the app has begun (running or answered), and those still running.

    The scrape that reads this is itself a GET in progress, so it is left out.
    """
    running = answered = 0.0
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == "lede_http_requests_in_progress" and sample.labels["method"] == "GET":
                running = sample.value - 1
            elif (
                sample.name == "lede_http_requests_total"
                and sample.labels["route"] == "/v1/articles"
            ):
                answered += sample.value
    return running + answered, running


async def test_sigterm_lets_requests_in_flight_finish(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lede.db'}"
    await asyncio.to_thread(upgrade, url)
    env = {
        **os.environ,
        "LEDE_DATABASE_URL": url,
        "LEDE_RATE_LIMIT_PER_MINUTE": "0",
        "LEDE_LOG_LEVEL": "info",
    }
    process = await asyncio.create_subprocess_exec(
        LEDE, "serve", "--port", "0", env=env, stdout=PIPE, stderr=STDOUT
    )
    output: list[str] = []
    reader = asyncio.create_task(collect(process, output))
    try:
        base_url = await wait_for_url(process, output)
        limits = httpx.Limits(max_connections=IN_FLIGHT + 1)
        async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:
            finished: list[float] = []

            async def list_articles() -> int:
                response = await client.get("/v1/articles", params={"limit": 100})
                finished.append(time.monotonic())
                return response.status_code

            requests = [asyncio.create_task(list_articles()) for _ in range(IN_FLIGHT)]
            # Only a request the server has begun is in flight; one still in the
            # listen queue is refused on shutdown, by design. The server's own
            # gauges say when every request has begun.
            deadline = time.monotonic() + START_SECONDS
            while True:
                begun, running = started_and_running((await client.get("/metrics")).text)
                if begun == IN_FLIGHT:
                    break
                assert time.monotonic() < deadline, f"only {begun} requests began"
            signalled = time.monotonic()
            process.send_signal(signal.SIGTERM)
            statuses = await asyncio.gather(*requests)
        assert statuses == [200] * IN_FLIGHT
        assert running > 0
        assert any(moment > signalled for moment in finished)
        assert await asyncio.wait_for(process.wait(), 20) == 0, "".join(output)
        await reader
        assert "Finished server process" in "".join(output)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await reader
