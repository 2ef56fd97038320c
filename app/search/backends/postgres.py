"""PostgreSQL search: the weighted ``articles.search_vector`` through its GIN index.

The vector is a generated column (see the "search index" migration): title
weight A, summary B, body C, all with the ``english`` configuration. It is
deliberately not mapped on the ORM model, which must never write it.

Matching through the GIN index is cheap; ranking is not (HAZARDS #4):
``ts_rank_cd`` reads every ranked document's whole vector out of TOAST. So
relevance ranks the newest ``RANK_LIMIT`` matches only; older matches follow
them newest first, each still with its score. A query with fewer matches is
ranked whole. Phrases are the exception to cheap matching: the index knows no
word positions, so each article holding all the words of a phrase has its
vector read to check their order.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal_column, select, text, type_coerce
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Article
from app.search.backends.base import Scope, SearchBackend, date_key
from app.search.query import Query, to_tsquery_sql

CONFIG = "english"
RANK_LIMIT = 2000
VECTOR = literal_column("articles.search_vector", TSVECTOR)
INDEX = "ix_articles_search_vector"
# ts_rank_cd normalization 32 maps a rank r to r / (r + 1): scores between 0 and 1.
RANK_NORMALIZATION = 32


def _tsquery(query: Query) -> ColumnElement[Any]:
    sql, params = to_tsquery_sql(query, CONFIG)
    # Inline rather than computed once in a CTE: a constant tsquery lets the planner
    # use the column statistics when it chooses between the GIN and the date index.
    return type_coerce(text(f"({sql})").bindparams(**params), TSQUERY)


def _matches(tsquery: ColumnElement[Any]) -> ColumnElement[bool]:
    return VECTOR.bool_op("@@")(tsquery)


def _scored(ids: Select[Any], tsquery: ColumnElement[Any]) -> Select[Any]:
    """Scores for the ids of a subquery, computed after it has cut its rows."""
    chosen = ids.subquery("chosen")
    score = func.ts_rank_cd(VECTOR, tsquery, RANK_NORMALIZATION).label("score")
    return select(*chosen.c, score).join_from(chosen, Article, Article.id == chosen.c.id)


class PostgresBackend(SearchBackend):
    def matches(self, query: Query) -> ColumnElement[bool]:
        return _matches(_tsquery(query))

    async def rank(
        self, session: AsyncSession, query: Query, *, scope: Scope, offset: int, limit: int
    ) -> tuple[list[tuple[uuid.UUID, float]], int | None]:
        tsquery = _tsquery(query)
        key = date_key(sees_drafts=scope.sees_drafts)
        # Every match once, through the GIN index: the newest are picked from it and
        # it is counted, in one pass. Materialized, since the planner would rather
        # walk the date index and read each vector to test it, far slower for a
        # common word.
        matching = (
            select(Article.id.label("id"), key.label("published"))
            .where(_matches(tsquery), scope.readable, *scope.filters)
            .cte("matching")
            .prefix_with("MATERIALIZED")
        )
        total = select(func.count()).select_from(matching).scalar_subquery().label("total")
        newest = select(matching.c.id, matching.c.published).order_by(
            matching.c.published.desc(), matching.c.id.desc()
        )
        rows: list[Any] = []
        if offset < RANK_LIMIT:
            scored = _scored(newest.limit(RANK_LIMIT), tsquery).subquery("scored")
            statement = (
                select(scored.c.id, scored.c.score, total)
                .order_by(scored.c.score.desc(), scored.c.published.desc(), scored.c.id.desc())
                .offset(offset)
                .limit(min(limit, RANK_LIMIT - offset))
            )
            rows += (await session.execute(statement)).all()
        if offset + limit > RANK_LIMIT:
            start = max(offset, RANK_LIMIT)
            tail = _scored(newest.offset(start).limit(offset + limit - start), tsquery)
            statement = tail.add_columns(total).order_by(
                tail.selected_columns.published.desc(), tail.selected_columns.id.desc()
            )
            rows += (await session.execute(statement)).all()
        hits = [(row.id, float(row.score)) for row in rows]
        return hits, rows[0].total if rows else None

    async def scores(
        self, session: AsyncSession, query: Query, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, float]:
        score = func.ts_rank_cd(VECTOR, _tsquery(query), RANK_NORMALIZATION)
        statement = select(Article.id, score.label("score")).where(Article.id.in_(ids))
        return {row.id: float(row.score) for row in await session.execute(statement)}

    async def reindex(self, session: AsyncSession) -> str:
        # The vector itself is always current (a generated column); the index can
        # still be rebuilt, e.g. after corruption or heavy bloat. Writes wait meanwhile.
        await session.execute(text(f"REINDEX INDEX {INDEX}"))
        return f"search_vector is always current; rebuilt its index {INDEX}."
