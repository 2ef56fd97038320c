"""Claiming due deliveries and writing what their attempts came to."""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.webhooks import repository
from app.webhooks.events import event_id

__all__ = ["Attempt", "Job", "claim", "event_id", "oldest_pending", "record"]

# A subscription whose deliveries have all failed for this long is disabled.
DISABLE_AFTER = timedelta(days=5)


@dataclass(frozen=True, slots=True)
class Job:
    """A claimed delivery: what to send, where, signed with which secrets."""

    id: uuid.UUID
    subscription_id: uuid.UUID
    seq: int
    attempts: int
    payload: str
    url: str
    secrets: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Attempt:
    job: Job
    status_code: int | None
    error: str | None
    seconds: float
    response_body: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


async def claim(session: AsyncSession, *, now: datetime, lease: timedelta, limit: int) -> list[Job]:
    rows = await repository.claim_due(session, now=now, lease_until=now + lease, limit=limit)
    return [
        Job(
            id=row.id,
            subscription_id=row.subscription_id,
            seq=row.seq,
            attempts=row.attempts,
            payload=row.payload,
            url=row.url,
            secrets=(row.secret,)
            + (
                (row.previous_secret,)
                if row.previous_secret is not None
                and row.previous_secret_until is not None
                and row.previous_secret_until > now
                else ()
            ),
        )
        for row in rows
    ]


def next_attempt(attempts: int, *, now: datetime, schedule: Sequence[float]) -> datetime | None:
    """When to try again after ``attempts`` failed ones: the schedule, ±20 % jitter; None when
    it is spent."""
    if attempts > len(schedule):
        return None
    # Jitter spreads the retries of receivers that failed together.
    return now + timedelta(seconds=schedule[attempts - 1] * random.uniform(0.8, 1.2))


async def record(
    session: AsyncSession, attempts: Sequence[Attempt], *, now: datetime, schedule: Sequence[float]
) -> list[str]:
    """Write what each attempt came to; its outcome each: delivered, retrying or failed."""
    outcomes = []
    rows = []
    for attempt in attempts:
        values: dict[str, Any] = {
            "id": attempt.job.id,
            "last_status_code": attempt.status_code,
            "last_error": attempt.error,
            "latency_ms": round(attempt.seconds * 1000),
            "response_body": attempt.response_body,
        }
        if attempt.ok:
            values |= {"state": "delivered", "delivered_at": now, "next_attempt_at": None}
            outcomes.append("delivered")
        else:
            retry_at = next_attempt(attempt.job.attempts, now=now, schedule=schedule)
            values |= {
                "state": "pending" if retry_at else "failed",
                "delivered_at": None,
                "next_attempt_at": retry_at,
            }
            outcomes.append("retrying" if retry_at else "failed")
        rows.append(values)
    await repository.record_outcomes(session, rows)
    succeeded = {a.job.subscription_id for a in attempts if a.ok}
    failed = {a.job.subscription_id for a in attempts if not a.ok} - succeeded
    await repository.mark_succeeded(session, list(succeeded))
    await repository.mark_failing(session, list(failed), now=now)
    if failed:
        await repository.disable_failing(
            session,
            failing_before=now - DISABLE_AFTER,
            reason=f"Disabled at {now.isoformat()}: every delivery failed for 5 days.",
        )
    return outcomes


async def oldest_pending(session: AsyncSession) -> datetime | None:
    return await repository.oldest_pending(session)
