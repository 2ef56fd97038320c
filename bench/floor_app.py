"""The bare floor: Lede's four hot read shapes with nothing but a driver and hand-written SQL.

Starlette, asyncpg (or aiosqlite), orjson; no ORM, no validation, no middleware, no
totals, no highlights. ``bench.bench_http`` runs it beside Lede on the same data to
show what the framework, the ORM and Lede's features cost per request::

    FLOOR_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/lede_bench_100000 \\
        .venv/bin/uvicorn bench.floor_app:app --port 8002 --log-level warning --no-access-log

Routes (the same paths as Lede, so one wrk script drives both):

- ``GET /v1/articles?limit=20``: the newest published articles, list fields, with
  their tags and entities (three queries: page, tags, mentions);
- ``GET /v1/articles/{slug}``: one article with bodies, tags and entities, tagged
  ``"<id>-<version>"`` like Lede; an ``If-None-Match`` that matches answers 304
  after a one-row version look-up;
- ``GET /v1/search?q=…``: plain words, all required (``plainto_tsquery`` ranked
  by ``ts_rank_cd`` on PostgreSQL, quoted terms ranked by ``bm25`` in FTS5 on
  SQLite), top 20 with list fields; 404 when the search index is not there.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, Protocol

import aiosqlite
import asyncpg
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

PAGE = 20
LIST_COLUMNS = (
    "id", "slug", "title", "summary", "authors", "section", "language", "status", "published_at",
    "canonical_url", "source", "image", "word_count", "reading_time_minutes", "version",
    "created_at", "updated_at",
)  # fmt: skip
DETAIL_COLUMNS = (*LIST_COLUMNS[:4], "body_html", "body_text", *LIST_COLUMNS[4:])
JSON_COLUMNS = ("authors", "image")
# asyncpg decodes uuid and jsonb into objects; as text they go out as they came in.
PG_AS_TEXT = frozenset({"id", *JSON_COLUMNS})

Row = dict[str, Any]


def visible(now: str, table: str = "") -> str:
    return (
        f"{table}status = 'published' AND {table}published_at <= {now} "
        f"AND {table}deleted_at IS NULL"
    )


def pg_columns(columns: Sequence[str]) -> str:
    return ", ".join(f"{c}::text AS {c}" if c in PG_AS_TEXT else c for c in columns)


class Store(Protocol):
    async def newest(self, limit: int) -> list[Row]: ...
    async def article(self, slug: str) -> Row | None: ...
    async def version(self, slug: str) -> tuple[str, int] | None: ...
    async def search(self, text: str, limit: int) -> list[Row] | None: ...
    async def close(self) -> None: ...


def _first_start(spans: str) -> int:
    """Where the first of the spans ``[[start, end], …]`` starts, read without parsing JSON."""
    head = spans.lstrip("[ ").split(",", 1)[0].strip()
    return int(head) if head.isdigit() else 1 << 30


def _attach(articles: list[Row], tags: Sequence[Any], mentions: Sequence[Any]) -> list[Row]:
    """Put each article's tags (in position order) and entities (by first mention) on it."""
    by_id = {a["id"]: a for a in articles}
    found: dict[str, list[tuple[int, str, Row]]] = {a["id"]: [] for a in articles}
    for a in articles:
        a["tags"] = []
    for article_id, tag_id, slug, name in tags:
        by_id[article_id]["tags"].append({"id": tag_id, "slug": slug, "name": name})
    for article_id, entity_id, slug, name, kind, count, spans, source in mentions:
        mention = {
            "entity": {"id": entity_id, "slug": slug, "name": name, "type": kind},
            "count": count,
            "spans": orjson.Fragment(spans),
            "source": source,
        }
        found[article_id].append((_first_start(spans), name, mention))
    for a in articles:
        a["entities"] = [m for _, _, m in sorted(found[a["id"]], key=lambda f: f[:2])]
    return articles


TAGS_SQL = (
    "SELECT l.article_id{cast}, t.id{cast}, t.slug, t.name FROM article_tags l "
    "JOIN tags t ON t.id = l.tag_id WHERE l.article_id {within} ORDER BY l.position"
)
MENTIONS_SQL = (
    "SELECT m.article_id{cast}, e.id{cast}, e.slug, e.name, e.type, m.count, m.spans{text}, "
    "m.source FROM mentions m JOIN entities e ON e.id = m.entity_id WHERE m.article_id {within}"
)


