"""Versions: each write the next one, a concurrent edit a 412; the trash and purging."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from app.core.errors import PreconditionFailed
from app.models.base import VersionedMixin


async def flush_new_version(session: AsyncSession, item: VersionedMixin) -> None:
    """Write pending changes as the next version; a concurrent edit is a 412, not a lost update."""
    item.version += 1
    try:
        await session.flush()
    except StaleDataError:
        # The session is spent: what the row holds now is unknown here.
        raise PreconditionFailed(
            "The resource changed while this edit was being applied: fetch it and retry."
        ) from None


async def trash_or_purge(
    session: AsyncSession, item: VersionedMixin, *, purge: bool, now: datetime
) -> None:
    """Move to the trash (kept, answered 410), or remove for good with ``purge``."""
    if purge:
        await session.execute(delete(type(item)).where(type(item).id == item.id))
        session.expunge(item)
    elif item.deleted_at is None:
        item.deleted_at = now
        item.updated_at = now
        await flush_new_version(session, item)
