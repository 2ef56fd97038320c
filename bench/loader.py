"""Load a generated corpus straight into Lede's tables, fast, for read benchmarks.

``python -m bench.bench_import`` measures the import path the API runs; read
benchmarks only need the rows that path would leave behind, and need 100 000
of them in minutes. So this module derives them the way the write path does
(``render_body``, ``derive_summary``, ``count_words``, slugs with ``-2``
suffixes, folded tag, author and entity names, automatic mentions with spans into
``body_text``) and bulk-inserts them with SQLAlchemy Core, one transaction per
batch, into a database already migrated to head. The stories are generated in
a child process while the parent inserts the previous batch, so the two cores
work at once.

It loads ``bench.corpus`` by default, or a corpus written as NDJSON files
(``stem=``): ``<stem>.ndjson`` stories and ``<stem>.entities.ndjson``
entities, as the shared yardstick's ``corpus.py`` writes them, with plain-text
bodies.

What it leaves out: revisions, the change feed and slug redirects (a fresh
import has none worth reading), and the ``manual`` mention source.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from pathlib import Path
from queue import Empty
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.articles.content import count_words, derive_summary, reading_time_minutes, render_body
from app.core.config import async_database_url
from app.core.slugs import fold_name, make_slug
from app.linking.matcher import EntityMatcher
from app.models import Base
from bench.corpus import DEFAULT_ENTITY_COUNT, REFERENCE_TIME, iter_articles, make_entities

ROWS_PER_STATEMENT = 500
_CREATED = datetime.fromtimestamp(REFERENCE_TIME, UTC)


@dataclass(slots=True)
class Batch:
    """Rows for each table; the tables are inserted in this field order (foreign keys)."""

    entities: list[dict[str, Any]] = field(default_factory=list)
    entity_names: list[dict[str, Any]] = field(default_factory=list)
    tags: list[dict[str, Any]] = field(default_factory=list)
    authors: list[dict[str, Any]] = field(default_factory=list)
    articles: list[dict[str, Any]] = field(default_factory=list)
    article_tags: list[dict[str, Any]] = field(default_factory=list)
    article_authors: list[dict[str, Any]] = field(default_factory=list)
    mentions: list[dict[str, Any]] = field(default_factory=list)


TABLES: tuple[tuple[str, Table], ...] = tuple(
    (name, Base.metadata.tables[name])
    for name in (
        "entities",
        "entity_names",
        "tags",
        "authors",
        "articles",
        "article_tags",
        "article_authors",
        "mentions",
    )
)


@dataclass(slots=True)
class Loaded:
    counts: dict[str, int]
    seconds: float

    def line(self) -> str:
        counts = ", ".join(f"{name} {count:,}" for name, count in self.counts.items())
        return f"loaded {counts} in {self.seconds:.1f} s"


class _Slugs:
    """``base``, ``base-2``, ``base-3``… as ``allocate_slugs`` hands them out."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}

    def take(self, base: str) -> str:
        base = base[:192].rstrip("-")
        n = self._next.get(base, 1)
        self._next[base] = n + 1
        return base if n == 1 else f"{base}-{n}"


def _entity_rows(batch: Batch, payloads: list[dict[str, Any]]) -> EntityMatcher:
    slugs = _Slugs()
    entries: list[tuple[str, list[str]]] = []
    for payload in payloads:
        entity_id = uuid.uuid4()
        name = payload["name"]
        aliases = [a for a in dict.fromkeys(payload.get("aliases", [])) if a != name]
        batch.entities.append(
            {
                "id": entity_id,
                "slug": slugs.take(make_slug(name, fallback="entity")),
                "name": name,
                "type": payload["type"],
                "aliases": aliases,
                "description": payload.get("description"),
                "external_ids": payload.get("external_ids", {}),
                "version": 1,
                "created_at": _CREATED,
                "updated_at": _CREATED,
                "deleted_at": None,
                # As if made through their own endpoint: public at once.
                "public_from": _CREATED,
            }
        )
        keys: set[str] = set()
        for i, written in enumerate([name, *aliases]):
            key = fold_name(written)
            if key and key not in keys:
                keys.add(key)
                batch.entity_names.append(
                    {"entity_id": entity_id, "name_key": key, "name": written, "is_alias": i > 0}
                )
        entries.append((str(entity_id), [name, *aliases]))
    return EntityMatcher.build(entries)