class PostgresStore:
    def __init__(self, pool: Any) -> None:
        self.pool = pool

    @classmethod
    async def open(cls, url: str) -> PostgresStore:
        pool = await asyncpg.create_pool(url, min_size=8, max_size=8)
        return cls(pool)

    @staticmethod
    def _row(record: Any) -> Row:
        row = dict(record)
        for name in JSON_COLUMNS:
            row[name] = orjson.Fragment(row[name]) if row[name] is not None else None
        return row

    async def _with_links(self, connection: Any, rows: list[Row]) -> list[Row]:
        ids = [r["id"] for r in rows]
        within = "= ANY($1::uuid[])"
        tags = await connection.fetch(TAGS_SQL.format(cast="::text", within=within), ids)
        mentions = await connection.fetch(
            MENTIONS_SQL.format(cast="::text", text="::text", within=within), ids
        )
        return _attach(rows, tags, mentions)

    async def newest(self, limit: int) -> list[Row]:
        async with self.pool.acquire() as connection:
            records = await connection.fetch(
                f"SELECT {pg_columns(LIST_COLUMNS)} FROM articles "
                f"WHERE {visible('$1')} ORDER BY published_at DESC, articles.id DESC LIMIT $2",
                datetime.now(UTC),
                limit,
            )
            return await self._with_links(connection, [self._row(r) for r in records])

    async def article(self, slug: str) -> Row | None:
        async with self.pool.acquire() as connection:
            record = await connection.fetchrow(
                f"SELECT {pg_columns(DETAIL_COLUMNS)} FROM articles "
                f"WHERE slug = $1 AND {visible('$2')}",
                slug,
                datetime.now(UTC),
            )
            if record is None:
                return None
            return (await self._with_links(connection, [self._row(record)]))[0]

    async def version(self, slug: str) -> tuple[str, int] | None:
        async with self.pool.acquire() as connection:
            record = await connection.fetchrow(
                f"SELECT id::text, version FROM articles WHERE slug = $1 AND {visible('$2')}",
                slug,
                datetime.now(UTC),
            )
            return None if record is None else (record[0], record[1])

    async def search(self, text: str, limit: int) -> list[Row] | None:
        async with self.pool.acquire() as connection:
            if not await connection.fetchval(
                "SELECT 1 FROM information_schema.columns "
                "WHERE table_name = 'articles' AND column_name = 'search_vector'"
            ):
                return None
            records = await connection.fetch(
                f"SELECT {pg_columns(LIST_COLUMNS)}, ts_rank_cd(search_vector, query) AS score "
                "FROM articles, plainto_tsquery('english', $1) AS query "
                f"WHERE search_vector @@ query AND {visible('$2')} "
                "ORDER BY score DESC, articles.id LIMIT $3",
                text,
                datetime.now(UTC),
                limit,
            )
            return await self._with_links(connection, [self._row(r) for r in records])

    async def close(self) -> None:
        await self.pool.close()


def _uuid(hex_id: str) -> str:
    # SQLAlchemy's Uuid type stores 32 hex digits on SQLite.
    h = hex_id
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _sqlite_time(value: str | None) -> str | None:
    # Stored as naive UTC "YYYY-MM-DD HH:MM:SS.ffffff"; Lede answers RFC 3339.
    if value is None:
        return None
    return value[:19].replace(" ", "T") + "Z"


