"""Preview nonces: one per article with preview tokens out."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import ArticlePreview


async def nonce_of(session: AsyncSession, article_id: uuid.UUID) -> str | None:
    return await session.scalar(
        select(ArticlePreview.nonce).where(ArticlePreview.article_id == article_id)
    )


async def add_nonce(
    session: AsyncSession, article_id: uuid.UUID, nonce: str, *, now: datetime
) -> None:
    session.add(ArticlePreview(article_id=article_id, nonce=nonce, created_at=now))
    await session.flush()


async def drop_nonce(session: AsyncSession, article_id: uuid.UUID) -> None:
    await session.execute(delete(ArticlePreview).where(ArticlePreview.article_id == article_id))
