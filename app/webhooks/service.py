"""Webhook use cases: subscriptions, the delivery log, redelivery and replay."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from app.changes import service as changes_service
from app.core.errors import NotFound, UnprocessableContent, invalid
from app.core.pagination import Page
from app.core.schemas import as_utc
from app.models import WebhookDelivery, WebhookSubscription
from app.webhooks import dispatch, guard, repository
from app.webhooks.events import event_id
from app.webhooks.schemas import WebhookCreate, WebhookFilters
from app.webhooks.signing import new_secret

# How long a rotated-out secret keeps signing, so receivers can switch over.
ROTATION_OVERLAP = timedelta(hours=24)
# The most events one replay reads.
MAX_REPLAY = 10_000


# Subscriptions -------------------------------------------------------------


async def _check_url(url: str, *, allow_private: bool) -> None:
    try:
        await guard.check_at_create(url, allow_private=allow_private)
    except guard.Refused as exc:
        raise invalid(["body", "url"], str(exc)) from None


async def create_subscription(
    session: AsyncSession, *, data: WebhookCreate, allow_private: bool, now: datetime
) -> WebhookSubscription:
    await _check_url(data.url, allow_private=allow_private)
    subscription = WebhookSubscription(
        id=uuid.uuid4(),
        url=data.url,
        events=data.events,
        filters=(data.filters or WebhookFilters()).model_dump(exclude_none=True),
        include_drafts=data.include_drafts,
        description=data.description,
        secret=new_secret(),
        after_seq=await changes_service.last_seq(session),
        created_at=now,
        updated_at=now,
    )
    session.add(subscription)
    await session.flush()
    return subscription


async def get_subscription(
    session: AsyncSession, subscription_id: uuid.UUID
) -> WebhookSubscription:
    subscription = await session.get(WebhookSubscription, subscription_id)
    if subscription is None:
        raise NotFound(f"No webhook {subscription_id}.")
    return subscription


async def list_subscriptions(
    session: AsyncSession, page: Page
) -> tuple[list[WebhookSubscription], int, str | None]:
    return await repository.list_page(session, page)


async def update_subscription(
    session: AsyncSession,
    subscription: WebhookSubscription,
    *,
    values: dict[str, Any],
    allow_private: bool,
    now: datetime,
) -> WebhookSubscription:
    for name in ("url", "events", "include_drafts", "enabled"):
        if name in values and values[name] is None:
            raise invalid(["body", name], f"{name} cannot be null.")
    if "url" in values:
        await _check_url(values["url"], allow_private=allow_private)
    if "filters" in values:
        values["filters"] = {k: v for k, v in (values["filters"] or {}).items() if v is not None}
    if values.get("enabled") and not subscription.enabled:
        # Enabled again: the failures that disabled it are behind it.
        subscription.disabled_reason = None
        subscription.failing_since = None
    for name, value in values.items():
        setattr(subscription, name, value)
    subscription.updated_at = now
    await session.flush()
    return subscription


async def delete_subscription(session: AsyncSession, subscription: WebhookSubscription) -> None:
    await repository.delete_subscription(session, subscription.id)


async def rotate_secret(
    session: AsyncSession, subscription: WebhookSubscription, *, now: datetime
) -> WebhookSubscription:
    """A new secret; the old one signs too (a second signature) for a day."""
    subscription.previous_secret = subscription.secret
    subscription.previous_secret_until = now + ROTATION_OVERLAP
    subscription.secret = new_secret()
    subscription.updated_at = now
    await session.flush()
    return subscription


def to_dict(subscription: WebhookSubscription) -> dict[str, Any]:
    return {
        "id": subscription.id,
        "url": subscription.url,
        "events": subscription.events,
        "filters": subscription.filters,
        "include_drafts": subscription.include_drafts,
        "description": subscription.description,
        "enabled": subscription.enabled,
        "disabled_reason": subscription.disabled_reason,
        "created_at": subscription.created_at,
        "updated_at": subscription.updated_at,
    }


# The delivery log ----------------------------------------------------------


async def list_deliveries(
    session: AsyncSession, subscription: WebhookSubscription, page: Page, state: str | None
) -> tuple[list[dict[str, Any]], int, str | None]:
    rows, total, next_cursor = await repository.delivery_page(session, subscription.id, page, state)
    return [delivery_dict(row) for row in rows], total, next_cursor


def delivery_dict(row: Row[Any] | WebhookDelivery) -> dict[str, Any]:
    return {
        "id": row.id,
        "webhook_id": row.subscription_id,
        "event_id": event_id(row.seq),
        "event": row.event_type,
        "seq": row.seq,
        "resource_id": row.resource_id,
        "state": row.state,
        "attempts": row.attempts,
        "last_status_code": row.last_status_code,
        "last_error": row.last_error,
        "latency_ms": row.latency_ms,
        "response_body": row.response_body,
        "next_attempt_at": row.next_attempt_at,
        "last_attempt_at": row.last_attempt_at,
        "delivered_at": row.delivered_at,
        "created_at": row.created_at,
    }


async def redeliver(
    session: AsyncSession,
    subscription: WebhookSubscription,
    delivery_id: uuid.UUID,
    *,
    now: datetime,
) -> dict[str, Any]:
    """Queue the delivery's event again, due now, as a new entry of the log."""
    delivery = await repository.find_delivery(session, subscription.id, delivery_id)
    if delivery is None:
        raise NotFound(f"No delivery {delivery_id} of webhook {subscription.id}.")
    again = dispatch.delivery_row(
        subscription.id,
        delivery.seq,
        delivery.resource_id,
        delivery.event_type,
        delivery.payload,
        now,
    )
    await repository.add_deliveries(session, [again])
    queued = await repository.find_delivery(session, subscription.id, again["id"])
    assert queued is not None
    return delivery_dict(queued)


async def replay(
    session: AsyncSession, subscription: WebhookSubscription, *, since: str, now: datetime
) -> tuple[int, str | None]:
    """Queue again every event since ``since`` that the subscription matches.

    At most ``MAX_REPLAY`` events are read; the cursor to go on from is returned
    when more remain.
    """
    cursor = await _replay_start(session, since)
    queued = read = 0
    while True:
        try:
            changes, after, more = await changes_service.read_events(
                session,
                cursor=cursor,
                limit=dispatch.FEED_BATCH,
                sees_all=subscription.include_drafts,
                now=now,
            )
        except UnprocessableContent:
            raise invalid(
                ["body", "since"], "Give a cursor from /v1/changes or an RFC 3339 time."
            ) from None
        queued += await dispatch.queue(
            session, changes, [subscription], sees_all=subscription.include_drafts, now=now
        )
        read += len(changes)
        cursor = after.encode()
        if not more:
            return queued, None
        if read >= MAX_REPLAY:
            return queued, cursor


async def _replay_start(session: AsyncSession, since: str) -> str:
    try:
        time = datetime.fromisoformat(since)
    except ValueError:
        return since
    try:
        return await changes_service.position_since(session, as_utc(time))
    except OverflowError:
        raise invalid(["body", "since"], "The time is outside what can be stored.") from None
