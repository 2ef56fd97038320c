"""PostgreSQL search: the weighted ``articles.search_vector``, through a RUM index or a GIN one.

The vector is a generated column (see the "search index" migration): title
weight A, summary B, body C, all with the ``english`` configuration. It is
deliberately not mapped on the ORM model, which must never write it.

Relevance ranks every match readers may see, however old, in one of two ways:

- **RUM** (the ``rum`` extension, when the server has it; see the "rank in the
  index" migration): the index keeps each word's positions, so it checks
  phrases and computes each match's rank (``<=>``, a distance: the inverse of
  the rank) without reading the vectors, and hands the matches out best first.
  A page reads its own rows and those that tie with its last one, however many
  match.
- **GIN** (without it): every match's vector is read and ranked with
  ``ts_rank``, slower for common words. It finds the same matches
  and totals; ``ts_rank`` scores a lone word as RUM does, several words
  somewhat differently.

Both rank by every term of the query (``Query.any_term``) rather than by how
close together the terms stand, weigh title 1, summary 0.4, body 0.2, and count
a word's later occurrences less and less (the n-th by 1/n²), so a title match
outranks any number of body mentions, however common the word.

Either way, ties go to the newer story, and ``meta.total`` is exact. Which one
applies is read once per database connection, from the catalog.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import (
    REAL,
    ColumnElement,
    Row,
    Select,
    and_,
    func,
    literal_column,
    or_,
    select,
    text,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.models import Article
from app.search.backends.base import Scope, SearchBackend, SearchSort, date_key, hit_rows, linked
from app.search.query import Query, to_tsquery_sql

CONFIG = "english"
VECTOR = literal_column("articles.search_vector", TSVECTOR)
ARTICLES = Article.__table__
GIN_INDEX = "ix_articles_search_vector"
RUM_INDEX = "ix_articles_search_rum"
# Normalization 32 maps a rank r to r / (r + 1): scores between 0 and 1.
RANK_NORMALIZATION = 32
# Where a connection remembers whether the RUM index is there.
_RUM_KEY = "lede_search_rum"
# A build over millions of stories takes minutes: no statement timeout applies to it.
BUILD_SECONDS = 3600.0


def _tsquery(query: Query, prefix: str = "q") -> ColumnElement[Any]:
    sql, params = to_tsquery_sql(query, CONFIG, prefix)
    # Inline rather than computed once in a CTE: a constant tsquery lets the planner
    # use the column statistics when it chooses between the indexes.
    return type_coerce(text(f"({sql})").bindparams(**params), TSQUERY)


def _ranking(query: Query) -> ColumnElement[Any]:
    """What ranks the matches of ``query``: any of its terms (see ``Query.any_term``)."""
    return _tsquery(query.any_term(), prefix="r")


def _matches(tsquery: ColumnElement[Any]) -> ColumnElement[bool]:
    return VECTOR.bool_op("@@")(tsquery)


async def has_rum(session: AsyncSession) -> bool:
    """Whether the search vector has its RUM index; asked once per database connection."""
    connection = await session.connection()
    info = (await connection.get_raw_connection()).info
    if _RUM_KEY not in info:
        found = await connection.scalar(
            text("SELECT to_regclass(:name) IS NOT NULL"), {"name": RUM_INDEX}
        )
        info[_RUM_KEY] = bool(found)
    return bool(info[_RUM_KEY])


def _rum_score(distance: float) -> float:
    # The distance is 1 / rank; as with RANK_NORMALIZATION, r / (r + 1).
    return 1.0 / (1.0 + distance)


class PostgresBackend(SearchBackend):
    deferrable_index = True

    def matches(self, query: Query) -> ColumnElement[bool]:
        match = _matches(_tsquery(query))
        if not query.widened():
            return match
        # A story that does not say what was typed for an entity's name must be
        # linked to the entity (its other names are in the tsquery).
        spelled = [
            select(Article.id)
            .where(_matches(_tsquery(query.spelled(named), prefix=f"n{index}_")))
            .correlate(None)
            for index, named in enumerate(query.widened())
        ]
        return and_(
            match,
            *(
                or_(Article.id.in_(linked(named.entity_ids)), Article.id.in_(typed))
                for named, typed in zip(query.widened(), spelled, strict=True)
            ),
        )

    @asynccontextmanager
    async def planned(self, session: AsyncSession, sort: SearchSort) -> AsyncIterator[None]:
        # A search's statements are prepared once per connection, and their SQL is
        # the same whatever the words: the generic plan PostgreSQL turns to after
        # five runs cannot tell a rare word from a common one. Planned for the words
        # at hand. And never by reading the whole table: the planner counts "@@" as
        # cheap, but on a row it reads the row's whole vector out of TOAST (a common
        # word was counted in 700 ms that way, in 25 ms through the index). By
        # relevance, never by sorting every match either: the RUM index hands them
        # out in order (see ``_rank_rum``); newest first, a sort of the matches
        # beats walking the date index and reading vectors to find them.
        connection = await session.connection()
        driver = (await connection.get_raw_connection()).driver_connection
        assert driver is not None
        settings = {
            "plan_cache_mode": "force_custom_plan",
            "enable_seqscan": "off",
            "enable_sort": "on" if sort == "-published_at" else "off",
            # What is disabled still runs when nothing else can (the sorts of the
            # facets): its cost, made huge, must not make it worth compiling.
            "jit": "off",
        }
        # Each way in one round trip, as a simple query.
        await driver.execute("; ".join(f"SET {name} = {value}" for name, value in settings.items()))
        yield
        # Not after an error, which may have left the connection unusable; kept, the
        # settings only make its later statements plan differently.
        await driver.execute("; ".join(f"RESET {name}" for name in settings))

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
        if await has_rum(session):
            ranked = await self._rank_rum(
                session, query, scope=scope, offset=offset, limit=limit, columns=columns
            )
            return ranked, None
        return await self._rank_gin(
            session, query, scope=scope, offset=offset, limit=limit, columns=columns
        )

    async def _rank_gin(
        self,
        session: AsyncSession,
        query: Query,
        *,
        scope: Scope,
        offset: int,
        limit: int,
        columns: Sequence[Any],
    ) -> tuple[list[tuple[Row[Any], float]], int | None]:
        key = date_key(sees_drafts=scope.sees_drafts)
        score = func.ts_rank(VECTOR, _ranking(query), RANK_NORMALIZATION).label("score")
        ranked = (
            select(
                Article.id.label("id"),
                key.label("published"),
                score,
                # Every match is read to be ranked: counting them comes with it.
                func.count().over().label("total"),
            )
            .where(*self.within(query, scope))
            .order_by(score.desc(), key.desc(), Article.id.desc())
            .offset(offset)
            .limit(limit)
            .subquery("ranked")
        )
        rows = (await session.execute(hit_rows(ranked, columns))).all()
        return [(row, float(row.score)) for row in rows], rows[0].total if rows else None

    async def _rank_rum(
        self,
        session: AsyncSession,
        query: Query,
        *,
        scope: Scope,
        offset: int,
        limit: int,
        columns: Sequence[Any],
    ) -> list[tuple[Row[Any], float]]:
        distance = VECTOR.op("<=>", return_type=REAL)(_ranking(query)).label("distance")
        # The index hands the matches out by distance alone; the rows that tie with
        # the page's last one are sorted by date as they come (an incremental sort),
        # so the scan stops once the page is complete.
        ordered = (
            select(Article.id, *columns, date_key(sees_drafts=scope.sees_drafts), distance)
            .where(*self.within(query, scope))
            .order_by(distance)
            .subquery("ordered")
        )
        *shown, published, by_distance = ordered.c
        statement: Select[Any] = (
            select(*shown, by_distance)
            .order_by(by_distance, published.desc(), shown[0].desc())
            .offset(offset)
            .limit(limit)
        )
        rows = (await session.execute(statement)).all()
        return [(row, _rum_score(row.distance)) for row in rows]

    async def scores(
        self, session: AsyncSession, query: Query, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, float]:
        tsquery = _ranking(query)
        if await has_rum(session):
            score = func.rum_ts_score(VECTOR, tsquery, RANK_NORMALIZATION)
        else:
            score = func.ts_rank(VECTOR, tsquery, RANK_NORMALIZATION)
        statement = select(Article.id, score.label("score")).where(Article.id.in_(ids))
        return {row.id: float(row.score) for row in await session.execute(statement)}

    async def reindex(self, session: AsyncSession) -> str:
        # The vector itself is always current (a generated column); the index can
        # still be rebuilt, e.g. after corruption or heavy bloat. Writes wait meanwhile.
        index = RUM_INDEX if await has_rum(session) else GIN_INDEX
        await session.execute(text(f"REINDEX INDEX {index}"))
        return f"search_vector is always current; rebuilt its index {index}."

    async def drop_index(self, session: AsyncSession) -> None:
        for index in (RUM_INDEX, GIN_INDEX):
            await session.execute(text(f"DROP INDEX IF EXISTS {index}"))

    async def build_index(self, engine: AsyncEngine) -> bool:
        # RUM when the extension is installed (the "rank in the index" migration), else GIN.
        async with engine.connect() as connection:
            raw = (await connection.get_raw_connection()).driver_connection
            assert raw is not None
            present = await raw.fetchval(
                "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE c.relname = ANY($1::text[]) AND i.indisvalid",
                [RUM_INDEX, GIN_INDEX],
            )
            if present:
                return False
            rum = await raw.fetchval("SELECT count(*) FROM pg_extension WHERE extname = 'rum'")
            name, using = (
                (RUM_INDEX, "rum (search_vector rum_tsvector_ops)")
                if rum
                else (GIN_INDEX, "gin (search_vector)")
            )
            # An earlier build that was stopped leaves an invalid index of that name.
            for index in (RUM_INDEX, GIN_INDEX):
                await raw.execute(
                    f"DROP INDEX CONCURRENTLY IF EXISTS {index}", timeout=BUILD_SECONDS
                )
            # Outside a transaction (as CONCURRENTLY must be): this connection's own
            # statement timeout is lifted for the build, then restored.
            await raw.execute("SET statement_timeout = 0")
            try:
                await raw.execute(
                    f"CREATE INDEX CONCURRENTLY {name} ON articles USING {using}",
                    timeout=BUILD_SECONDS,
                )
            finally:
                await raw.execute("RESET statement_timeout")
            return True
