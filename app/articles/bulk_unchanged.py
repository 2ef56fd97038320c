"""Telling, without writing, which items of a bulk upsert would leave their article as it is."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from app.articles import mentions, service, versions
from app.articles.bulk_items import ItemResult, ValidItem
from app.articles.repository import ARTICLES, hot_reads
from app.core.slugs import fold_name
from app.linking import service as linking_service
from app.linking.service import LinkOptions
from app.tags import repository as tags_repository

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


async def unchanged(
    session: AsyncSession, pairs: Sequence[tuple[ValidItem, uuid.UUID]], *, linking: LinkOptions
) -> dict[int, ItemResult]:
    """The items that would leave their stored article as it is, told without writing.

    Only the plain case is told here: no entities named by the item or by an
    editor before, and tags that exist. Any other item goes through the
    update, which tells the rest.
    """
    ids = [article_id for _item, article_id in pairs]
    columns = (ARTICLES.c.version, ARTICLES.c.body_text, *_SNAPSHOT_COLUMNS)
    stored = {row.id: row for row in await hot_reads.rows_by_ids(session, ids, columns)}
    tags: dict[uuid.UUID, list[uuid.UUID]] = {i: [] for i in ids}
    names: dict[uuid.UUID, list[str]] = {i: [] for i in ids}
    for article_id, tag_id, _slug, name in await hot_reads.tag_rows(session, ids):
        tags[article_id].append(tag_id)
        names[article_id].append(name)
    stored_mentions: dict[uuid.UUID, list[Any]] = {i: [] for i in ids}
    for mention in await hot_reads.mention_rows(session, ids):
        _field, article_id, entity_id, *_named, count, spans, source, salience, score, editor = (
            mention
        )
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

    plain: list[tuple[ValidItem, Any]] = []
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
