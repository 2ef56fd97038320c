"""Change-feed queries: the events a syncing client reads next, hiding superseded ones, and
writing new ones with their numbers."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, insert, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from app.core.errors import invalid
from app.core.pagination import decode_cursor, encode_cursor
from app.core.schemas import as_utc
from app.models import Change, Counter

CURSOR_KIND = "changes"


@dataclass(frozen=True, slots=True)
class Position:
    """Where a client stands in the feed.

    It holds every event numbered up to ``seq`` that a reader could see at
    ``as_of``. A scheduled article's events are numbered when written but seen
    from its publication time on, so a later read also hands out the events up
    to ``seq`` that went live after ``as_of``. The pages of one read are taken
    as of one time, ``sweep_at``; ``page_seq`` is the last event of those pages
    handed out so far.
    """

    seq: int = 0
    as_of: datetime | None = None
    sweep_at: datetime | None = None
    page_seq: int = 0

    def encode(self) -> str:
        return encode_cursor(
            CURSOR_KIND,
            [self.seq, _iso(self.as_of), _iso(self.sweep_at), self.page_seq],
        )

    @classmethod
    def decode(cls, cursor: str) -> Position:
        seq, as_of, sweep_at, page_seq = decode_cursor(cursor, CURSOR_KIND, 4)
        try:
            return cls(_count(seq), _time(as_of), _time(sweep_at), _count(page_seq))
        except (TypeError, ValueError):
            raise invalid(["query", "cursor"], "The cursor is not valid.") from None


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _count(value: Any) -> int:
    if type(value) is not int or value < 0:
        raise ValueError("not a feed position")
    return value


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("not an aware time")
    return as_utc(parsed)


def _reader_sees(at: datetime) -> ColumnElement[bool]:
    return and_(
        Change.public.is_(True),
        or_(Change.visible_from.is_(None), Change.visible_from <= at),
    )


def _scope(resource_type: str | None) -> ColumnElement[bool]:
    return true() if resource_type is None else Change.resource_type == resource_type


async def feed_page(
    session: AsyncSession,
    *,
    cursor: str | None,
    limit: int,
    resource_type: str | None,
    sees_all: bool,
    now: datetime,
) -> tuple[list[Change], Position, bool]:
    """A page of events in ``seq`` order, the position after it, and whether more follow.

    Editors (``sees_all``) read every event; readers the public ones once visible.
    """
    start = Position.decode(cursor) if cursor is not None else Position()
    # A cursor cannot see further ahead than the present (no peeking at scheduled events).
    at = min(start.sweep_at or now, now)
    scope = _scope(resource_type)
    seen = true() if sees_all else _reader_sees(at)
    rows: list[Change] = []
    if not sees_all and start.as_of is not None and start.page_seq < start.seq:
        went_live = await session.scalars(
            select(Change)
            .where(
                seen,
                scope,
                Change.seq > start.page_seq,
                Change.seq <= start.seq,
                Change.visible_from > start.as_of,
            )
            .order_by(Change.seq)
            .limit(limit + 1)
        )
        rows = list(went_live.all())
    if len(rows) <= limit:
        newer = await session.scalars(
            select(Change)
            .where(seen, scope, Change.seq > max(start.seq, start.page_seq))
            .order_by(Change.seq)
            .limit(limit + 1 - len(rows))
        )
        rows.extend(newer.all())
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1].seq if rows else start.page_seq
    if more:
        after = Position(start.seq, start.as_of, at, last)
    else:
        after = Position(max(start.seq, last), at)
    return rows, after, more


async def feed_total(
    session: AsyncSession, *, resource_type: str | None, sees_all: bool, now: datetime
) -> int:
    seen = true() if sees_all else _reader_sees(now)
    total = await session.scalar(
        select(func.count()).select_from(Change).where(seen, _scope(resource_type))
    )
    return total or 0


async def counter_value(session: AsyncSession, name: str) -> int:
    value = await session.scalar(select(Counter.value).where(Counter.name == name))
    return int(value or 0)


async def first_seq_since(session: AsyncSession, since: datetime) -> int | None:
    """The first event that happened at or after ``since``."""
    return await session.scalar(select(func.min(Change.seq)).where(Change.occurred_at >= since))


async def withdraw_pending(
    session: AsyncSession,
    *,
    resource_type: str,
    resource_ids: Collection[uuid.UUID],
    now: datetime,
) -> None:
    """Hide from readers the resources' events still waiting for their publication time.

    The newer event stands for the resource's state: if the article is unpublished
    or rescheduled before it goes live, readers never hear of the earlier plan.
    """
    await session.execute(
        update(Change)
        .where(
            Change.resource_type == resource_type,
            Change.resource_id.in_(resource_ids),
            Change.public.is_(True),
            Change.visible_from > now,
        )
        .values(public=False)
        .execution_options(synchronize_session=False)
    )


# Writing events as a transaction commits (from a sync session event) -------


def add_to_counter(session: Session, name: str, amount: int) -> int | None:
    """Add ``amount`` to the counter ``name`` and give its new value (None: no such counter).

    The counter's row stays locked until the transaction ends.
    """
    return session.scalar(
        update(Counter)
        .where(Counter.name == name)
        .values(value=Counter.value + amount)
        .returning(Counter.value)
    )


def insert_changes(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Write these numbered events (rows of ``changes`` columns)."""
    # NULLs sent as values: one statement whether or not visible_from is set.
    session.execute(insert(Change).execution_options(render_nulls=True), rows)
