"""Entity queries: lists and counts, the entity set the matcher follows, co-occurrence, merging.

What stories say of an entity beside others and over time is read in ``coverage``.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Collection, Iterator, Sequence
from datetime import datetime
from typing import Any, Literal, NamedTuple, TypeVar

from sqlalchemy import ColumnElement, and_, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from app.core.pagination import Page
from app.core.slugs import fold_name
from app.models import Article, Change, Counter, Entity, EntityName, Mention, SlugRedirect
from app.models.visibility import public_clause, visible_clause
from app.resources.repository.listing import escape_like, keyset_page

EntitySort = Literal["-article_count", "name", "-last_seen"]
EPOCH = datetime.fromisoformat("1970-01-01T00:00:00+00:00")


BASE_COLUMNS = (
    Entity.id,
    Entity.slug,
    Entity.name,
    Entity.type,
    Entity.aliases,
    Entity.description,
    Entity.external_ids,
    Entity.created_at,
    Entity.updated_at,
    Entity.version,
)


async def read_row(session: AsyncSession, entity_id: uuid.UUID) -> Any:
    return (await session.execute(select(*BASE_COLUMNS).where(Entity.id == entity_id))).one()


async def find_by_name_keys(
    session: AsyncSession, keys: Collection[str]
) -> list[tuple[str, Entity]]:
    """(name key, entity) for every live entity with one of these names or aliases, oldest
    entity first for each key."""
    found: list[tuple[str, Entity]] = []
    for chunk in _chunks(keys):
        statement = (
            select(EntityName.name_key, Entity)
            .join(Entity, Entity.id == EntityName.entity_id)
            .where(EntityName.name_key.in_(chunk), Entity.deleted_at.is_(None))
            .order_by(Entity.created_at)
        )
        found += [(row[0], row[1]) for row in (await session.execute(statement)).all()]
    return found


async def find_live(
    session: AsyncSession, ids: Collection[uuid.UUID], slugs: Collection[str]
) -> list[Entity]:
    """The live entities with one of these ids or current slugs."""
    found: list[Entity] = []
    for column, values in ((Entity.id, ids), (Entity.slug, slugs)):
        for chunk in _chunks(values):
            statement = select(Entity).where(column.in_(chunk), Entity.deleted_at.is_(None))
            found += (await session.scalars(statement)).all()
    return found


class Stats(NamedTuple):
    """What published articles say of an entity."""

    article_count: int
    about_count: int
    first_seen: datetime | None
    last_seen: datetime | None


UNSEEN = Stats(0, 0, None, None)


async def visible_stats(
    session: AsyncSession, now: datetime, *, of: uuid.UUID | None = None
) -> dict[uuid.UUID, Stats]:
    """The :class:`Stats` of every entity published articles mention (or of entity ``of``)."""
    statement = (
        select(
            Mention.entity_id,
            func.count(),
            func.count().filter(Mention.salience == "about"),
            func.min(Article.published_at),
            func.max(Article.published_at),
        )
        .join(Article, Article.id == Mention.article_id)
        .where(visible_clause(now))
        .group_by(Mention.entity_id)
    )
    if of is not None:
        statement = statement.where(Mention.entity_id == of)
    rows = await session.execute(statement)
    return {
        entity_id: Stats(int(n), int(about), first, last)
        for entity_id, n, about, first, last in rows.all()
    }


def list_clauses(
    q: str | None, type_: str | None, *, now: datetime, sees_drafts: bool
) -> list[ColumnElement[bool]]:
    """The entities a list shows: editors every live one, readers the public ones."""
    where = [Entity.deleted_at.is_(None) if sees_drafts else public_clause(Entity, now)]
    if type_ is not None:
        where.append(Entity.type == type_)
    if q:
        where.append(
            Entity.id.in_(
                select(EntityName.entity_id).where(
                    EntityName.name_key.like(f"{escape_like(fold_name(q))}%", escape="\\")
                )
            )
        )
    return where


async def name_page(
    session: AsyncSession, *, where: list[ColumnElement[bool]], page: Page
) -> tuple[list[Any], int, str | None]:
    key = func.lower(Entity.name)
    return await keyset_page(
        session,
        Entity,
        columns=(*BASE_COLUMNS, key.label("sort_key")),
        where=where,
        sort="name",
        key=key,
        descending=False,
        page=page,
    )


# The entity set as the linking matcher follows it ----------------------------

ENTITIES_COUNTER = "entities"
NameEntry = tuple[uuid.UUID, str, list[str]]


async def entity_set_state(
    session: AsyncSession, *, anchor_seq: int
) -> tuple[int, uuid.UUID | None]:
    """The entity set version, and the entity whose change event is numbered ``anchor_seq``."""
    anchor = (
        select(Change.resource_id)
        .where(Change.seq == anchor_seq, Change.resource_type == "entities")
        .scalar_subquery()
    )
    row = (
        await session.execute(select(Counter.value, anchor).where(Counter.name == ENTITIES_COUNTER))
    ).one()
    return int(row[0]), row[1]


async def last_entity_change(session: AsyncSession) -> tuple[int, uuid.UUID | None]:
    """The feed position and entity of the newest entity change event; (0, None) without any."""
    row = (
        await session.execute(
            select(Change.seq, Change.resource_id)
            .where(Change.resource_type == "entities")
            .order_by(Change.seq.desc())
            .limit(1)
        )
    ).first()
    return (0, None) if row is None else (int(row[0]), row[1])


async def entity_changes_since(session: AsyncSession, seq: int) -> list[tuple[int, uuid.UUID]]:
    """(feed position, entity id) of every entity change event after ``seq``, in feed order."""
    rows = await session.execute(
        select(Change.seq, Change.resource_id)
        .where(Change.seq > seq, Change.resource_type == "entities")
        .order_by(Change.seq)
    )
    return [(int(row[0]), row[1]) for row in rows.all()]


# Values per IN list: both databases cap the parameters of one statement.
IN_CHUNK = 1000
T = TypeVar("T")


def _chunks(ids: Collection[T]) -> Iterator[list[T]]:
    items = list(ids)
    for start in range(0, len(items), IN_CHUNK):
        yield items[start : start + IN_CHUNK]


def _name_entries() -> Any:
    return select(Entity.id, Entity.name, Entity.aliases).where(Entity.deleted_at.is_(None))


async def name_entries(session: AsyncSession, ids: Collection[uuid.UUID]) -> list[NameEntry]:
    """(id, name, aliases) of those of ``ids`` that are live entities."""
    entries: list[NameEntry] = []
    for chunk in _chunks(ids):
        rows = await session.execute(_name_entries().where(Entity.id.in_(chunk)))
        entries += [(row[0], row[1], row[2]) for row in rows.all()]
    return entries


async def stream_name_entries(
    session: AsyncSession, *, batch: int = 5000
) -> AsyncIterator[list[NameEntry]]:
    """(id, name, aliases) of every live entity, ``batch`` rows at a time.

    Streamed so that reading 100 000 rows hands the event loop back between batches.
    """
    result = await session.stream(_name_entries().execution_options(yield_per=batch))
    async for rows in result.partitions():
        yield [(row[0], row[1], row[2]) for row in rows]


async def live_entity_ids(session: AsyncSession, ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
    """Those of ``ids`` that are live entities."""
    live: set[uuid.UUID] = set()
    for chunk in _chunks(ids):
        statement = select(Entity.id).where(Entity.id.in_(chunk), Entity.deleted_at.is_(None))
        live.update((await session.scalars(statement)).all())
    return live


async def entity_refs(
    session: AsyncSession, ids: Collection[uuid.UUID], *, public_at: datetime | None = None
) -> list[Any]:
    """(id, slug, name, type) of those of ``ids`` that are live entities (and, with
    ``public_at``, that readers see then)."""
    live = Entity.deleted_at.is_(None) if public_at is None else public_clause(Entity, public_at)
    rows: list[Any] = []
    for chunk in _chunks(ids):
        statement = select(Entity.id, Entity.slug, Entity.name, Entity.type).where(
            Entity.id.in_(chunk), live
        )
        rows += (await session.execute(statement)).all()
    return rows


# Co-occurrence and merging ---------------------------------------------------


async def cooccurrence(
    session: AsyncSession,
    entity_ids: Collection[uuid.UUID],
    others: Collection[uuid.UUID],
    *,
    now: datetime,
    window: int,
) -> dict[tuple[str, str], int]:
    """(entity id, other id) -> how many of the newest ``window`` published articles mention
    both, for ``entity_ids`` against ``others`` (ids as strings).

    The window keeps the count's cost the same however large the archive grows: it reads
    the newest stories' mentions, never every story an entity ever appeared in.
    """
    if not entity_ids or not others:
        return {}
    newest = (
        select(Article.id)
        .where(visible_clause(now))
        .order_by(Article.published_at.desc())
        .limit(window)
        .cte("newest")
    )
    other = aliased(Mention)
    # SQLite would rather find each candidate's mentions by entity (all of them, however
    # old) than read the window's mentions by article; an expression keeps that index out.
    sqlite = session.get_bind().dialect.name == "sqlite"
    entity, other_entity = (
        (_unindexed(Mention.entity_id), _unindexed(other.entity_id))
        if sqlite
        else (Mention.entity_id, other.entity_id)
    )
    together: dict[tuple[str, str], int] = {}
    for chunk in _chunks(others):
        rows = await session.execute(
            select(Mention.entity_id, other.entity_id, func.count())
            .select_from(newest)
            .join(Mention, Mention.article_id == newest.c.id)
            .join(other, other.article_id == newest.c.id)
            .where(entity.in_(list(entity_ids)), other_entity.in_(chunk))
            .group_by(Mention.entity_id, other.entity_id)
        )
        together.update({(str(row[0]), str(row[1])): int(row[2]) for row in rows.all()})
    return together


def _unindexed(column: InstrumentedAttribute[uuid.UUID]) -> ColumnElement[uuid.UUID]:
    """``+column``: the same value, which SQLite will not look up by the column's index."""
    return UnaryExpression(column.expression, operator=operators.custom_op("+"), type_=column.type)


