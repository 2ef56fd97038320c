"""Tag use cases."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.articles.caches import PositionCache
from app.changes.service import listed_events, record_changes
from app.core.http import Precondition
from app.core.pagination import Page
from app.models import Tag
from app.resources.named import create_named, finder, named_page, rename, resolve_named
from app.resources.repository.versions import flush_new_version, trash_or_purge
from app.tags import repository
from app.tags.repository import TagSort
from app.tags.schemas import TagCreate


async def resolve_tags(session: AsyncSession, refs: Sequence[str], *, now: datetime) -> list[Tag]:
    """Tags by slug or name, in the order given; unknown ones are created."""
    return list(dict.fromkeys((await resolve_tag_map(session, refs, now=now)).values()))


async def resolve_tag_map(
    session: AsyncSession, refs: Sequence[str], *, now: datetime
) -> dict[str, Tag]:
    """Each non-blank ref (stripped) to its tag by slug or name; unknown ones are created,
    hidden from readers until a public article carries them."""

    async def created(tags: Sequence[Tag]) -> None:
        await _record(session, tags, "created", now)

    return await resolve_named(session, Tag, refs, label="tag", by_slug=True, on_created=created)


async def _record(session: AsyncSession, tags: Sequence[Tag], event: str, now: datetime) -> None:
    await record_changes(session, listed_events("tags", tags, event, now))


find_tag = finder(Tag, "tag")


def to_dict(row: Any, article_count: int) -> dict[str, Any]:
    """A tag's JSON: its row (or the tag), and the published articles carrying it."""
    return {
        "id": row.id,
        "slug": row.slug,
        "name": row.name,
        "description": row.description,
        "article_count": article_count,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "version": row.version,
    }


async def read_tag(session: AsyncSession, tag: Tag, now: datetime) -> dict[str, Any]:
    counts = await repository.visible_counts(session, now, of=tag.id)
    return to_dict(tag, counts.get(tag.id, 0))


async def list_tags(
    session: AsyncSession,
    *,
    q: str | None,
    sort: TagSort,
    page: Page,
    now: datetime,
    sees_drafts: bool,
    positions: PositionCache,
) -> tuple[list[dict[str, Any]], int, str | None]:
    counts = await positions.get(session, "tag-counts", now, repository.visible_counts)
    rows, total, next_cursor = await named_page(
        session,
        Tag,
        columns=repository.COLUMNS,
        where=repository.list_clauses(q, now=now, sees_drafts=sees_drafts),
        counts=counts,
        sort=sort,
        page=page,
    )
    return [to_dict(r, counts.get(r.id, 0)) for r in rows], total, next_cursor


async def create_tag(session: AsyncSession, *, data: TagCreate, now: datetime) -> Tag:
    tag = await create_named(
        session,
        Tag,
        name=data.name,
        slug=data.slug,
        label="tag",
        now=now,
        description=data.description,
        # Made through its own endpoint: public at once.
        public_from=now,
    )
    await _record(session, [tag], "created", now)
    return tag


async def update_tag(
    session: AsyncSession,
    tag: Tag,
    *,
    values: dict[str, Any],
    precondition: Precondition,
    now: datetime,
) -> Tag:
    precondition.check(tag)
    changed = await rename(session, tag, values, label="tag")
    if "description" in values and values["description"] != tag.description:
        tag.description = values["description"]
        changed = True
    if not changed:
        return tag
    tag.updated_at = now
    await flush_new_version(session, tag)
    await _record(session, [tag], "updated", now)
    return tag


async def delete_tag(
    session: AsyncSession, tag: Tag, *, purge: bool, precondition: Precondition, now: datetime
) -> None:
    precondition.check(tag)
    await trash_or_purge(session, tag, purge=purge, now=now)
    await _record(session, [tag], "deleted", now)
