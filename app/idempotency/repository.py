"""The responses kept for Idempotency-Key retries, one per (API key, Idempotency-Key)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import IdempotencyRecord


async def stored(session: AsyncSession, scope: str, key: str) -> IdempotencyRecord | None:
    """The record of this key, as committed now (not as this session last saw it)."""
    return await session.scalar(
        select(IdempotencyRecord)
        .where(IdempotencyRecord.scope == scope, IdempotencyRecord.key == key)
        .execution_options(populate_existing=True)
    )


async def forget_if_older(session: AsyncSession, scope: str, key: str, cutoff: datetime) -> None:
    """Drop the record of this key if it was made before ``cutoff``: the key may be used anew."""
    await session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.scope == scope,
            IdempotencyRecord.key == key,
            IdempotencyRecord.created_at < cutoff,
        )
    )
