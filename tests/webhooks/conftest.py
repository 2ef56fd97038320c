"""A real receiver on 127.0.0.1 that verifies every request with the standardwebhooks library."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import orjson
import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from app.core.config import Settings
from app.webhooks.sender import Sender
from tests.conftest import Backend, make_settings


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes

    @property
    def id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def payload(self) -> dict[str, Any]:
        parsed: dict[str, Any] = orjson.loads(self.body)
        return parsed


@dataclass
class Receiver:
    """Answers 503 to its first ``fail_first`` requests (and while ``down``), then 204 to
    each that verifies, after ``delay`` seconds; notes an event sent twice at once."""

    url: str = ""
    secret: str | None = None
    fail_first: int = 0
    down: bool = False
    delay: float = 0.0
    requests: int = 0
    accepted: list[Delivery] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    in_flight: set[str] = field(default_factory=set)
    overlaps: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, headers: dict[str, str], body: bytes) -> int:
        event = headers.get("webhook-id", "")
        with self.lock:
            self.requests += 1
            failing = self.down or self.requests <= self.fail_first
            if event in self.in_flight:
                self.overlaps.append(event)
            self.in_flight.add(event)
        try:
            time.sleep(self.delay)
            if failing:
                return 503
            assert self.secret is not None, "the receiver was not told its secret"
            try:
                Webhook(self.secret).verify(body, headers)
            except WebhookVerificationError as exc:
                self.refused.append(str(exc))
                return 400
            with self.lock:
                self.accepted.append(Delivery(headers, body))
            return 204
        finally:
            with self.lock:
                self.in_flight.discard(event)

    def event_ids(self) -> set[str]:
        return {d.id for d in self.accepted}

    def types(self) -> list[str]:
        """The types of the events received, in feed order (only each resource's is kept)."""
        return [d.payload["type"] for d in self.in_feed_order()]

    def in_feed_order(self) -> list[Delivery]:
        return sorted(self.accepted, key=lambda d: int(d.payload["data"]["seq"]))


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            status = found.answer({k.lower(): v for k, v in self.headers.items()}, body)
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    found.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/lede"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()


def sender_settings(url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "webhooks_allow_private": True,
        "webhooks_retry_seconds": [0.05] * 7,
        "webhooks_timeout_seconds": 2,
        "webhooks_poll_seconds": 0.05,
    }
    values.update(overrides)
    return make_settings(url, **values)


@pytest.fixture
def private_ok(backend: Backend) -> Iterator[None]:
    """The API takes webhooks to 127.0.0.1, as LEDE_WEBHOOKS_ALLOW_PRIVATE=true does."""
    state = backend.app.state
    settings: Settings = state.settings
    state.settings = settings.model_copy(update={"webhooks_allow_private": True})
    try:
        yield
    finally:
        state.settings = settings


Drain = Callable[..., Awaitable[None]]


@pytest.fixture
async def drain(backend: Backend) -> AsyncIterator[Drain]:
    """Run a sender until ``done()`` holds (or fail after ``seconds``)."""
    sender = Sender(backend.database, sender_settings(backend.url))
    async with httpx.AsyncClient(trust_env=False) as client:

        async def run(done: Callable[[], bool], seconds: float = 15) -> None:
            deadline = time.monotonic() + seconds
            while not done():
                assert time.monotonic() < deadline, "the deliveries did not all arrive in time"
                if not await sender.tick(client):
                    await asyncio.sleep(0.02)

        yield run
