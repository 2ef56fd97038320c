"""PostgreSQL search: the weighted ``articles.search_vector`` through its GIN index.

The vector is a generated column (see the "search index" migration): title
weight A, summary B, body C, all with the ``english`` configuration. It is
deliberately not mapped on the ORM model, which must never write it.

Matching through the GIN index is cheap; ranking is not (HAZARDS #4):
``ts_rank_cd`` reads every ranked document's whole vector out of TOAST. So
relevance ranks the newest ``RANK_LIMIT`` matches only; older matches follow
them newest first, each still with its score. A query with fewer matches is
ranked whole.

Neither is reading every match: a common word matches a third of the articles,
and each match is a row to read for its date and visibility, and for a phrase
its vector too (the index knows no word positions, so the order of the words
is checked in the vector). So for readers, relevance looks for the newest
matches among the ``WINDOW`` newest articles first (the date index and the GIN
index combined), and widens that window only while it holds too few. When the
window is not every article, ``meta.total`` is an estimate: the matches found
in it, at the rate they came in it, over the time every article spans. It only
ever counts what readers may see, and a search with few matches, which widens
its window to every article, is counted exactly. Editors, whose drafts have no
publication date, have every match read.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    func,
    literal_column,
    select,
    text,
    true,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Article
from app.models.visibility import published_by
from app.search.backends.base import Scope, SearchBackend, date_key
from app.search.query import Query, to_tsquery_sql

T = TypeVar("T")
CONFIG = "english"
RANK_LIMIT = 200
# The newest articles readers may see whose matches are looked at first; a window
# that holds too few matches is widened to hold, at the rate seen, this much more
# than needed.
WINDOW = 1600
WIDEN_MARGIN = 1.25
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


@dataclass(frozen=True, slots=True)
class Window:
    """The articles published since ``since`` (all when ``None``).

    ``oldest`` and ``newest`` are the publication dates of the oldest and newest
    articles readers may see.
    """

    since: datetime | None
    oldest: datetime | None = None
    newest: datetime | None = None

    def spanned(self) -> float:
        """How many windows like this one the articles readers may see span."""
        if self.since is None or self.oldest is None or self.newest is None:
            return 1.0
        if self.newest <= self.since:
            return 1.0
        return (self.newest - self.oldest) / (self.newest - self.since)

    def estimate(self, found: int) -> int:
        """All the matches, from the ``found`` in this window, at the rate they came in it."""
        return max(found, round(found * self.spanned()))


async def _window(session: AsyncSession, scope: Scope, size: int) -> Window:
    """The window of about the ``size`` newest articles readers may see.

    Read from the (status, published_at) index alone; trashed and expired
    articles count in its size.
    """
    dates = select(Article.published_at).where(published_by(scope.now))
    since = dates.order_by(Article.published_at.desc()).offset(size - 1).limit(1)
    oldest = dates.order_by(Article.published_at).limit(1)
    newest = dates.order_by(Article.published_at.desc()).limit(1)
    statement = select(
        since.scalar_subquery().label("since"),
        oldest.scalar_subquery().label("oldest"),
        newest.scalar_subquery().label("newest"),
    )
    row = (await session.execute(statement)).one()
    return Window(since=row.since, oldest=row.oldest, newest=row.newest)


def _wider(window: Window, size: int, found: int, wanted: int) -> int | None:
    """The size of the next window after ``window`` of ``size`` held ``found`` matches.

    Enough for ``wanted`` matches at the rate found; every article (``None``) once
    that is most of them, since finding the date of the oldest in a window walks
    the index up to it.
    """
    wider = max(2 * size, math.ceil(wanted * size / max(found, 1) * WIDEN_MARGIN))
    if found == 0 or 2 * wider >= size * window.spanned():
        return None
    return wider


def _within(tsquery: ColumnElement[Any], scope: Scope, window: Window) -> list[ColumnElement[bool]]:
    within = [_matches(tsquery), scope.readable, *scope.filters]
    if window.since is not None:
        within.append(Article.published_at >= window.since)
    return within


async def _newest(
    session: AsyncSession,
    scope: Scope,
    wanted: int,
    look: Callable[[Window], Awaitable[tuple[T, int | None]]],
) -> tuple[T, int | None]:
    """What ``look`` finds in the first window that holds ``wanted`` matches.

    ``look`` also says how many matches the window holds (``None``: unknown, as
    none was on the page it read). Also the number of matches in all: exact when
    the window is every article, else estimated.
    """
    # Editors' drafts have no publication date to bound a window with.
    size: int | None = None if scope.sees_drafts else WINDOW
    while True:
        window = Window(since=None) if size is None else await _window(session, scope, size)
        found_there, found = await look(window)
        if window.since is None:
            return found_there, found
        if found is not None and found >= wanted:
            return found_there, window.estimate(found)
        size = _wider(window, size or WINDOW, found or 0, wanted)


async def _ranked(
    session: AsyncSession,
    tsquery: ColumnElement[Any],
    scope: Scope,
    window: Window,
    page: tuple[int, int, int],
) -> tuple[list[Any], int | None]:
    """The page (offset, limit, matches wanted) of the matches in ``window``.

    Also how many the window holds: unknown when the page is past them all.
    """
    offset, limit, wanted = page
    key = date_key(sees_drafts=scope.sees_drafts)
    # Every match in the window once, through the GIN index (and the date index
    # for a window): the newest are picked from it and it is counted, in one pass.
    # Materialized, since the planner would rather walk the date index and read
    # each vector to test it, far slower for a common word.
    matching = (
        select(Article.id.label("id"), key.label("published"))
        .where(*_within(tsquery, scope, window))
        .cte("matching")
        .prefix_with("MATERIALIZED")
    )
    counted = select(func.count()).select_from(matching).scalar_subquery()
    total = counted.label("total")
    newest = select(matching.c.id, matching.c.published).order_by(
        matching.c.published.desc(), matching.c.id.desc()
    )
    rows: list[Any] = []
    found: int | None = None
    if offset < RANK_LIMIT:
        chosen = newest.limit(RANK_LIMIT)
        if window.since is not None:
            # A window with too few matches is widened: ranking them would be wasted.
            chosen = chosen.where(counted >= wanted)
        scored = _scored(chosen, tsquery).subquery("scored")
        head = (
            select(scored)
            .order_by(scored.c.score.desc(), scored.c.published.desc(), scored.c.id.desc())
            .offset(offset)
            .limit(min(limit, RANK_LIMIT - offset))
            .subquery("head")
        )
        # The count comes back even with no page to go with it.
        counts = select(total).subquery("counts")
        statement = (
            select(counts.c.total, head.c.id, head.c.score)
            .select_from(counts.outerjoin(head, true()))
            .order_by(head.c.score.desc(), head.c.published.desc(), head.c.id.desc())
        )
        result = (await session.execute(statement)).all()
        found = result[0].total
        rows += [row for row in result if row.id is not None]
    if offset + limit > RANK_LIMIT:
        start = max(offset, RANK_LIMIT)
        tail = _scored(newest.offset(start).limit(offset + limit - start), tsquery)
        statement = tail.add_columns(total).order_by(
            tail.selected_columns.published.desc(), tail.selected_columns.id.desc()
        )
        tail_rows = (await session.execute(statement)).all()
        if tail_rows:
            found = tail_rows[0].total
        rows += tail_rows
    return rows, found


class PostgresBackend(SearchBackend):
    def matches(self, query: Query) -> ColumnElement[bool]:
        return _matches(_tsquery(query))

    @asynccontextmanager
    async def planned(self, session: AsyncSession) -> AsyncIterator[None]:
        # A search's statements are prepared once per connection, and their SQL is
        # the same whatever the words: the generic plan PostgreSQL turns to after
        # five runs cannot tell a rare word from a common one (it read all 17 000
        # matches of a phrase to find its newest 20). Planned for the words at hand.
        await session.execute(text("SET plan_cache_mode = force_custom_plan"))
        yield
        # Not after an error, which may have left the connection unusable; kept, the
        # setting only costs its later statements some planning.
        await session.execute(text("RESET plan_cache_mode"))

    async def rank(
        self, session: AsyncSession, query: Query, *, scope: Scope, offset: int, limit: int
    ) -> tuple[list[tuple[uuid.UUID, float]], int | None]:
        tsquery = _tsquery(query)

        # The newest RANK_LIMIT matches are ranked, and a page past them needs the
        # matches up to its end.
        wanted = max(RANK_LIMIT, offset + limit)

        async def look(window: Window) -> tuple[list[Any], int | None]:
            return await _ranked(session, tsquery, scope, window, (offset, limit, wanted))

        rows, total = await _newest(session, scope, wanted, look)
        return [(row.id, float(row.score)) for row in rows], total

    async def count(self, session: AsyncSession, query: Query, *, scope: Scope) -> int:
        tsquery = _tsquery(query)

        async def look(window: Window) -> tuple[None, int]:
            statement = select(func.count()).where(*_within(tsquery, scope, window))
            return None, await session.scalar(statement.select_from(Article)) or 0

        # The same windows as the first page by relevance: the same total.
        _nothing, total = await _newest(session, scope, RANK_LIMIT, look)
        return total or 0

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
