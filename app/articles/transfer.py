"""Articles in and out of files: what `lede import` reads in and `lede export` writes out."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.articles import bulk, repository, service, versions
from app.articles.bulk_items import ItemResult, RawItem, Tally
from app.articles.repository import upserts
from app.core.clock import utcnow
from app.core.db import Database
from app.core.security import Principal
from app.linking.service import LinkOptions
from app.models import Article
from app.search import index as search_index


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
    analyze_at = bulk.ANALYZE_AFTER
    async with search_index.deferred(database, expected):
        while batch := list(islice(iterator, batch_size)):
            async with database.writer() as session, session.begin():
                # The tables grow faster than autovacuum analyzes them: a plan
                # PostgreSQL kept for a statement while they were small (a
                # sequential scan) would stay, and slow every batch after.
                await upserts.plan_each_statement(session)
                results = await bulk.upsert_articles(
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
    if tally.written >= bulk.ANALYZE_AFTER:
        await database.gather_statistics()
    return tally


def to_input(article: Article) -> dict[str, Any]:
    """The article as the create body that makes it again (tags by name, entities by slug)."""
    item: dict[str, Any] = {
        **versions.own_fields(article),
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
