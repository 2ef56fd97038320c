"""The stored articles that bulk upserts name, by slug or canonical URL."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Row, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.articles.repository import ARTICLE_LOAD
from app.models import Article

# (id, slug, title, canonical_url, deleted_at)
KeyRow = Row[uuid.UUID, str, str, str | None, datetime | None]


async def find_targets(
    session: AsyncSession, *, slug: str | None, canonical_url: str | None
) -> list[Article]:
    """The articles (trashed ones too) holding ``slug`` or ``canonical_url``, loaded afresh."""
    keys = [Article.slug == slug] if slug is not None else []
    if canonical_url is not None:
        keys.append(Article.canonical_url == canonical_url)
    if not keys:
        return []
    statement = select(Article).where(or_(*keys)).options(*ARTICLE_LOAD)
    result = await session.scalars(statement.execution_options(populate_existing=True))
    return list(result.all())


async def key_rows(
    session: AsyncSession, *, slugs: Collection[str], urls: Collection[str]
) -> list[KeyRow]:
    """(id, slug, title, canonical_url, deleted_at) of the articles (trashed ones too)
    holding one of ``slugs`` or of ``urls``."""
    statement = select(
        Article.id, Article.slug, Article.title, Article.canonical_url, Article.deleted_at
    ).where(or_(Article.slug.in_(slugs), Article.canonical_url.in_(urls)))
    return list((await session.execute(statement)).all())


async def plan_each_statement(session: AsyncSession) -> None:
    """Have PostgreSQL plan every statement of this transaction for its own values, never
    reusing a generic plan; SQLite keeps no plans, and is left as it is."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
