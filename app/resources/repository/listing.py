"""Pages of resources in a total order, read in SQL (keyset) or by counts kept in memory."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import invalid
from app.core.listing import by_int_id, sorted_page
from app.core.pagination import Page, decode_cursor, encode_cursor
from app.core.schemas import parse_utc


async def keyset_page(
    session: AsyncSession,
    model: type[Any],
    *,
    columns: Sequence[Any],
    where: Sequence[ColumnElement[bool]],
    sort: str,
    key: Any,
    descending: bool,
    page: Page,
    total: int | None = None,
) -> tuple[list[Any], int, str | None]:
    """One page of ``columns`` ordered by ``key`` then id, the total, and the next cursor.

    ``key`` is a never-NULL expression, labelled ``sort_key`` among ``columns`` so
    the cursor can carry its value; ids break ties, so the order is total. A caller
    that can count more cheaply than ``where`` allows passes ``total``.
    """
    condition = and_(true(), *where)
    if total is None:
        total = await session.scalar(select(func.count()).select_from(model).where(condition)) or 0
    statement = select(*columns).where(condition)
    if page.cursor is not None:
        raw_value, raw_id = decode_cursor(page.cursor, sort, 2)
        try:
            last_id = uuid.UUID(str(raw_id))
            value = _cursor_value(key, raw_value)
        except (ValueError, TypeError):
            raise invalid(["query", "cursor"], "The cursor is not valid.") from None
        if descending:
            statement = statement.where(or_(key < value, and_(key == value, model.id < last_id)))
        else:
            statement = statement.where(or_(key > value, and_(key == value, model.id > last_id)))
    order = (key.desc(), model.id.desc()) if descending else (key.asc(), model.id.asc())
    statement = statement.order_by(*order).limit(page.limit + 1)
    if page.cursor is None and page.offset:
        statement = statement.offset(page.offset)
    rows = list((await session.execute(statement)).all())
    next_cursor = None
    if len(rows) > page.limit:
        rows = rows[: page.limit]
        last = rows[-1]
        value = last.sort_key
        next_cursor = encode_cursor(
            sort, [value.isoformat() if isinstance(value, datetime) else value, str(last.id)]
        )
    return rows, total, next_cursor


async def listed_ids(
    session: AsyncSession, model: type[Any], where: Sequence[ColumnElement[bool]]
) -> list[uuid.UUID]:
    return list((await session.scalars(select(model.id).where(*where))).all())


async def rows_by_ids(
    session: AsyncSession, model: type[Any], columns: Sequence[Any], ids: Sequence[uuid.UUID]
) -> list[Any]:
    """The rows of these items, in the order given."""
    if not ids:
        return []
    rows = {row.id: row for row in await session.execute(select(*columns).where(model.id.in_(ids)))}
    return [rows[i] for i in ids if i in rows]


async def count_sorted_page(
    session: AsyncSession,
    model: type[Any],
    *,
    columns: Sequence[Any],
    where: Sequence[ColumnElement[bool]],
    counts: dict[uuid.UUID, int],
    sort: str,
    page: Page,
) -> tuple[list[Any], int, str | None]:
    """A page of the listed items, most published articles first, from counts kept in
    memory (``articles.repository.link_counts``) rather than counted per row; the total,
    the next cursor."""
    listed = sorted(
        ((counts.get(i, 0), i) for i in await listed_ids(session, model, where)), key=by_int_id
    )
    ids, next_cursor = sorted_page(listed, sort=sort, page=page)
    return await rows_by_ids(session, model, columns, ids), len(listed), next_cursor


def _cursor_value(key: Any, raw: Any) -> Any:
    python_type = key.type.python_type
    if python_type is datetime:
        return parse_utc(str(raw))
    if not isinstance(raw, python_type):
        raise TypeError("cursor value of the wrong type")
    return raw


def escape_like(text: str) -> str:
    """Match ``text`` literally inside a LIKE pattern (with ``escape="\\"``)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
