"""The search interface every database backend answers, and the SQL they all share.

A backend knows how its database matches and ranks a parsed ``Query``. What is
searched arrives as a ``Scope``: the articles a principal may see at a given
time (the rule every listing applies), narrowed by the article filters.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Literal

from sqlalchemy import ColumnElement, Row, Select, distinct, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.core.errors import invalid
from app.core.pagination import MAX_OFFSET, Page, decode_cursor, encode_cursor
from app.models import Article, ArticleTag, Entity, Mention, Tag
from app.models.visibility import readable_clause
from app.resources.repository.listing import keyset_page
from app.search.query import Query

SearchSort = Literal["relevance", "-published_at"]
FacetKind = Literal["tag", "entity", "section", "type"]
FACET_KINDS: tuple[FacetKind, ...] = ("tag", "entity", "section", "type")
FACET_SIZE = 20
# Matches from which a page sorted by date counts as "many" (see ``within``).
MANY = 500


@dataclass(frozen=True, slots=True)
class Scope:
    """The articles searched: those a principal may see at ``now``, narrowed by ``filters``."""

    filters: Sequence[ColumnElement[bool]]
    sees_drafts: bool
    now: datetime

    @property
    def readable(self) -> ColumnElement[bool]:
        return readable_clause(sees_drafts=self.sees_drafts, now=self.now)


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One page of hits in order, their scores (higher is better), the total and the next cursor.

    Each row holds the article's id, then the columns the search was asked for.
    """

    rows: list[Row[Any]]
    scores: list[float]
    total: int
    next_cursor: str | None


def linked(entity_ids: Sequence[uuid.UUID]) -> Select[Any]:
    """Ids of the articles that mention (are linked to) any of these entities."""
    return select(Mention.article_id).where(Mention.entity_id.in_(entity_ids))


def date_key(*, sees_drafts: bool) -> Any:
    """Newest first, as article listings sort: drafts by when they were written."""
    if sees_drafts:
        return func.coalesce(Article.published_at, Article.created_at)
    return Article.published_at


def hit_rows(ranked: Any, columns: Sequence[Any], *, by_rowid: bool = False) -> Select[Any]:
    """The rows of a ranked page (``ranked``: id, score, published, total), with their
    ``columns``, best first: read by id (or, on SQLite, by rowid) in the statement that
    ranks them."""
    hit = Article.__table__.alias("hit")
    on = literal_column("hit.rowid") == ranked.c.rowid if by_rowid else hit.c.id == ranked.c.id
    return (
        select(hit.c.id, *(hit.c[column.key] for column in columns), ranked.c.score, ranked.c.total)
        .join_from(ranked, hit, on)
        .order_by(ranked.c.score.desc(), ranked.c.published.desc(), ranked.c.id.desc())
    )


