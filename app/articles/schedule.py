"""Scheduled stories go live and expiring ones lapse with no job, so no public
response may be cached past the next such moment.

Anything cached about a collection (its page, its total, its ETag)
changes when the next scheduled article's time comes, or the next expiry.
This caps what Lede lets browsers and CDNs keep.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError
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

    It is read as a request comes in, alongside the app, never once the
    response is on its way: a database that fails or hangs then cannot turn a
    good answer into a 500 or hold it up. One request reads it while the others
    answering at that moment wait for its answer.
    """

    def __init__(self) -> None:
        self._checked = -math.inf
        self._at: datetime | None = None
        self._known = False
        self._reading: asyncio.Task[None] | None = None

    def forget(self) -> None:
        self._checked = -math.inf

    def start(self, database: Database, now: datetime) -> asyncio.Task[None] | None:
        """Read it again alongside the request if what is known is stale (one read at a time)."""
        stale = time.monotonic() - self._checked > CHECK_SECONDS or (
            self._at is not None and self._at <= now
        )
        if not stale or (self._reading is not None and not self._reading.done()):
            return None
        self._reading = asyncio.create_task(self._read(database, now))
        return self._reading

    async def _read(self, database: Database, now: datetime) -> None:
        try:
            async with database.reader() as session:
                self._at = await next_release(session, now)
        except (SQLAlchemyError, OSError, TimeoutError):
            self._known = False  # the request itself reports the outage
        else:
            self._known = True
        self._checked = time.monotonic()

    async def at(self) -> tuple[bool, datetime | None]:
        """Whether it is known, and when, once the read started for this request is done."""
        if self._reading is not None:
            await asyncio.shield(self._reading)
        return self._known, self._at


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

        database = getattr(scope["app"].state, "database", None)
        # Content only: health checks and docs must answer whatever the database does.
        reading = None
        if database is not None and scope["path"].startswith("/v1/"):
            reading = self.release.start(database, utcnow())

        async def capped_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    (name, await self._cap(value) if name == b"cache-control" else value)
                    for name, value in message.get("headers", [])
                ]
            await send(message)

        try:
            await self.app(scope, receive, capped_send)
        finally:
            if reading is not None:
                # Never left running past the request that started it.
                await asyncio.shield(reading)

    async def _cap(self, value: bytes) -> bytes:
        match = _MAX_AGE.search(value)
        if match is None or not value.startswith(b"public"):
            return value
        known, release = await self.release.at()
        now = utcnow()
        if known and release is None:
            return value
        # Unknown (the database did not answer): let no cache keep it.
        seconds = 0 if release is None else max(0, math.ceil((release - now).total_seconds()))
        if seconds >= int(match.group(1)):
            return value
        return _MAX_AGE.sub(f"max-age={seconds}".encode(), value, count=1)
