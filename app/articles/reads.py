"""Article reads as plain rows: the shown columns, then tags and entities in one query each.

Lists and single articles are what every page view asks for; building ORM
objects for them cost more than the queries did. Writes still answer with
loaded articles (``queries.to_dict``); both give the same JSON.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from app.articles.repository import LINKED, hot_reads

FIRST_OF_NONE = 1 << 30


def mention_order(spans: Sequence[Sequence[int]], name: str) -> tuple[int, str]:
    """Entities in the order the body first mentions them; those it does not, last, by name."""
    return (spans[0][0] if spans else FIRST_OF_NONE), name


@lru_cache(maxsize=256)
def _plan(fields: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...], int, int], ...]:
    """``fields`` as runs, in order: a linked field ("tags", "bylines"…) alone, or
    ("", names, start, end) for the column values ``row[start:end]``."""
    runs: list[tuple[str, tuple[str, ...], int, int]] = []
    end = 1
    for name in fields:
        if name in LINKED:
            runs.append((name, (), 0, 0))
        elif runs and not runs[-1][0]:
            _, names, start, _ = runs[-1]
            end += 1
            runs[-1] = ("", (*names, name), start, end)
        else:
            runs.append(("", (name,), end, end + 1))
            end += 1
    return tuple(runs)


async def shape(
    session: AsyncSession, rows: Sequence[Row[Any]], fields: tuple[str, ...]
) -> list[dict[str, Any]]:
    """The public shape of each row, limited to ``fields``, with its tags and entities.

    ``rows`` carry ``id`` first, then the columns of the other fields in order (and
    may carry more after them). Keys come in the order of ``fields``, as
    ``queries.to_dict`` puts them.
    """
    if not LINKED.intersection(fields):
        return [dict(zip(fields, row[1:], strict=False)) for row in rows]
    ids = [row[0] for row in rows]
    tags: dict[uuid.UUID, list[dict[str, Any]]] = {i: [] for i in ids}
    bylines: dict[uuid.UUID, list[dict[str, Any]]] = {i: [] for i in ids}
    found: dict[uuid.UUID, list[tuple[tuple[int, str], dict[str, Any]]]] = {i: [] for i in ids}
    lists = {"tags": tags, "bylines": bylines}
    wanted = LINKED.intersection(fields)
    for row in await hot_reads.linked_rows(session, ids, wanted) if ids else ():
        field, article_id, item_id, slug, name, _position, kind, count, spans_json, *rest = row
        if field != "entities":
            lists[field][article_id].append({"id": item_id, "slug": slug, "name": name})
            continue
        spans = orjson.loads(spans_json)
        mention = {
            "entity": {"id": item_id, "slug": slug, "name": name, "type": kind},
            "count": count,
            "spans": spans,
            "source": rest[0],
            "salience": rest[1],
            "score": rest[2],
        }
        found[article_id].append((mention_order(spans, name), mention))
    plan = _plan(fields)
    items = []
    for row in rows:
        article_id = row[0]
        item: dict[str, Any] = {}
        for linked, names, start, end in plan:
            if linked == "tags":
                item["tags"] = tags[article_id]
            elif linked == "bylines":
                item["bylines"] = bylines[article_id]
            elif linked:
                item["entities"] = [m for _, m in sorted(found[article_id], key=_first)]
            else:
                item.update(zip(names, row[start:end], strict=True))
        items.append(item)
    return items


def _first(pair: tuple[tuple[int, str], dict[str, Any]]) -> tuple[int, str]:
    return pair[0]


@dataclass(frozen=True, slots=True)
class Rendered:
    """A rendered read: the JSON, its entity tag and headers, and when it stops being true."""

    body: bytes
    etag: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Document:
    """Another rendering of an article's public shape (JSON-LD, ninjs), read as the JSON is.

    ``key`` names what else the rendering depends on (the site's address…);
    ``shows_trash`` lets editors read it for a trashed article too.
    """

    key: Hashable
    media_type: str
    render: Callable[[dict[str, Any]], Awaitable[Rendered]]
    shows_trash: bool = False
