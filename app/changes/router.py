"""/v1/changes"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from starlette.responses import Response

from app.changes import service
from app.core.db import SessionDep
from app.core.deps import NowDep, SettingsDep
from app.core.errors import problem_responses
from app.core.http import body_etag, dumps
from app.core.pagination import MAX_LIMIT, Page
from app.core.responses import collection_response
from app.core.security import PrincipalDep
from app.models import Change

router = APIRouter(prefix="/v1", tags=["changes"])

ResourceType = Literal["articles", "entities", "tags", "authors"]


class ChangeRead(BaseModel):
    seq: int
    event: Literal["created", "updated", "deleted", "published", "unpublished"]
    resource_type: ResourceType
    id: uuid.UUID
    version: int
    occurred_at: datetime


class ChangeMeta(BaseModel):
    total: int
    limit: int
    offset: int | None
    next_cursor: str


class ChangeLinks(BaseModel):
    self: str
    next: str | None


class ChangePage(BaseModel):
    data: list[ChangeRead]
    meta: ChangeMeta
    links: ChangeLinks


def _event(change: Change) -> dict[str, object]:
    return {
        "seq": change.seq,
        "event": change.event,
        "resource_type": change.resource_type,
        "id": change.resource_id,
        "version": change.version,
        "occurred_at": change.occurred_at,
    }


@router.get("/changes", responses={200: {"model": ChangePage}, **problem_responses(401, 422)})
async def list_changes(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    now: NowDep,
    cursor: Annotated[
        str | None,
        Query(max_length=500, description="`meta.next_cursor` of the last page read."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Events per page.")] = 20,
    resource_type: Annotated[
        ResourceType | None, Query(description="Only events of this kind of resource.")
    ] = None,
) -> Response:
    """Events in the order they happened; poll again from `meta.next_cursor` for new ones."""
    changes, total, after, more = await service.read_feed(
        session,
        cursor=cursor,
        limit=limit,
        resource_type=resource_type,
        principal=principal,
        now=now,
    )
    position = after.encode()
    events = [_event(c) for c in changes]
    return collection_response(
        request,
        events,
        settings=settings,
        public=not principal.sees_drafts,
        page=Page(limit=limit, offset=None, cursor=cursor),
        total=total,
        next_cursor=position if more else None,
        # Set even on the last page: it is where the next poll starts.
        meta={"next_cursor": position},
        # The cursor records when it was read, so the body differs on every poll;
        # the tag covers what the client learns from it, and a 304 leaves it with
        # a cursor that still reads on from the same events.
        etag=body_etag(dumps([events, total, more])),
    )
