"""Articles created or replaced in bulk: a bad item never undoes the others."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.articles import bulk_unchanged, service
from app.articles.bulk_items import ItemResult, ItemStatus, RawItem, ValidItem
from app.articles.repository import upserts
from app.articles.schemas import ArticleCreate
from app.core.errors import Conflict, ProblemError, field_error, problem_body
from app.core.http import Precondition
from app.core.security import Principal
from app.core.slugs import make_slug
from app.linking.service import LinkOptions

# Upserts replace whole articles, as PUT does; there is no ETag per item to check.
NO_PRECONDITION = Precondition(tags=None, required=False)
# Written articles after which the planner's statistics are refreshed: enough
# to change how the tables are best read.
ANALYZE_AFTER = 500


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
    targets = await upserts.find_targets(session, slug=slug, canonical_url=canonical_url)
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


async def upsert_article(
    session: AsyncSession,
    item: ValidItem,
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


def _runs(items: Sequence[ValidItem]) -> Iterator[list[ValidItem]]:
    """Consecutive items none of which names the same story as another.

    Within a run the order of writes does not matter; an item that names the
    story of an earlier one starts the next run, so that it sees that write.
    """
    run: list[ValidItem] = []
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


async def _targets(session: AsyncSession, run: Sequence[ValidItem]) -> list[list[Any]]:
    """For each item of ``run``, the stored articles it names (trashed ones too), as rows."""
    keys = [_upsert_keys(item.data) for item in run]
    slugs = {slug for slug, _url, _by_title in keys if slug is not None}
    urls = {url for _slug, url, _by_title in keys if url is not None}
    stored = await upserts.key_rows(session, slugs=slugs, urls=urls)
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
    valid: list[ValidItem] = []
    for i, raw in enumerate(items):
        checked = _validate(raw, first_index + i)
        if isinstance(checked, ItemResult):
            results[checked.index] = checked
        else:
            valid.append(ValidItem(first_index + i, raw.line, checked))

    async def one_by_one(chosen: Iterable[ValidItem]) -> None:
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
        results.update(
            await bulk_unchanged.unchanged(session, plain, linking=linking) if plain else {}
        )
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
