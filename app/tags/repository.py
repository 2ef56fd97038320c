"""Tag queries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from app.articles.repository import link_counts
from app.core.slugs import fold_name
from app.models import ArticleTag, Tag
from app.models.visibility import public_clause
from app.resources.repository.listing import escape_like
from app.resources.repository.lookup import find_named

TagSort = Literal["-article_count", "name"]


COLUMNS = (Tag.id, Tag.slug, Tag.name, Tag.description, Tag.created_at, Tag.updated_at, Tag.version)


async def visible_counts(
    session: AsyncSession, now: datetime, *, of: uuid.UUID | None = None
) -> dict[uuid.UUID, int]:
    """Published articles carrying each tag that has any (or tag ``of``)."""
    return await link_counts(session, ArticleTag.tag_id, now, of=of)


async def find_by_keys(
    session: AsyncSession, keys: Sequence[str], slugs: Sequence[str]
) -> list[Tag]:
    return await find_named(session, Tag, keys, slugs)


def list_clauses(q: str | None, *, now: datetime, sees_drafts: bool) -> list[ColumnElement[bool]]:
    """The tags a list shows: editors every live one, readers the public ones."""
    where = [Tag.deleted_at.is_(None) if sees_drafts else public_clause(Tag, now)]
    if q:
        where.append(Tag.name_key.like(f"{escape_like(fold_name(q))}%", escape="\\"))
    return where
