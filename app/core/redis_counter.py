"""Rate-limit counts shared by every worker through Redis.

Imported only by a deployment that sets ``LEDE_REDIS_URL``: the client library
costs a worker about 6 MiB.
"""

from __future__ import annotations

import math
import time

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from app.core.ratelimit import WINDOW_SECONDS, MemoryCounter, log

# A Redis that failed is left alone this long (this worker counts in memory
# meanwhile), and its failure logged at most once in it.
BREAK_SECONDS = 5.0
REDIS_TIMEOUT_SECONDS = 0.25


class RedisCounter:
    """Counts shared by every worker through Redis, with a circuit breaker.

    A Redis that hangs or refuses costs one request at most REDIS_TIMEOUT_SECONDS
    (no retries); then, for BREAK_SECONDS, requests are counted in memory, per
    worker, and not one of them waits for Redis.
    """

    def __init__(self, url: str) -> None:
        self._redis = Redis.from_url(
            url,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            retry=Retry(NoBackoff(), 0),
        )
        self._fallback = MemoryCounter()
        self._closed_until = -math.inf

    async def hit(self, key: str, window: int) -> int:
        now = time.monotonic()
        if now >= self._closed_until:
            try:
                return await self._hit(key, window)
            except (RedisError, OSError) as exc:
                self._closed_until = now + BREAK_SECONDS
                log.warning(
                    "rate_limit_redis_unavailable",
                    error=str(exc) or type(exc).__name__,
                    counting_in_memory_for_seconds=BREAK_SECONDS,
                )
        return await self._fallback.hit(key, window)

    async def _hit(self, key: str, window: int) -> int:
        name = f"lede:ratelimit:{window}:{key}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, WINDOW_SECONDS * 2)
            count, _ = await pipe.execute()
        return int(count)

    async def close(self) -> None:
        await self._redis.aclose()
