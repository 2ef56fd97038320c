"""The change feed: recorded in the writing transaction, read in commit order."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event as event_api
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from app.changes import repository
from app.changes.repository import Position
from app.core.clock import utcnow
from app.core.security import Principal
from app.models import Change, Entity, Tag
from app.models.visibility import announced

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


def listed_events(
    resource_type: str,
    items: Sequence[Tag | Entity],
    event: str,
    now: datetime,
    *,
    detail: str | None = None,
) -> list[Event]:
    """An event of each tag or entity, public from when readers see the item (see
    ``announced``): one that only hidden articles carry stays out of their feed."""
    events = []
    for item in items:
        public, visible_from = announced(item, event, now)
        events.append(
            Event(resource_type, item.id, event, item.version, public, visible_from, detail)
        )
    return events


def next_seqs(session: Session, count: int) -> range:
    """The feed positions of the next ``count`` events.

    One counter row, bumped in the writing transaction, holds its row lock until
    commit: events are numbered in commit order, so a client that has read up
    to N never later finds an event below N.
    """
    last = repository.add_to_counter(session, CHANGES_COUNTER, count)
    if last is None:
        raise RuntimeError("The change counter is missing: run `lede migrate`.")
    return range(int(last) - count + 1, int(last) + 1)


# session.info keys: the events a transaction recorded, each with the
# (sub)transaction it was recorded in, the other counters it moves, and
# whether the session is listened to.
_PENDING = "lede.changes.pending"
_BUMPS = "lede.changes.bumps"
_LISTENING = "lede.changes.listening"


def _listen(session: AsyncSession) -> Any:
    sync = session.sync_session
    if not session.info.get(_LISTENING):
        session.info[_LISTENING] = True
        event_api.listen(sync, "before_commit", _write_pending)
        event_api.listen(sync, "after_soft_rollback", _drop_rolled_back)
    return sync.get_nested_transaction() or sync.get_transaction()


def bump_at_commit(session: AsyncSession, counter: str) -> None:
    """Add one to ``counter`` as the transaction commits (held locked for no longer)."""
    transaction = _listen(session)
    session.info.setdefault(_BUMPS, []).append((transaction, counter))


async def record_changes(session: AsyncSession, events: Sequence[Event]) -> None:
    """Note events of this transaction; they are numbered and written as it commits.

    Taking the counter's row lock only at commit keeps it for milliseconds,
    whatever else the transaction does: a long write does not hold up every
    other writer (the lock still numbers events in commit order).
    """
    if not events:
        return
    # Tells a webhook sender in this process, once committed, that there is news.
    session.info[RECORDED] = True
    now = utcnow()
    # A newer event supersedes those still waiting for a publication time (a
    # resource being created has none).
    superseded: dict[str, set[uuid.UUID]] = {}
    for event in events:
        if event.event != "created":
            superseded.setdefault(event.resource_type, set()).add(event.resource_id)
    for resource_type, resource_ids in superseded.items():
        await withdraw_pending(session, resource_type, resource_ids, now)
    transaction = _listen(session)
    pending: list[tuple[Any, Event, datetime]] = session.info.setdefault(_PENDING, [])
    pending.extend((transaction, event, now) for event in events)


def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    """Events recorded in a savepoint that was rolled back never happened."""

    def undone(transaction: SessionTransaction | None) -> bool:
        while transaction is not None:
            if transaction is previous_transaction:
                return True
            transaction = transaction.parent
        return False

    for key in (_PENDING, _BUMPS):
        entries = session.info.get(key)
        if entries:
            session.info[key] = [entry for entry in entries if not undone(entry[0])]


def _write_pending(session: Session) -> None:
    """Number and insert the transaction's events, as the last thing before it commits.

    A sync session event: SQL runs through the async driver in the calling greenlet.
    """
    if session.in_nested_transaction():
        return
    pending: list[tuple[Any, Event, datetime]] = session.info.pop(_PENDING, [])
    # Counters in one order in every transaction: two commits never wait on each other.
    for counter in sorted({name for _transaction, name in session.info.pop(_BUMPS, [])}):
        repository.add_to_counter(session, counter, 1)
    if not pending:
        return
    rows = [_row(event, at) for _transaction, event, at in pending]
    # Within one transaction too, a later event withdraws an earlier scheduled one.
    for i, row in enumerate(rows):
        if row["event"] == "created":
            continue
        for earlier in rows[:i]:
            if (earlier["resource_type"], earlier["resource_id"]) == (
                row["resource_type"],
                row["resource_id"],
            ) and (earlier["visible_from"] or row["occurred_at"]) > row["occurred_at"]:
                earlier["public"] = False
    for seq, row in zip(next_seqs(session, len(rows)), rows, strict=True):
        row["seq"] = seq
    repository.insert_changes(session, rows)


def _row(event: Event, at: datetime) -> dict[str, Any]:
    return {
        "resource_type": event.resource_type,
        "resource_id": event.resource_id,
        "event": event.event,
        "version": event.version,
        "occurred_at": at,
        "public": event.public,
        "visible_from": event.visible_from,
        "detail": event.detail,
    }


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
