"""The change feed: recorded in the writing transaction, read in commit order."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.changes import repository
from app.changes.repository import Position
from app.core.clock import utcnow
from app.core.security import Principal
from app.models import Change, Counter

CHANGES_COUNTER = "changes"
# Set in ``Session.info`` by a transaction that recorded events.
RECORDED = "lede.changes_recorded"
# The detail of the deletion of an entity merged into another, before the other's id.
MERGED = "merged:"


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened to a resource, for the feed."""

    resource_type: str
    resource_id: uuid.UUID
    event: str
    version: int
    public: bool
    visible_from: datetime | None = None
    # What more the event says, e.g. ``merged:<id>`` on the deletion of a merged entity.
    detail: str | None = None


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
    # Tells a webhook sender in this process, once committed, that there is news.
    session.info[RECORDED] = True
    seqs = await next_seqs(session, len(events))
    now = utcnow()
    # A newer event supersedes those still waiting for a publication time (a
    # resource being created has none).
    superseded: dict[str, set[uuid.UUID]] = {}
    for event in events:
        if event.event != "created":
            superseded.setdefault(event.resource_type, set()).add(event.resource_id)
    for resource_type, resource_ids in superseded.items():
        await withdraw_pending(session, resource_type, resource_ids, now)
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
                "detail": event.detail,
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
    detail: str | None = None,
) -> None:
    await record_changes(
        session, [Event(resource_type, resource_id, event, version, public, visible_from, detail)]
    )


async def withdraw_pending(
    session: AsyncSession, resource_type: str, resource_ids: Collection[uuid.UUID], now: datetime
) -> None:
    """Hide from readers the resources' events still waiting for their time."""
    await repository.withdraw_pending(
        session, resource_type=resource_type, resource_ids=resource_ids, now=now
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
    rows, after, more = await repository.feed_page(
        session,
        cursor=cursor,
        limit=limit,
        resource_type=resource_type,
        sees_all=principal.sees_drafts,
        now=now,
    )
    total = await repository.feed_total(
        session, resource_type=resource_type, sees_all=principal.sees_drafts, now=now
    )
    return rows, total, after, more


async def read_events(
    session: AsyncSession, *, cursor: str | None, limit: int, sees_all: bool, now: datetime
) -> tuple[list[Change], Position, bool]:
    """The next events after ``cursor`` as readers (or, ``sees_all``, editors) read the feed."""
    return await repository.feed_page(
        session, cursor=cursor, limit=limit, resource_type=None, sees_all=sees_all, now=now
    )


async def position_since(session: AsyncSession, since: datetime) -> str:
    """A cursor from which the feed reads the events that happened at or after ``since``."""
    first = await repository.first_seq_since(session, since)
    last = await last_seq(session)
    return Position(last if first is None else first - 1).encode()


async def last_seq(session: AsyncSession) -> int:
    """The position of the last event numbered so far."""
    return await repository.counter_value(session, CHANGES_COUNTER)
