"""An article's stored earlier versions (``article_revisions``)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import ArticleRevision


async def newest_first(
    session: AsyncSession, article_id: uuid.UUID, *, limit: int, offset: int
) -> list[ArticleRevision]:
    """The article's revisions, newest version first, ``offset`` in and ``limit`` at most."""
    statement = (
        select(ArticleRevision)
        .where(ArticleRevision.article_id == article_id)
        .order_by(ArticleRevision.version.desc())
        .limit(limit)
        .offset(offset)
    )
    return list((await session.scalars(statement)).all())


async def count(session: AsyncSession, article_id: uuid.UUID) -> int:
    """How many revisions the article has."""
    statement = select(func.count()).select_from(ArticleRevision)
    return int(await session.scalar(statement.where(ArticleRevision.article_id == article_id)) or 0)


async def get(session: AsyncSession, article_id: uuid.UUID, version: int) -> ArticleRevision | None:
    """The article's revision that stores ``version``, if there is one."""
    return await session.get(ArticleRevision, (article_id, version))
