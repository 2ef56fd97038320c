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

Relevance ranks every match, however old. FTS5's bm25 clamps the weight of a word
found in more than half the articles to 1e-6, so on its own a common word
flattens every score, and its column weights act before bm25 saturates, so a
long story that names a word often in its body can beat one that has it in its
title. The score is therefore built by columns: 0.5 when a query word is in the
title, 0.25 when one is in the summary, plus up to 0.25 for bm25 (title, summary
and body weighted 4, 2, 1 after each saturates, words that common counted with a
weight of 1). Every title match outranks every match without one, and every summary match
every body-only match, whatever the query; scores lie in (0, 1].
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Row,
    Select,
    and_,
    case,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
    union_all,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.models import Article, visibility
from app.search.backends.base import Scope, SearchBackend, date_key, hit_rows, linked
from app.search.query import Query, to_fts5

FTS = table("articles_fts", column("rowid"))
ARTICLES = Article.__table__
# MATCH takes the hidden column named after the table: "search the index".
FTS_INDEX: ColumnElement[str] = literal_column("articles_fts")
ARTICLE_ROWID: ColumnElement[int] = literal_column("articles.rowid")
# bm25 of each text column alone; the state column never scores.
TITLE_BM25 = -func.bm25(FTS_INDEX, 1.0, 0.0, 0.0, 0.0)
SUMMARY_BM25 = -func.bm25(FTS_INDEX, 0.0, 1.0, 0.0, 0.0)
BODY_BM25 = -func.bm25(FTS_INDEX, 0.0, 0.0, 1.0, 0.0)
# What FTS5 gives a word in more than half the articles for its weight (IDF), and
# the bm25 below which every word of the query is one of them.
CLAMPED_IDF = 1e-6
CLAMPED_BELOW = 1e-4


def _scored(statement: Select[Any]) -> Select[Any]:
    """``statement`` over the index, rowid and the column-built score of each row (see above)."""
    columns = statement.add_columns(
        TITLE_BM25.label("title"), SUMMARY_BM25.label("summary"), BODY_BM25.label("body")
    ).subquery("columns")
    title, summary = columns.c.title, columns.c.summary
    weighted = 4.0 * title + 2.0 * summary + columns.c.body
    floored = case((weighted < CLAMPED_BELOW, weighted / CLAMPED_IDF), else_=weighted)
    score = (
        case((title > 0, 0.5), else_=0.0)
        + case((summary > 0, 0.25), else_=0.0)
        + 0.25 * floored / (floored + 1.0)
    )
    return select(columns.c.rowid, score.label("score"))


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


def _spelled_or_linked(query: Query, rowid: ColumnElement[int]) -> list[ColumnElement[bool]]:
    """For each run of ``query`` that names entities: what was typed, or a link to one.

    The entities' other names are in the match expression already.
    """
    conditions = []
    for named in query.widened():
        typed = select(FTS.c.rowid).where(FTS_INDEX.match(_text_match(query.spelled(named))))
        rowids = (
            select(ARTICLE_ROWID)
            .select_from(Article)
            .where(Article.id.in_(linked(named.entity_ids)))
        )
        # "+ 0": for an OR of rowid conditions SQLite would look each up by rowid,
        # and could no longer answer MATCH through the index.
        conditions.append(
            or_((rowid + 0).in_(typed.correlate(None)), (rowid + 0).in_(rowids.correlate(None)))
        )
    return conditions


class SqliteBackend(SearchBackend):
    def matches(self, query: Query) -> ColumnElement[bool]:
        match = ARTICLE_ROWID.in_(select(FTS.c.rowid).where(FTS_INDEX.match(_text_match(query))))
        return and_(match, *_spelled_or_linked(query, ARTICLE_ROWID))

    def _visible(self, query: Query, scope: Scope) -> Select[Any]:
        """The index entries of the matches ``scope`` may see, filters aside."""
        statement = select(FTS.c.rowid).where(
            FTS_INDEX.match(_visible_match(query, scope)), *_spelled_or_linked(query, FTS.c.rowid)
        )
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
        self,
        session: AsyncSession,
        query: Query,
        *,
        scope: Scope,
        offset: int,
        limit: int,
        columns: Sequence[Any],
    ) -> tuple[list[tuple[Row[Any], float]], int | None]:
        visible = self._visible(query, scope)
        if scope.filters:
            visible = visible.join(Article, FTS.c.rowid == ARTICLE_ROWID).where(*scope.filters)
        scored = _scored(visible)
        # Every match is scored from the index alone; only those down to the page's
        # last score (with the ones that tie with it) read their article row, for
        # the date that puts the newer first. The page's own rows are then read
        # for their columns (by rowid, in the same statement).
        every = scored.cte("scored").prefix_with("MATERIALIZED")
        last = (
            select(every.c.score)
            .order_by(every.c.score.desc())
            .offset(offset + limit - 1)
            .limit(1)
            .scalar_subquery()
        )
        total = select(func.count()).select_from(every).scalar_subquery()
        key = date_key(sees_drafts=scope.sees_drafts)
        ranked = (
            select(
                every.c.rowid,
                every.c.score,
                key.label("published"),
                Article.id.label("id"),
                total.label("total"),
            )
            .join_from(every, Article, every.c.rowid == ARTICLE_ROWID)
            .where(every.c.score >= func.coalesce(last, -1.0))
            .order_by(every.c.score.desc(), key.desc(), Article.id.desc())
            .offset(offset)
            .limit(limit)
            .subquery("ranked")
        )
        rows = (await session.execute(hit_rows(ranked, columns, by_rowid=True))).all()
        return [(row, row.score) for row in rows], rows[0].total if rows else None

    async def scores(
        self, session: AsyncSession, query: Query, ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, float]:
        # The id index holds the rowids.
        statement = select(ARTICLE_ROWID, Article.id).where(Article.id.in_(ids))
        rowids = dict((await session.execute(statement)).all())
        # One pass over the matches, scoring only these ("+ 0": a rowid looked up in
        # the index one at a time would compute bm25's statistics again for each).
        statement = _scored(
            select(FTS.c.rowid).where(
                FTS_INDEX.match(_text_match(query)), (FTS.c.rowid + 0).in_(list(rowids))
            )
        )
        return {rowids[row.rowid]: row.score for row in await session.execute(statement)}

    async def reindex(self, session: AsyncSession) -> str:
        await session.execute(text("INSERT INTO articles_fts (articles_fts) VALUES ('rebuild')"))
        return "Rebuilt the FTS5 index articles_fts from the articles table."

    async def drop_index(self, session: AsyncSession) -> None:
        """Nothing to leave out: the FTS5 table is kept by its triggers, row by row."""

    async def build_index(self, engine: AsyncEngine) -> bool:
        """Nothing to build: the FTS5 table is always there."""
        return False
