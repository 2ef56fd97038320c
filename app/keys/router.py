"""/v1/keys: API key administration (admin role)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, StringConstraints
from starlette.responses import Response

from app.core.db import SessionDep
from app.core.deps import NowDep, SettingsDep
from app.core.errors import problem_responses
from app.core.http import JSONBody
from app.core.pagination import OffsetPageDep, following_offset
from app.core.responses import collection_response
from app.core.schemas import Collection, InputModel
from app.core.security import AdminDep, Role, api_keys
from app.idempotency.deps import IdempotencyDep
from app.keys import repository, service

router = APIRouter(prefix="/v1/keys", tags=["keys"])


class KeyCreate(InputModel):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    role: Role


class KeyRead(BaseModel):
    id: uuid.UUID
    name: str
    role: Role
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


class KeyCreated(KeyRead):
    key: str


class KeyPage(Collection[KeyRead]):
    """A page of API keys."""


@router.get("", responses={200: {"model": KeyPage}, **problem_responses(401, 403, 422)})
async def list_keys(
    request: Request, session: SessionDep, _: AdminDep, settings: SettingsDep, page: OffsetPageDep
) -> Response:
    """API keys, oldest first (never their secrets)."""
    keys, total = await repository.keys_page(session, limit=page.limit, offset=page.offset or 0)
    return collection_response(
        request,
        [service.to_dict(k) for k in keys],
        settings=settings,
        public=False,
        page=page,
        total=total,
        next_cursor=None,
        next_offset=following_offset(page, total),
    )


@router.post(
    "",
    status_code=201,
    responses={201: {"model": KeyCreated}, **problem_responses(401, 403, 409, 422)},
)
async def create_key(
    data: KeyCreate, session: SessionDep, _: AdminDep, now: NowDep, idempotency: IdempotencyDep
) -> Response:
    """Make a key; its secret is in this response only."""
    key, raw = await service.create_key(session, name=data.name, role=data.role, now=now)
    return await idempotency.complete(
        JSONBody(
            {**service.to_dict(key), "key": raw},
            status_code=201,
            headers={"Cache-Control": "no-store"},
        )
    )


@router.delete("/{ref}", status_code=204, responses=problem_responses(401, 403, 404))
async def revoke_key(
    ref: Annotated[str, Path(max_length=200, description="Key id or name.")],
    request: Request,
    session: SessionDep,
    _: AdminDep,
    now: NowDep,
) -> Response:
    """Revoke a key; it stops working at once in this worker, within seconds in others."""
    await service.revoke_key(session, ref, now=now)
    api_keys(request.app).forget()
    return Response(status_code=204)
