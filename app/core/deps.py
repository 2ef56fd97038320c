"""Typed dependencies shared by every router."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import utcnow
from app.core.config import Settings
from app.core.http import Precondition, if_match_tags
from app.core.security import Principal
from app.core.slugs import Found, current

R = TypeVar("R")


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
PurgeQuery = Annotated[bool, Query(description="Remove for good (admin only).")]


@dataclass(frozen=True, slots=True)
class Ref(Generic[R]):
    """The resource a path names by id or slug, with what finds it as the principal may see it
    and the request's session, principal and "now".

    It is looked up when the endpoint asks, after FastAPI has checked the rest of the
    request: a bad query or body is a 422 whatever the ref names, and costs no look-up.
    An endpoint that takes one uses its session, principal and now rather than declaring
    them again: FastAPI walks every declared dependency on every request, cached or not.
    """

    ref: str
    session: AsyncSession
    principal: Principal
    now: datetime
    find: Callable[..., Awaitable[Found[R]]]

    async def found(self) -> Found[R]:
        """The resource as the principal may see it (else 404 or 410), or where a former
        slug moved."""
        return await self.find(self.session, self.ref, principal=self.principal, now=self.now)

    async def for_write(self, *, include_deleted: bool = False, for_update: bool = True) -> R:
        """What a write addresses, by id or current slug (a former one is a 422), locked
        until the write commits unless ``for_update`` is False; ``include_deleted`` finds
        one in the trash too (a purge, an untrash)."""
        found = await self.find(
            self.session,
            self.ref,
            principal=self.principal,
            now=self.now,
            include_deleted=include_deleted,
            for_update=for_update,
        )
        return current(found, self.ref)
