"""The entities an article's input names, by id, slug, name or alias: found for a whole
batch at once, the new ones created together."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.articles.schemas import MentionIn
from app.core.errors import invalid
from app.core.slugs import fold_name, is_uuid
from app.entities import repository, service
from app.entities.schemas import EntityCreate
from app.models import Entity
from app.resources.repository.lookup import lock_name


def _ref_key(ref: MentionIn) -> str | None:
    """The id or slug an entity is named by, or None when it is named by name."""
    if ref.id is not None:
        return str(ref.id)
    return ref.slug


async def _live_by_refs(session: AsyncSession, keys: set[str]) -> dict[str, Entity]:
    """The live entity each of ``keys`` (ids and slugs) names, for those that name one."""
    ids = {uuid.UUID(key) for key in keys if is_uuid(key)}
    slugs = {key for key in keys if not is_uuid(key)}
    found: dict[str, Entity] = {}
    for entity in await repository.find_live(session, ids, slugs):
        found[str(entity.id)] = found[entity.slug] = entity
    # Former slugs and merged ids, one at a time: they are rare.
    for key in keys - found.keys():
        moved = await service.live_by_ref(session, key)
        if moved is not None:
            found[key] = moved
    return found


class _Names:
    """Live entities by folded name or alias, oldest first, as a batch finds and makes them."""

    def __init__(self) -> None:
        self.by_key: dict[str, list[Entity]] = {}

    async def look_up(self, session: AsyncSession, keys: Collection[str]) -> None:
        for key in keys:
            self.by_key[key] = []
        for key, entity in await repository.find_by_name_keys(session, keys):
            self.by_key[key].append(entity)

    def first(self, name: str, type_: str | None) -> Entity | None:
        for entity in self.by_key.get(fold_name(name), []):
            if type_ is None or entity.type == type_:
                return entity
        return None


async def resolve_entities(
    session: AsyncSession, refs: Sequence[Sequence[MentionIn]], *, now: datetime
) -> list[list[Entity]]:
    """For each list of ``refs`` (an article's ``entities``), the entity each names, by id,
    slug, name or alias; new names of a given type are created.

    The refs of all the lists are looked up together, so that a batch of
    articles costs a query or two, not one per name; the first problem with
    any ref is raised for all.
    """
    flat = [ref for article_refs in refs for ref in article_refs]
    live = await _live_by_refs(session, {key for ref in flat if (key := _ref_key(ref))})
    named = [ref for ref in flat if _ref_key(ref) is None and ref.name]
    names = _Names()
    await names.look_up(session, {fold_name(ref.name) for ref in named if ref.name})
    new = {
        (ref.type, fold_name(ref.name)): ref.name
        for ref in named
        if ref.name and ref.type and names.first(ref.name, ref.type) is None
    }
    if new:
        # Writers naming the same new entity at once make one, not one each.
        await lock_name(session, *(f"entities:{type_}:{key}" for type_, key in new))
        await names.look_up(session, {key for _type, key in new})
        items = [
            EntityCreate(name=name, type=type_)
            for (type_, _key), name in new.items()
            if names.first(name, type_) is None
        ]
        if items:
            for entity in await service.create_entities(session, items, now=now, public=False):
                names.by_key[fold_name(entity.name)].append(entity)
    return [_chosen(article_refs, live, names) for article_refs in refs]


def _chosen(refs: Sequence[MentionIn], live: dict[str, Entity], names: _Names) -> list[Entity]:
    """The entity each of an article's refs names, found by :func:`resolve_entities`."""
    entities: list[Entity] = []
    for i, ref in enumerate(refs):
        key = _ref_key(ref)
        if key is not None:
            if key not in live:
                raise invalid(["body", "entities", i], f"No entity {key!r}.")
            entities.append(live[key])
            continue
        assert ref.name is not None
        entity = names.first(ref.name, ref.type)
        if entity is None:
            raise invalid(
                ["body", "entities", i, "type"],
                f"No entity named {ref.name!r}; give its type to create it.",
            )
        entities.append(entity)
    return entities
