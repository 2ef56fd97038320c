"""SQLite search: the FTS5 table ``articles_fts``, ranked by bm25.

``articles_fts`` indexes the title, summary and plain-text body of each article
under its rowid, and a ``state`` column (see ``SOURCE_VIEW``) that says which
articles readers may not see (drafts, archived, trashed: "hidden") and which
nobody may ("trashed"). Reading article rows is what costs on SQLite, as their
small columns sit after the bodies, so search tells visibility without reading
them: the search index leaves out what the stored half of the visibility rule
hides, and the (status, published_at) and expires_at indexes what its timed
half hides (scheduled and expired stories). Both halves come from
``models.visibility``; the filters, when given, read the rows.

bm25 for every match of a word in a third of 100 000 articles takes half a
second, so relevance ranks the ``RANK_LIMIT`` most recently stored matches only
(FTS5 hands them out newest rowid first and stops there); older matches follow
them, newest stored first, each still with its score. A query with fewer
matches is ranked whole.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    column,
    func,
    literal_column,
    select,
    table,
    text,
    union_all,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Article, visibility
from app.search.backends.base import Scope, SearchBackend
from app.search.query import Query, to_fts5

RANK_LIMIT = 2000
FTS = table("articles_fts", column("rowid"))
# MATCH takes the hidden column named after the table: "search the index".
FTS_INDEX: ColumnElement[str] = literal_column("articles_fts")
ARTICLE_ROWID: ColumnElement[int] = literal_column("articles.rowid")
# A word in the title counts ten times, in the summary four times what it counts
# in the body; the state column never scores.
SCORE = (-func.bm25(FTS_INDEX, 10.0, 4.0, 1.0, 0.0)).label("score")


def _sql(clause: ColumnElement[bool]) -> str:
    return str(clause.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))


# What the index holds for each article, read by its triggers (made by the
# "search index" migration, and again by any migration that changes the rule):
# "state" lets a search leave out, inside the index, what the stored half of
# the visibility rule hides: "hidden", and "hidden trashed" for the trash.
SOURCE_VIEW = f"""CREATE VIEW articles_fts_source AS
SELECT rowid, title, summary, body_text,
       CASE
           WHEN {_sql(Article.deleted_at.is_not(None))} THEN 'hidden trashed'
           WHEN NOT ({_sql(visibility.listed_clause())}) THEN 'hidden'
           ELSE ''
       END AS state
FROM articles"""


def _text_match(query: Query) -> str:
    # What the user typed searches the text columns, never the state.
    return f"{{title summary body_text}} : ({to_fts5(query)})"


def _visible_match(query: Query, scope: Scope) -> str:
    hidden = "trashed" if scope.sees_drafts else "hidden"
    return f"{_text_match(query)} NOT state : {hidden}"


def _timed_out(scope: Scope) -> CompoundSelect[int]:
    """Rowids of published articles not visible at this time (scheduled, expired),
    read from the (status, published_at) and expires_at indexes."""
    unreleased, expired = visibility.unreleased_clauses(scope.now)
    # Their own articles, even inside a statement that reads articles too.
    return union_all(
        select(ARTICLE_ROWID)
        .where(Article.status == visibility.PUBLISHED, unreleased)
        .correlate(None),
        select(ARTICLE_ROWID).where(expired).correlate(None),
    )


class SqliteBackend(SearchBackend):
    def matches(self, query: Query) -> ColumnElement[bool]:
        return ARTICLE_ROWID.in_(select(FTS.c.rowid).where(FTS_INDEX.match(_text_match(query))))

    def _visible(self, query: Query, scope: Scope) -> Select[Any]:
        """The index entries of the matches ``scope`` may see, filters aside."""
        statement = select(FTS.c.rowid).where(FTS_INDEX.match(_visible_match(query, scope)))
        if not scope.sees_drafts:
            statement = statement.where(FTS.c.rowid.not_in(_timed_out(scope)))
        return statement

    def within(
        self, query: Query, scope: Scope, *, many: bool = False
    ) -> list[ColumnElement[bool]]:
        rowid: ColumnElement[int] = ARTICLE_ROWID
        if many and not scope.sees_drafts:
            # Walk an index that holds what is asked (dates, ids, sections) and keep
            # what is in the search index's set, rather than read every match: "+ 0"
            # stops SQLite from looking the matches up by rowid.
            rowid = ARTICLE_ROWID + 0
        return [rowid.in_(self._visible(query, scope)), *scope.filters]

    async def count(self, session: AsyncSession, query: Query, *, scope: Scope) -> int:
        if scope.filters:
            return await super().count(session, query, scope=scope)
        # Counted in the index alone.
        visible = self._visible(query, scope).subquery()
        return await session.scalar(select(func.count()).select_from(visible)) or 0

    async def rank(
        self, session: AsyncSession, query: Query, *, scope: Scope, offset: int, limit: int
    ) -> tuple[list[tuple[uuid.UUID, float]], int | None]:
        candidates = self._visible(query, scope).add_columns(SCORE)
        if scope.filters:
            candidates = candidates.join(Article, FTS.c.rowid == ARTICLE_ROWID).where(
                *scope.filters
            )
        # FTS5 hands matches out by rowid, so the newest stored come first and the
        # scan stops as soon as enough are found.
        newest = candidates.order_by(FTS.c.rowid.desc())
        rows: list[Any] = []
        if offset < RANK_LIMIT:
            ranked = newest.limit(RANK_LIMIT).subquery()
            statement = (
                select(ranked.c.rowid, ranked.c.score)
                .order_by(ranked.c.score.desc(), ranked.c.rowid.desc())
                .offset(offset)
                .limit(min(limit, RANK_LIMIT - offset))
            )
            rows += (await session.execute(statement)).all()
        if offset + limit > RANK_LIMIT:
            start = max(offset, RANK_LIMIT)
            rows += (
                await session.execute(newest.offset(start).limit(offset + limit - start))
            ).all()
        rowids = [row.rowid for row in rows]
        statement = select(ARTICLE_ROWID, Article.id).where(ARTICLE_ROWID.in_(rowids))
        ids = dict((await session.execute(statement)).all())
        return [(ids[row.rowid], row.score) for row in rows if row.rowid in ids], None

    async def scores(
        self, session: AsyncSession, query: Query, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, float]:
        # The id index holds the rowids.
        statement = select(ARTICLE_ROWID, Article.id).where(Article.id.in_(ids))
        rowids = dict((await session.execute(statement)).all())
        # One pass over the matches, scoring only these ("+ 0": a rowid looked up in
        # the index one at a time would compute bm25's statistics again for each).
        statement = select(FTS.c.rowid, SCORE).where(
            FTS_INDEX.match(_text_match(query)), (FTS.c.rowid + 0).in_(list(rowids))
        )
        return {rowids[row.rowid]: row.score for row in await session.execute(statement)}

    async def reindex(self, session: AsyncSession) -> str:
        await session.execute(text("INSERT INTO articles_fts (articles_fts) VALUES ('rebuild')"))
        return "Rebuilt the FTS5 index articles_fts from the articles table."
