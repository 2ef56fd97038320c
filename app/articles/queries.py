"""Article reads: one article by its ref, pages of them, and the JSON they show."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Hashable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from app.articles import reads, repository
from app.articles.caches import ReadCaches
from app.articles.filters import ARTICLE_FIELDS, ArticleFilters, ArticleSort
from app.articles.repository import hot_reads
from app.core.errors import Gone, NotFound
from app.core.http import dumps
from app.core.pagination import Page
from app.core.security import Principal
from app.core.slugs import Found, could_be_ref
from app.models import Article, Mention, Tag
from app.models.visibility import is_visible, readable_clause, was_visible_when_trashed
from app.resources.repository.lookup import find_by_ref


async def find_article(
    session: AsyncSession,
    ref: str,
    *,
    principal: Principal,
    now: datetime,
    include_deleted: bool = False,
    for_update: bool = False,
) -> Found[Article]:
    """The article ``ref`` names as this principal may see it; 404 / 410 otherwise.

    A write takes it ``for_update``: concurrent writers then apply their edits
    one after the other to the latest version (last writer wins) rather than
    fail on each other's version bump; If-Match is checked against that latest.
    """
    # A former slug leads only to what this principal may read: a reader asking
    # for a hidden story's old slug learns what an unknown ref tells.
    found = await find_by_ref(
        session,
        Article,
        ref,
        options=repository.ARTICLE_LOAD,
        moved_where=readable_clause(sees_drafts=principal.sees_drafts, now=now),
        for_update=for_update,
    )
    article = found.item
    if article is None:
        if found.moved_to is None:
            raise NotFound(f"No article {ref!r}.")
        return found
    if article.deleted_at is not None and not (include_deleted and principal.sees_drafts):
        if principal.sees_drafts or was_visible_when_trashed(article):
            raise Gone(f"The article {ref!r} has been deleted.")
        raise NotFound(f"No article {ref!r}.")
    if not principal.sees_drafts and not is_visible(article, now):
        raise NotFound(f"No article {ref!r}.")
    return found


async def list_articles(
    session: AsyncSession,
    caches: ReadCaches,
    *,
    filters: ArticleFilters,
    sort: ArticleSort,
    page: Page,
    principal: Principal,
    now: datetime,
) -> tuple[list[Article], int, str | None]:
    """A page of loaded articles (for renderings that need more than the JSON shows)."""
    where = _where(session, filters, principal, now)
    total = None
    if not principal.sees_drafts:
        position = await hot_reads.change_position(session)
        total, _until = await _reader_total(session, caches, filters, where, now, position)
    return await repository.list_page(
        session,
        where=where,
        sort=sort,
        page=page,
        sees_drafts=principal.sees_drafts,
        options=repository.READ_LOAD,
        total=total,
    )


# How a listing's page becomes a response, from its items, the total and the next cursor.
PageRenderer = Callable[[list[dict[str, Any]], int, str | None], reads.Rendered]


async def list_rendered(
    session: AsyncSession,
    caches: ReadCaches,
    *,
    key: Hashable,
    filters: ArticleFilters,
    sort: ArticleSort,
    page: Page,
    principal: Principal,
    now: datetime,
    fields: tuple[str, ...],
    render: PageRenderer,
) -> reads.Rendered:
    """A page of articles in their public shape, limited to ``fields``, as ``render`` puts it.

    Readers' pages are kept by ``key`` (what identifies the request: its URL)
    until the next write or scheduled release changes what they would show.
    """
    if principal.sees_drafts:
        where = _where(session, filters, principal, now)
        items, total, next_cursor = await _views(session, where, sort, page, fields, None, True)
        return render(items, total, next_cursor)

    async def make(position: int) -> reads.Rendered:
        # Built only now: the clauses cost more than a kept page's whole answer.
        where = _where(session, filters, principal, now)
        total, until = await _reader_total(session, caches, filters, where, now, position)
        items, total, next_cursor = await _views(session, where, sort, page, fields, total, False)
        return replace(render(items, total, next_cursor), until=until)

    return await caches.pages.kept(session, key, now, make)


async def _views(
    session: AsyncSession,
    where: list[Any],
    sort: ArticleSort,
    page: Page,
    fields: tuple[str, ...],
    total: int | None,
    sees_drafts: bool,
) -> tuple[list[dict[str, Any]], int, str | None]:
    rows, total, next_cursor = await repository.page_rows(
        session,
        where=where,
        sort=sort,
        page=page,
        sees_drafts=sees_drafts,
        columns=repository.columns_of(fields),
        total=total,
    )
    return await reads.shape(session, rows, fields), total, next_cursor


def _where(
    session: AsyncSession, filters: ArticleFilters, principal: Principal, now: datetime
) -> list[Any]:
    return [
        readable_clause(sees_drafts=principal.sees_drafts, now=now),
        *repository.filter_clauses(session, filters),
    ]


async def _reader_total(
    session: AsyncSession,
    caches: ReadCaches,
    filters: ArticleFilters,
    where: list[Any],
    now: datetime,
    position: int,
) -> tuple[int, datetime | None]:
    """The total readers see, and until when it holds (the next scheduled release)."""
    hit = caches.totals.get(filters)
    if hit is not None and hit[0] == position and (hit[2] is None or now < hit[2]):
        return hit[1], hit[2]
    total = await repository.count(session, where)
    until = await repository.next_release(session, now)
    if len(caches.totals) >= caches.TOTALS_MAX:
        caches.totals.clear()
    caches.totals[filters] = (position, total, until)
    return total, until


async def current_version(
    session: AsyncSession,
    ref: str,
    *,
    principal: Principal,
    now: datetime,
    with_fields: tuple[str, ...] = (),
) -> Row[Any] | None:
    """(id, version, updated_at, position) of an article this principal may see, or None;
    with the columns of ``with_fields`` too, for an article no kept body will answer."""
    if not could_be_ref(ref):
        return None
    return await hot_reads.current_version(
        session,
        ref,
        sees_drafts=principal.sees_drafts,
        now=now,
        columns=repository.columns_of(with_fields),
    )


async def article_body(
    session: AsyncSession,
    caches: ReadCaches,
    current: Row[Any],
    fields: tuple[str, ...],
    now: datetime,
    document: reads.Document | None = None,
    *,
    carries_fields: bool = False,
) -> bytes | None:
    """The JSON (or ``document``) of the article ``current_version`` found, or None if it
    changed since. A ``current`` read ``with_fields`` (``carries_fields``) is rendered as
    it is."""
    key = (current.id, current.version, fields, None if document is None else document.key)
    kept = caches.bodies.get(current.position, key, now)
    if kept is not None:
        return kept.body
    columns = repository.columns_of(fields)
    row = (
        current
        if carries_fields
        else await hot_reads.read_row(session, current.id, current.version, columns)
    )
    if row is None:
        return None
    rendered = await render_article((await reads.shape(session, [row], fields))[0], document)
    caches.bodies.put(current.position, key, rendered)
    return rendered.body


async def render_article(
    content: dict[str, Any], document: reads.Document | None = None
) -> reads.Rendered:
    """An article's public shape as JSON, or as ``document`` renders it."""
    return reads.Rendered(dumps(content)) if document is None else await document.render(content)


