"""The one clock: aware UTC times, for rows, requests and the visibility rule alike."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
