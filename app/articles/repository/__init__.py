"""Article queries: filters, sorts and keyset pages, under the rule of models.visibility.

The package's modules hold the rest: the reads every page view makes (hot_reads),
related articles (related), earlier versions (revisions) and the stored articles
bulk upserts name (upserts).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Executable,
    Result,
    Row,
    and_,
    bindparam,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.interfaces import ORMOption

from app.articles.filters import ArticleFilters, ArticleSort
from app.core.pagination import Page
from app.core.slugs import fold_name
from app.models import Article, ArticleAuthor, ArticleTag, Author, Entity, Mention, Tag
from app.models.visibility import (
    TURNING_POINTS,
    becomes_visible_clause,
    listed_clause,
    readable_clause,
    visible_clause,
)
from app.resources.repository.listing import keyset_page

ARTICLES = Article.__table__
ARTICLE_TAGS = ArticleTag.__table__
MENTIONS = Mention.__table__
TAGS = Tag.__table__
ENTITIES = Entity.__table__
ARTICLE_AUTHORS = ArticleAuthor.__table__
AUTHORS = Author.__table__

ARTICLE_LOAD: tuple[ORMOption, ...] = (
    selectinload(Article.tag_links).selectinload(ArticleTag.tag),
    selectinload(Article.mentions).selectinload(Mention.entity),
    selectinload(Article.author_links).selectinload(ArticleAuthor.author),
)
# Reads load only what an article's JSON shows of its tags and entities.
READ_LOAD: tuple[ORMOption, ...] = (
    selectinload(Article.tag_links)
    .selectinload(ArticleTag.tag)
    .load_only(Tag.id, Tag.slug, Tag.name, Tag.deleted_at, raiseload=True),
    selectinload(Article.mentions)
    .selectinload(Mention.entity)
    .load_only(Entity.id, Entity.slug, Entity.name, Entity.type, Entity.deleted_at, raiseload=True),
    selectinload(Article.author_links)
    .selectinload(ArticleAuthor.author)
    .load_only(Author.id, Author.slug, Author.name, Author.deleted_at, raiseload=True),
)
# Fields that are rows of their own, not columns of ``articles``.
LINKED = frozenset({"tags", "entities", "bylines"})


def _author_clause(ref: str) -> ColumnElement[bool]:
    return exists(
        select(1)
        .select_from(ArticleAuthor)
        .join(Author, Author.id == ArticleAuthor.author_id)
        .where(
            ArticleAuthor.article_id == Article.id,
            or_(Author.slug == ref, Author.name_key == fold_name(ref)),
        )
    )


def _mentions_entity(slug: str, *more: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists(
        select(1)
        .select_from(Mention)
        .join(Entity, Entity.id == Mention.entity_id)
        .where(Mention.article_id == Article.id, Entity.slug == slug, *more)
    )


def filter_clauses(session: AsyncSession, filters: ArticleFilters) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if filters.status is not None:
        clauses.append(Article.status == filters.status)
    for slug in filters.tags:
        clauses.append(
            exists(
                select(1)
                .select_from(ArticleTag)
                .join(Tag, Tag.id == ArticleTag.tag_id)
                .where(ArticleTag.article_id == Article.id, Tag.slug == slug)
            )
        )
    for slug in filters.entities:
        clauses.append(_mentions_entity(slug))
    for slug in filters.about:
        clauses.append(_mentions_entity(slug, Mention.salience == "about"))
    if filters.section is not None:
        clauses.append(
            or_(Article.section == filters.section, Article.section.like(f"{filters.section}/%"))
        )
    clauses += [_author_clause(ref) for ref in filters.authors]
    if filters.language is not None:
        clauses.append(func.lower(Article.language) == filters.language.lower())
    if filters.published_after is not None:
        clauses.append(Article.published_at > filters.published_after)
    if filters.published_before is not None:
        clauses.append(Article.published_at < filters.published_before)
    if filters.updated_after is not None:
        clauses.append(Article.updated_at > filters.updated_after)
    return clauses


def _sort_key(sort: ArticleSort, *, sees_drafts: bool) -> tuple[Any, bool]:
    """The sort expression and whether it descends."""
    if sort in ("-published_at", "published_at"):
        # Readers only ever see rows with a publication time; editors also see
        # drafts, placed by when they were written.
        key: Any = (
            func.coalesce(Article.published_at, Article.created_at)
            if sees_drafts
            else Article.published_at
        )
        return key, sort.startswith("-")
    if sort == "-updated_at":
        return Article.updated_at, True
    return Article.title, False


async def page_rows(
    session: AsyncSession,
    *,
    where: Sequence[ColumnElement[bool]],
    sort: ArticleSort,
    page: Page,
    sees_drafts: bool,
    columns: Sequence[Any] = (),
    total: int | None = None,
) -> tuple[list[Row[Any]], int, str | None]:
    """One page of rows (``id``, then ``columns``), the total matching, and the next cursor."""
    key, descending = _sort_key(sort, sees_drafts=sees_drafts)
    return await keyset_page(
        session,
        Article,
        columns=(Article.id, *columns, key.label("sort_key")),
        where=where,
        sort=sort,
        key=key,
        descending=descending,
        page=page,
        total=total,
    )


async def list_page(
    session: AsyncSession,
    *,
    where: Sequence[ColumnElement[bool]],
    sort: ArticleSort,
    page: Page,
    sees_drafts: bool,
    options: Sequence[ORMOption] = ARTICLE_LOAD,
    total: int | None = None,
) -> tuple[list[Article], int, str | None]:
    """One page of loaded articles, the total matching, and the cursor of the next page."""
    rows, total, next_cursor = await page_rows(
        session, where=where, sort=sort, page=page, sees_drafts=sees_drafts, total=total
    )
    articles = await load_articles(session, [row.id for row in rows], options)
    return articles, total, next_cursor


async def load_articles(
    session: AsyncSession, ids: Sequence[uuid.UUID], options: Sequence[ORMOption] = ARTICLE_LOAD
) -> list[Article]:
    """The articles of ``ids`` that exist, loaded with ``options``, in the order of ``ids``."""
    statement = select(Article).where(Article.id.in_(ids)).options(*options)
    loaded = {a.id: a for a in (await session.scalars(statement)).all()}
    return [loaded[i] for i in ids if i in loaded]


def columns_of(fields: Sequence[str]) -> tuple[Any, ...]:
    """The article columns behind ``fields`` (tags and entities are rows of their own)."""
    return tuple(ARTICLES.c[name] for name in fields if name not in LINKED)


# Statements built once take their values as parameters.
NOW: BindParameter[datetime] = bindparam("now")
IDS: BindParameter[Sequence[uuid.UUID]] = bindparam("ids", expanding=True)


async def execute(
    session: AsyncSession, statement: Executable, params: dict[str, Any]
) -> Result[*tuple[Any, ...]]:
    connection = await session.connection()
    return await connection.execute(statement, params)


async def ids_where(
    session: AsyncSession, ids: Sequence[uuid.UUID], where: Sequence[ColumnElement[bool]]
) -> set[uuid.UUID]:
    """Those of the articles ``ids`` that ``where`` holds for."""
    if not ids:
        return set()
    found = await session.scalars(select(Article.id).where(Article.id.in_(ids), *where))
    return set(found)


async def readable_ids(
    session: AsyncSession, ids: Sequence[uuid.UUID], *, sees_drafts: bool, now: datetime
) -> set[uuid.UUID]:
    """Those of the articles ``ids`` that a viewer may read."""
    return await ids_where(session, ids, [readable_clause(sees_drafts=sees_drafts, now=now)])


async def text_page(session: AsyncSession, *, after: uuid.UUID | None, limit: int) -> list[Any]:
    """(id, title, summary, summary_derived, body_text) of articles in id order, past ``after``."""
    statement = select(
        Article.id, Article.title, Article.summary, Article.summary_derived, Article.body_text
    )
    if after is not None:
        statement = statement.where(Article.id > after)
    return list((await session.execute(statement.order_by(Article.id).limit(limit))).all())


async def insert_links(
    session: AsyncSession,
    *,
    tags: Sequence[dict[str, Any]],
    bylines: Sequence[dict[str, Any]],
    mentions: Sequence[dict[str, Any]],
) -> None:
    """Insert the ``article_tags``, ``article_authors`` and ``mentions`` rows of new
    articles, a statement per table."""
    # ORM bulk INSERTs: the tags and entities created on the way are flushed first.
    # NULLs are sent as values, so that rows missing different fields still go
    # in one statement.
    for model, rows in ((ArticleTag, tags), (ArticleAuthor, bylines), (Mention, mentions)):
        if rows:
            await session.execute(insert(model).execution_options(render_nulls=True), rows)


async def set_salience(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Store the salience and score of mentions, by (article_id, entity_id)."""
    if rows:
        await session.execute(update(Mention), rows)


