"""Resources found by id, slug, former slug or name, as a principal may see them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.interfaces import ORMOption

from app.core.errors import Gone, NotFound
from app.core.security import Principal
from app.core.slugs import Found, could_be_ref, is_uuid
from app.models import Entity, SlugRedirect, Tag
from app.models.base import NamedMixin, VersionedMixin
from app.models.visibility import is_public, public_clause, was_public_when_trashed

M = TypeVar("M", bound=VersionedMixin)
N = TypeVar("N", bound=NamedMixin)


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


async def find_named(
    session: AsyncSession, model: type[N], keys: Sequence[str], slugs: Sequence[str] = ()
) -> list[N]:
    """The resources whose folded name is among ``keys`` or whose slug is among ``slugs``."""
    statement = select(model).where(or_(model.name_key.in_(keys), model.slug.in_(slugs)))
    return list((await session.scalars(statement)).all())
