"""API keys: made, listed and revoked by the CLI and the admin endpoints."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Conflict, NotFound
from app.core.security import KEY_PREFIX, Role, forget_cached_keys, hash_key
from app.models import ApiKey


async def create_key(
    session: AsyncSession, *, name: str, role: Role, now: datetime
) -> tuple[ApiKey, str]:
    """A new key and its secret, which is shown once and stored only as a hash.

    Names are unique, so that a key can be revoked by its name.
    """
    if await session.scalar(select(ApiKey.id).where(ApiKey.name == name)) is not None:
        raise Conflict(f"A key named {name!r} exists already: choose another name.")
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        id=uuid.uuid4(),
        name=name,
        role=role,
        prefix=raw[: len(KEY_PREFIX) + 6],
        key_hash=hash_key(raw),
        created_at=now,
    )
    session.add(key)
    await session.flush()
    return key, raw


async def list_keys(
    session: AsyncSession, *, limit: int | None = None, offset: int = 0
) -> tuple[list[ApiKey], int]:
    """Keys, oldest first, and how many there are."""
    keys = await session.scalars(
        select(ApiKey).order_by(ApiKey.created_at, ApiKey.id).limit(limit).offset(offset)
    )
    total = await session.scalar(select(func.count()).select_from(ApiKey))
    return list(keys.all()), total or 0


async def revoke_key(session: AsyncSession, ref: str, *, now: datetime) -> ApiKey:
    """Revoke a key given by id or by its unique name."""
    condition: Any
    try:
        condition = ApiKey.id == uuid.UUID(ref)
    except ValueError:
        condition = ApiKey.name == ref
    key = await session.scalar(select(ApiKey).where(condition))
    if key is None:
        raise NotFound(f"No key {ref!r}.")
    if key.revoked_at is None:
        key.revoked_at = now
        await session.flush()
    forget_cached_keys()
    return key


def to_dict(key: ApiKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "name": key.name,
        "role": key.role,
        "prefix": key.prefix,
        "created_at": key.created_at,
        "revoked_at": key.revoked_at,
    }
