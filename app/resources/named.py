"""Resources found by name (tags, authors): resolved from the names articles give, created
together when new, and unique by name whatever its case and accents."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Conflict, field_error
from app.core.pagination import Page
from app.core.security import Principal
from app.core.slugs import Found, fold_name, make_slug
from app.resources.repository.listing import count_sorted_page, keyset_page
from app.resources.repository.lookup import N, find_named, find_resource
from app.resources.repository.slugs import (
    add_with_slug,
    add_with_slugs,
    ensure_slug_free,
    move_slug,
)


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


async def create_named(
    session: AsyncSession,
    model: type[N],
    *,
    name: str,
    slug: str | None,
    label: str,
    now: datetime,
    **fields: Any,
) -> N:
    """A resource made through its own endpoint, with ``fields``: at ``slug``, else the first
    free slug its name gives; a name or a slug another holds is a 409."""
    await ensure_name_free(session, model, name, None, label=label)
    if slug is not None:
        await ensure_slug_free(session, model, slug)
    item = _new_named(model, name)
    item.created_at = now
    item.updated_at = now
    for key, value in fields.items():
        setattr(item, key, value)
    await add_with_slug(session, item, slug=slug, base=make_slug(name, fallback=label))
    return item


async def rename(session: AsyncSession, item: N, values: dict[str, Any], *, label: str) -> bool:
    """Give ``item`` the name and the slug ``values`` ask for; whether either differed."""
    changed = False
    if values.get("name") is not None and values["name"] != item.name:
        await ensure_name_free(session, type(item), values["name"], item.id, label=label)
        item.name = " ".join(values["name"].split())
        item.name_key = fold_name(values["name"])
        changed = True
    if values.get("slug") is not None and values["slug"] != item.slug:
        await move_slug(session, item, values["slug"])
        changed = True
    return changed


async def named_page(
    session: AsyncSession,
    model: type[N],
    *,
    columns: Sequence[Any],
    where: Sequence[ColumnElement[bool]],
    counts: dict[uuid.UUID, int],
    sort: str,
    page: Page,
) -> tuple[list[Any], int, str | None]:
    """A page of ``columns``: by name, or most published articles first (``counts``)."""
    if sort == "name":
        return await keyset_page(
            session,
            model,
            columns=(*columns, model.name_key.label("sort_key")),
            where=where,
            sort="name",
            key=model.name_key,
            descending=False,
            page=page,
        )
    return await count_sorted_page(
        session, model, columns=columns, where=where, counts=counts, sort=sort, page=page
    )


def finder(model: type[N], label: str) -> Callable[..., Awaitable[Found[N]]]:
    """How a router finds one resource of ``model`` by ref (see ``find_resource``)."""

    async def find(
        session: AsyncSession,
        ref: str,
        *,
        principal: Principal,
        now: datetime,
        include_deleted: bool = False,
        for_update: bool = False,
    ) -> Found[N]:
        return await find_resource(
            session,
            model,
            ref,
            principal=principal,
            now=now,
            include_deleted=include_deleted,
            label=label,
            for_update=for_update,
        )

    return find
