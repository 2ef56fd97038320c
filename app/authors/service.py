"""Author use cases: the people bylines name, with pages of their own."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.articles.caches import PositionCache
from app.authors import repository
from app.authors.repository import AuthorSort
from app.authors.schemas import AuthorCreate
from app.changes.service import Event, record_changes
from app.core.http import Precondition
from app.core.pagination import Page
from app.models import Author
from app.resources.named import create_named, finder, named_page, rename, resolve_named
from app.resources.repository.versions import flush_new_version, trash_or_purge

# What an edit may change, besides the name and the slug.
PROFILE = ("bio", "image_url", "job_title", "urls")


async def resolve_author_map(session: AsyncSession, names: Sequence[str]) -> dict[str, Author]:
    """Each non-blank byline (stripped) to its author by name; unknown ones are created."""

    async def created(authors: Sequence[Author]) -> None:
        await _record(session, authors, "created")

    return await resolve_named(
        session, Author, names, label="author", by_slug=False, on_created=created
    )


async def _record(session: AsyncSession, authors: Sequence[Author], event: str) -> None:
    # Authors are public resources, as tags are: readers hear of every change.
    await record_changes(
        session,
        [Event("authors", author.id, event, author.version, public=True) for author in authors],
    )


find_author = finder(Author, "author")


def to_dict(row: Any, article_count: int) -> dict[str, Any]:
    """The public shape of an author, from a row of ``repository.COLUMNS`` (or the author)."""
    return {
        "id": row.id,
        "slug": row.slug,
        "name": row.name,
        "bio": row.bio,
        "image_url": row.image_url,
        "job_title": row.job_title,
        "urls": list(row.urls),
        "article_count": article_count,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "version": row.version,
    }


async def read_author(session: AsyncSession, author: Author, now: datetime) -> dict[str, Any]:
    counts = await repository.visible_counts(session, now, of=author.id)
    return to_dict(author, counts.get(author.id, 0))


def _state(author: Author) -> dict[str, Any]:
    """What an edit can change, and when it was made."""
    return {
        name: getattr(author, name)
        for name in ("id", "slug", "name", *PROFILE, "created_at", "updated_at")
    }


async def list_authors(
    session: AsyncSession,
    *,
    q: str | None,
    sort: AuthorSort,
    page: Page,
    now: datetime,
    positions: PositionCache,
) -> tuple[list[dict[str, Any]], int, str | None]:
    counts = await positions.get(session, "author-counts", now, repository.visible_counts)
    rows, total, next_cursor = await named_page(
        session,
        Author,
        columns=repository.COLUMNS,
        where=repository.list_clauses(q),
        counts=counts,
        sort=sort,
        page=page,
    )
    return [to_dict(r, counts.get(r.id, 0)) for r in rows], total, next_cursor


async def create_author(session: AsyncSession, *, data: AuthorCreate, now: datetime) -> Author:
    author = await create_named(
        session,
        Author,
        name=data.name,
        slug=data.slug,
        label="author",
        now=now,
        **{name: getattr(data, name) for name in PROFILE},
    )
    await _record(session, [author], "created")
    return author


async def update_author(
    session: AsyncSession,
    author: Author,
    *,
    values: dict[str, Any],
    precondition: Precondition,
    now: datetime,
) -> Author:
    precondition.check(author)
    before = _state(author)
    await rename(session, author, values, label="author")
    for name in PROFILE:
        if name in values:
            setattr(author, name, values[name] if name != "urls" else values[name] or [])
    if _state(author) == before:
        return author
    author.updated_at = now
    await flush_new_version(session, author)
    await _record(session, [author], "updated")
    return author


async def delete_author(
    session: AsyncSession, author: Author, *, purge: bool, precondition: Precondition, now: datetime
) -> None:
    precondition.check(author)
    await trash_or_purge(session, author, purge=purge, now=now)
    await _record(session, [author], "deleted")


async def profiles(session: AsyncSession, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Any]:
    """The job title, image and links of these authors, by id (for structured documents)."""
    return await repository.profiles(session, ids)
