"""Webhook queries: subscriptions, the delivery log, claiming due attempts, feed positions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, delete, exists, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.core.pagination import Page
from app.models import WebhookCursor, WebhookDelivery, WebhookSubscription
from app.models.base import VersionedMixin
from app.resources.repository.listing import keyset_page

DELIVERIES = WebhookDelivery.__table__
CURSORS = ("public", "all")


def _is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def list_page(
    session: AsyncSession, page: Page
) -> tuple[list[WebhookSubscription], int, str | None]:
    rows, total, next_cursor = await keyset_page(
        session,
        WebhookSubscription,
        columns=[WebhookSubscription.id, WebhookSubscription.created_at.label("sort_key")],
        where=[],
        sort="webhooks",
        key=WebhookSubscription.created_at,
        descending=False,
        page=page,
    )
    found = {
        s.id: s
        for s in await session.scalars(
            select(WebhookSubscription).where(WebhookSubscription.id.in_([r.id for r in rows]))
        )
    }
    return [found[r.id] for r in rows], total, next_cursor


async def enabled(session: AsyncSession) -> list[WebhookSubscription]:
    found = await session.scalars(
        select(WebhookSubscription).where(WebhookSubscription.enabled.is_(True))
    )
    return list(found)


async def delivery_page(
    session: AsyncSession, subscription_id: uuid.UUID, page: Page, state: str | None
) -> tuple[list[Row[Any]], int, str | None]:
    where = [WebhookDelivery.subscription_id == subscription_id]
    if state is not None:
        where.append(WebhookDelivery.state == state)
    return await keyset_page(
        session,
        WebhookDelivery,
        columns=[*DELIVERIES.c, WebhookDelivery.created_at.label("sort_key")],
        where=where,
        sort="deliveries",
        key=WebhookDelivery.created_at,
        descending=True,
        page=page,
    )


async def find_delivery(
    session: AsyncSession, subscription_id: uuid.UUID, delivery_id: uuid.UUID
) -> WebhookDelivery | None:
    return await session.scalar(
        select(WebhookDelivery).where(
            WebhookDelivery.id == delivery_id, WebhookDelivery.subscription_id == subscription_id
        )
    )


async def add_deliveries(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(WebhookDelivery), list(rows))


async def delete_subscription(session: AsyncSession, subscription_id: uuid.UUID) -> None:
    await session.execute(
        delete(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
    )
    await session.execute(
        delete(WebhookSubscription).where(WebhookSubscription.id == subscription_id)
    )


async def slugs(
    session: AsyncSession, model: type[VersionedMixin], ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = await session.execute(select(model.id, model.slug).where(model.id.in_(ids)))
    return {row.id: row.slug for row in rows}


async def lock_cursors(session: AsyncSession) -> dict[str, str | None] | None:
    """The senders' feed positions, locked for this transaction; None if another sender has them.

    On SQLite the writing transaction already holds the database's one write lock.
    """
    upsert = postgresql.insert if _is_postgres(session) else sqlite.insert
    await session.execute(
        upsert(WebhookCursor)
        .values([{"name": name, "position": None} for name in CURSORS])
        .on_conflict_do_nothing()
    )
    statement = select(WebhookCursor.name, WebhookCursor.position)
    if _is_postgres(session):
        statement = statement.with_for_update(skip_locked=True)
    rows = {row.name: row.position for row in await session.execute(statement)}
    return rows if len(rows) == len(CURSORS) else None


async def save_cursor(session: AsyncSession, name: str, position: str) -> None:
    await session.execute(
        update(WebhookCursor).where(WebhookCursor.name == name).values(position=position)
    )


async def claim_due(
    session: AsyncSession, *, now: datetime, lease_until: datetime, limit: int
) -> Sequence[Any]:
    """Take up to ``limit`` due deliveries whose older ones for the same resource are done.

    Each is leased until ``lease_until`` (its next attempt, should this sender die
    while sending) and counted as an attempt. On PostgreSQL rows another sender is
    claiming are skipped (``FOR UPDATE SKIP LOCKED``); SQLite has one writer.
    """
    older = aliased(WebhookDelivery)
    waits = exists().where(
        older.subscription_id == WebhookDelivery.subscription_id,
        older.resource_id == WebhookDelivery.resource_id,
        older.state == "pending",
        or_(
            older.seq < WebhookDelivery.seq,
            and_(older.seq == WebhookDelivery.seq, older.created_at < WebhookDelivery.created_at),
        ),
    )
    statement = (
        select(WebhookDelivery.id)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .where(
            WebhookDelivery.state == "pending",
            WebhookDelivery.next_attempt_at <= now,
            WebhookSubscription.enabled.is_(True),
            ~waits,
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.seq)
        .limit(limit)
    )
    if _is_postgres(session):
        statement = statement.with_for_update(of=WebhookDelivery, skip_locked=True)
    ids = list(await session.scalars(statement))
    if not ids:
        return []
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id.in_(ids))
        .values(
            next_attempt_at=lease_until,
            last_attempt_at=now,
            attempts=WebhookDelivery.attempts + 1,
        )
    )
    result = await session.execute(
        select(
            WebhookDelivery.id,
            WebhookDelivery.subscription_id,
            WebhookDelivery.seq,
            WebhookDelivery.attempts,
            WebhookDelivery.payload,
            WebhookSubscription.url,
            WebhookSubscription.secret,
            WebhookSubscription.previous_secret,
            WebhookSubscription.previous_secret_until,
        )
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .where(WebhookDelivery.id.in_(ids))
    )
    return result.all()


async def record_outcomes(session: AsyncSession, outcomes: Sequence[dict[str, Any]]) -> None:
    """Write each attempt's result: ``id`` plus the same columns for every one (one statement)."""
    if outcomes:
        await session.execute(update(WebhookDelivery), list(outcomes))


async def mark_succeeded(session: AsyncSession, subscription_ids: Sequence[uuid.UUID]) -> None:
    if subscription_ids:
        await session.execute(
            update(WebhookSubscription)
            .where(WebhookSubscription.id.in_(subscription_ids))
            .values(failing_since=None)
        )


async def mark_failing(
    session: AsyncSession, subscription_ids: Sequence[uuid.UUID], *, now: datetime
) -> None:
    if subscription_ids:
        await session.execute(
            update(WebhookSubscription)
            .where(
                WebhookSubscription.id.in_(subscription_ids),
                WebhookSubscription.failing_since.is_(None),
            )
            .values(failing_since=now)
        )


async def disable_failing(session: AsyncSession, *, failing_before: datetime, reason: str) -> None:
    """Disable the subscriptions whose deliveries have all failed since before then."""
    await session.execute(
        update(WebhookSubscription)
        .where(
            WebhookSubscription.enabled.is_(True),
            WebhookSubscription.failing_since < failing_before,
        )
        .values(enabled=False, disabled_reason=reason)
    )


async def oldest_pending(session: AsyncSession) -> datetime | None:
    return await session.scalar(
        select(func.min(WebhookDelivery.created_at)).where(WebhookDelivery.state == "pending")
    )


async def any_enabled(session: AsyncSession) -> bool:
    found = await session.scalar(
        select(WebhookSubscription.id).where(WebhookSubscription.enabled.is_(True)).limit(1)
    )
    return found is not None
