"""Author queries."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.articles.repository import link_counts
from app.core.slugs import fold_name
from app.models import ArticleAuthor, Author
from app.resources.repository.listing import escape_like

AuthorSort = Literal["name", "-article_count"]


COLUMNS = (
    Author.id,
    Author.slug,
    Author.name,
    Author.bio,
    Author.image_url,
    Author.job_title,
    Author.urls,
    Author.created_at,
    Author.updated_at,
    Author.version,
)


async def visible_counts(
    session: AsyncSession, now: datetime, *, of: uuid.UUID | None = None
) -> dict[uuid.UUID, int]:
    """Published articles with a byline of each author that has any (or of author ``of``)."""
    return await link_counts(session, ArticleAuthor.author_id, now, of=of)


def list_clauses(q: str | None) -> list[ColumnElement[bool]]:
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
    return where


async def profiles(session: AsyncSession, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Any]:
    """(id, job_title, image_url, urls) of these authors, by id."""
    if not ids:
        return {}
    statement = select(Author.id, Author.job_title, Author.image_url, Author.urls).where(
        Author.id.in_(list(ids))
    )
    return {row.id: row for row in await session.execute(statement)}
