"""Scheduled stories go live and expiring ones lapse with no job, so no public
response may be cached past the next such moment.

HAZARDS: anything cached about a collection (its page, its total, its ETag)
changes when the next scheduled article's time comes, or the next expiry.
This caps what Lede lets browsers and CDNs keep.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from datetime import datetime

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.articles.repository import next_release
from app.core.clock import utcnow
from app.core.db import Database

# How long a worker trusts what it read about the next release (writes made in
# other workers are seen within this many seconds).
CHECK_SECONDS = 1.0
_MAX_AGE = re.compile(rb"max-age=(\d+)")


class NextRelease:
    """When the next story goes live or expires, read at most once a second.

    One request reads it while the others answering at that moment wait for its
    answer: each reading it for itself took a connection per request in flight,
    every second, and held their answers up behind the pool.
    """

    def __init__(self) -> None:
        self._checked = -math.inf
        self._at: datetime | None = None
        self._reading = asyncio.Lock()

    def forget(self) -> None:
        self._checked = -math.inf

    def _stale(self, now: datetime) -> bool:
        return time.monotonic() - self._checked > CHECK_SECONDS or (
            self._at is not None and self._at <= now
        )

    async def at(self, database: Database, now: datetime) -> datetime | None:
        if self._stale(now):
            async with self._reading:
                if self._stale(now):
                    async with database.request_reader() as session:
                        self._at = await next_release(session, now)
                    self._checked = time.monotonic()
        return self._at


class ReleaseAwareCacheMiddleware:
    """Lower ``max-age`` of public GET responses so none outlives the next release or expiry."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.release = NextRelease()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] not in ("GET", "HEAD"):
            # A write in this worker may have scheduled a story: read again.
            self.release.forget()
            await self.app(scope, receive, send)
            return

        async def capped_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    (name, await self._cap(scope, value) if name == b"cache-control" else value)
                    for name, value in message.get("headers", [])
                ]
            await send(message)

        await self.app(scope, receive, capped_send)

    async def _cap(self, scope: Scope, value: bytes) -> bytes:
        match = _MAX_AGE.search(value)
        database = getattr(scope["app"].state, "database", None)
        if match is None or not value.startswith(b"public") or database is None:
            return value
        now = utcnow()
        release = await self.release.at(database, now)
        if release is None:
            return value
        seconds = max(0, math.ceil((release - now).total_seconds()))
        if seconds >= int(match.group(1)):
            return value
        return _MAX_AGE.sub(f"max-age={seconds}".encode(), value, count=1)
