"""The reads every page view makes, as statements built once: an article's current version,
its shown columns, its tags, bylines and entities, and the change-feed position."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Row,
    Select,
    Text,
    bindparam,
    cast,
    func,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.articles.repository import (
    ARTICLE_AUTHORS,
    ARTICLE_TAGS,
    ARTICLES,
    AUTHORS,
    ENTITIES,
    IDS,
    MENTIONS,
    NOW,
    TAGS,
    execute,
)
from app.core.prepared import Prepared, fetch_prepared
from app.core.slugs import is_uuid
from app.models import Counter
from app.models.visibility import readable_clause

# Hot reads run statements built once, with parameters, on the session's
# connection: building a statement and finding its compiled form, and the ORM's
# handling of results, cost more than these queries themselves.
REF: BindParameter[Any] = bindparam("ref")


@lru_cache(maxsize=256)
def _row_statement(columns: tuple[Any, ...]) -> Prepared:
    return Prepared(
        select(ARTICLES.c.id, *columns).where(
            ARTICLES.c.id == bindparam("id"), ARTICLES.c.version == bindparam("version")
        )
    )


async def rows_by_ids(
    session: AsyncSession, ids: Sequence[uuid.UUID], columns: tuple[Any, ...]
) -> list[Row[Any]]:
    """``id`` then ``columns`` of the articles with these ids, in this order."""
    if not ids:
        return []
    result = await execute(session, _rows_statement(columns), {"ids": list(ids)})
    found = {row.id: row for row in result}
    return [found[i] for i in ids if i in found]


@lru_cache(maxsize=256)
def _rows_statement(columns: tuple[Any, ...]) -> Select[Any]:
    return select(ARTICLES.c.id, *columns).where(ARTICLES.c.id.in_(IDS))


async def read_row(
    session: AsyncSession, article_id: uuid.UUID, version: int, columns: tuple[Any, ...]
) -> Row[Any] | None:
    """``id`` then ``columns`` of the article, if it is still at ``version``."""
    params = {"id": article_id, "version": version}
    rows = await fetch_prepared(session, _row_statement(columns), params)
    return rows[0] if rows else None


# What an article links to, one row each, in one shape for all three kinds so that
# a read asks for all it shows in one round trip: (field, article id, id, slug,
# name, position, then for entities: type, count, spans as JSON, source,
# salience, score, editor's salience).
# Typed loosely: which columns are empty depends on the field.
LinkedRow = Any


def _links(field: str, link: Any, named: Any, key: Any, *where: ColumnElement[bool]) -> Select[Any]:
    """The ``field`` rows of articles: ``link`` rows joined to ``named`` on ``key``."""
    return (
        select(
            literal_column(f"'{field}'").label("field"),
            link.c.article_id,
            named.c.id,
            named.c.slug,
            named.c.name,
            link.c.position,
            *(cast(null(), kind).label(name) for name, kind in _MENTION_ONLY),
        )
        .join_from(link, named, named.c.id == key)
        .where(link.c.article_id.in_(IDS), *where)
    )


# Empty in tag and byline rows, typed: PostgreSQL reads a bare NULL as text.
_MENTION_ONLY = (
    ("type", ENTITIES.c.type.type),
    ("count", MENTIONS.c.count.type),
    ("spans", Text()),
    ("source", MENTIONS.c.source.type),
    ("salience", MENTIONS.c.salience.type),
    ("score", MENTIONS.c.score.type),
    ("editor_salience", MENTIONS.c.editor_salience.type),
)
_BRANCHES = {
    # A trashed tag or author leaves every article at once, not at the article's next save.
    "tags": _links("tags", ARTICLE_TAGS, TAGS, ARTICLE_TAGS.c.tag_id, TAGS.c.deleted_at.is_(None)),
    "bylines": _links(
        "bylines",
        ARTICLE_AUTHORS,
        AUTHORS,
        ARTICLE_AUTHORS.c.author_id,
        AUTHORS.c.deleted_at.is_(None),
    ),
    "entities": select(
        literal_column("'entities'").label("field"),
        MENTIONS.c.article_id,
        ENTITIES.c.id,
        ENTITIES.c.slug,
        ENTITIES.c.name,
        cast(null(), ARTICLE_TAGS.c.position.type).label("position"),
        ENTITIES.c.type,
        MENTIONS.c.count,
        # As JSON text: decoded by orjson, many times faster than the driver's json.loads.
        cast(MENTIONS.c.spans, Text).label("spans"),
        MENTIONS.c.source,
        MENTIONS.c.salience,
        MENTIONS.c.score,
        MENTIONS.c.editor_salience,
    )
    .join_from(MENTIONS, ENTITIES, ENTITIES.c.id == MENTIONS.c.entity_id)
    .where(MENTIONS.c.article_id.in_(IDS), ENTITIES.c.deleted_at.is_(None)),
}
_BY_POSITION: ColumnElement[int] = literal_column("position")


@lru_cache(maxsize=8)
def _linked_statement(fields: frozenset[str]) -> Prepared:
    # The entities last: their first row gives no type to the columns they leave empty.
    branches = [_BRANCHES[field] for field in ("tags", "bylines", "entities") if field in fields]
    statement = branches[0] if len(branches) == 1 else union_all(*branches)
    return Prepared(statement.order_by(_BY_POSITION))


async def linked_rows(
    session: AsyncSession, ids: Sequence[uuid.UUID], fields: frozenset[str]
) -> Sequence[LinkedRow]:
    """What these articles link to, of ``fields`` (tags, bylines, entities), in one round
    trip: tags and bylines each in their order."""
    return await fetch_prepared(session, _linked_statement(fields), {"ids": ids})


async def tag_rows(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> list[Row[uuid.UUID, uuid.UUID, str, str]]:
    """(article id, tag id, slug, name) of these articles' tags, in their order."""
    rows = await linked_rows(session, ids, frozenset({"tags"}))
    return [row[1:5] for row in rows]


