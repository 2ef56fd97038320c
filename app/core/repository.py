"""What articles, entities and tags share: look-up by id, slug or former slug; slugs and
redirects; preconditions and versions."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, delete, func, insert, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.interfaces import ORMOption

from app.core.errors import (
    Conflict,
    Gone,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    field_error,
    invalid,
)
from app.core.http import version_etag

# app.entities reaches these here; the other domains import them from app.core.listing.
from app.core.security import Principal
from app.core.slugs import SLUG_MAX, could_be_ref, is_uuid
from app.models import Entity, SlugRedirect, Tag
from app.models.base import NamedMixin, VersionedMixin
from app.models.visibility import is_public, public_clause, was_public_when_trashed

M = TypeVar("M", bound=VersionedMixin)
# A resource found by name (app.core.named).
N = TypeVar("N", bound=NamedMixin)


@dataclass(frozen=True, slots=True)
class Found(Generic[M]):
    """A resource found by ``ref``; ``moved_to`` is set when ``ref`` was a former slug."""

    item: M | None
    moved_to: str | None = None


def resource_type(model: type[VersionedMixin]) -> str:
    return str(model.__tablename__)  # type: ignore[attr-defined]


async def find_by_ref(
    session: AsyncSession,
    model: type[M],
    ref: str,
    *,
    options: Sequence[ORMOption] = (),
    for_update: bool = False,
    moved_where: ColumnElement[bool] = true(),
) -> Found[M]:
    """The resource ``ref`` names, or the current slug of the one it named before
    (only if ``moved_where`` holds for that one)."""
    if not could_be_ref(ref):
        # Neither an id nor anything a slug can be: no query needed (and a NUL
        # would not even reach PostgreSQL).
        return Found(None)
    if is_uuid(ref):
        condition: Any = model.id == uuid.UUID(ref)
    else:
        condition = model.slug == ref
    statement = select(model).where(condition).options(*options)
    if for_update:
        statement = statement.with_for_update()
    item = (await session.execute(statement)).scalar_one_or_none()
    if item is not None or is_uuid(ref):
        return Found(item)
    target = await session.scalar(
        select(model.slug)
        .join(SlugRedirect, SlugRedirect.target_id == model.id)
        .where(
            SlugRedirect.resource_type == resource_type(model),
            SlugRedirect.slug == ref,
            moved_where,
        )
    )
    return Found(None, moved_to=target)


def current(found: Found[M], ref: str) -> M:
    """What a write addresses: by id or current slug only, never a former one."""
    if found.item is None:
        raise invalid(["path", "ref"], f"{ref!r} is a former slug of {found.moved_to!r}.")
    return found.item


async def find_resource(
    session: AsyncSession,
    model: type[M],
    ref: str,
    *,
    principal: Principal,
    now: datetime,
    include_deleted: bool,
    label: str,
    for_update: bool = False,
) -> Found[M]:
    """A tag, entity or author by ``ref`` as this principal may see it.

    404 when unknown; 410 when trashed, unless an editor asks with
    ``include_deleted``. A tag or an entity that readers do not see yet
    (``models.visibility``) answers them as an unknown ref, under a former
    slug too, and so does one trashed before they ever saw it. A write takes
    it ``for_update``, so concurrent writers apply their edits in turn.
    """
    sees_drafts = principal.sees_drafts
    waits = not sees_drafts and issubclass(model, (Tag, Entity))
    found = await find_by_ref(
        session,
        model,
        ref,
        moved_where=public_clause(model, now) if waits else true(),
        for_update=for_update,
    )
    item: Any = found.item
    if item is None and found.moved_to is None:
        raise NotFound(f"No {label} {ref!r}.")
    if item is not None and item.deleted_at is not None:
        if include_deleted and sees_drafts:
            return found
        if not waits or was_public_when_trashed(item):
            raise Gone(f"The {label} {ref!r} has been deleted.")
        raise NotFound(f"No {label} {ref!r}.")
    if item is not None and waits and not is_public(item, now):
        raise NotFound(f"No {label} {ref!r}.")
    return found


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


async def lock_name(session: AsyncSession, *names: str) -> None:
    """Make other transactions that lock one of ``names`` wait until this one ends.

    For what no unique index guards (an entity is unique by name *and* type):
    a writer that finds nothing takes the lock and looks again. The locks are
    taken in one order, so two writers never wait on each other. SQLite needs
    none: its writers take turns.
    """
    if session.get_bind().dialect.name == "postgresql":
        for name in sorted(set(names)):
            await session.execute(
                select(func.pg_advisory_xact_lock(func.hashtextextended(name, 0)))
            )


@dataclass(frozen=True, slots=True)
class Precondition:
    """What the client's If-Match said, and whether the deployment insists on it."""

    tags: list[str] | None
    required: bool

    def check(self, item: VersionedMixin) -> None:
        if self.tags is None:
            if self.required:
                raise PreconditionRequired(
                    "Send If-Match with the ETag you last read, so edits are never lost."
                )
            return
        current = version_etag(item.id, item.version)
        if "*" in self.tags or any(t.removeprefix("W/") == current for t in self.tags):
            return
        raise stale(item)


def stale(item: VersionedMixin) -> PreconditionFailed:
    current = version_etag(item.id, item.version)
    return PreconditionFailed(
        "The resource changed since you read it: fetch it again and reapply your edit.",
        extra={"current_etag": current},
        headers={"ETag": current},
    )


async def flush_new_version(session: AsyncSession, item: VersionedMixin) -> None:
    """Write pending changes as the next version; a concurrent edit is a 412, not a lost update."""
    item.version += 1
    try:
        await session.flush()
    except StaleDataError:
        # The session is spent: what the row holds now is unknown here.
        raise PreconditionFailed(
            "The resource changed while this edit was being applied: fetch it and retry."
        ) from None


async def trash_or_purge(
    session: AsyncSession, item: VersionedMixin, *, purge: bool, now: datetime
) -> None:
    """Move to the trash (kept, answered 410), or remove for good with ``purge``."""
    if purge:
        await session.execute(delete(type(item)).where(type(item).id == item.id))
        session.expunge(item)
    elif item.deleted_at is None:
        item.deleted_at = now
        item.updated_at = now
        await flush_new_version(session, item)


def escape_like(text: str) -> str:
    """Match ``text`` literally inside a LIKE pattern (with ``escape="\\"``)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
