"""Tag queries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import Page
from app.core.repository import escape_like, find_named, keyset_page
from app.core.slugs import fold_name
from app.models import Article, ArticleTag, Tag
from app.models.visibility import public_clause, visible_clause

TagSort = Literal["-article_count", "name"]


def article_count(now: datetime) -> Any:
    """Published articles carrying the tag, as a correlated scalar subquery."""
    return (
        select(func.count())
        .select_from(ArticleTag)
        .join(Article, Article.id == ArticleTag.article_id)
        .where(ArticleTag.tag_id == Tag.id, visible_clause(now))
        .scalar_subquery()
    )


def columns(now: datetime) -> tuple[Any, ...]:
    return (
        Tag.id,
        Tag.slug,
        Tag.name,
        Tag.description,
        article_count(now).label("article_count"),
        Tag.created_at,
        Tag.updated_at,
        Tag.version,
    )


async def count_for(session: AsyncSession, tag: Tag, now: datetime) -> int:
    return int(await session.scalar(select(article_count(now)).where(Tag.id == tag.id)) or 0)


async def find_by_keys(
    session: AsyncSession, keys: Sequence[str], slugs: Sequence[str]
) -> list[Tag]:
    return await find_named(session, Tag, keys, slugs)


async def list_page(
    session: AsyncSession,
    *,
    q: str | None,
    sort: TagSort,
    page: Page,
    now: datetime,
    sees_drafts: bool,
) -> tuple[list[Any], int, str | None]:
    where = [Tag.deleted_at.is_(None) if sees_drafts else public_clause(Tag, now)]
    if q:
        where.append(Tag.name_key.like(f"{escape_like(fold_name(q))}%", escape="\\"))
    key = article_count(now) if sort == "-article_count" else Tag.name_key
    return await keyset_page(
        session,
        Tag,
        columns=(*columns(now), key.label("sort_key")),
        where=where,
        sort=sort,
        key=key,
        descending=sort == "-article_count",
        page=page,
    )
