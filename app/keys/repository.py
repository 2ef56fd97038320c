"""API keys as stored: found by their hash, by id or name, listed."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.security import Principal
from app.models import ApiKey


async def principal_by_digest(session: AsyncSession, digest: str) -> Principal | None:
    """Who the key with this hash stands for; None if there is none or it was revoked."""
    row = (
        await session.execute(
            select(ApiKey.id, ApiKey.role, ApiKey.name).where(
                ApiKey.key_hash == digest, ApiKey.revoked_at.is_(None)
            )
        )
    ).first()
    return None if row is None else Principal(role=row.role, key_id=str(row.id), name=row.name)


async def name_taken(session: AsyncSession, name: str) -> bool:
    return await session.scalar(select(ApiKey.id).where(ApiKey.name == name)) is not None


async def find_key(session: AsyncSession, ref: str) -> ApiKey | None:
    """The key with this id, else the one with this name."""
    condition: Any
    try:
        condition = ApiKey.id == uuid.UUID(ref)
    except ValueError:
        condition = ApiKey.name == ref
    return await session.scalar(select(ApiKey).where(condition))


async def keys_page(
    session: AsyncSession, *, limit: int | None, offset: int
) -> tuple[list[ApiKey], int]:
    """Keys, oldest first, and how many there are."""
    keys = await session.scalars(
        select(ApiKey).order_by(ApiKey.created_at, ApiKey.id).limit(limit).offset(offset)
    )
    total = await session.scalar(select(func.count()).select_from(ApiKey))
    return list(keys.all()), total or 0
