"""Prometheus metrics: requests by route template, latencies, and the database pool.

With several worker processes (``lede serve --workers N``), each writes its
samples to files in ``PROMETHEUS_MULTIPROC_DIR`` and ``/metrics`` adds up every
worker's, whichever answers the scrape (prometheus_client's multiprocess mode).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable

from fastapi import APIRouter, Request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.pool import QueuePool
from starlette.applications import Starlette
from starlette.datastructures import State
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

router = APIRouter(tags=["operations"])

# Any other method a client sends is counted as OTHER, so made-up methods cannot
# grow the label set without bound.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"


def is_multiprocess() -> bool:
    return MULTIPROCESS_DIR in os.environ


class PoolCollector(Collector):
    """The database pool's state, read when scraped rather than tracked per checkout."""

    def __init__(self, state: State) -> None:
        self.state = state

    def describe(self) -> Iterable[GaugeMetricFamily]:
        return self._families()

    def collect(self) -> Iterable[GaugeMetricFamily]:
        checked_out, size = self._families()
        database = getattr(self.state, "database", None)
        pool = None if database is None else database.engine.pool
        if not isinstance(pool, QueuePool):
            return []
        checked_out.add_metric([], pool.checkedout())
        size.add_metric([], pool.size())
        return [checked_out, size]

    @staticmethod
    def _families() -> list[GaugeMetricFamily]:
        return [
            GaugeMetricFamily(
                "lede_db_pool_checked_out", "Database connections in use by requests."
            ),
            GaugeMetricFamily("lede_db_pool_size", "Connections the database pool keeps open."),
        ]


class Metrics:
    """One app's metrics, in a registry of its own: apps made in one process never clash."""

    def __init__(self, state: State) -> None:
        self.registry = CollectorRegistry()
        if is_multiprocess():
            # Every worker's samples, read from their files at each scrape. The
            # process, platform and pool collectors would describe only the
            # worker that answers, so they are left out.
            multiprocess.MultiProcessCollector(self.registry)  # type: ignore[no-untyped-call]
            samples: CollectorRegistry | None = None
        else:
            for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
                self.registry.register(collector)
            self.registry.register(PoolCollector(state))
            samples = self.registry
        self.requests = Counter(
            "lede_http_requests",
            "HTTP requests answered, by route template and status.",
            ("method", "route", "status"),
            registry=samples,
        )
        self.duration = Histogram(
            "lede_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template.",
            ("method", "route"),
            registry=samples,
        )
        self.in_progress = Gauge(
            "lede_http_requests_in_progress",
            "HTTP requests being answered now.",
            ("method",),
            registry=samples,
            multiprocess_mode="livesum",
        )
        # Children by label values, found once: ``labels()`` checks and locks on
        # every call. Methods, route templates and statuses are few.
        self._gauges: dict[str, Gauge] = {}
        self._answered: dict[tuple[str, str, str], tuple[Counter, Histogram]] = {}

    def in_progress_of(self, method: str) -> Gauge:
        gauge = self._gauges.get(method)
        if gauge is None:
            gauge = self._gauges[method] = self.in_progress.labels(method)
        return gauge

    def observe(self, method: str, route: str, status: str, seconds: float) -> None:
        """Count one answered request and its duration."""
        key = (method, route, status)
        found = self._answered.get(key)
        if found is None:
            found = (self.requests.labels(*key), self.duration.labels(method, route))
            self._answered[key] = found
        found[0].inc()
        found[1].observe(seconds)


def app_metrics(app: Starlette) -> Metrics:
    metrics: Metrics | None = getattr(app.state, "metrics", None)
    if metrics is None:
        metrics = Metrics(app.state)
        app.state.metrics = metrics
    return metrics


def route_template(scope: Scope, root_path: str) -> str:
    """The matched route's template, read once the app has run.

    Never the raw path: a label per slug or id would grow without bound.
    """
    path = getattr(scope.get("route"), "path", None)
    if isinstance(path, str):
        return path
    # A mount (the docs assets) names no route but moves its prefix into root_path.
    mounted: str = scope.get("root_path", "")
    if mounted != root_path:
        return f"{mounted.removeprefix(root_path)}/{{path}}"
    return "unmatched"


class MetricsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        metrics = app_metrics(scope["app"])
        method = scope["method"] if scope["method"] in METHODS else "OTHER"
        status = 500

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        root_path: str = scope.get("root_path", "")
        in_progress = metrics.in_progress_of(method)
        in_progress.inc()
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            elapsed = time.perf_counter() - started
            in_progress.dec()
            metrics.observe(method, route_template(scope, root_path), str(status), elapsed)


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Prometheus text exposition of this process's metrics."""
    registry = app_metrics(request.app).registry
    return Response(
        generate_latest(registry),
        media_type=CONTENT_TYPE_LATEST,
        headers={"Cache-Control": "no-store"},
    )
