"""Entity use cases."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.articles.schemas import MentionIn
from app.changes.service import record_change
from app.core.errors import Conflict, field_error, invalid
from app.core.pagination import Page
from app.core.repository import (
    Found,
    Precondition,
    allocate_slug,
    claim_slug,
    ensure_slug_free,
    find_by_ref,
    find_resource,
    flush_new_version,
    remember_old_slug,
    trash_or_purge,
)
from app.core.security import Principal
from app.core.slugs import fold_name, make_slug
from app.entities import repository
from app.entities.repository import EntitySort
from app.entities.schemas import EntityCreate
from app.linking.matcher import EntityMatcher
from app.models import Counter, Entity, EntityName

ENTITIES_COUNTER = "entities"


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


async def bump_entity_set_version(session: AsyncSession) -> None:
    """Tell every worker's matcher that the set of entity names changed."""
    await session.execute(
        update(Counter).where(Counter.name == ENTITIES_COUNTER).values(value=Counter.value + 1)
    )


def _clean_aliases(name: str, aliases: Sequence[str]) -> list[str]:
    seen = {name}
    out: list[str] = []
    for alias in aliases:
        alias = " ".join(alias.split())
        if alias and alias not in seen:
            seen.add(alias)
            out.append(alias)
    return out


async def _record(session: AsyncSession, entity: Entity, event: str) -> None:
    await record_change(
        session,
        resource_type="entities",
        resource_id=entity.id,
        event=event,
        version=entity.version,
        public=entity.deleted_at is None,
    )
    await bump_entity_set_version(session)


async def _ensure_unique(
    session: AsyncSession, name: str, type_: str, exclude: uuid.UUID | None
) -> None:
    for _key, other in await repository.find_by_name_keys(session, [fold_name(name)]):
        if other.id != exclude and other.type == type_ and fold_name(other.name) == fold_name(name):
            raise Conflict(
                f"A {type_} named {other.name!r} exists already ({other.slug}).",
                errors=[
                    field_error(["body", "name"], "Already used by another entity of this type.")
                ],
            )


async def create_entity(session: AsyncSession, *, data: EntityCreate, now: datetime) -> Entity:
    await _ensure_unique(session, data.name, data.type, None)
    if data.slug is not None:
        await ensure_slug_free(session, Entity, data.slug)
        slug = data.slug
    else:
        slug = await allocate_slug(session, Entity, make_slug(data.name, fallback="entity"))
    await claim_slug(session, Entity, slug)
    entity = Entity(
        id=uuid.uuid4(),
        slug=slug,
        name=data.name,
        type=data.type,
        aliases=_clean_aliases(data.name, data.aliases),
        description=data.description,
        external_ids=data.external_ids,
        created_at=now,
        updated_at=now,
    )
    _set_names(entity)
    session.add(entity)
    await session.flush()
    await _record(session, entity, "created")
    return entity


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
        await ensure_slug_free(session, Entity, values["slug"], exclude_id=entity.id)
        await claim_slug(session, Entity, values["slug"])
        await remember_old_slug(session, Entity, entity.slug, entity.id)
        entity.slug = values["slug"]
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
    await _record(session, entity, "updated")
    return entity


async def delete_entity(
    session: AsyncSession, entity: Entity, *, purge: bool, precondition: Precondition, now: datetime
) -> None:
    precondition.check(entity)
    await trash_or_purge(session, entity, purge=purge, now=now)
    await _record(session, entity, "deleted")


async def find_entity(
    session: AsyncSession, ref: str, *, principal: Principal, include_deleted: bool = False
) -> Found[Entity]:
    return await find_resource(
        session, Entity, ref, sees_trash=include_deleted and principal.sees_drafts, label="entity"
    )


def to_dict(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "slug": row.slug,
        "name": row.name,
        "type": row.type,
        "aliases": row.aliases,
        "description": row.description,
        "external_ids": row.external_ids,
        "article_count": row.article_count,
        "first_seen": row.first_seen,
        "last_seen": row.last_seen,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "version": row.version,
    }


async def read_entity(session: AsyncSession, entity: Entity, now: datetime) -> dict[str, Any]:
    return to_dict(await repository.read_row(session, entity.id, now))


async def list_entities(
    session: AsyncSession,
    *,
    q: str | None,
    type_: str | None,
    sort: EntitySort,
    page: Page,
    now: datetime,
) -> tuple[list[dict[str, Any]], int, str | None]:
    rows, total, next_cursor = await repository.list_page(
        session, q=q, type_=type_, sort=sort, page=page, now=now
    )
    return [to_dict(r) for r in rows], total, next_cursor


async def resolve_entities(
    session: AsyncSession, refs: Sequence[MentionIn], *, now: datetime
) -> list[Entity]:
    """The entities an editor named, found by id, slug, name or alias; new names are created."""
    entities: list[Entity] = []
    for i, ref in enumerate(refs):
        entity: Entity | None = None
        if ref.id is not None or ref.slug is not None:
            key = str(ref.id) if ref.id is not None else str(ref.slug)
            entity = (await find_by_ref(session, Entity, key)).item
            if entity is None or entity.deleted_at is not None:
                raise invalid(["body", "entities", i], f"No entity {key!r}.")
        else:
            assert ref.name is not None
            matches = [
                e for _k, e in await repository.find_by_name_keys(session, [fold_name(ref.name)])
            ]
            if ref.type is not None:
                matches = [e for e in matches if e.type == ref.type]
            if matches:
                entity = matches[0]
            elif ref.type is None:
                raise invalid(
                    ["body", "entities", i, "type"],
                    f"No entity named {ref.name!r}; give its type to create it.",
                )
            else:
                entity = await create_entity(
                    session, data=EntityCreate(name=ref.name, type=ref.type), now=now
                )
        if entity not in entities:
            entities.append(entity)
    return entities


def find_spans(text: str, entities: Sequence[Entity]) -> dict[uuid.UUID, list[list[int]]]:
    """Where each of ``entities`` is written in ``text``."""
    if not entities or not text:
        return {}
    by_id = {str(e.id): e.id for e in entities}
    matcher = EntityMatcher.build((str(e.id), _names(e)) for e in entities)
    spans: dict[uuid.UUID, list[list[int]]] = {}
    for match in matcher.find(text):
        spans.setdefault(by_id[match.entity_id], []).append([match.start, match.end])
    return spans
