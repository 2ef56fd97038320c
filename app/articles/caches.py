"""What one worker keeps of its readers' reads: rendered bodies, pages and searches, totals,
and values computed once per change-feed position."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast

import structlog
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from app.articles import repository
from app.articles.reads import Rendered
from app.articles.repository import hot_reads
from app.core.clock import utcnow


class RenderCache:
    """Renderings made at one change-feed position, up to a size in bytes.

    The position moves with every write to an article, tag or entity: what was rendered
    before may show a renamed tag or entity under an unchanged version, so a newer position
    empties the cache. A rendering is kept from the second time it is made, so what is read
    once (a crawler walking the archive) takes no room; or from the first, while what is
    kept fills less than ``open_share`` of the cache (pages and searches: a few are asked
    again and again, and each costs a ranking or a count). Once full, the cache keeps what
    it holds until the next write rather than trading entries: trading them under reads
    spread wider than the cache hit nothing and grew the process by several times the
    cache's size (freed bodies fragment the heap).
    """

    def __init__(self, max_bytes: int, max_seen: int = 16_384, open_share: float = 0.0) -> None:
        self.max_bytes = max_bytes
        self.max_seen = max_seen
        self.open_share = open_share
        self._position = -1
        self._entries: dict[Hashable, Rendered] = {}
        self._seen: set[Hashable] = set()
        self._size = 0
        self._making: dict[tuple[int, Hashable], asyncio.Future[Rendered]] = {}

    @property
    def position(self) -> int:
        """The change-feed position of what is kept."""
        return self._position

    def get(self, position: int, key: Hashable, now: datetime | None = None) -> Rendered | None:
        """What is kept under ``key`` at ``position``, unless it has expired by ``now``."""
        if position != self._position:
            return None
        found = self._entries.get(key)
        if found is None or (found.until is not None and (now is None or now >= found.until)):
            return None
        return found

    def put(self, position: int, key: Hashable, rendered: Rendered) -> None:
        if position > self._position:
            self.clear()
            self._position = position
        elif position < self._position:
            # Read from a replica behind the primary: already out of date here.
            return
        if key not in self._seen:
            if len(self._seen) >= self.max_seen:
                self._seen.clear()
            self._seen.add(key)
            if self._size + len(rendered.body) > self.max_bytes * self.open_share:
                return
        found = self._entries.get(key)
        size = self._size + len(rendered.body) - (0 if found is None else len(found.body))
        if size <= self.max_bytes:
            self._entries[key] = rendered
            self._size = size

    async def kept(
        self,
        session: AsyncSession,
        key: Hashable,
        now: datetime,
        make: Callable[[int], Awaitable[Rendered]],
    ) -> Rendered:
        """What is kept under ``key`` at the change-feed position now, or what ``make``
        renders at that position (kept for next time)."""
        position = await hot_reads.change_position(session)
        return await self.made_once(position, key, now, make)

    async def made_once(
        self,
        position: int,
        key: Hashable,
        now: datetime,
        make: Callable[[int], Awaitable[Rendered]],
    ) -> Rendered:
        """What is kept under ``key`` at ``position``, or what ``make`` renders there.

        Readers who ask while it is being made wait for that one rendering, so a
        burst of the same search when a story breaks costs one; if its maker fails
        or goes away, each makes its own.
        """
        found = self.get(position, key, now)
        if found is not None:
            return found
        flight = (position, key)
        making = self._making.get(flight)
        if making is not None:
            await asyncio.wait((making,))
            if not making.cancelled():
                rendered = making.result()
                self.put(position, key, rendered)
                return rendered
            return await make(position)
        future: asyncio.Future[Rendered] = asyncio.get_running_loop().create_future()
        self._making[flight] = future
        try:
            rendered = await make(position)
        except BaseException:
            future.cancel()
            raise
        finally:
            del self._making[flight]
        future.set_result(rendered)
        self.put(position, key, rendered)
        return rendered

    def clear(self) -> None:
        self._entries.clear()
        self._seen.clear()
        self._size = 0


# The share of the page and search caches open to a rendering made once: the first
# pages and searches after a write are kept at once, the others once asked again.
PAGES_OPEN_SHARE = 0.5
# Timelines kept per worker: a topic page's is read far more often than written,
# and one over thousands of stories takes a few hundred milliseconds to count.
TIMELINES_KEPT = 16


class ReadCaches:
    """What one worker keeps of its readers' reads, on ``app.state``, sized by settings.

    Rendered article bodies (by id, version and fields), readers' list pages and search
    pages (by URL), until a write or a scheduled release changes them; and readers' list
    totals by filters, per change-feed position: an exact COUNT over every published story
    costs more than the page itself, and changes only with a write or a release. What
    readers' lists of tags, entities and authors are sorted and counted by is kept per
    position too (``positions``), and the entity timelines readers asked for last
    (``timelines``), exact: those are made again at the first read after a write.
    """

    TOTALS_MAX = 4096
    REFS_MAX = 16_384

    def __init__(self, *, body_bytes: int, page_bytes: int, search_bytes: int) -> None:
        # How often each article was read, by ref, at the kept bodies' position.
        self._reads: dict[str, int] = {}
        self._reads_position = -1
        self.bodies = RenderCache(max_bytes=body_bytes)
        self.pages = RenderCache(max_bytes=page_bytes, open_share=PAGES_OPEN_SHARE)
        self.searches = RenderCache(max_bytes=search_bytes, open_share=PAGES_OPEN_SHARE)
        # Filters → (change-feed position, total, valid until).
        self.totals: dict[Hashable, tuple[int, int, datetime | None]] = {}
        self.positions = PositionCache()
        self.timelines = PositionCache(TIMELINES_KEPT, stale_seconds=0)

    def unkept(self, ref: str) -> bool:
        """Whether no body of the article ``ref`` names can be kept yet: one is kept from
        its second rendering at a position (never, with no room for bodies), so such a
        read loads the article at once."""
        if not self.bodies.max_bytes:
            return True
        if self._reads_position != self.bodies.position or len(self._reads) >= self.REFS_MAX:
            self._reads.clear()
            self._reads_position = self.bodies.position
        count = self._reads.get(ref, 0)
        self._reads[ref] = count + 1
        return count < 2

    def clear(self) -> None:
        """Forget everything kept, as when the change-feed position moves (``lede reindex``
        moves it too)."""
        self.bodies.clear()
        self._reads.clear()
        self.pages.clear()
        self.searches.clear()
        self.totals.clear()
        self.positions.clear()
        self.timelines.clear()


T = TypeVar("T")


Compute = Callable[[AsyncSession, datetime], Awaitable[T]]


# How long readers' lists of tags, entities and authors may show what was
# counted before the latest writes, while it is counted again alongside.
STALE_SECONDS = 5.0


log = structlog.get_logger("lede.reads")


@dataclass(slots=True)
class _Kept:
    position: int
    value: Any
    until: datetime | None
    made: float


class PositionCache:
    """Values computed once per write (and scheduled release) per worker.

    Counting every story per request is what made a crawler of tag pages take
    a server down; counting again at every write is what made a busy newsroom
    do the same. So a value made at an older change-feed position is still
    served for up to STALE_SECONDS while one task computes it anew; only a
    value older than that, or past a scheduled release (which moves no
    position), is computed while the request waits. The position is read
    first, so a value is never kept under a position newer than what it saw.
    """

    def __init__(self, size: int = 64, *, stale_seconds: float = STALE_SECONDS) -> None:
        self.size = size
        self.stale_seconds = stale_seconds
        self._kept: dict[Hashable, _Kept] = {}
        self._refreshing: dict[Hashable, asyncio.Task[None]] = {}
        # Moved by ``clear``: a refresh begun before it keeps nothing.
        self._generation = 0

    def clear(self) -> None:
        self._kept.clear()
        self._generation += 1

    async def get(
        self, session: AsyncSession, key: Hashable, now: datetime, compute: Compute[T]
    ) -> T:
        # Per database too: an app may read a replica besides its primary.
        key = (session.get_bind().engine.url, key)
        position = await hot_reads.change_position(session)
        kept = self._kept.get(key)
        if kept is not None and (kept.until is None or now < kept.until):
            behind = position > kept.position and time.monotonic() - kept.made < self.stale_seconds
            if behind:
                self._refresh(session, key, compute)
            if behind or kept.position == position:
                return cast(T, kept.value)
        value = await compute(session, now)
        await self._keep(session, key, position, value, now, self._generation)
        return value

    async def _keep(
        self,
        session: AsyncSession,
        key: Hashable,
        position: int,
        value: Any,
        now: datetime,
        generation: int,
    ) -> None:
        until = await repository.next_release(session, now)
        kept = self._kept.get(key)
        if generation != self._generation or (kept is not None and kept.position > position):
            return
        if kept is None and len(self._kept) >= self.size:
            self._kept.clear()
        self._kept[key] = _Kept(position, value, until, time.monotonic())

    def _refresh(self, session: AsyncSession, key: Hashable, compute: Compute[Any]) -> None:
        """Compute ``key`` anew in a task of its own (one at a time), on a session of its own."""
        if key in self._refreshing:
            return
        bind, generation = session.bind, self._generation

        async def refresh() -> None:
            try:
                async with AsyncSession(bind) as own:
                    now = utcnow()
                    position = await hot_reads.change_position(own)
                    value = await compute(own, now)
                    await self._keep(own, key, position, value, now, generation)
            except (SQLAlchemyError, OSError) as exc:
                # What was kept stays until STALE_SECONDS, then a request counts.
                log.warning("refresh_failed", key=str(key), error=str(exc))
            finally:
                del self._refreshing[key]

        self._refreshing[key] = asyncio.create_task(refresh())
