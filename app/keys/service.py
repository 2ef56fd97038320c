"""API keys: made, listed and revoked by the CLI and the admin endpoints."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import NotFound
from app.core.security import KEY_PREFIX, Role, forget_cached_keys, hash_key
from app.models import ApiKey


async def create_key(
    session: AsyncSession, *, name: str, role: Role, now: datetime
) -> tuple[ApiKey, str]:
    """A new key and its secret, which is shown once and stored only as a hash."""
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


async def list_keys(session: AsyncSession) -> list[ApiKey]:
    return list((await session.scalars(select(ApiKey).order_by(ApiKey.created_at))).all())


async def revoke_key(session: AsyncSession, ref: str, *, now: datetime) -> ApiKey:
    """Revoke a key given by id or by its unique name."""
    condition: Any
    try:
        condition = ApiKey.id == uuid.UUID(ref)
    except ValueError:
        condition = ApiKey.name == ref
    keys = list((await session.scalars(select(ApiKey).where(condition))).all())
    if len(keys) != 1:
        raise NotFound(f"No single key {ref!r}." if keys else f"No key {ref!r}.")
    key = keys[0]
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