async def mention_rows(session: AsyncSession, ids: Sequence[uuid.UUID]) -> Sequence[LinkedRow]:
    """The entities these articles mention, as :func:`linked_rows` gives them."""
    return await linked_rows(session, ids, frozenset({"entities"}))


def _position() -> Any:
    """The change feed's counter: it moves with every write to any article, tag or entity."""
    return func.coalesce(
        select(Counter.value).where(Counter.name == "changes").scalar_subquery(), 0
    )


_POSITION = Prepared(select(_position().label("position")))


async def change_position(session: AsyncSession) -> int:
    [row] = await fetch_prepared(session, _POSITION, {})
    return int(row.position)


@lru_cache(maxsize=64)
def _version_statement(by_id: bool, sees_drafts: bool, columns: tuple[Any, ...]) -> Prepared:
    key = ARTICLES.c.id == REF if by_id else ARTICLES.c.slug == REF
    return Prepared(
        select(
            ARTICLES.c.id,
            *columns,
            ARTICLES.c.version,
            ARTICLES.c.updated_at,
            _position().label("position"),
        ).where(key, readable_clause(sees_drafts=sees_drafts, now=NOW))
    )


async def current_version(
    session: AsyncSession,
    ref: str,
    *,
    sees_drafts: bool,
    now: datetime,
    columns: tuple[Any, ...] = (),
) -> Any | None:
    """(id, version, updated_at, change-feed position) of the article ``ref`` names,
    if this reader may see it; with ``columns`` after the id, as ``read_row`` gives
    them, when the caller will render it anyway."""
    by_id = is_uuid(ref)
    params = {"ref": uuid.UUID(ref) if by_id else ref, "now": now}
    rows = await fetch_prepared(session, _version_statement(by_id, sees_drafts, columns), params)
    return rows[0] if rows else None
