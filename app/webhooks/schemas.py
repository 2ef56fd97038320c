"""Webhook request and response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from app.core.schemas import InputModel
from app.webhooks.events import PATTERNS
from app.webhooks.guard import Refused, check_url

DeliveryState = Literal["pending", "delivered", "failed"]


def _known_patterns(patterns: list[str]) -> list[str]:
    unknown = [p for p in patterns if p not in PATTERNS]
    if unknown:
        raise ValueError(
            f"unknown event type {unknown[0]!r}; use one of {', '.join(sorted(PATTERNS))}"
        )
    return list(dict.fromkeys(patterns))


def _web_url(url: str) -> str:
    try:
        check_url(url)
    except Refused as exc:
        raise ValueError(str(exc)) from None
    return url


Url = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
    AfterValidator(_web_url),
]
Events = Annotated[list[str], Field(min_length=1, max_length=20), AfterValidator(_known_patterns)]
FilterValue = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class WebhookFilters(InputModel):
    """Narrow article events to articles that carry the tag, are in the section (or
    below it), or mention the entity; each by slug, all given must hold."""

    tag: FilterValue | None = None
    section: FilterValue | None = None
    entity: FilterValue | None = None


class WebhookCreate(InputModel):
    url: Url
    events: Events
    filters: WebhookFilters | None = None
    include_drafts: bool = False
    description: Annotated[str, StringConstraints(max_length=500)] | None = None


class WebhookUpdate(InputModel):
    url: Url | None = None
    events: Events | None = None
    filters: WebhookFilters | None = None
    include_drafts: bool | None = None
    description: Annotated[str, StringConstraints(max_length=500)] | None = None
    enabled: bool | None = None


class WebhookRead(BaseModel):
    id: uuid.UUID
    url: str
    events: list[str]
    filters: WebhookFilters
    include_drafts: bool
    description: str | None
    enabled: bool
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime


class WebhookSecret(WebhookRead):
    secret: str = Field(description="The signing secret; shown in this response only.")


class DeliveryRead(BaseModel):
    id: uuid.UUID
    webhook_id: uuid.UUID
    event_id: str = Field(description="The `webhook-id` header: the same on every attempt.")
    event: str
    seq: int
    resource_id: uuid.UUID
    state: DeliveryState
    attempts: int
    last_status_code: int | None
    last_error: str | None
    latency_ms: int | None
    response_body: str | None
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime


class ReplayRequest(InputModel):
    since: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
        Field(description="A change-feed cursor (`meta.next_cursor` of /v1/changes) or a time."),
    ]


class ReplayResult(BaseModel):
    queued: int
    next_since: str | None = Field(
        description="Set when the replay stopped at its limit: replay again from here."
    )


class Meta(BaseModel):
    total: int
    limit: int
    offset: int | None
    next_cursor: str | None


class Links(BaseModel):
    self: str
    next: str | None


class WebhookPage(BaseModel):
    data: list[WebhookRead]
    meta: Meta
    links: Links


class DeliveryPage(BaseModel):
    data: list[DeliveryRead]
    meta: Meta
    links: Links
