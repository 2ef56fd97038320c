"""Entity queries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.articles.repository import visible_clause
from app.core.pagination import Page
from app.core.repository import escape_like, keyset_page
from app.core.slugs import fold_name
from app.models import Article, Entity, EntityName, Mention

EntitySort = Literal["-article_count", "name", "-last_seen"]
EPOCH = datetime.fromisoformat("1970-01-01T00:00:00+00:00")


def _mention_stat(aggregate: Any, now: datetime) -> Any:
    return (
        select(aggregate)
        .select_from(Mention)
        .join(Article, Article.id == Mention.article_id)
        .where(Mention.entity_id == Entity.id, visible_clause(now))
        .scalar_subquery()
    )


def columns(now: datetime) -> tuple[Any, ...]:
    return (
        Entity.id,
        Entity.slug,
        Entity.name,
        Entity.type,
        Entity.aliases,
        Entity.description,
        Entity.external_ids,
        _mention_stat(func.count(), now).label("article_count"),
        _mention_stat(func.min(Article.published_at), now).label("first_seen"),
        _mention_stat(func.max(Article.published_at), now).label("last_seen"),
        Entity.created_at,
        Entity.updated_at,
        Entity.version,
    )


async def read_row(session: AsyncSession, entity_id: uuid.UUID, now: datetime) -> Any:
    return (await session.execute(select(*columns(now)).where(Entity.id == entity_id))).one()


async def find_by_name_keys(session: AsyncSession, keys: Sequence[str]) -> list[tuple[str, Entity]]:
    """(name key, entity) for every live entity with one of these names or aliases."""
    statement = (
        select(EntityName.name_key, Entity)
        .join(Entity, Entity.id == EntityName.entity_id)
        .where(EntityName.name_key.in_(keys), Entity.deleted_at.is_(None))
        .order_by(Entity.created_at)
    )
    return [(row[0], row[1]) for row in (await session.execute(statement)).all()]


async def list_page(
    session: AsyncSession,
    *,
    q: str | None,
    type_: str | None,
    sort: EntitySort,
    page: Page,
    now: datetime,
) -> tuple[list[Any], int, str | None]:
    where: list[ColumnElement[bool]] = [Entity.deleted_at.is_(None)]
    if type_ is not None:
        where.append(Entity.type == type_)
    if q:
        where.append(
            Entity.id.in_(
                select(EntityName.entity_id).where(
                    EntityName.name_key.like(f"{escape_like(fold_name(q))}%", escape="\\")
                )
            )
        )
    key: Any
    if sort == "-article_count":
        key = _mention_stat(func.count(), now)
    elif sort == "-last_seen":
        key = func.coalesce(_mention_stat(func.max(Article.published_at), now), EPOCH)
    else:
        key = func.lower(Entity.name)
    return await keyset_page(
        session,
        Entity,
        columns=(*columns(now), key.label("sort_key")),
        where=where,
        sort=sort,
        key=key,
        descending=sort != "name",
        page=page,
    )