async def export_page(
    session: AsyncSession,
    *,
    since: datetime | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Article]:
    """Non-trashed articles in (updated_at, id) order, from just past ``after``."""
    statement = select(Article).where(Article.deleted_at.is_(None)).options(*ARTICLE_LOAD)
    if since is not None:
        statement = statement.where(Article.updated_at >= since)
    if after is not None:
        updated_at, last_id = after
        statement = statement.where(
            or_(
                Article.updated_at > updated_at,
                and_(Article.updated_at == updated_at, Article.id > last_id),
            )
        )
    statement = statement.order_by(Article.updated_at, Article.id).limit(limit)
    return list((await session.scalars(statement)).all())


async def count(session: AsyncSession, where: Sequence[ColumnElement[bool]]) -> int:
    return int(await session.scalar(select(func.count()).select_from(Article).where(*where)) or 0)


async def link_counts(
    session: AsyncSession, link: Any, now: datetime, *, of: uuid.UUID | None = None
) -> dict[uuid.UUID, int]:
    """Published articles per item of a link table (``ArticleTag.tag_id``…), in one pass.

    Items no published article carries are left out; ``of`` counts one item only.
    """
    statement = (
        select(link, func.count())
        .join(Article, Article.id == link.table.c.article_id)
        .where(visible_clause(now))
        .group_by(link)
    )
    if of is not None:
        statement = statement.where(link == of)
    return {item_id: int(n) for item_id, n in (await session.execute(statement)).all()}


