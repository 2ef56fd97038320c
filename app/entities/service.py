"""Entity use cases."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.articles.caches import PositionCache
from app.changes.service import MERGED, bump_at_commit, listed_events, record_changes
from app.core.errors import Conflict, NotFound, field_error, invalid
from app.core.http import Precondition
from app.core.listing import Keyed, by_int_id, sorted_page
from app.core.pagination import Page
from app.core.security import Principal
from app.core.slugs import Found, fold_name, is_uuid, make_slug
from app.entities import repository
from app.entities.repository import ENTITIES_COUNTER, EPOCH, UNSEEN, EntitySort, Stats
from app.entities.schemas import EntityCreate
from app.linking.index import note_entity_change
from app.models import Entity, EntityName
from app.resources.repository.listing import listed_ids, rows_by_ids
from app.resources.repository.lookup import find_by_ref, find_resource
from app.resources.repository.slugs import (
    add_with_slugs,
    ensure_slug_free,
    move_slug,
    remember_old_slug,
)
from app.resources.repository.versions import flush_new_version, trash_or_purge


def _names(entity: Entity) -> list[str]:
    return [entity.name, *entity.aliases]


def _set_names(entity: Entity) -> None:
    """Keep the look-up table of names and aliases in step with the entity."""
    rows: dict[str, EntityName] = {}
    for i, name in enumerate(_names(entity)):
        key = fold_name(name)
        if key and key not in rows:
            rows[key] = EntityName(name_key=key, name=name, is_alias=i > 0)
    entity.names = list(rows.values())


def _clean_aliases(name: str, aliases: Sequence[str]) -> list[str]:
    seen = {name}
    out: list[str] = []
    for alias in aliases:
        alias = " ".join(alias.split())
        if alias and alias not in seen:
            seen.add(alias)
            out.append(alias)
    return out


async def _record(
    session: AsyncSession,
    entities: Sequence[Entity],
    event: str,
    now: datetime,
    *,
    detail: str | None = None,
) -> None:
    await record_changes(session, listed_events("entities", entities, event, now, detail=detail))
    # Tells every worker's matcher that the set of entity names changed.
    bump_at_commit(session, ENTITIES_COUNTER)
    for entity in entities:
        note_entity_change(session, entity.id)


def _name_taken(other: Entity) -> Conflict:
    return Conflict(
        f"A {other.type} named {other.name!r} exists already ({other.slug}).",
        errors=[field_error(["body", "name"], "Already used by another entity of this type.")],
    )


async def _ensure_unique(
    session: AsyncSession, name: str, type_: str, exclude: uuid.UUID | None
) -> None:
    for _key, other in await repository.find_by_name_keys(session, [fold_name(name)]):
        if other.id != exclude and other.type == type_ and fold_name(other.name) == fold_name(name):
            raise _name_taken(other)


async def create_entity(
    session: AsyncSession, *, data: EntityCreate, now: datetime, public: bool = True
) -> Entity:
    """A new entity; ``public``: made through its own endpoint, so readers see it at once
    (one named in an article's input waits for a public article to carry it)."""
    [entity] = await create_entities(session, [data], now=now, public=public)
    return entity


async def create_entities(
    session: AsyncSession, items: Sequence[EntityCreate], *, now: datetime, public: bool = True
) -> list[Entity]:
    """New entities of distinct names and slugs, written together (see :func:`create_entity`);
    the first problem with any of them (a name or slug in use) is raised for all."""
    taken = {
        (fold_name(other.name), other.type): other
        for _key, other in await repository.find_by_name_keys(
            session, {fold_name(data.name) for data in items}
        )
    }
    for data in items:
        other = taken.get((fold_name(data.name), data.type))
        if other is not None:
            raise _name_taken(other)
    await ensure_slug_free(session, Entity, *(data.slug for data in items if data.slug))
    entities = [
        Entity(
            id=uuid.uuid4(),
            name=data.name,
            type=data.type,
            aliases=_clean_aliases(data.name, data.aliases),
            description=data.description,
            external_ids=data.external_ids,
            created_at=now,
            updated_at=now,
            public_from=now if public else None,
        )
        for data in items
    ]
    for entity in entities:
        _set_names(entity)
    await add_with_slugs(
        session,
        entities,
        slugs=[data.slug for data in items],
        bases=[make_slug(data.name, fallback="entity") for data in items],
    )
    await _record(session, entities, "created", now)
    return entities


async def update_entity(
    session: AsyncSession,
    entity: Entity,
    *,
    values: dict[str, Any],
    precondition: Precondition,
    now: datetime,
) -> Entity:
    precondition.check(entity)
    before = (
        entity.slug,
        entity.name,
        entity.type,
        list(entity.aliases),
        entity.description,
        dict(entity.external_ids),
    )
    if values.get("slug") is not None and values["slug"] != entity.slug:
        await move_slug(session, entity, values["slug"])
    name = values.get("name") or entity.name
    type_ = values.get("type") or entity.type
    if (name, type_) != (entity.name, entity.type):
        await _ensure_unique(session, name, type_, entity.id)
    entity.name = name
    entity.type = type_
    if "aliases" in values:
        entity.aliases = _clean_aliases(name, values["aliases"] or [])
    if "description" in values:
        entity.description = values["description"]
    if "external_ids" in values:
        entity.external_ids = values["external_ids"] or {}
    after = (
        entity.slug,
        entity.name,
        entity.type,
        list(entity.aliases),
        entity.description,
        dict(entity.external_ids),
    )
    if before == after:
        return entity
    await session.refresh(entity, ["names"])
    _set_names(entity)
    entity.updated_at = now
    await flush_new_version(session, entity)
    await _record(session, [entity], "updated", now)
    return entity


async def delete_entity(
    session: AsyncSession, entity: Entity, *, purge: bool, precondition: Precondition, now: datetime
) -> None:
    precondition.check(entity)
    await trash_or_purge(session, entity, purge=purge, now=now)
    await _record(session, [entity], "deleted", now)


async def find_entity(
    session: AsyncSession,
    ref: str,
    *,
    principal: Principal,
    now: datetime,
    include_deleted: bool = False,
    for_update: bool = False,
) -> Found[Entity]:
    try:
        return await find_resource(
            session,
            Entity,
            ref,
            principal=principal,
            now=now,
            include_deleted=include_deleted,
            label="entity",
            for_update=for_update,
        )
    except NotFound:
        # The id of an entity merged into another answers like a former slug.
        moved = None
        if is_uuid(ref):
            moved = await repository.redirect_target(
                session, ref, now=None if principal.sees_drafts else now
            )
        if moved is None:
            raise
        return Found(None, moved_to=moved)


async def live_by_ref(session: AsyncSession, ref: str) -> Entity | None:
    """The live entity ``ref`` names, following former slugs and merges."""
    found = await find_by_ref(session, Entity, ref)
    if found.item is None:
        moved = found.moved_to
        if moved is None and is_uuid(ref):
            moved = await repository.redirect_target(session, ref)
        if moved is None:
            return None
        found = await find_by_ref(session, Entity, moved)
    entity = found.item
    return entity if entity is not None and entity.deleted_at is None else None


def to_dict(row: Any, stats: Stats) -> dict[str, Any]:
    """An entity's JSON: its row, and what published articles say of it."""
    return {
        "id": row.id,
        "slug": row.slug,
        "name": row.name,
        "type": row.type,
        "aliases": row.aliases,
        "description": row.description,
        "external_ids": row.external_ids,
        "article_count": stats.article_count,
        "about_count": stats.about_count,
        "first_seen": stats.first_seen,
        "last_seen": stats.last_seen,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "version": row.version,
    }


async def read_entity(session: AsyncSession, entity: Entity, now: datetime) -> dict[str, Any]:
    stats = await repository.visible_stats(session, now, of=entity.id)
    return to_dict(await repository.read_row(session, entity.id), stats.get(entity.id, UNSEEN))


async def list_entities(
    session: AsyncSession,
    *,
    q: str | None,
    type_: str | None,
    sort: EntitySort,
    page: Page,
    now: datetime,
    sees_drafts: bool,
    positions: PositionCache,
) -> tuple[list[dict[str, Any]], int, str | None]:
    stats = await positions.get(session, "entity-stats", now, repository.visible_stats)
    where = repository.list_clauses(q, type_, now=now, sees_drafts=sees_drafts)
    if sort == "name":
        rows, total, next_cursor = await repository.name_page(session, where=where, page=page)
    else:
        listed = await _sorted(session, where, sort, stats)
        ids, next_cursor = sorted_page(listed, sort=sort, page=page)
        rows = await rows_by_ids(session, Entity, repository.BASE_COLUMNS, ids)
        total = len(listed)
    return [to_dict(r, stats.get(r.id, UNSEEN)) for r in rows], total, next_cursor


async def _sorted(
    session: AsyncSession,
    where: list[Any],
    sort: EntitySort,
    stats: dict[uuid.UUID, Stats],
) -> list[Keyed]:
    """The listed entities as (sort key, id), ascending."""
    keyed: list[Keyed] = []
    for entity_id in await listed_ids(session, Entity, where):
        found = stats.get(entity_id, UNSEEN)
        key = found.article_count if sort == "-article_count" else found.last_seen or EPOCH
        keyed.append((key, entity_id))
    keyed.sort(key=by_int_id)
    return keyed


async def name_entries(
    session: AsyncSession, ids: Collection[uuid.UUID]
) -> list[repository.NameEntry]:
    """(id, name, aliases) of those of ``ids`` that are live entities."""
    return await repository.name_entries(session, ids)


# Merging ------------------------------------------------------------------------


def _combine(a: repository.MentionState, b: repository.MentionState) -> repository.MentionState:
    """One mention from two of the same article: spans joined, counts added, manual first."""
    source = "manual" if "manual" in (a[0], b[0]) else "auto"
    spans = sorted({(int(s[0]), int(s[1])) for s in [*a[2], *b[2]]})
    return source, a[1] + b[1], [list(span) for span in spans]


async def merge_entity(
    session: AsyncSession,
    source: Entity,
    *,
    into: str,
    precondition: Precondition,
    now: datetime,
) -> Entity:
    """Fold ``source`` into the entity ``into`` names, which keeps its mentions and names.

    The source's name and aliases become aliases of the target, its external
    ids fill keys the target lacks, and its slugs and id redirect to the
    target; the source is then removed.
    """
    precondition.check(source)
    target = await live_by_ref(session, into)
    if target is None:
        raise invalid(["body", "into"], f"No entity {into!r}.")
    if target.id == source.id:
        raise invalid(["body", "into"], "An entity cannot be merged into itself.")
    shared = await repository.shared_mentions(session, source.id, target.id)
    merged = [(article_id, _combine(mine, theirs)) for article_id, mine, theirs in shared]
    await repository.move_mentions(session, source.id, target.id, merged)
    target.aliases = _clean_aliases(target.name, [*target.aliases, source.name, *source.aliases])
    target.external_ids = {**source.external_ids, **target.external_ids}
    await session.refresh(target, ["names"])
    _set_names(target)
    target.updated_at = now
    # The source's public mentions are the target's now: readers see it from then.
    target.public_from = min(
        (t for t in (source.public_from, target.public_from) if t is not None), default=None
    )
    old_slug = source.slug
    await trash_or_purge(session, source, purge=True, now=now)
    await repository.repoint_redirects(session, source.id, target.id)
    await remember_old_slug(session, Entity, old_slug, target.id)
    await remember_old_slug(session, Entity, str(source.id), target.id)
    await flush_new_version(session, target)
    await _record(session, [source], "deleted", now, detail=f"{MERGED}{target.id}")
    await _record(session, [target], "updated", now)
    return target


async def external_ids(
    session: AsyncSession, ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    """The external ids of these entities, by id (for structured documents)."""
    return await repository.external_ids(session, ids)
