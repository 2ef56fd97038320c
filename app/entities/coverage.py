"""An entity beside others and over time: related entities and timelines, from the
stories the reader may see."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.articles.caches import PositionCache
from app.core.errors import invalid
from app.core.pagination import Page, decode_cursor, encode_cursor
from app.core.schemas import as_utc
from app.core.security import Principal
from app.entities.repository import coverage as coverage_repository
from app.models import Entity

RELATED_CURSOR = "related-entities"


def _offset(page: Page) -> int:
    """Where a page of an offset-paged list starts; its cursor carries the offset."""
    if page.cursor is None:
        return page.offset or 0
    (offset,) = decode_cursor(page.cursor, RELATED_CURSOR, 1)
    if type(offset) is not int or offset < 0:
        raise invalid(["query", "cursor"], "The cursor is not valid.")
    return offset


async def related_entities(
    session: AsyncSession,
    entity: Entity,
    *,
    type_: str | None,
    since: datetime | None,
    page: Page,
    principal: Principal,
    now: datetime,
) -> tuple[list[dict[str, Any]], int, str | None]:
    """Entities mentioned in the same articles the principal may read, with how many."""
    offset = _offset(page)
    rows, total = await coverage_repository.related_page(
        session,
        entity.id,
        sees_drafts=principal.sees_drafts,
        now=now,
        type_=type_,
        since=since,
        limit=page.limit,
        offset=offset,
    )
    data = [
        {
            "entity": {"id": row.id, "slug": row.slug, "name": row.name, "type": row.type},
            "count": row.count,
        }
        for row in rows
    ]
    more = offset + len(rows) < total
    next_cursor = encode_cursor(RELATED_CURSOR, [offset + len(rows)]) if more and rows else None
    return data, total, next_cursor


# Timelines ----------------------------------------------------------------------

TOP_ENTITIES = 5


async def entity_timeline(
    session: AsyncSession,
    entity: Entity,
    *,
    interval: coverage_repository.Interval,
    since: datetime | None,
    until: datetime | None,
    now: datetime,
    timelines: PositionCache,
) -> list[dict[str, Any]]:
    """Published articles mentioning the entity per period, oldest first: how many, how
    many are about it, and the entities most often mentioned with it.

    Kept in ``timelines`` until the next write or scheduled release.
    """
    since = as_utc(since) if since is not None else None
    until = as_utc(until) if until is not None else None
    if since is not None and until is not None and since >= until:
        raise invalid(["query", "until"], "Give an until later than since.")

    async def count(own: AsyncSession, at: datetime) -> list[dict[str, Any]]:
        counts, tops = await coverage_repository.timeline(
            own, entity.id, interval=interval, since=since, until=until, now=at, top=TOP_ENTITIES
        )
        return _periods(counts, tops)

    key = ("timeline", entity.id, interval, since, until)
    return await timelines.get(session, key, now, count)


def _periods(counts: Sequence[Any], tops: Sequence[Any]) -> list[dict[str, Any]]:
    top_entities: dict[str, list[dict[str, Any]]] = {}
    for row in tops:
        top_entities.setdefault(row.period, []).append(
            {"slug": row.slug, "name": row.name, "count": row.count}
        )
    return [
        {
            "period": row.period,
            "articles": row.articles,
            "about": row.about,
            "top_entities": top_entities.get(row.period, []),
        }
        for row in counts
    ]
