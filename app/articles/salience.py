"""Salience of stored mentions computed again, for stories written before it existed
(``lede reindex``)."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from app.articles import repository
from app.articles.mentions import article_text
from app.articles.repository import hot_reads
from app.entities import service as entities_service
from app.linking import service as linking_service


async def rescore_mentions(session: AsyncSession, *, batch: int = 500) -> int:
    """Compute the salience of every stored mention again (``lede reindex``), as a write would,
    without a new version; the editor's salience stays. Says how many mentions changed."""
    changed = 0
    after = None
    while rows := await repository.text_page(session, after=after, limit=batch):
        after = rows[-1].id
        # Per article: entity id -> (spans, stored salience and score, the editor's salience).
        stored: dict[uuid.UUID, dict[str, tuple[Any, ...]]] = {row.id: {} for row in rows}
        for mention in await hot_reads.mention_rows(session, list(stored)):
            _field, article_id, entity_id, *_ref, spans, _source, salience, score, editor = mention
            stored[article_id][str(entity_id)] = (orjson.loads(spans), salience, score, editor)
        entity_ids = {uuid.UUID(i) for found in stored.values() for i in found}
        names = {
            str(i): (name, *aliases)
            for i, name, aliases in await entities_service.name_entries(session, entity_ids)
        }
        updates = []
        for row in rows:
            found = stored[row.id]
            scored = linking_service.rescore(
                article_text(row),
                {i: spans for i, (spans, *_rest) in found.items()},
                ((i, names[i]) for i in found if i in names),
            )
            for i, (_spans, salience, score, editor) in found.items():
                now = (editor or scored[i].salience, scored[i].score)
                if (salience, score) != now:
                    updates.append(
                        {
                            "article_id": row.id,
                            "entity_id": uuid.UUID(i),
                            "salience": now[0],
                            "score": now[1],
                        }
                    )
        await repository.set_salience(session, updates)
        changed += len(updates)
    return changed