MentionState = tuple[str, int, list[Any]]


async def shared_mentions(
    session: AsyncSession, source_id: uuid.UUID, target_id: uuid.UUID
) -> list[tuple[uuid.UUID, MentionState, MentionState]]:
    """(article id, source's mention, target's mention) where an article mentions both."""
    target = aliased(Mention)
    rows = await session.execute(
        select(
            Mention.article_id,
            Mention.source,
            Mention.count,
            Mention.spans,
            target.source,
            target.count,
            target.spans,
        )
        .join(target, and_(target.article_id == Mention.article_id, target.entity_id == target_id))
        .where(Mention.entity_id == source_id)
    )
    return [(row[0], (row[1], row[2], row[3]), (row[4], row[5], row[6])) for row in rows.all()]


async def move_mentions(
    session: AsyncSession,
    source_id: uuid.UUID,
    target_id: uuid.UUID,
    merged: Sequence[tuple[uuid.UUID, MentionState]],
) -> None:
    """Hand the source's mentions to the target; ``merged`` are the target's, already combined."""
    if merged:
        await session.execute(
            update(Mention),
            [
                {
                    "article_id": article_id,
                    "entity_id": target_id,
                    "source": source,
                    "count": count,
                    "spans": spans,
                }
                for article_id, (source, count, spans) in merged
            ],
        )
        await session.execute(
            delete(Mention).where(
                Mention.entity_id == source_id,
                Mention.article_id.in_([article_id for article_id, _ in merged]),
            )
        )
    await session.execute(
        update(Mention)
        .where(Mention.entity_id == source_id)
        .values(entity_id=target_id)
        .execution_options(synchronize_session=False)
    )