class _RowMaker:
    def __init__(self, matcher: EntityMatcher) -> None:
        self.matcher = matcher
        self.article_slugs = _Slugs()
        self.tags = _Named("tags", "tag", {"description": None})
        self.authors = _Named(
            "authors", "author", {"bio": None, "image_url": None, "job_title": None, "urls": []}
        )

    def add(self, batch: Batch, payload: dict[str, Any]) -> None:
        article_id = uuid.uuid4()
        rendered = render_body(payload["body"], payload.get("body_format", "html"))
        summary = payload.get("summary")
        derived = summary is None
        if derived:
            summary = derive_summary(rendered.text)
        words = count_words(rendered.text)
        published = payload.get("published_at")
        published_at = datetime.fromisoformat(published) if published else None
        created = min(published_at, _CREATED) if published_at else _CREATED
        batch.articles.append(
            {
                "id": article_id,
                "slug": self.article_slugs.take(make_slug(payload["title"], fallback="article")),
                "title": payload["title"],
                "summary": summary,
                "summary_derived": derived and summary is not None,
                "body": payload["body"],
                "body_format": payload.get("body_format", "html"),
                "body_html": rendered.html,
                "body_text": rendered.text,
                "authors": payload.get("authors", []),
                "section": payload.get("section"),
                "language": payload.get("language", "en"),
                "status": payload.get("status", "draft"),
                "published_at": published_at,
                "canonical_url": payload.get("canonical_url"),
                "source": payload.get("source"),
                "image": payload.get("image"),
                "word_count": words,
                "reading_time_minutes": reading_time_minutes(words),
                "updated_by": "bench",
                "version": 1,
                "created_at": created,
                "updated_at": created,
                "deleted_at": None,
            }
        )
        for position, tag_id in enumerate(self.tags.ids(batch, payload.get("tags", []))):
            batch.article_tags.append(
                {"article_id": article_id, "tag_id": tag_id, "position": position}
            )
        for position, author_id in enumerate(self.authors.ids(batch, payload.get("authors", []))):
            batch.article_authors.append(
                {"article_id": article_id, "author_id": author_id, "position": position}
            )
        spans: dict[str, list[list[int]]] = {}
        for match in self.matcher.find(rendered.text):
            spans.setdefault(match.entity_id, []).append([match.start, match.end])
        # Like the write path: a name met only in the title or an editor's summary
        # still links its entity, with no span in the body.
        for text in (payload["title"], "" if derived else summary or ""):
            for match in self.matcher.find(text):
                spans.setdefault(match.entity_id, [])
        batch.mentions += [
            {
                "article_id": article_id,
                "entity_id": uuid.UUID(entity_id),
                "source": "auto",
                "count": len(found),
                "spans": found,
            }
            for entity_id, found in spans.items()
        ]


class _Named:
    """Tags or authors, met by name: one row for each name, whatever its case and accents."""

    def __init__(self, table: str, fallback: str, extra: dict[str, Any]) -> None:
        self.table = table
        self.fallback = fallback
        self.extra = extra
        self.slugs = _Slugs()
        self.known: dict[str, uuid.UUID] = {}

    def ids(self, batch: Batch, names: list[str]) -> list[uuid.UUID]:
        ids: list[uuid.UUID] = []
        for written in names:
            name = " ".join(written.split())
            key = fold_name(name)
            row_id = self.known.get(key)
            if row_id is None:
                row_id = self.known[key] = uuid.uuid4()
                getattr(batch, self.table).append(
                    {
                        "id": row_id,
                        "slug": self.slugs.take(make_slug(name, fallback=self.fallback)),
                        "name": name,
                        "name_key": key,
                        **self.extra,
                        "version": 1,
                        "created_at": _CREATED,
                        "updated_at": _CREATED,
                        "deleted_at": None,
                        "public_from": _CREATED,
                    }
                )
            if row_id not in ids:
                ids.append(row_id)
        return ids


