"""Article history: earlier versions, restoring one, and taking an article out of the trash."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.articles import publishing, service
from app.articles.repository import revisions as revisions_repository
from app.core.errors import NotFound
from app.core.http import Precondition
from app.core.security import Principal
from app.models import Article
from app.resources.repository.versions import flush_new_version


async def list_revisions(
    session: AsyncSession, article: Article, *, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """Earlier versions, newest first: who made each, when, and which fields it changed."""
    # One row more than the page: a row stores version N and the fields the edit
    # to N + 1 changed, so the fields that made version N are on the row after it
    # in this order.
    rows = await revisions_repository.newest_first(
        session, article.id, limit=limit + 1, offset=offset
    )
    total = await revisions_repository.count(session, article.id)
    made_by_edit = {row.version + 1: row.changed_fields for row in rows}
    return [
        {
            "version": row.version,
            "updated_by": row.actor,
            "updated_at": row.created_at,
            "changed_fields": made_by_edit.get(row.version, []),
            "article": _with_z_times(row.snapshot),
        }
        for row in rows[:limit]
    ], total


def _with_z_times(snapshot: dict[str, Any]) -> dict[str, Any]:
    # Revisions written before times were kept as RFC 3339 with "Z" say "+00:00".
    published_at = snapshot.get("published_at")
    if isinstance(published_at, str) and published_at.endswith("+00:00"):
        return {**snapshot, "published_at": published_at.removesuffix("+00:00") + "Z"}
    return snapshot


async def restore_revision(
    session: AsyncSession,
    article: Article,
    version: int,
    *,
    principal: Principal,
    precondition: Precondition,
    now: datetime,
) -> Article:
    """Make an earlier version current again, as a new version (history is never rewritten)."""
    row = await revisions_repository.get(session, article.id, version)
    if row is None:
        raise NotFound(f"The article has no earlier version {version}.")
    values = {k: v for k, v in row.snapshot.items() if k != "slug"}
    for name in ("published_at", "expires_at"):
        if values.get(name) is not None:
            values[name] = datetime.fromisoformat(values[name])
    return await service.update_article(
        session, article, values=values, principal=principal, precondition=precondition, now=now
    )


async def untrash(
    session: AsyncSession,
    article: Article,
    *,
    principal: Principal,
    precondition: Precondition,
    now: datetime,
) -> Article:
    """Take an article out of the trash, as it was."""
    precondition.check(article)
    if article.deleted_at is not None:
        article.deleted_at = None
        article.updated_at = now
        article.updated_by = principal.actor
        await flush_new_version(session, article)
        await publishing.record_event(session, article, "updated", now=now)
    return article
