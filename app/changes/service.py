"""The change feed: recorded in the writing transaction, read in commit order."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.changes import repository
from app.changes.repository import Position
from app.core.security import Principal
from app.models import Change, Counter
from app.models.base import utcnow

CHANGES_COUNTER = "changes"


async def next_seq(session: AsyncSession) -> int:
    """The feed position of the next event.

    One counter row, bumped in the writing transaction, holds its row lock until
    commit: events are numbered in commit order, so a client that has read up
    to N never later finds an event below N.
    """
    seq = await session.scalar(
        update(Counter)
        .where(Counter.name == CHANGES_COUNTER)
        .values(value=Counter.value + 1)
        .returning(Counter.value)
    )
    if seq is None:
        raise RuntimeError("The change counter is missing: run `lede migrate`.")
    return int(seq)


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
    seq = await next_seq(session)
    now = utcnow()
    # A newer event supersedes those still waiting for a publication time (a
    # resource being created has none).
    if event != "created":
        await repository.withdraw_pending(
            session, resource_type=resource_type, resource_id=resource_id, now=now
        )
    session.add(
        Change(
            seq=seq,
            resource_type=resource_type,
            resource_id=resource_id,
            event=event,
            version=version,
            occurred_at=now,
            public=public,
            visible_from=visible_from,
        )
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
