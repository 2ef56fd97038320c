"""The sender: queues deliveries from the change feed, claims due ones, makes the attempts.

``lede serve`` runs one in the background (``LEDE_WEBHOOKS=inline``), ``lede
worker`` runs one alone; any number may run against one database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.changes.service import RECORDED
from app.core.clock import utcnow
from app.core.config import Settings
from app.core.db import Database
from app.core.migrations import check_schema
from app.webhooks import attempts, dispatch, guard
from app.webhooks.attempts import Attempt, Job
from app.webhooks.signing import signed_headers

log = logging.getLogger("lede.webhooks")
USER_AGENT = "Lede-Webhooks/1"
# What is kept of a receiver's answer, for the delivery log.
KEEP_BYTES = 1024
# Deliveries claimed (and sent concurrently) at a time by one sender.
BATCH = 50


class WebhookMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.deliveries = Counter(
            "lede_webhook_deliveries",
            "Webhook delivery attempts by outcome: delivered, retrying or failed.",
            ("outcome",),
            registry=registry,
        )
        self.latency = Histogram(
            "lede_webhook_attempt_duration_seconds",
            "Time from sending a webhook request to the end of its answer.",
            registry=registry,
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.oldest_pending = Gauge(
            "lede_webhook_oldest_pending_seconds",
            "Age of the oldest delivery not yet made (0 when none waits).",
            registry=registry,
        )


async def _first_bytes(response: httpx.Response) -> str:
    kept = b""
    async for chunk in response.aiter_raw():
        kept += chunk
        if len(kept) >= KEEP_BYTES:
            break
    return kept[:KEEP_BYTES].decode("utf-8", errors="replace")


async def send(client: httpx.AsyncClient, job: Job, *, settings: Settings) -> Attempt:
    """One attempt: POST the signed event to the checked address; never raises."""
    started = time.perf_counter()
    status_code = None
    kept = None
    error = None
    try:
        target = await guard.destination(job.url, allow_private=settings.webhooks_allow_private)
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            **signed_headers(
                event_id=attempts.event_id(job.seq),
                at=utcnow(),
                body=job.payload,
                secrets_live=job.secrets,
            ),
        }
        url = httpx.URL(job.url)
        extensions = {}
        if target.address is not None:
            # Connect to the address that was checked, not to a second look-up of the name.
            headers["host"] = url.netloc.decode("ascii")
            extensions["sni_hostname"] = target.host
            url = url.copy_with(host=target.address)
        async with (
            asyncio.timeout(settings.webhooks_timeout_seconds),
            client.stream(
                "POST", url, content=job.payload.encode(), headers=headers, extensions=extensions
            ) as response,
        ):
            status_code = response.status_code
            kept = await _first_bytes(response)
        if not 200 <= status_code < 300:
            error = f"The receiver answered {status_code}."
    except guard.Refused as exc:
        error = str(exc)
    except TimeoutError:
        error = f"No answer within {settings.webhooks_timeout_seconds:g} s."
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    return Attempt(job, status_code, error, time.perf_counter() - started, kept)


class Sender:
    def __init__(
        self, database: Database, settings: Settings, *, metrics: WebhookMetrics | None = None
    ) -> None:
        self.database = database
        self.settings = settings
        self.metrics = metrics
        # A claimed attempt is retried by any sender once this has passed (its sender
        # died): well beyond the longest an attempt can take.
        self.lease = timedelta(seconds=3 * settings.webhooks_timeout_seconds)

    async def run(self, stop: asyncio.Event, wake: asyncio.Event | None = None) -> None:
        """Send until ``stop`` is set; a database outage is waited out, not fatal.

        Idle, it looks for work every ``LEDE_WEBHOOKS_POLL_SECONDS``, or as soon as
        ``wake`` is set.
        """
        wake = wake or asyncio.Event()
        stopping = asyncio.ensure_future(stop.wait())
        async with httpx.AsyncClient(
            follow_redirects=False,
            trust_env=False,
            timeout=self.settings.webhooks_timeout_seconds,
            # Connections to receivers are kept for the next batch.
            limits=httpx.Limits(max_connections=BATCH, max_keepalive_connections=BATCH),
        ) as client:
            while not stop.is_set():
                try:
                    busy = await self.tick(client)
                except (SQLAlchemyError, OSError) as exc:
                    log.warning("webhook sender: %s", exc)
                    busy = False
                if not busy:
                    woken = asyncio.ensure_future(wake.wait())
                    await asyncio.wait(
                        (stopping, woken),
                        timeout=self.settings.webhooks_poll_seconds,
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                    woken.cancel()
                    wake.clear()
        stopping.cancel()

    async def tick(self, client: httpx.AsyncClient) -> bool:
        """Queue new events' deliveries, then make the due attempts; whether there was work."""
        async with self.database.reader() as session:
            if not await dispatch.anyone_listens(session):
                return False
        async with self.database.writer() as session, session.begin():
            now = utcnow()
            queued = await dispatch.dispatch(session, now=now)
            jobs = await attempts.claim(session, now=now, lease=self.lease, limit=BATCH)
            oldest = await attempts.oldest_pending(session) if self.metrics else None
        if self.metrics is not None:
            age = 0.0 if oldest is None else (now - oldest).total_seconds()
            self.metrics.oldest_pending.set(max(age, 0.0))
        if jobs:
            made = await asyncio.gather(*(send(client, j, settings=self.settings) for j in jobs))
            async with self.database.writer() as session, session.begin():
                outcomes = await attempts.record(
                    session, made, now=utcnow(), schedule=self.settings.webhooks_retry_seconds
                )
            if self.metrics is not None:
                for attempt, outcome in zip(made, outcomes, strict=True):
                    self.metrics.deliveries.labels(outcome).inc()
                    self.metrics.latency.observe(attempt.seconds)
        return bool(queued or jobs)


@contextlib.asynccontextmanager
async def sending(
    database: Database, settings: Settings, *, registry: CollectorRegistry
) -> AsyncIterator[None]:
    """Run a sender in the background while the block runs (``LEDE_WEBHOOKS=inline``)."""
    if settings.webhooks != "inline":
        yield
        return
    stop = asyncio.Event()
    wake = asyncio.Event()

    def after_commit(session: Session) -> None:
        # Events this process just committed are sent now, not at the next poll.
        if session.info.pop(RECORDED, False):
            wake.set()

    metrics = WebhookMetrics(registry)
    event.listen(Session, "after_commit", after_commit)
    task = asyncio.create_task(Sender(database, settings, metrics=metrics).run(stop, wake))
    try:
        yield
    finally:
        event.remove(Session, "after_commit", after_commit)
        stop.set()
        await task


async def run_worker(settings: Settings, *, metrics_port: int | None) -> None:
    """`lede worker`: a sender alone, until SIGINT or SIGTERM; attempts in flight finish."""
    database = Database.from_settings(settings)
    try:
        await check_schema(database.engine)
        metrics = None
        if metrics_port is not None:
            registry = CollectorRegistry()
            metrics = WebhookMetrics(registry)
            start_http_server(metrics_port, registry=registry)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await Sender(database, settings, metrics=metrics).run(stop)
    finally:
        await database.dispose()