def iter_batches(
    articles: int,
    *,
    entities: int = DEFAULT_ENTITY_COUNT,
    seed: int = 42,
    batch_size: int = 1000,
    stem: str | None = None,
) -> Iterator[Batch]:
    """The corpus as table rows; the entities come in the first batch.

    ``bench.corpus`` generates it, or, with ``stem``, it is read from NDJSON files.
    """
    if stem is None:
        entity_payloads = make_entities(entities, seed=seed)
        stories: Iterable[dict[str, Any]] = iter_articles(
            articles, seed=seed, entities=entity_payloads
        )
    else:
        entity_payloads = list(_read_ndjson(Path(f"{stem}.entities.ndjson")))
        stories = islice(_read_ndjson(Path(f"{stem}.ndjson"), body_format="text"), articles)
    batch = Batch()
    maker = _RowMaker(_entity_rows(batch, entity_payloads))
    for payload in stories:
        maker.add(batch, payload)
        if len(batch.articles) >= batch_size:
            yield batch
            batch = Batch()
    if batch.articles or batch.entities:
        yield batch


def _read_ndjson(path: Path, **defaults: Any) -> Iterator[dict[str, Any]]:
    with path.open() as lines:
        for line in lines:
            yield defaults | json.loads(line)


def _produce(
    queue: Queue[Batch | None],
    articles: int,
    entities: int,
    seed: int,
    size: int,
    stem: str | None,
) -> None:
    for batch in iter_batches(articles, entities=entities, seed=seed, batch_size=size, stem=stem):
        queue.put(batch)
    queue.put(None)


def _next(queue: Queue[Batch | None], producer: BaseProcess) -> Batch | None:
    """The next batch, or an error as soon as the producer dies without sending one."""
    while True:
        try:
            return queue.get(timeout=1)
        except Empty:
            if not producer.is_alive():
                raise RuntimeError(
                    f"the corpus generator stopped (exit code {producer.exitcode})"
                ) from None


async def _insert(engine: AsyncEngine, batch: Batch, counts: dict[str, int]) -> None:
    async with engine.begin() as connection:
        for name, table in TABLES:
            rows: list[dict[str, Any]] = getattr(batch, name)
            for start in range(0, len(rows), ROWS_PER_STATEMENT):
                await connection.execute(insert(table), rows[start : start + ROWS_PER_STATEMENT])
            counts[name] = counts.get(name, 0) + len(rows)


async def load_corpus(
    database_url: str,
    *,
    articles: int,
    entities: int = DEFAULT_ENTITY_COUNT,
    seed: int = 42,
    batch_size: int = 1000,
    on_batch: Callable[[int], None] | None = None,
    stem: str | None = None,
) -> Loaded:
    """Insert ``articles`` stories and their entities into a migrated database.

    Generated (``entities`` of them), or read from the NDJSON files of ``stem``
    (see ``iter_batches``). ``on_batch`` is told the number of articles inserted so
    far after each batch.
    """
    started = time.perf_counter()
    context = multiprocessing.get_context("spawn")
    queue: Queue[Batch | None] = context.Queue(maxsize=4)
    producer = context.Process(
        target=_produce, args=(queue, articles, entities, seed, batch_size, stem), daemon=True
    )
    producer.start()
    engine = create_async_engine(async_database_url(database_url))
    counts: dict[str, int] = {}
    try:
        while (batch := await asyncio.to_thread(_next, queue, producer)) is not None:
            await _insert(engine, batch, counts)
            if on_batch is not None:
                on_batch(counts["articles"])
    finally:
        await engine.dispose()
        producer.join(timeout=5)
        if producer.is_alive():
            producer.terminate()
    return Loaded(counts, time.perf_counter() - started)
