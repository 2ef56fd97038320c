"""Rate limits per API key or client IP, in memory or shared through Redis.

Fixed one-minute windows; answers carry RateLimit-Limit / -Remaining / -Reset
(draft-ietf-httpapi-ratelimit-headers) and a refusal is a 429 with Retry-After.
"""

from __future__ import annotations

import math
import time
from typing import Protocol

import structlog
from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import problem_response
from app.core.security import api_keys, bearer_token

WINDOW_SECONDS = 60
log = structlog.get_logger("lede.ratelimit")
EXEMPT_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class Counter(Protocol):
    async def hit(self, key: str, window: int) -> int:
        """Count one request of ``key`` in ``window`` and return the count so far."""

    async def close(self) -> None: ...


class MemoryCounter:
    """One worker's own counts: right for a single process."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._window = -1

    async def hit(self, key: str, window: int) -> int:
        if window != self._window:
            self._counts.clear()
            self._window = window
        count = self._counts.get(key, 0) + 1
        self._counts[key] = count
        return count

    async def close(self) -> None:
        self._counts.clear()


async def client_key(scope: Scope) -> str:
    """Whose bucket a request counts against: its API key, once validated, else its address.

    A made-up token counts against the address it came from, so rotating
    tokens gets no fresh buckets. The address is the peer's, or the one a
    trusted proxy forwarded (``LEDE_TRUSTED_PROXIES``).
    """
    header = Headers(scope=scope).get("authorization")
    database = getattr(scope["app"].state, "database", None)
    token = bearer_token(header) if header is not None else None
    if token is not None and database is not None:
        try:
            principal = await api_keys(scope["app"]).principal(database, token)
        except (SQLAlchemyError, OSError):
            principal = None  # the request itself reports the outage
        if principal is not None:
            return principal.scope
    client = scope.get("client")
    return f"ip:{client[0] if client else 'unknown'}"


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, *, limit: int, counter: Counter) -> None:
        self.app = app
        self.limit = limit
        self.counter = counter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        reset = max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))
        count = await self.counter.hit(await client_key(scope), window)
        headers = [
            (b"ratelimit-limit", str(self.limit).encode()),
            (b"ratelimit-remaining", str(max(0, self.limit - count)).encode()),
            (b"ratelimit-reset", str(reset).encode()),
        ]
        if count > self.limit:
            response = problem_response(
                429,
                detail=f"Over {self.limit} requests a minute: retry in {reset} s.",
                instance=scope["path"],
                headers={"Retry-After": str(reset), **{k.decode(): v.decode() for k, v in headers}},
            )
            await response(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)
