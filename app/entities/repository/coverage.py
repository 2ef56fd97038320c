"""Coverage queries: the entities mentioned beside an entity, and its stories per period."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.models import Article, Entity, Mention
from app.models.visibility import readable_clause, visible_clause


async def related_page(
    session: AsyncSession,
    entity_id: uuid.UUID,
    *,
    sees_drafts: bool,
    now: datetime,
    type_: str | None,
    since: datetime | None,
    limit: int,
    offset: int,
) -> tuple[list[Any], int]:
    """Live entities mentioned with ``entity_id`` in articles the reader may see, with how many.

    Rows of (id, slug, name, type, count), most shared first, then by name; and the total.
    """
    other = aliased(Mention)
    count = func.count().label("count")
    statement = (
        select(Entity.id, Entity.slug, Entity.name, Entity.type, count)
        .select_from(Mention)
        .join(Article, Article.id == Mention.article_id)
        .join(
            other,
            and_(other.article_id == Mention.article_id, other.entity_id != Mention.entity_id),
        )
        .join(Entity, Entity.id == other.entity_id)
        .where(
            Mention.entity_id == entity_id,
            readable_clause(sees_drafts=sees_drafts, now=now),
            Entity.deleted_at.is_(None),
        )
        .group_by(Entity.id, Entity.slug, Entity.name, Entity.type)
    )
    if type_ is not None:
        statement = statement.where(Entity.type == type_)
    if since is not None:
        statement = statement.where(Article.published_at >= since)
    total = await session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    rows = await session.execute(
        statement.order_by(count.desc(), func.lower(Entity.name), Entity.id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows.all()), total


Interval = Literal["day", "week", "month"]
# The start of a UTC day, ISO week (from Monday) or month, as YYYY-MM-DD; SQLite stores
# UTC times as text.
_SQLITE_PERIODS = {
    "day": lambda at: func.strftime("%Y-%m-%d", at),
    "week": lambda at: func.date(at, "weekday 0", "-6 days"),
    "month": lambda at: func.strftime("%Y-%m-01", at),
}


def _period(session: AsyncSession, interval: Interval) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        start = func.date_trunc(interval, func.timezone("UTC", Article.published_at))
        return func.to_char(start, "YYYY-MM-DD")
    return _SQLITE_PERIODS[interval](Article.published_at)


async def timeline(
    session: AsyncSession,
    entity_id: uuid.UUID,
    *,
    interval: Interval,
    since: datetime | None,
    until: datetime | None,
    now: datetime,
    top: int,
) -> tuple[list[Any], list[Any]]:
    """The published articles mentioning ``entity_id``, per period: rows of (period, articles,
    about), and of (period, slug, name, count) for the ``top`` live entities most often
    mentioned with it in each, most first, then by name."""
    # The entity's published stories, each with its period: both statements start there.
    where = [Mention.entity_id == entity_id, visible_clause(now)]
    if since is not None:
        where.append(Article.published_at >= since)
    if until is not None:
        where.append(Article.published_at < until)
    mine = (
        select(
            Mention.article_id,
            _period(session, interval).label("period"),
            Mention.salience,
        )
        .join(Article, Article.id == Mention.article_id)
        .where(*where)
        .cte("mine")
    )
    counts = await session.execute(
        select(
            mine.c.period,
            func.count().label("articles"),
            func.count().filter(mine.c.salience == "about").label("about"),
        )
        .group_by(mine.c.period)
        .order_by(mine.c.period)
    )
    count = func.count().label("count")
    shared = (
        select(mine.c.period, Mention.entity_id, count)
        .join(
            Mention, and_(Mention.article_id == mine.c.article_id, Mention.entity_id != entity_id)
        )
        .group_by(mine.c.period, Mention.entity_id)
        .subquery()
    )
    rank = (
        func.row_number()
        .over(
            partition_by=shared.c.period,
            order_by=(shared.c.count.desc(), func.lower(Entity.name), Entity.slug),
        )
        .label("rank")
    )
    ranked = (
        select(shared.c.period, Entity.slug, Entity.name, shared.c.count, rank)
        .join(Entity, Entity.id == shared.c.entity_id)
        .where(Entity.deleted_at.is_(None))
        .subquery()
    )
    tops = await session.execute(
        select(ranked.c.period, ranked.c.slug, ranked.c.name, ranked.c.count)
        .where(ranked.c.rank <= top)
        .order_by(ranked.c.period, ranked.c.rank)
    )
    return list(counts.all()), list(tops.all())
