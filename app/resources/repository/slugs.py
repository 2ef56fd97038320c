"""Slugs: the first free one for a base, held against concurrent writers; former slugs kept
as redirects."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Conflict, field_error
from app.core.slugs import SLUG_MAX
from app.models import SlugRedirect
from app.models.base import VersionedMixin
from app.resources.repository.listing import escape_like
from app.resources.repository.lookup import resource_type

M = TypeVar("M", bound=VersionedMixin)


async def allocate_slugs(session: AsyncSession, model: type[M], bases: Sequence[str]) -> list[str]:
    """For each base, ``base`` or ``base-2``, ``base-3``… whichever no other resource holds.

    Two equal bases get two slugs. One indexed look-up answers for the bases
    no one holds yet; only those already held scan for their suffixed forms.
    """
    if not bases:
        return []
    bases = [base[: SLUG_MAX - 8].rstrip("-") for base in bases]
    taken = set((await session.scalars(select(model.slug).where(model.slug.in_(set(bases))))).all())
    crowded = {base for base, n in Counter(bases).items() if n > 1 or base in taken}
    if crowded:
        suffixed = or_(
            *(model.slug.like(f"{escape_like(base)}-%", escape="\\") for base in crowded)
        )
        taken.update((await session.scalars(select(model.slug).where(suffixed))).all())
    slugs: list[str] = []
    for base in bases:
        slug, n = base, 2
        while slug in taken:
            slug, n = f"{base}-{n}", n + 1
        taken.add(slug)
        slugs.append(slug)
    return slugs


# Concurrent creators of one slug each take the next free one after the
# others commit: a burst of this many with one title still all succeed.
SLUG_ATTEMPTS = 64


async def insert_with_free_slugs(
    session: AsyncSession, model: type[M], rows: list[dict[str, Any]], bases: dict[int, str]
) -> None:
    """Insert ``rows``, giving ``rows[i]`` the first free slug of ``bases[i]``.

    Another transaction may take the same slug between the look-up and the
    insert (PostgreSQL; SQLite has one writer at a time): the insert is then
    undone alone, and retried with the slugs free once that one committed.
    """
    slugs = await allocate_slugs(session, model, list(bases.values()))
    for _attempt in range(SLUG_ATTEMPTS):
        for i, slug in zip(bases, slugs, strict=True):
            rows[i]["slug"] = slug
        try:
            async with session.begin_nested():
                await session.execute(insert(model).execution_options(render_nulls=True), rows)
        except IntegrityError:
            fresh = await allocate_slugs(session, model, list(bases.values()))
            if fresh == slugs:
                raise  # not a slug taken meanwhile
            slugs = fresh
            continue
        await claim_slug(session, model, *(row["slug"] for row in rows))
        return
    raise Conflict("Too many writers want these slugs at once: retry the request.")


async def add_with_slug(session: AsyncSession, item: M, *, slug: str | None, base: str) -> None:
    """Add ``item`` with ``slug``, else the first free one of ``base`` (retried on a clash)."""
    await add_with_slugs(session, [item], slugs=[slug], bases=[base])


async def add_with_slugs(
    session: AsyncSession,
    items: Sequence[M],
    *,
    slugs: Sequence[str | None],
    bases: Sequence[str],
) -> None:
    """Add ``items`` together, each with its slug, else the first free one of its base.

    Another transaction may take one of the slugs between the look-up and the
    insert (PostgreSQL): only this insert is undone, and retried with the slugs
    free once that one committed.
    """
    model = type(items[0])

    async def choose() -> list[str]:
        wanted = [base for slug, base in zip(slugs, bases, strict=True) if slug is None]
        free = iter(await allocate_slugs(session, model, wanted))
        return [slug or next(free) for slug in slugs]

    chosen = await choose()
    for _attempt in range(SLUG_ATTEMPTS):
        for item, slug in zip(items, chosen, strict=True):
            item.slug = slug
        try:
            async with session.begin_nested():
                session.add_all(items)
        except IntegrityError:
            fresh = await choose()
            if fresh == chosen:
                raise
            chosen = fresh
            continue
        await claim_slug(session, model, *chosen)
        return
    raise Conflict("Too many writers want these slugs at once: retry the request.")


async def ensure_slug_free(
    session: AsyncSession, model: type[M], *slugs: str, exclude_id: uuid.UUID | None = None
) -> None:
    """An explicit slug that another resource holds is a conflict the client must resolve."""
    if not slugs:
        return
    statement = select(model.slug).where(model.slug.in_(slugs)).limit(1)
    if exclude_id is not None:
        statement = statement.where(model.id != exclude_id)
    held = await session.scalar(statement)
    if held is not None:
        raise Conflict(
            f"The slug {held!r} is already used.",
            errors=[field_error(["body", "slug"], "Already used by another resource.")],
        )


async def remember_old_slug(
    session: AsyncSession, model: type[M], old_slug: str, target_id: uuid.UUID
) -> None:
    """Keep answering the former slug with a redirect to ``target_id``."""
    kind = resource_type(model)
    await session.execute(
        delete(SlugRedirect).where(
            SlugRedirect.resource_type == kind, SlugRedirect.slug == old_slug
        )
    )
    session.add(SlugRedirect(resource_type=kind, slug=old_slug, target_id=target_id))


async def move_slug(session: AsyncSession, item: VersionedMixin, slug: str) -> None:
    """Give ``item`` an explicit new slug; its former one keeps answering with a 301."""
    model = type(item)
    await ensure_slug_free(session, model, slug, exclude_id=item.id)
    await claim_slug(session, model, slug)
    if item.slug:
        await remember_old_slug(session, model, item.slug, item.id)
    item.slug = slug


async def claim_slug(session: AsyncSession, model: type[M], *slugs: str) -> None:
    """A current slug wins over a former one: drop any redirect that used it."""
    await session.execute(
        delete(SlugRedirect).where(
            SlugRedirect.resource_type == resource_type(model), SlugRedirect.slug.in_(slugs)
        )
    )
