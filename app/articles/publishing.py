"""The change-feed events of article writes, and the tags and entities they make public."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.articles import repository
from app.changes.service import Event, record_changes, withdraw_pending
from app.models import Article
from app.models.visibility import becomes_visible


def article_events(article: Any, event: str, *, now: datetime, was_public: bool) -> list[Event]:
    """The change-feed events of a write to ``article`` (an ``Article``, or its row).

    Readers hear of a published (or scheduled) article from its publication
    time on, of its expiry when it comes, and at once of a change that took a
    public one away from them, so that copies they keep can drop it.
    """
    live = event != "deleted" and becomes_visible(article, now)
    events = [
        Event(
            "articles",
            article.id,
            event,
            article.version,
            public=live or was_public,
            visible_from=article.published_at if live and not was_public else None,
        )
    ]
    if live and article.expires_at is not None:
        events.append(
            Event(
                "articles",
                article.id,
                "unpublished",
                article.version,
                public=True,
                visible_from=article.expires_at,
            )
        )
    return events


async def record_event(
    session: AsyncSession,
    article: Article,
    event: str,
    *,
    now: datetime,
    was_public: bool = False,
) -> None:
    await record_changes(session, article_events(article, event, now=now, was_public=was_public))
    await publish_carried(session, [article.id], now)


async def publish_carried(
    session: AsyncSession, article_ids: Sequence[uuid.UUID], now: datetime
) -> None:
    """Tags and entities readers first see through these articles, announced when they do."""
    tags, entities = await repository.publish_carried(session, article_ids, now)
    events: list[Event] = []
    for resource_type, rows in (("tags", tags), ("entities", entities)):
        # A scheduled story's tag waits for it: if that moved, so does the news.
        if rows:
            await withdraw_pending(session, resource_type, [row[0] for row in rows], now)
        for resource_id, version, public_from in rows:
            if public_from is not None:
                visible_from = public_from if public_from > now else None
                events.append(
                    Event(resource_type, resource_id, "created", version, True, visible_from)
                )
    await record_changes(session, events)
