"""Resources found by name (tags, authors): resolved from the names articles give, created
together when new, and unique by name whatever its case and accents."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Conflict, field_error
from app.core.repository import N, add_with_slug, add_with_slugs
from app.core.slugs import fold_name, make_slug


async def find_named(
    session: AsyncSession, model: type[N], keys: Sequence[str], slugs: Sequence[str] = ()
) -> list[N]:
    """The resources whose folded name is among ``keys`` or whose slug is among ``slugs``."""
    statement = select(model).where(or_(model.name_key.in_(keys), model.slug.in_(slugs)))
    return list((await session.scalars(statement)).all())


async def resolve_named(
    session: AsyncSession,
    model: type[N],
    refs: Sequence[str],
    *,
    label: str,
    by_slug: bool,
    on_created: Callable[[Sequence[N]], Awaitable[None]],
) -> dict[str, N]:
    """Each non-blank ref (stripped) to its resource by name (or slug); unknown ones are
    created, together.

    A trashed resource named again comes back out of the trash.
    """
    wanted = list(dict.fromkeys(r.strip() for r in refs if r.strip()))
    found = await find_named(
        session, model, [fold_name(r) for r in wanted], wanted if by_slug else []
    )
    by_slug_found = {item.slug: item for item in found} if by_slug else {}
    by_key = {item.name_key: item for item in found}
    # The first spelling of each name no resource has yet.
    unknown: dict[str, str] = {}
    for ref in wanted:
        if by_slug_found.get(ref) is None and fold_name(ref) not in by_key:
            unknown.setdefault(fold_name(ref), ref)
    for item in await _create_named(
        session, model, list(unknown.values()), label=label, on_created=on_created
    ):
        by_key[item.name_key] = item
        by_slug_found[item.slug] = item
    items: dict[str, N] = {}
    for ref in wanted:
        item = by_slug_found.get(ref) or by_key[fold_name(ref)]
        if item.deleted_at is not None:
            item.deleted_at = None
        items[ref] = item
    return items


def _new_named(model: type[N], name: str) -> N:
    item = model()
    item.id = uuid.uuid4()
    item.name = " ".join(name.split())
    item.name_key = fold_name(name)
    return item


async def _create_named(
    session: AsyncSession,
    model: type[N],
    names: Sequence[str],
    *,
    label: str,
    on_created: Callable[[Sequence[N]], Awaitable[None]],
) -> list[N]:
    """Create resources met in articles, all in one statement; when another transaction
    created one of them first, each is created on its own (or taken)."""
    if not names:
        return []
    await session.flush()
    items = [_new_named(model, name) for name in names]
    try:
        # Only these inserts are undone if another transaction got there first.
        await add_with_slugs(
            session,
            items,
            slugs=[None] * len(items),
            bases=[make_slug(name, fallback=label) for name in names],
        )
    except IntegrityError:
        return [
            await _create_one_named(session, model, name, label=label, on_created=on_created)
            for name in names
        ]
    await on_created(items)
    return items


async def _create_one_named(
    session: AsyncSession,
    model: type[N],
    name: str,
    *,
    label: str,
    on_created: Callable[[Sequence[N]], Awaitable[None]],
) -> N:
    """Create a resource met in an article, or take the one a concurrent writer just created."""
    item = _new_named(model, name)
    try:
        await add_with_slug(session, item, slug=None, base=make_slug(name, fallback=label))
    except IntegrityError:
        existing = await find_named(session, model, [fold_name(name)])
        if existing:
            return existing[0]
        raise
    await on_created([item])
    return item


async def ensure_name_free(
    session: AsyncSession, model: type[N], name: str, exclude: uuid.UUID | None, *, label: str
) -> None:
    """Names are unique whatever their case and accents: a taken one is a 409."""
    for item in await find_named(session, model, [fold_name(name)]):
        if item.id != exclude:
            raise Conflict(
                f"A {label} named {item.name!r} exists already.",
                errors=[field_error(["body", "name"], f"Already used by another {label}.")],
            )
