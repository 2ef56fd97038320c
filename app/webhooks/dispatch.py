"""From the change feed to deliveries.

The change feed is the outbox: events are written in the transaction that makes
the change, and senders turn them into deliveries from feed positions of their
own, read exactly as the feed's readers (or, for ``include_drafts``, editors)
read it, so a subscription hears what a polling client would, when it would.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.articles import queries as articles_queries
from app.articles.filters import ArticleFilters
from app.changes import service as changes_service
from app.core.http import dumps
from app.models import Article, Change, Entity, Tag, WebhookSubscription
from app.models.base import VersionedMixin
from app.webhooks import repository
from app.webhooks.events import chosen_type, event_types

# Events read from the feed per transaction.
FEED_BATCH = 500
MODELS: dict[str, type[VersionedMixin]] = {"articles": Article, "entities": Entity, "tags": Tag}


def delivery_row(
    subscription_id: uuid.UUID,
    seq: int,
    resource_id: uuid.UUID,
    type_: str,
    payload: str,
    now: datetime,
) -> dict[str, Any]:
    """A new delivery, due now."""
    return {
        "id": uuid.uuid4(),
        "subscription_id": subscription_id,
        "seq": seq,
        "event_type": type_,
        "resource_id": resource_id,
        "payload": payload,
        "state": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


async def anyone_listens(session: AsyncSession) -> bool:
    return await repository.any_enabled(session)


async def dispatch(session: AsyncSession, *, now: datetime) -> int:
    """Queue deliveries for the feed's events since the senders' positions; how many.

    Returns 0 at once if another sender is doing it (PostgreSQL) or nobody listens.
    """
    subscriptions = await repository.enabled(session)
    if not subscriptions:
        return 0
    cursors = await repository.lock_cursors(session)
    if cursors is None:
        return 0
    queued = 0
    for name, sees_all in (("public", False), ("all", True)):
        changes, after, _more = await changes_service.read_events(
            session, cursor=cursors[name], limit=FEED_BATCH, sees_all=sees_all, now=now
        )
        if not changes:
            continue
        listening = [
            s
            for s in subscriptions
            if s.include_drafts is sees_all and s.after_seq < changes[-1].seq
        ]
        queued += await queue(session, changes, listening, sees_all=sees_all, now=now, new=True)
        await repository.save_cursor(session, name, after.encode())
    return queued


async def queue(
    session: AsyncSession,
    changes: Sequence[Change],
    subscriptions: Sequence[WebhookSubscription],
    *,
    sees_all: bool,
    now: datetime,
    new: bool = False,
) -> int:
    """Add a delivery per (event, subscription that wants it); ``new`` skips events older
    than a subscription."""
    if not changes or not subscriptions:
        return 0
    data = await _event_data(session, changes, sees_drafts=sees_all, now=now)
    passing = await _passing_filters(session, changes, subscriptions)
    rows = []
    for change in changes:
        types = event_types(change)
        for subscription in subscriptions:
            if new and change.seq <= subscription.after_seq:
                continue
            type_ = chosen_type(subscription.events, types)
            if type_ is None:
                continue
            allowed = passing.get(subscription.id)
            filtered_out = allowed is not None and change.resource_id not in allowed
            if change.resource_type == "articles" and filtered_out:
                continue
            body = {"type": type_, "timestamp": _happened_at(change), "data": data[change.seq]}
            payload = dumps(body).decode()
            rows.append(
                delivery_row(subscription.id, change.seq, change.resource_id, type_, payload, now)
            )
    await repository.add_deliveries(session, rows)
    return len(rows)


def _happened_at(change: Change) -> datetime:
    """When readers could know of it: a scheduled story's events at its publication time."""
    if change.visible_from is not None and change.visible_from > change.occurred_at:
        return change.visible_from
    return change.occurred_at


async def _event_data(
    session: AsyncSession, changes: Sequence[Change], *, sees_drafts: bool, now: datetime
) -> dict[int, dict[str, Any]]:
    """Each event's ``data``: what it is about, and the article as the subscriber may read it."""
    slugs: dict[uuid.UUID, str] = {}
    for resource_type, model in MODELS.items():
        ids = list({c.resource_id for c in changes if c.resource_type == resource_type})
        slugs.update(await repository.slugs(session, model, ids))
    article_ids = list({c.resource_id for c in changes if c.resource_type == "articles"})
    articles = await articles_queries.readable_json(
        session, article_ids, sees_drafts=sees_drafts, now=now
    )
    out = {}
    for change in changes:
        data: dict[str, Any] = {
            "id": change.resource_id,
            "slug": slugs.get(change.resource_id),
            "version": change.version,
            "seq": change.seq,
        }
        if change.resource_type == "articles":
            data["article"] = articles.get(change.resource_id)
        elif change.detail and event_types(change) == ("entity.merged",):
            data["merged_into"] = change.detail.partition(":")[2]
        out[change.seq] = data
    return out


async def _passing_filters(
    session: AsyncSession,
    changes: Sequence[Change],
    subscriptions: Sequence[WebhookSubscription],
) -> dict[uuid.UUID, set[uuid.UUID]]:
    """For each subscription with filters, the articles of ``changes`` that pass them."""
    article_ids = list({c.resource_id for c in changes if c.resource_type == "articles"})
    by_filters: dict[ArticleFilters, set[uuid.UUID]] = {}
    out = {}
    for subscription in subscriptions:
        if not subscription.filters or not article_ids:
            continue
        chosen = subscription.filters
        filters = ArticleFilters(
            tags=(chosen["tag"],) if "tag" in chosen else (),
            entities=(chosen["entity"],) if "entity" in chosen else (),
            section=chosen.get("section"),
        )
        if filters not in by_filters:
            by_filters[filters] = await articles_queries.matching_ids(session, article_ids, filters)
        out[subscription.id] = by_filters[filters]
    return out
