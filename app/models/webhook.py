"""Webhook subscriptions, their delivery log, and where the senders stand in the change feed."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import utcnow
from app.models.base import Base, BigIntPK, IdMixin, TimestampMixin


class WebhookSubscription(IdMixin, TimestampMixin, Base):
    __tablename__ = "webhook_subscriptions"

    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[str]] = mapped_column()
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    include_drafts: Mapped[bool] = mapped_column(default=False)
    description: Mapped[str | None] = mapped_column(String(500), default=None)
    enabled: Mapped[bool] = mapped_column(default=True)
    disabled_reason: Mapped[str | None] = mapped_column(Text, default=None)
    secret: Mapped[str] = mapped_column(String(100))
    # After a rotation the old secret signs too (a second signature) until then.
    previous_secret: Mapped[str | None] = mapped_column(String(100), default=None)
    previous_secret_until: Mapped[datetime | None] = mapped_column(default=None)
    # The change feed's last event when the subscription was made: it hears of later ones.
    after_seq: Mapped[int] = mapped_column(BigIntPK, default=0)
    # The first failure since the last success; five days of them disable it.
    failing_since: Mapped[datetime | None] = mapped_column(default=None)


class WebhookDelivery(IdMixin, Base):
    """One event to send to one subscription, and how its attempts went."""

    __tablename__ = "webhook_deliveries"

    subscription_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE")
    )
    seq: Mapped[int] = mapped_column(BigIntPK)
    event_type: Mapped[str] = mapped_column(String(32))
    resource_id: Mapped[uuid.UUID] = mapped_column()
    payload: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    last_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    last_status_code: Mapped[int | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)
    latency_ms: Mapped[int | None] = mapped_column(default=None)
    response_body: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (
        Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),
        Index("ix_webhook_deliveries_order", "subscription_id", "resource_id", "seq"),
        Index("ix_webhook_deliveries_log", "subscription_id", "created_at", "id"),
    )


class WebhookCursor(Base):
    """How far deliveries have been made from the change feed, as readers and as editors see it."""

    __tablename__ = "webhook_cursors"

    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    position: Mapped[str | None] = mapped_column(Text, default=None)


class ArticlePreview(Base):
    """The nonce every preview token of an article carries; a new one revokes them all."""

    __tablename__ = "article_previews"

    article_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    nonce: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