async def redirect_target(
    session: AsyncSession, ref: str, *, now: datetime | None = None
) -> str | None:
    """The current slug of the entity that ``ref`` (a former slug or merged id) now names;
    with ``now``, only if readers see that entity then."""
    statement = (
        select(Entity.slug)
        .join(SlugRedirect, SlugRedirect.target_id == Entity.id)
        .where(SlugRedirect.resource_type == "entities", SlugRedirect.slug == ref)
    )
    if now is not None:
        statement = statement.where(public_clause(Entity, now))
    return await session.scalar(statement)


async def repoint_redirects(
    session: AsyncSession, source_id: uuid.UUID, target_id: uuid.UUID
) -> None:
    """Former slugs of a merged entity lead to the entity it was merged into."""
    await session.execute(
        update(SlugRedirect)
        .where(SlugRedirect.resource_type == "entities", SlugRedirect.target_id == source_id)
        .values(target_id=target_id)
        .execution_options(synchronize_session=False)
    )


async def external_ids(
    session: AsyncSession, ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    """The external ids (``{"wikidata": "Q912"}``) of these entities."""
    if not ids:
        return {}
    statement = select(Entity.id, Entity.external_ids).where(Entity.id.in_(list(ids)))
    return {row.id: row.external_ids for row in await session.execute(statement)}
