"""The change feed: recorded in the writing transaction, read in commit order."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.changes import repository
from app.changes.repository import Position
from app.core.security import Principal
from app.models import Change, Counter
from app.models.base import utcnow

CHANGES_COUNTER = "changes"


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened to a resource, for the feed."""

    resource_type: str
    resource_id: uuid.UUID
    event: str
    version: int
    public: bool
    visible_from: datetime | None = None


async def next_seqs(session: AsyncSession, count: int) -> range:
    """The feed positions of the next ``count`` events.

    One counter row, bumped in the writing transaction, holds its row lock until
    commit: events are numbered in commit order, so a client that has read up
    to N never later finds an event below N.
    """
    last = await session.scalar(
        update(Counter)
        .where(Counter.name == CHANGES_COUNTER)
        .values(value=Counter.value + count)
        .returning(Counter.value)
    )
    if last is None:
        raise RuntimeError("The change counter is missing: run `lede migrate`.")
    return range(int(last) - count + 1, int(last) + 1)


async def record_changes(session: AsyncSession, events: Sequence[Event]) -> None:
    if not events:
        return
    seqs = await next_seqs(session, len(events))
    now = utcnow()
    for event in events:
        # A newer event supersedes those still waiting for a publication time (a
        # resource being created has none).
        if event.event != "created":
            await repository.withdraw_pending(
                session, resource_type=event.resource_type, resource_id=event.resource_id, now=now
            )
    await session.execute(
        # NULLs sent as values: one statement whether or not visible_from is set.
        insert(Change).execution_options(render_nulls=True),
        [
            {
                "seq": seq,
                "resource_type": event.resource_type,
                "resource_id": event.resource_id,
                "event": event.event,
                "version": event.version,
                "occurred_at": now,
                "public": event.public,
                "visible_from": event.visible_from,
            }
            for seq, event in zip(seqs, events, strict=True)
        ],
    )


async def record_change(
    session: AsyncSession,
    *,
    resource_type: str,
    resource_id: uuid.UUID,
    event: str,
    version: int,
    public: bool,
    visible_from: datetime | None = None,
) -> None:
    await record_changes(
        session, [Event(resource_type, resource_id, event, version, public, visible_from)]
    )


async def withdraw_pending(
    session: AsyncSession, resource_type: str, resource_id: uuid.UUID, now: datetime
) -> None:
    """Hide from readers the resource's events still waiting for their time."""
    await repository.withdraw_pending(
        session, resource_type=resource_type, resource_id=resource_id, now=now
    )


async def read_feed(
    session: AsyncSession,
    *,
    cursor: str | None,
    limit: int,
    resource_type: str | None,
    principal: Principal,
    now: datetime,
) -> tuple[list[Change], int, Position, bool]:
    """A page of the feed as this principal may read it: editors all events, readers public."""
    return await repository.feed_page(
        session,
        cursor=cursor,
        limit=limit,
        resource_type=resource_type,
        sees_all=principal.sees_drafts,
        now=now,
    )