async def next_release(session: AsyncSession, now: datetime) -> datetime | None:
    """When readers next see a change with no write: a scheduled story goes live or one expires."""
    soonest = [
        select(func.min(moment)).where(listed_clause(), moment > now).scalar_subquery()
        for moment in TURNING_POINTS
    ]
    row = (await session.execute(select(*soonest))).one()
    return min((moment for moment in row if moment is not None), default=None)


# Tags and entities that came in through a hidden article -----------------------

CarriedRow = Row[uuid.UUID, int, datetime | None]


def _publish_statement(target: Any, links: Any, column: Any) -> Any:
    """Set ``public_from`` of the ``target`` rows (tags or entities) linked to the
    articles ``ids`` through ``links``, or waiting for a scheduled story."""
    carried = select(column).where(links.c.article_id.in_(IDS))
    # Those a scheduled story was to make public may have to wait longer, or for nothing.
    pending = select(target.c.id).where(target.c.public_from > NOW)
    # Only those readers do not see yet: few, and carried by few articles, so that
    # the earliest publication is read from their own links, not from every article.
    waiting = (
        select(target.c.id)
        .where(
            target.c.id.in_(carried.union(pending)),
            or_(target.c.public_from.is_(None), target.c.public_from > NOW),
        )
        .subquery("waiting")
    )
    firsts = (
        select(waiting.c.id, func.min(Article.published_at).label("first"))
        .select_from(waiting)
        .outerjoin(links, column == waiting.c.id)
        .outerjoin(Article, and_(Article.id == links.c.article_id, becomes_visible_clause(NOW)))
        .group_by(waiting.c.id)
        .subquery("firsts")
    )
    return (
        update(target)
        .where(target.c.id == firsts.c.id, target.c.public_from.is_distinct_from(firsts.c.first))
        .values(public_from=firsts.c.first)
        .returning(target.c.id, target.c.version, target.c.public_from)
    )


_PUBLISH_TAGS = _publish_statement(TAGS, ARTICLE_TAGS, ARTICLE_TAGS.c.tag_id)
_PUBLISH_ENTITIES = _publish_statement(ENTITIES, MENTIONS, MENTIONS.c.entity_id)


async def publish_carried(
    session: AsyncSession, article_ids: Sequence[uuid.UUID], now: datetime
) -> tuple[list[CarriedRow], list[CarriedRow]]:
    """Make public the tags and entities of these articles that a public (or
    scheduled) article now carries, from its publication time; and hide again
    one still waiting for a scheduled story that no longer comes.

    The (id, version, public_from) of the tags, then of the entities, that changed.
    """
    params = {"ids": list(article_ids), "now": now}
    tags = list((await execute(session, _PUBLISH_TAGS, params)).all())
    entities = list((await execute(session, _PUBLISH_ENTITIES, params)).all())
    return tags, entities
