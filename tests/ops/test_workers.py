"""`lede serve --workers 2`: /metrics adds up every worker's samples, whichever answers."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from asyncio.subprocess import PIPE, STDOUT
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from app.core.migrations import upgrade
from tests.ops.test_shutdown import LEDE, collect, wait_for_url

REQUESTS = 40


def healthz_count(exposition: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
        if sample.name == "lede_http_requests_total" and sample.labels["route"] == "/healthz"
    )


async def wait_until_ready(base_url: str) -> None:
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient(base_url=base_url) as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError("the workers did not get ready within 60 s")


async def test_two_workers_add_up_their_samples(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lede.db'}"
    await asyncio.to_thread(upgrade, url)
    samples = tmp_path / "metrics"
    samples.mkdir()
    env = {
        **os.environ,
        "LEDE_DATABASE_URL": url,
        "LEDE_RATE_LIMIT_PER_MINUTE": "0",
        "PROMETHEUS_MULTIPROC_DIR": str(samples),
    }
    process = await asyncio.create_subprocess_exec(
        LEDE,
        "serve",
        "--port",
        "0",
        "--workers",
        "2",
        env=env,
        stdout=PIPE,
        stderr=STDOUT,
        # A group of its own, so that a failed test ends the workers too.
        start_new_session=True,
    )
    output: list[str] = []
    reader = asyncio.create_task(collect(process, output))
    try:
        base_url = await wait_for_url(process, output)
        await wait_until_ready(base_url)

        async def healthz() -> int:
            # A connection each, so that both workers take some.
            async with httpx.AsyncClient(base_url=base_url) as client:
                return (await client.get("/healthz")).status_code

        async with httpx.AsyncClient(base_url=base_url) as client:
            # HEAD through a real server: the headers of the GET, and no body.
            for path in ("/v1/articles", "/openapi.json"):
                got = await client.get(path, headers={"Accept-Encoding": "gzip"})
                head = await client.head(path, headers={"Accept-Encoding": "gzip"})
                assert head.status_code == 200
                assert head.content == b""
                assert head.headers["content-length"] == got.headers["content-length"]
                assert head.headers.get("content-encoding") == got.headers.get("content-encoding")

        statuses = await asyncio.gather(*(healthz() for _ in range(REQUESTS)))
        assert statuses == [200] * REQUESTS
        writers = {path.stem.rsplit("_", 1)[1] for path in samples.glob("counter_*.db")}
        assert len(writers) == 2, "both workers answer requests"
        for _ in range(6):
            async with httpx.AsyncClient(base_url=base_url) as client:
                scraped = await client.get("/metrics")
            assert healthz_count(scraped.text) == REQUESTS
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 40) == 0, "".join(output)
        await reader
        # Uvicorn's own lines are JSON like Lede's, and nothing failed.
        logged = [json.loads(line) for line in output if not line.startswith("Database: ")]
        assert {"Started server process", "Finished server process"} <= {
            line["event"].split(" [")[0] for line in logged
        }
        assert not [line for line in logged if line["level"] == "error"]
    finally:
        if process.returncode is None:
            os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
        await reader