class SQLiteStore:
    """A few connections, each on its own aiosqlite thread, handed out by a queue."""

    def __init__(self, connections: list[aiosqlite.Connection]) -> None:
        self.connections = connections
        self.free: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        for connection in connections:
            self.free.put_nowait(connection)

    @classmethod
    async def open(cls, path: str, size: int = 4) -> SQLiteStore:
        connections = []
        for _ in range(size):
            connection = await aiosqlite.connect(path)
            await connection.execute("PRAGMA query_only = ON")
            connections.append(connection)
        return cls(connections)

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[aiosqlite.Connection]:
        connection = await self.free.get()
        try:
            yield connection
        finally:
            self.free.put_nowait(connection)

    @staticmethod
    def _now() -> str:
        return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    @staticmethod
    def _row(names: Sequence[str], values: Sequence[Any]) -> Row:
        row = dict(zip(names, values, strict=True))
        row["id"] = _uuid(row["id"])
        for name in ("published_at", "created_at", "updated_at"):
            row[name] = _sqlite_time(row[name])
        for name in JSON_COLUMNS:
            row[name] = orjson.Fragment(row[name]) if row[name] is not None else None
        return row

    async def _rows(self, connection: aiosqlite.Connection, sql: str, *args: Any) -> list[Row]:
        async with connection.execute(sql, args) as cursor:
            names = [d[0] for d in cursor.description]
            return [self._row(names, values) for values in await cursor.fetchall()]

    async def _with_links(self, connection: aiosqlite.Connection, rows: list[Row]) -> list[Row]:
        if not rows:
            return rows
        ids = [r["id"].replace("-", "") for r in rows]
        within = f"IN ({', '.join('?' * len(ids))})"
        tags = await connection.execute_fetchall(TAGS_SQL.format(cast="", within=within), ids)
        mentions = await connection.execute_fetchall(
            MENTIONS_SQL.format(cast="", text="", within=within), ids
        )
        return _attach(
            rows,
            [(_uuid(a), _uuid(t), slug, name) for a, t, slug, name in tags],
            [(_uuid(a), _uuid(e), *rest) for a, e, *rest in mentions],
        )

    async def newest(self, limit: int) -> list[Row]:
        async with self._connection() as connection:
            rows = await self._rows(
                connection,
                f"SELECT {', '.join(LIST_COLUMNS)} FROM articles WHERE {visible('?')} "
                "ORDER BY published_at DESC, articles.id DESC LIMIT ?",
                self._now(),
                limit,
            )
            return await self._with_links(connection, rows)

    async def article(self, slug: str) -> Row | None:
        async with self._connection() as connection:
            rows = await self._rows(
                connection,
                f"SELECT {', '.join(DETAIL_COLUMNS)} FROM articles WHERE slug = ? "
                f"AND {visible('?')}",
                slug,
                self._now(),
            )
            return (await self._with_links(connection, rows))[0] if rows else None

    async def version(self, slug: str) -> tuple[str, int] | None:
        async with self._connection() as connection:
            found = list(
                await connection.execute_fetchall(
                    f"SELECT id, version FROM articles WHERE slug = ? AND {visible('?')}",
                    (slug, self._now()),
                )
            )
            return (_uuid(found[0][0]), found[0][1]) if found else None

    async def search(self, text: str, limit: int) -> list[Row] | None:
        terms = " ".join('"' + word.replace('"', '""') + '"' for word in text.split())
        async with self._connection() as connection:
            has_index = await connection.execute_fetchall(
                "SELECT 1 FROM sqlite_master WHERE name = 'articles_fts'"
            )
            if not list(has_index):
                return None
            if not terms:
                return []
            columns = ", ".join(f"a.{c}" for c in LIST_COLUMNS)
            rows = await self._rows(
                connection,
                f"SELECT {columns}, -bm25(articles_fts, 10.0, 5.0, 1.0) AS score "
                "FROM articles_fts JOIN articles AS a ON a.rowid = articles_fts.rowid "
                f"WHERE articles_fts MATCH ? AND {visible('?', 'a.')} "
                "ORDER BY bm25(articles_fts, 10.0, 5.0, 1.0) LIMIT ?",
                terms,
                self._now(),
                limit,
            )
            return await self._with_links(connection, rows)

    async def close(self) -> None:
        for connection in self.connections:
            await connection.close()


def _json(content: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(content, option=orjson.OPT_UTC_Z),
        status_code=status_code,
        headers=headers,
        media_type="application/json",
    )


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


async def list_articles(request: Request) -> Response:
    limit = min(int(request.query_params.get("limit", PAGE)), 100)
    return _json({"data": await _store(request).newest(limit)})


async def get_article(request: Request) -> Response:
    slug = request.path_params["slug"]
    store = _store(request)
    seen = request.headers.get("if-none-match")
    if seen is not None:
        current = await store.version(slug)
        if current is not None and seen == f'"{current[0]}-{current[1]}"':
            return Response(status_code=304, headers={"ETag": seen})
    article = await store.article(slug)
    if article is None:
        return _json({"status": 404}, 404)
    return _json(article, headers={"ETag": f'"{article["id"]}-{article["version"]}"'})


async def search_articles(request: Request) -> Response:
    hits = await _store(request).search(request.query_params.get("q", ""), PAGE)
    if hits is None:
        return _json({"status": 404, "detail": "no search index"}, 404)
    return _json({"data": hits})


async def healthz(_request: Request) -> Response:
    return Response(b"ok")


async def open_store(url: str) -> Store:
    if url.startswith("sqlite"):
        return await SQLiteStore.open(url.split(":///", 1)[1])
    return await PostgresStore.open(url.replace("postgresql+asyncpg://", "postgresql://"))


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    app.state.store = await open_store(os.environ["FLOOR_DATABASE_URL"])
    try:
        yield
    finally:
        await app.state.store.close()


app = Starlette(
    routes=[
        Route("/v1/articles", list_articles),
        Route("/v1/articles/{slug}", get_article),
        Route("/v1/search", search_articles),
        Route("/healthz", healthz),
    ],
    lifespan=lifespan,
)
