"""/v1/articles/{ref}/preview: preview links for editors to open drafts on the real site."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from app.articles import queries as articles_queries
from app.core.db import SessionDep
from app.core.deps import NowDep, SettingsDep
from app.core.errors import problem_responses
from app.core.http import JSONBody
from app.core.pagination import base_url
from app.core.responses import no_content
from app.core.schemas import InputModel
from app.core.security import EditorDep
from app.core.slugs import current
from app.previews import service

router = APIRouter(prefix="/v1/articles", tags=["articles"])

REF = Path(description="An article id or its current slug.")
MAX_TTL = 7 * 24 * 3600


class PreviewCreate(InputModel):
    ttl_seconds: int = Field(default=3600, ge=60, le=MAX_TTL, description="At most 7 days.")


class PreviewRead(BaseModel):
    token: str = Field(description="Send as `Lede-Preview: <token>` or `?preview=<token>`.")
    expires_at: datetime
    url: str = Field(description="`LEDE_PREVIEW_URL` filled in, or the API URL of the article.")


@router.post(
    "/{ref}/preview",
    status_code=201,
    responses={201: {"model": PreviewRead}, **problem_responses(401, 403, 404, 410, 422)},
)
async def create_preview(
    request: Request,
    ref: Annotated[str, REF],
    session: SessionDep,
    principal: EditorDep,
    settings: SettingsDep,
    now: NowDep,
    data: PreviewCreate | None = None,
) -> Response:
    """A token that opens this article, as it is at each read, until it expires or is revoked."""
    found = await articles_queries.find_article(session, ref, principal=principal, now=now)
    article = current(found, ref)
    preview = await service.issue(
        session,
        article,
        ttl_seconds=(data or PreviewCreate()).ttl_seconds,
        key=request.app.state.secret_key,
        url_template=settings.preview_url,
        api_url=base_url(request),
        now=now,
    )
    return JSONBody(preview, status_code=201, headers={"Cache-Control": "no-store"})


@router.delete("/{ref}/preview", status_code=204, responses=problem_responses(401, 403, 404, 410))
async def revoke_previews(
    ref: Annotated[str, REF], session: SessionDep, principal: EditorDep, now: NowDep
) -> Response:
    """Revoke every preview token of the article at once."""
    found = await articles_queries.find_article(session, ref, principal=principal, now=now)
    await service.revoke(session, current(found, ref))
    return no_content()
