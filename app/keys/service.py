"""API keys: made, listed and revoked by the CLI and the admin endpoints."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Conflict, NotFound
from app.core.security import KEY_PREFIX, Role, hash_key
from app.keys import repository
from app.models import ApiKey


async def create_key(
    session: AsyncSession, *, name: str, role: Role, now: datetime
) -> tuple[ApiKey, str]:
    """A new key and its secret, which is shown once and stored only as a hash.

    Names are unique, so that a key can be revoked by its name.
    """
    if await repository.name_taken(session, name):
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


async def revoke_key(session: AsyncSession, ref: str, *, now: datetime) -> ApiKey:
    """Revoke a key given by id or by its unique name."""
    key = await repository.find_key(session, ref)
    if key is None:
        raise NotFound(f"No key {ref!r}.")
    if key.revoked_at is None:
        key.revoked_at = now
        await session.flush()
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