class SearchBackend(ABC):
    # Whether a large import may leave the full-text index out and build it once at
    # its end (see ``app.search.index``); an index kept by triggers is left as it is.
    deferrable_index: ClassVar[bool] = False

    @abstractmethod
    def matches(self, query: Query) -> ColumnElement[bool]:
        """A condition on ``articles``: the article matches ``query``."""

    @abstractmethod
    async def rank(
        self,
        session: AsyncSession,
        query: Query,
        *,
        scope: Scope,
        offset: int,
        limit: int,
        columns: Sequence[Any],
    ) -> tuple[list[tuple[Row[Any], float]], int | None]:
        """The articles in ``scope`` matching ``query``, best first, with their scores.

        Each row holds the id, then ``columns`` (and may hold more after them).
        Also the number of matches, when counting them came at no extra cost.
        """

    @abstractmethod
    async def scores(
        self, session: AsyncSession, query: Query, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, float]:
        """The scores of these matching articles."""

    async def linked_entities(
        self, session: AsyncSession, article_ids: Sequence[uuid.UUID], query: Query
    ) -> dict[uuid.UUID, list[uuid.UUID]]:
        """For each of these articles, the entities named in ``query`` that it is linked to."""
        entity_ids = [entity_id for named in query.named for entity_id in named.entity_ids]
        if not entity_ids or not article_ids:
            return {}
        statement = select(Mention.article_id, Mention.entity_id).where(
            Mention.article_id.in_(article_ids), Mention.entity_id.in_(entity_ids)
        )
        found: dict[uuid.UUID, list[uuid.UUID]] = {}
        for article_id, entity_id in await session.execute(statement):
            found.setdefault(article_id, []).append(entity_id)
        return found

    @abstractmethod
    async def reindex(self, session: AsyncSession) -> str:
        """Rebuild the search index from the articles; says what was done."""

    async def stored_articles(self, session: AsyncSession) -> int:
        """How many articles are stored (trashed ones too): what the index holds."""
        return await session.scalar(select(func.count()).select_from(Article)) or 0

    @abstractmethod
    async def drop_index(self, session: AsyncSession) -> None:
        """Leave the full-text index out until ``build_index`` (a ``deferrable_index``)."""

    @abstractmethod
    async def build_index(self, engine: AsyncEngine) -> bool:
        """Build the full-text index if it is missing; says whether it built it."""

    @asynccontextmanager
    async def planned(self, session: AsyncSession, sort: SearchSort) -> AsyncIterator[None]:
        """Around the statements of one search, for a backend to say how they are planned."""
        yield

    def within(
        self, query: Query, scope: Scope, *, many: bool = False
    ) -> list[ColumnElement[bool]]:
        """Conditions on ``articles``: the article is in ``scope`` and matches ``query``.

        ``many`` says that a large share of the articles may match, for a backend
        that would then phrase the conditions otherwise.
        """
        return [self.matches(query), scope.readable, *scope.filters]

    async def count(self, session: AsyncSession, query: Query, *, scope: Scope) -> int:
        statement = select(func.count()).select_from(Article).where(*self.within(query, scope))
        return await session.scalar(statement) or 0

    async def search(
        self,
        session: AsyncSession,
        query: Query,
        *,
        scope: Scope,
        sort: SearchSort,
        page: Page,
        columns: Sequence[Any],
        total: int | None = None,
    ) -> SearchPage:
        """A page of the articles in ``scope`` that match a non-empty ``query``, with ``columns``.

        A caller that knows the number of matches (``total``) spares counting them.
        """
        if sort == "-published_at":
            key = date_key(sees_drafts=scope.sees_drafts)
            if total is None:
                total = await self.count(session, query, scope=scope)
            rows, total, next_cursor = await keyset_page(
                session,
                Article,
                columns=(Article.id, *columns, key.label("sort_key")),
                where=self.within(query, scope, many=total >= MANY),
                sort="-published_at",
                key=key,
                descending=True,
                page=page,
                total=total,
            )
            scores = await self.scores(session, query, [row.id for row in rows])
            return SearchPage(rows, [scores.get(row.id, 0.0) for row in rows], total, next_cursor)
        offset = _relevance_offset(page)
        ranked, counted = await self.rank(
            session, query, scope=scope, offset=offset, limit=page.limit + 1, columns=columns
        )
        next_cursor = None
        if len(ranked) > page.limit:
            ranked = ranked[: page.limit]
            if offset + page.limit <= MAX_OFFSET:
                next_cursor = encode_cursor("relevance", [offset + page.limit])
        elif counted is None and (ranked or offset == 0):
            # The last page: everything before it and on it is every match.
            counted = offset + len(ranked)
        if counted is None:
            counted = total if total is not None else await self.count(session, query, scope=scope)
        return SearchPage(
            [row for row, _score in ranked],
            [score for _row, score in ranked],
            counted,
            next_cursor,
        )

    async def facets(
        self, session: AsyncSession, query: Query, *, scope: Scope, kinds: Sequence[FacetKind]
    ) -> dict[str, list[dict[str, Any]]]:
        """Counts over every match, not one page: the ``FACET_SIZE`` largest of each kind."""
        within = self.within(query, scope, many=True)
        matching = select(Article.id).where(*within)
        out: dict[str, list[dict[str, Any]]] = {}
        statement: Select[Any, Any, int]
        name: Any
        for kind in kinds:
            if kind == "tag":
                count = func.count().label("count")
                statement = (
                    select(Tag.slug, Tag.name, count)
                    .join(ArticleTag, ArticleTag.tag_id == Tag.id)
                    .where(ArticleTag.article_id.in_(matching), Tag.deleted_at.is_(None))
                    .group_by(Tag.id, Tag.slug, Tag.name)
                )
                name = Tag.name
            elif kind == "entity":
                count = func.count().label("count")
                statement = (
                    select(Entity.slug, Entity.name, count)
                    .join(Mention, Mention.entity_id == Entity.id)
                    .where(Mention.article_id.in_(matching), Entity.deleted_at.is_(None))
                    .group_by(Entity.id, Entity.slug, Entity.name)
                )
                name = Entity.name
            elif kind == "section":
                count = func.count().label("count")
                statement = (
                    select(Article.section, Article.section, count)
                    .where(*within, Article.section.is_not(None))
                    .group_by(Article.section)
                )
                name = Article.section
            else:
                # Articles that mention at least one entity of the type.
                count = func.count(distinct(Mention.article_id)).label("count")
                statement = (
                    select(Entity.type, Entity.type, count)
                    .join(Mention, Mention.entity_id == Entity.id)
                    .where(Mention.article_id.in_(matching), Entity.deleted_at.is_(None))
                    .group_by(Entity.type)
                )
                name = Entity.type
            rows = await session.execute(statement.order_by(count.desc(), name).limit(FACET_SIZE))
            out[kind] = [{"slug": row[0], "name": row[1], "count": row[2]} for row in rows]
        return out


def _relevance_offset(page: Page) -> int:
    if page.cursor is None:
        return page.offset or 0
    (offset,) = decode_cursor(page.cursor, "relevance", 1)
    if not isinstance(offset, int) or isinstance(offset, bool) or not 0 < offset <= MAX_OFFSET:
        raise invalid(["query", "cursor"], "The cursor is not valid.")
    return offset
