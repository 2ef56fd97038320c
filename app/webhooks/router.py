"""/v1/webhooks: subscriptions, their delivery log, redelivery and replay (admin role)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import Response

from app.core.db import SessionDep
from app.core.deps import NowDep, SettingsDep
from app.core.errors import problem_responses
from app.core.http import JSONBody
from app.core.pagination import PageDep, base_url
from app.core.responses import collection_response, no_content
from app.core.security import AdminDep
from app.models import WebhookSubscription
from app.webhooks import service
from app.webhooks.schemas import (
    DeliveryPage,
    DeliveryRead,
    DeliveryState,
    ReplayRequest,
    ReplayResult,
    WebhookCreate,
    WebhookPage,
    WebhookRead,
    WebhookSecret,
    WebhookUpdate,
)

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

NO_STORE = {"Cache-Control": "no-store"}


async def load_webhook(
    webhook_id: Annotated[uuid.UUID, Path(description="The webhook's id.")],
    session: SessionDep,
    _: AdminDep,
) -> WebhookSubscription:
    return await service.get_subscription(session, webhook_id)


WebhookDep = Annotated[WebhookSubscription, Depends(load_webhook)]


def _answer(content: object, status_code: int = 200, location: str | None = None) -> Response:
    headers = {**NO_STORE, **({"Location": location} if location else {})}
    return JSONBody(content, status_code=status_code, headers=headers)


@router.post(
    "",
    status_code=201,
    responses={201: {"model": WebhookSecret}, **problem_responses(401, 403, 422)},
)
async def create_webhook(
    request: Request,
    data: WebhookCreate,
    session: SessionDep,
    _: AdminDep,
    settings: SettingsDep,
    now: NowDep,
) -> Response:
    """Subscribe a URL to events; the signing secret is in this response only."""
    subscription = await service.create_subscription(
        session, data=data, allow_private=settings.webhooks_allow_private, now=now
    )
    return _answer(
        {**service.to_dict(subscription), "secret": subscription.secret},
        status_code=201,
        location=f"{base_url(request)}/v1/webhooks/{subscription.id}",
    )


@router.get("", responses={200: {"model": WebhookPage}, **problem_responses(401, 403, 422)})
async def list_webhooks(
    request: Request, session: SessionDep, _: AdminDep, settings: SettingsDep, page: PageDep
) -> Response:
    """Every webhook subscription, oldest first (never its secret)."""
    subscriptions, total, next_cursor = await service.list_subscriptions(session, page)
    return collection_response(
        request,
        [service.to_dict(s) for s in subscriptions],
        settings=settings,
        public=False,
        page=page,
        total=total,
        next_cursor=next_cursor,
    )


@router.get(
    "/{webhook_id}", responses={200: {"model": WebhookRead}, **problem_responses(401, 403, 404)}
)
async def get_webhook(subscription: WebhookDep) -> Response:
    """One webhook subscription (never its secret)."""
    return _answer(service.to_dict(subscription))


@router.patch(
    "/{webhook_id}",
    responses={200: {"model": WebhookRead}, **problem_responses(401, 403, 404, 422)},
)
async def update_webhook(
    data: WebhookUpdate,
    subscription: WebhookDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> Response:
    """Change a subscription; `{"enabled": false}` pauses it, `true` resumes it."""
    updated = await service.update_subscription(
        session,
        subscription,
        values=data.model_dump(exclude_unset=True),
        allow_private=settings.webhooks_allow_private,
        now=now,
    )
    return _answer(service.to_dict(updated))


@router.delete("/{webhook_id}", status_code=204, responses=problem_responses(401, 403, 404))
async def delete_webhook(subscription: WebhookDep, session: SessionDep) -> Response:
    """Remove a subscription and its delivery log."""
    await service.delete_subscription(session, subscription)
    return no_content()


@router.post(
    "/{webhook_id}/rotate-secret",
    responses={200: {"model": WebhookSecret}, **problem_responses(401, 403, 404)},
)
async def rotate_webhook_secret(
    subscription: WebhookDep, session: SessionDep, now: NowDep
) -> Response:
    """A new signing secret; the old one keeps signing, as a second signature, for 24 h."""
    rotated = await service.rotate_secret(session, subscription, now=now)
    return _answer({**service.to_dict(rotated), "secret": rotated.secret})


@router.get(
    "/{webhook_id}/deliveries",
    responses={200: {"model": DeliveryPage}, **problem_responses(401, 403, 404, 422)},
)
async def list_deliveries(
    request: Request,
    subscription: WebhookDep,
    session: SessionDep,
    settings: SettingsDep,
    page: PageDep,
    state: Annotated[
        DeliveryState | None, Query(description="Only deliveries in this state.")
    ] = None,
) -> Response:
    """The delivery log, newest first: each event's attempts, last answer and next attempt."""
    deliveries, total, next_cursor = await service.list_deliveries(
        session, subscription, page, state
    )
    return collection_response(
        request,
        deliveries,
        settings=settings,
        public=False,
        page=page,
        total=total,
        next_cursor=next_cursor,
    )


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/redeliver",
    status_code=202,
    responses={202: {"model": DeliveryRead}, **problem_responses(401, 403, 404)},
)
async def redeliver(
    subscription: WebhookDep,
    delivery_id: Annotated[uuid.UUID, Path(description="The delivery's id.")],
    session: SessionDep,
    now: NowDep,
) -> Response:
    """Send a delivery's event again now (same `webhook-id`), as a new entry of the log."""
    return _answer(
        await service.redeliver(session, subscription, delivery_id, now=now), status_code=202
    )


@router.post(
    "/{webhook_id}/replay",
    status_code=202,
    responses={202: {"model": ReplayResult}, **problem_responses(401, 403, 404, 422)},
)
async def replay_webhook(
    data: ReplayRequest, subscription: WebhookDep, session: SessionDep, now: NowDep
) -> Response:
    """Queue again every matching event since a change-feed cursor or a time."""
    queued, next_since = await service.replay(session, subscription, since=data.since, now=now)
    return _answer({"queued": queued, "next_since": next_since}, status_code=202)
