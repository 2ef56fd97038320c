"""Typed dependencies shared by every router."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from app.core.clock import utcnow
from app.core.config import Settings
from app.core.http import Precondition, if_match_tags


async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def request_now(request: Request) -> datetime:
    """One notion of "now" per request, so every visibility check agrees."""
    now: datetime | None = getattr(request.state, "now", None)
    if now is None:
        now = utcnow()
        request.state.now = now
    return now


# Dependencies are coroutines: a plain function would be run in the thread pool,
# a hop that costs more than the work on every request.


async def get_now(request: Request) -> datetime:
    return request_now(request)


async def get_precondition(request: Request) -> Precondition:
    return Precondition(
        tags=if_match_tags(request),
        required=request.app.state.settings.require_if_match,
    )


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
NowDep = Annotated[datetime, Depends(get_now)]
PreconditionDep = Annotated[Precondition, Depends(get_precondition)]