async def stored_json(session: AsyncSession, article_id: uuid.UUID, version: int) -> dict[str, Any]:
    """The public shape of the article this transaction wrote, as reads show it."""
    columns = repository.columns_of(ARTICLE_FIELDS)
    row = await hot_reads.read_row(session, article_id, version, columns)
    if row is None:
        raise RuntimeError(f"The article {article_id} is not at version {version}.")
    return (await reads.shape(session, [row], ARTICLE_FIELDS))[0]


async def readable_json(
    session: AsyncSession, ids: Sequence[uuid.UUID], *, sees_drafts: bool, now: datetime
) -> dict[uuid.UUID, dict[str, Any]]:
    """The JSON of those of the articles ``ids`` that a viewer may read, by id."""
    readable = await repository.readable_ids(session, ids, sees_drafts=sees_drafts, now=now)
    rows = await hot_reads.rows_by_ids(
        session, [i for i in ids if i in readable], repository.columns_of(ARTICLE_FIELDS)
    )
    items = await reads.shape(session, rows, ARTICLE_FIELDS)
    return {row[0]: item for row, item in zip(rows, items, strict=True)}


async def matching_ids(
    session: AsyncSession, ids: Sequence[uuid.UUID], filters: ArticleFilters
) -> set[uuid.UUID]:
    """Those of the articles ``ids`` (trashed included) that ``filters`` pass."""
    return await repository.ids_where(session, ids, repository.filter_clauses(session, filters))


def to_dict(article: Article, fields: tuple[str, ...]) -> dict[str, Any]:
    """The public shape of an article, limited to ``fields``."""
    out: dict[str, Any] = {}
    for name in fields:
        if name == "tags":
            out["tags"] = [
                {"id": tag.id, "slug": tag.slug, "name": tag.name} for tag in live_tags(article)
            ]
        elif name == "bylines":
            out["bylines"] = [
                {"id": link.author.id, "slug": link.author.slug, "name": link.author.name}
                for link in article.author_links
                if link.author.deleted_at is None
            ]
        elif name == "entities":
            out["entities"] = [
                {
                    "entity": {
                        "id": m.entity.id,
                        "slug": m.entity.slug,
                        "name": m.entity.name,
                        "type": m.entity.type,
                    },
                    "count": m.count,
                    "spans": m.spans,
                    "source": m.source,
                    "salience": m.salience,
                    "score": m.score,
                }
                for m in sorted(article.mentions, key=_mention_order)
                if m.entity.deleted_at is None
            ]
        else:
            out[name] = getattr(article, name)
    return out


def live_tags(article: Article) -> list[Tag]:
    """The article's tags as it shows them: a trashed tag leaves every article at once."""
    return [link.tag for link in article.tag_links if link.tag.deleted_at is None]


def _mention_order(mention: Mention) -> tuple[int, str]:
    return reads.mention_order(mention.spans, mention.entity.name)
