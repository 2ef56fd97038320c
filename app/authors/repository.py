"""Author queries."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import Page
from app.core.repository import escape_like, keyset_page
from app.core.slugs import fold_name
from app.models import Article, ArticleAuthor, Author
from app.models.visibility import visible_clause

AuthorSort = Literal["name", "-article_count"]


def article_count(now: datetime) -> Any:
    """Published articles the author has a byline on, as a correlated scalar subquery."""
    return (
        select(func.count())
        .select_from(ArticleAuthor)
        .join(Article, Article.id == ArticleAuthor.article_id)
        .where(ArticleAuthor.author_id == Author.id, visible_clause(now))
        .scalar_subquery()
    )


def columns(now: datetime) -> tuple[Any, ...]:
    return (
        Author.id,
        Author.slug,
        Author.name,
        Author.bio,
        Author.image_url,
        Author.job_title,
        Author.urls,
        article_count(now).label("article_count"),
        Author.created_at,
        Author.updated_at,
        Author.version,
    )


async def count_for(session: AsyncSession, author: Author, now: datetime) -> int:
    return int(await session.scalar(select(article_count(now)).where(Author.id == author.id)) or 0)


async def list_page(
    session: AsyncSession, *, q: str | None, sort: AuthorSort, page: Page, now: datetime
) -> tuple[list[Any], int, str | None]:
    where: list[ColumnElement[bool]] = [Author.deleted_at.is_(None)]
    if q and fold_name(q):
        # Typeahead finds the start of any of the name's words: "writ" finds Ann Writer.
        prefix = escape_like(fold_name(q))
        where.append(
            or_(
                Author.name_key.like(f"{prefix}%", escape="\\"),
                Author.name_key.like(f"% {prefix}%", escape="\\"),
            )
        )
    key = article_count(now) if sort == "-article_count" else Author.name_key
    return await keyset_page(
        session,
        Author,
        columns=(*columns(now), key.label("sort_key")),
        where=where,
        sort=sort,
        key=key,
        descending=sort == "-article_count",
        page=page,
    )


async def profiles(session: AsyncSession, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Any]:
    """(id, job_title, image_url, urls) of these authors, by id."""
    if not ids:
        return {}
    statement = select(Author.id, Author.job_title, Author.image_url, Author.urls).where(
        Author.id.in_(list(ids))
    )
    return {row.id: row for row in await session.execute(statement)}
