"""Articles in and out in bulk: POST /v1/articles:bulk, and the upsert and export behind the CLI."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain, islice
from types import SimpleNamespace
from typing import IO, Any, Literal

import orjson
from fastapi import APIRouter, Request
from pydantic import BaseModel, ValidationError
from sqlalchemy import or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.background import BackgroundTask
from starlette.responses import Response

from app.articles import mentions, repository, service, versions
from app.articles.repository import ARTICLES
from app.articles.schemas import ArticleCreate
from app.core.clock import utcnow
from app.core.db import Database, DatabaseDep, SessionDep
from app.core.deps import NowDep
from app.core.errors import (
    Conflict,
    Problem,
    ProblemError,
    UnsupportedMediaType,
    field_error,
    invalid,
    problem_body,
    problem_responses,
)
from app.core.http import dumps
from app.core.idempotency import IdempotencyDep
from app.core.repository import Precondition
from app.core.security import EditorDep, Principal
from app.core.slugs import fold_name, make_slug
from app.linking import service as linking_service
from app.linking.deps import LinkOptionsDep
from app.linking.service import LinkOptions
from app.models import Article
from app.search import index as search_index
from app.tags import repository as tags_repository

router = APIRouter(prefix="/v1", tags=["articles"])

MAX_ITEMS = 1000
NDJSON_TYPES = frozenset({"application/x-ndjson", "application/jsonl"})
# Upserts replace whole articles, as PUT does; there is no ETag per item to check.
NO_PRECONDITION = Precondition(tags=None, required=False)
_UTF8_BOM = b"\xef\xbb\xbf"

ItemStatus = Literal["created", "updated", "unchanged", "error"]


@dataclass(frozen=True, slots=True)
class RawItem:
    """One article as read from the input; ``line`` is its NDJSON line number."""

    value: Any
    line: int | None = None
    error: str | None = None


@dataclass(slots=True)
class ItemResult:
    index: int
    status: ItemStatus
    line: int | None = None
    id: uuid.UUID | None = None
    slug: str | None = None
    version: int | None = None
    problem: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "status": self.status,
            "id": self.id,
            "slug": self.slug,
            "version": self.version,
            "problem": self.problem,
        }


@dataclass(slots=True)
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    rejected: list[ItemResult] = field(default_factory=list)

    def add(self, results: Iterable[ItemResult]) -> None:
        for result in results:
            if result.status == "error":
                self.failed += 1
                self.rejected.append(result)
            else:
                setattr(self, result.status, getattr(self, result.status) + 1)

    @property
    def written(self) -> int:
        return self.created + self.updated

    def counts(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": self.failed,
        }


# Written articles after which the planner's statistics are refreshed: enough
# to change how the tables are best read.
ANALYZE_AFTER = 500
# A bulk request is written STEP items at a time, and what is written is
# committed every COMMIT_EVERY items or COMMIT_SECONDS, whichever comes first:
# other writers wait for a fraction of a second, however busy the machine.
STEP = 5
COMMIT_EVERY = 20
COMMIT_SECONDS = 0.5
# On SQLite a bulk request steps aside this long after each commit: writers in
# other processes wait in SQLite's busy handler, which tries again at most
# every 100 ms, and would otherwise rarely find the lock free.
SQLITE_STEP_ASIDE_SECONDS = 0.1

# Reading ---------------------------------------------------------------------


def parse_ndjson(lines: Iterable[bytes]) -> Iterator[RawItem]:
    """One item per non-blank line; a line that is not JSON becomes an item in error."""
    for number, line in enumerate(lines, start=1):
        if number == 1:
            line = line.removeprefix(_UTF8_BOM)
        if not line.strip():
            continue
        try:
            yield RawItem(orjson.loads(line), line=number)
        except orjson.JSONDecodeError as exc:
            yield RawItem(None, line=number, error=f"Line {number} is not valid JSON: {exc}.")


def parse_json_array(data: bytes) -> list[RawItem]:
    try:
        decoded = orjson.loads(data.removeprefix(_UTF8_BOM))
    except orjson.JSONDecodeError as exc:
        raise invalid(["body"], f"The body is not valid JSON: {exc}.") from None
    if not isinstance(decoded, list):
        raise invalid(["body"], "Send a JSON array of articles, or NDJSON (one per line).")
    return [RawItem(value) for value in decoded]


def read_items(stream: IO[bytes]) -> tuple[Iterator[RawItem], int | None]:
    """The items of a JSON array or NDJSON stream, told apart by their first character.

    Also says how many there are, when that is known without holding them all.
    """
    seekable = stream.seekable()
    start = stream.tell() if seekable else 0
    head: list[bytes] = []
    for line in stream:
        head.append(line)
        if line.strip():
            break
    if b"".join(head).removeprefix(_UTF8_BOM).lstrip().startswith(b"["):
        items = parse_json_array(b"".join(head) + stream.read())
        return iter(items), len(items)
    if not seekable:
        return parse_ndjson(chain(head, stream)), None
    total = sum(1 for line in chain(head, stream) if line.strip())
    stream.seek(start)
    return parse_ndjson(stream), total


def parse_body(body: bytes, content_type: str | None) -> list[RawItem]:
    media_type = (content_type or "").partition(";")[0].strip().lower()
    if media_type in NDJSON_TYPES:
        items = list(islice(parse_ndjson(body.splitlines()), MAX_ITEMS + 1))
    elif media_type == "application/json":
        items = parse_json_array(body)
    else:
        raise UnsupportedMediaType(
            "Send application/json (an array of articles) or application/x-ndjson."
        )
    if len(items) > MAX_ITEMS:
        raise invalid(["body"], f"A bulk request takes at most {MAX_ITEMS} articles.")
    return items


# Upsert ----------------------------------------------------------------------


def _item_loc(index: int, loc: Sequence[Any]) -> list[str | int]:
    rest = list(loc[1:]) if loc and loc[0] == "body" else list(loc)
    return ["body", index, *rest]


def _validation_problem(index: int, exc: ValidationError) -> dict[str, Any]:
    errors = [field_error(_item_loc(index, e["loc"]), e["msg"], e["type"]) for e in exc.errors()]
    fields = "; ".join(
        f"{'.'.join(str(p) for p in e['loc'][2:]) or 'item'}: {e['message']}" for e in errors[:5]
    )
    return problem_body(422, detail=f"The article is not valid: {fields}.", errors=errors)


def _error_problem(index: int, exc: ProblemError) -> dict[str, Any]:
    errors = [
        field_error(_item_loc(index, e["loc"]), e["message"], e.get("type", "value_error"))
        for e in exc.errors or []
    ]
    return problem_body(exc.status, detail=exc.detail or exc.title, type_=exc.type, errors=errors)


def _upsert_keys(data: ArticleCreate) -> tuple[str | None, str | None, bool]:
    """(slug, canonical_url, by title) that find the stored article an item replaces.

    Without a slug or canonical URL to go by, the story is the article with its
    title (at the slug that title gives), so importing a file twice changes nothing.
    """
    by_title = data.slug is None and data.canonical_url is None
    slug = make_slug(data.title, fallback="article") if by_title else data.slug
    return slug, data.canonical_url, by_title


async def _upsert(
    session: AsyncSession,
    data: ArticleCreate,
    *,
    principal: Principal,
    now: datetime,
    linking: LinkOptions,
) -> tuple[ItemStatus, uuid.UUID, str, int]:
    """Create or replace the story ``data`` names: what happened, and its id, slug and version."""
    slug, canonical_url, by_title = _upsert_keys(data)
    targets = await repository.find_upsert_targets(session, slug=slug, canonical_url=canonical_url)
    if by_title:
        targets = [a for a in targets if a.title == data.title and a.canonical_url is None]
    if len(targets) > 1:
        by_slug = next(a for a in targets if a.slug == slug)
        by_url = next(a for a in targets if a is not by_slug)
        raise Conflict(
            "The slug and the canonical_url belong to two different articles.",
            errors=[
                field_error(["body", "slug"], f"Used by the article {by_slug.id}."),
                field_error(["body", "canonical_url"], f"Used by the article {by_url.id}."),
            ],
        )
    if not targets:
        row = await service.create_article(
            session, data=data, principal=principal, now=now, linking=linking
        )
        return "created", row["id"], row["slug"], row["version"]
    article = targets[0]
    if article.deleted_at is not None:
        raise Conflict(
            f"The matching article {article.slug!r} is in the trash: restore or purge it first.",
            errors=[
                field_error(
                    ["body", "slug" if article.slug == slug else "canonical_url"],
                    "Held by an article in the trash.",
                )
            ],
        )
    values = data.model_dump()
    # As PUT: the slug and publication time stay when not given.
    for name in ("slug", "published_at"):
        if values[name] is None:
            del values[name]
    version = article.version
    article = await service.update_article(
        session,
        article,
        values=values,
        principal=principal,
        precondition=NO_PRECONDITION,
        now=now,
        linking=linking,
    )
    status: ItemStatus = "unchanged" if article.version == version else "updated"
    return status, article.id, article.slug, article.version


def _validate(item: RawItem, index: int) -> ArticleCreate | ItemResult:
    """The item as a create body, or its error."""
    failed = ItemResult(index=index, status="error", line=item.line)
    if item.error is not None:
        failed.problem = problem_body(
            422,
            detail=item.error,
            errors=[field_error(["body", index], item.error, "json_invalid")],
        )
        return failed
    try:
        return ArticleCreate.model_validate(item.value)
    except ValidationError as exc:
        failed.problem = _validation_problem(index, exc)
        return failed


@dataclass(frozen=True, slots=True)
class _Valid:
    index: int
    line: int | None
    data: ArticleCreate


async def upsert_article(
    session: AsyncSession,
    item: _Valid,
    *,
    principal: Principal,
    now: datetime,
    linking: LinkOptions,
) -> ItemResult:
    """Create or update one article in its own savepoint: a failure undoes only this item."""
    failed = ItemResult(index=item.index, status="error", line=item.line)
    try:
        async with session.begin_nested():
            status, article_id, slug, version = await _upsert(
                session, item.data, principal=principal, now=now, linking=linking
            )
    except ProblemError as exc:
        failed.problem = _error_problem(item.index, exc)
        return failed
    except IntegrityError:
        failed.problem = problem_body(
            409,
            detail="The article conflicts with stored data (a duplicate slug or URL).",
            errors=[],
        )
        return failed
    return ItemResult(
        index=item.index,
        status=status,
        line=item.line,
        id=article_id,
        slug=slug,
        version=version,
    )


def _runs(items: Sequence[_Valid]) -> Iterator[list[_Valid]]:
    """Consecutive items none of which names the same story as another.

    Within a run the order of writes does not matter; an item that names the
    story of an earlier one starts the next run, so that it sees that write.
    """
    run: list[_Valid] = []
    keys: set[tuple[str, str]] = set()
    for item in items:
        slug, canonical_url, _by_title = _upsert_keys(item.data)
        mine = {("slug", slug)} if slug is not None else set()
        if canonical_url is not None:
            mine.add(("url", canonical_url))
        if mine & keys:
            yield run
            run, keys = [], set()
        run.append(item)
        keys |= mine
    if run:
        yield run


# Fields an upsert replaces with the item's value as it is (as PUT does); the
# others keep the stored value when not given, are derived, or are not columns.
_REPLACED = tuple(
    name
    for name in versions.TRACKED
    if name not in ("slug", "summary", "published_at", "image", "tags", "entities", "corrections")
)
_SNAPSHOT_COLUMNS = tuple(
    ARTICLES.c[name]
    for name in (
        "slug",
        "summary",
        "summary_derived",
        "published_at",
        "image",
        "corrections",
        *_REPLACED,
    )
)


async def _targets(session: AsyncSession, run: Sequence[_Valid]) -> list[list[Any]]:
    """For each item of ``run``, the stored articles it names (trashed ones too), as rows."""
    keys = [_upsert_keys(item.data) for item in run]
    slugs = {slug for slug, _url, _by_title in keys if slug is not None}
    urls = {url for _slug, url, _by_title in keys if url is not None}
    stored = (
        await session.execute(
            select(
                Article.id, Article.slug, Article.title, Article.canonical_url, Article.deleted_at
            ).where(or_(Article.slug.in_(slugs), Article.canonical_url.in_(urls)))
        )
    ).all()
    by_slug = {row.slug: row for row in stored}
    by_url = {row.canonical_url: row for row in stored if row.canonical_url is not None}
    targets: list[list[Any]] = []
    for item, (slug, url, by_title) in zip(run, keys, strict=True):
        found = by_slug.get(slug or "")
        if by_title:
            same = found is not None and (found.title, found.canonical_url) == (
                item.data.title,
                None,
            )
            targets.append([found] if same else [])
        else:
            rows = {row.id: row for row in (found, by_url.get(url or "")) if row is not None}
            targets.append(list(rows.values()))
    return targets


async def _unchanged(
    session: AsyncSession, pairs: Sequence[tuple[_Valid, uuid.UUID]], *, linking: LinkOptions
) -> dict[int, ItemResult]:
    """The items that would leave their stored article as it is, told without writing.

    Only the plain case is told here: no entities named by the item or by an
    editor before, and tags that exist. Any other item goes through the
    update, which tells the rest.
    """
    ids = [article_id for _item, article_id in pairs]
    columns = (ARTICLES.c.version, ARTICLES.c.body_text, *_SNAPSHOT_COLUMNS)
    stored = {row.id: row for row in await repository.rows_by_ids(session, ids, columns)}
    tags: dict[uuid.UUID, list[uuid.UUID]] = {i: [] for i in ids}
    names: dict[uuid.UUID, list[str]] = {i: [] for i in ids}
    for article_id, tag_id, _slug, name in await repository.tag_rows(session, ids):
        tags[article_id].append(tag_id)
        names[article_id].append(name)
    stored_mentions: dict[uuid.UUID, list[Any]] = {i: [] for i in ids}
    for mention in await repository.mention_rows(session, ids):
        article_id, entity_id, *_ref, count, spans, source, salience, score, editor = mention
        stored_mentions[article_id].append(
            SimpleNamespace(
                entity_id=entity_id,
                source=source,
                count=count,
                spans=orjson.loads(spans),
                salience=salience,
                score=score,
                editor_salience=editor,
            )
        )
    refs = {ref.strip() for item, _id in pairs for ref in item.data.tags if ref.strip()}
    known = await tags_repository.find_by_keys(session, [fold_name(r) for r in refs], list(refs))
    by_slug = {tag.slug: tag for tag in known}
    by_key = {tag.name_key: tag for tag in known}

    plain: list[tuple[_Valid, Any]] = []
    for item, article_id in pairs:
        row = stored[article_id]
        if item.data.entities or any(m.source == "manual" for m in stored_mentions[article_id]):
            continue
        chosen = [
            by_slug.get(ref.strip()) or by_key.get(fold_name(ref))
            for ref in item.data.tags
            if ref.strip()
        ]
        if any(tag is None or tag.deleted_at is not None for tag in chosen):
            continue
        if list(dict.fromkeys(tag.id for tag in chosen if tag is not None)) != tags[article_id]:
            continue
        values = item.data.model_dump()
        after = {**row._asdict(), **{k: values[k] for k in _REPLACED}}
        after["image"] = service.stored_image(values["image"])
        after["summary"], after["summary_derived"] = values["summary"], False
        for name in ("slug", "published_at"):
            after[name] = values[name] or row._mapping[name]
        same = versions.snapshot(SimpleNamespace(**after), tags=names[article_id], manual=[])
        if same == versions.snapshot(row, tags=names[article_id], manual=[]):
            plain.append((item, row))
    if linking.enabled:
        texts = [mentions.article_text(row) for _item, row in plain]
        linked = await linking_service.link_articles(session, texts, options=linking)
        plain = [
            (item, row)
            for (item, row), found in zip(plain, linked, strict=True)
            if mentions.linked_state(found) == mentions.mention_state(stored_mentions[row.id])
        ]
    return {
        item.index: ItemResult(
            index=item.index,
            status="unchanged",
            line=item.line,
            id=row.id,
            slug=row.slug,
            version=row.version,
        )
        for item, row in plain
    }


async def upsert_articles(
    session: AsyncSession,
    items: Sequence[RawItem],
    *,
    principal: Principal,
    now: datetime,
    linking: LinkOptions = service.LINK,
    first_index: int = 0,
) -> list[ItemResult]:
    """Create or update each item; a bad item never undoes the others.

    The new articles of a run are written together, in one savepoint; if
    that fails, each is written again in a savepoint of its own, so that
    only the bad one is rejected.
    """
    results: dict[int, ItemResult] = {}
    valid: list[_Valid] = []
    for i, raw in enumerate(items):
        checked = _validate(raw, first_index + i)
        if isinstance(checked, ItemResult):
            results[checked.index] = checked
        else:
            valid.append(_Valid(first_index + i, raw.line, checked))

    async def one_by_one(chosen: Iterable[_Valid]) -> None:
        for one in chosen:
            results[one.index] = await upsert_article(
                session, one, principal=principal, now=now, linking=linking
            )

    for run in _runs(valid):
        targets = await _targets(session, run)
        created = [item for item, found in zip(run, targets, strict=True) if not found]
        plain = [
            (item, found[0].id)
            for item, found in zip(run, targets, strict=True)
            if len(found) == 1 and found[0].deleted_at is None
        ]
        results.update(await _unchanged(session, plain, linking=linking) if plain else {})
        await one_by_one(
            item
            for item, found in zip(run, targets, strict=True)
            if found and item.index not in results
        )
        if not created:
            continue
        try:
            async with session.begin_nested():
                rows = await service.create_articles(
                    session,
                    [item.data for item in created],
                    principal=principal,
                    now=now,
                    linking=linking,
                )
        except (ProblemError, IntegrityError):
            await one_by_one(created)
            continue
        for item, row in zip(created, rows, strict=True):
            results[item.index] = ItemResult(
                index=item.index,
                status="created",
                line=item.line,
                id=row["id"],
                slug=row["slug"],
                version=row["version"],
            )
    return [results[first_index + i] for i in range(len(items))]


async def import_articles(
    database: Database,
    items: Iterable[RawItem],
    *,
    principal: Principal,
    linking: LinkOptions = service.LINK,
    batch_size: int = 500,
    expected: int | None = None,
    on_batch: Callable[[list[ItemResult]], None] | None = None,
) -> Tally:
    """Upsert ``items`` a batch per transaction, so that no lock is held for long.

    ``expected``, how many items there are when known, lets a large import build
    the full-text index once at its end (see ``app.search.index``).
    """
    tally = Tally()
    iterator = iter(items)
    index = 0
    analyze_at = ANALYZE_AFTER
    async with search_index.deferred(database, expected):
        while batch := list(islice(iterator, batch_size)):
            async with database.writer() as session, session.begin():
                if session.get_bind().dialect.name == "postgresql":
                    # The tables grow faster than autovacuum analyzes them: a plan
                    # PostgreSQL kept for a statement while they were small (a
                    # sequential scan) would stay, and slow every batch after.
                    await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
                results = await upsert_articles(
                    session,
                    batch,
                    principal=principal,
                    now=utcnow(),
                    linking=linking,
                    first_index=index,
                )
            index += len(batch)
            tally.add(results)
            if on_batch is not None:
                on_batch(results)
            # Statistics each time the import doubles what it wrote: the plans of
            # its own statements follow the tables as they grow.
            if tally.written >= analyze_at:
                await database.gather_statistics()
                analyze_at *= 2
    if tally.written >= ANALYZE_AFTER:
        await database.gather_statistics()
    return tally


# Export ----------------------------------------------------------------------


def to_input(article: Article) -> dict[str, Any]:
    """The article as the create body that makes it again (tags by name, entities by slug)."""
    item: dict[str, Any] = {
        "title": article.title,
        "slug": article.slug,
        "summary": None if article.summary_derived else article.summary,
        "body": article.body,
        "body_format": article.body_format,
        "authors": list(article.authors),
        "section": article.section,
        "language": article.language,
        "status": article.status,
        "published_at": article.published_at,
        "expires_at": article.expires_at,
        "canonical_url": article.canonical_url,
        "source": article.source,
        "image": article.image,
        "tags": [link.tag.name for link in article.tag_links],
        "entities": [
            {
                "slug": m.entity.slug,
                **({"salience": m.editor_salience} if m.editor_salience else {}),
            }
            for m in sorted(article.mentions, key=lambda m: m.entity.slug)
            if m.source == "manual"
        ],
    }
    return {name: value for name, value in item.items() if value is not None}


async def export_articles(
    session: AsyncSession, *, since: datetime | None, page_size: int = 500
) -> AsyncIterator[dict[str, Any]]:
    """Every article not in the trash, oldest change first, read a page at a time."""
    after: tuple[datetime, uuid.UUID] | None = None
    while True:
        page = await repository.export_page(session, since=since, after=after, limit=page_size)
        for article in page:
            yield to_input(article)
        if len(page) < page_size:
            return
        after = (page[-1].updated_at, page[-1].id)
        # What was written out need not stay in memory.
        session.expunge_all()


# HTTP --------------------------------------------------------------------------


class BulkItem(BaseModel):
    index: int
    status: ItemStatus
    id: uuid.UUID | None = None
    slug: str | None = None
    version: int | None = None
    problem: Problem | None = None


class BulkMeta(BaseModel):
    created: int
    updated: int
    unchanged: int
    failed: int


class BulkResult(BaseModel):
    data: list[BulkItem]
    meta: BulkMeta


_REQUEST_BODY = {
    "required": True,
    "description": (
        f"Up to {MAX_ITEMS} articles, each as for `POST /v1/articles`. An article whose "
        "`slug` or `canonical_url` is already stored replaces it (as `PUT` does); "
        "the others are created."
    ),
    "content": {
        "application/json": {
            "schema": {
                "type": "array",
                "maxItems": MAX_ITEMS,
                "items": {"$ref": "#/components/schemas/ArticleCreate"},
            }
        },
        "application/x-ndjson": {
            "schema": {"type": "string", "description": "One `ArticleCreate` object per line."}
        },
    },
}


@router.post(
    "/articles:bulk",
    response_model=None,
    responses={
        200: {"model": BulkResult, "description": "One result per article, in order."},
        **problem_responses(401, 403, 409, 413, 415, 422),
    },
    openapi_extra={"requestBody": _REQUEST_BODY},
)
async def bulk_upsert_articles(
    request: Request,
    session: SessionDep,
    database: DatabaseDep,
    principal: EditorDep,
    now: NowDep,
    linking: LinkOptionsDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Create or update many articles; one bad article never stops the others."""
    items = parse_body(await request.body(), request.headers.get("content-type"))
    # Committed a chunk at a time, so that other writers (on SQLite, every
    # other writer) wait for one chunk at most, not for the whole batch. With
    # an Idempotency-Key the batch stays one transaction: all of it is
    # replayed, or none of it was written.
    step = len(items) if idempotency.record is not None else STEP
    results: list[ItemResult] = []
    written, since = 0, time.monotonic()
    for start in range(0, len(items), max(step, 1)):
        if written >= COMMIT_EVERY or (written and time.monotonic() - since >= COMMIT_SECONDS):
            await session.commit()
            if database.dialect == "sqlite":
                await asyncio.sleep(SQLITE_STEP_ASIDE_SECONDS)
            written, since = 0, time.monotonic()
        results += await upsert_articles(
            session,
            items[start : start + step],
            principal=principal,
            now=now,
            linking=linking,
            first_index=start,
        )
        written += step
    tally = Tally()
    tally.add(results)
    body = {"data": [r.to_dict() for r in results], "meta": tally.counts()}
    return await idempotency.complete(
        Response(
            dumps(body),
            headers={"Cache-Control": "no-store"},
            media_type="application/json",
            # Once the answer is sent (after the commit), not before it.
            background=(
                BackgroundTask(database.gather_statistics)
                if tally.written >= ANALYZE_AFTER
                else None
            ),
        )
    )
