"""Article history over HTTP: earlier versions, restoring one, corrections, and the trash."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel
from starlette.responses import Response

from app.articles import revisions as revisions_service
from app.articles import service
from app.articles.responses import ArticleDep, written_response
from app.articles.schemas import ArticleRead, CorrectionCreate
from app.core.deps import PreconditionDep, SettingsDep
from app.core.errors import problem_responses
from app.core.pagination import OffsetPageDep, following_offset
from app.core.responses import collection_response
from app.core.schemas import Collection, CollectionMeta
from app.core.security import EditorDep
from app.idempotency.deps import IdempotencyDep

router = APIRouter(prefix="/v1/articles", tags=["articles"])


async def earlier_version(
    version: Annotated[int, Path(ge=1, le=2**31 - 1, description="An earlier version.")],
) -> int:
    return version


# A dependency, as the article is: the path's parameters are documented in their order.
VersionDep = Annotated[int, Depends(earlier_version)]


class RevisionRead(BaseModel):
    version: int
    updated_by: str | None
    updated_at: datetime
    changed_fields: list[str]
    article: dict[str, Any]


class RevisionsMeta(CollectionMeta):
    current_version: int


class RevisionPage(Collection[RevisionRead]):
    """Earlier versions of an article, newest first."""

    meta: RevisionsMeta


@router.get(
    "/{ref}/revisions",
    responses={
        200: {"model": RevisionPage, "description": "Earlier versions, newest first."},
        **problem_responses(401, 403, 404, 410),
    },
)
async def list_article_revisions(
    request: Request,
    ref: ArticleDep,
    principal: EditorDep,
    settings: SettingsDep,
    page: OffsetPageDep,
) -> Response:
    """Earlier versions of an article, newest first: who, when, what changed."""
    article = await ref.for_write(include_deleted=True, for_update=False)
    revisions, total = await revisions_service.list_revisions(
        ref.session, article, limit=page.limit, offset=page.offset or 0
    )
    return collection_response(
        request,
        revisions,
        settings=settings,
        public=False,
        page=page,
        total=total,
        next_cursor=None,
        next_offset=following_offset(page, total),
        meta={"current_version": article.version},
    )


@router.post(
    "/{ref}/revisions/{version}/restore",
    responses={200: {"model": ArticleRead}, **problem_responses(401, 403, 404, 410, 412, 428)},
)
async def restore_article_revision(
    request: Request,
    ref: ArticleDep,
    version: VersionDep,
    principal: EditorDep,
    settings: SettingsDep,
    precondition: PreconditionDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Make an earlier version current again, as a new version."""
    article = await revisions_service.restore_revision(
        ref.session,
        await ref.for_write(),
        version,
        principal=principal,
        precondition=precondition,
        now=ref.now,
    )
    return await idempotency.complete(
        await written_response(request, ref.session, article.id, article.version, article.slug)
    )


@router.post(
    "/{ref}/corrections",
    status_code=201,
    responses={
        201: {"model": ArticleRead, "description": "The article, with the correction last."},
        **problem_responses(401, 403, 404, 410, 412, 422, 428),
    },
)
async def add_article_correction(
    request: Request,
    ref: ArticleDep,
    data: CorrectionCreate,
    principal: EditorDep,
    precondition: PreconditionDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Publish a correction note: it joins the article's `corrections`, newest last."""
    article = await service.add_correction(
        ref.session,
        await ref.for_write(),
        text=data.text,
        principal=principal,
        precondition=precondition,
        now=ref.now,
    )
    return await idempotency.complete(
        await written_response(
            request, ref.session, article.id, article.version, article.slug, status_code=201
        )
    )


@router.post(
    "/{ref}/restore",
    responses={200: {"model": ArticleRead}, **problem_responses(401, 403, 404, 412, 428)},
)
async def untrash_article(
    request: Request,
    ref: ArticleDep,
    principal: EditorDep,
    settings: SettingsDep,
    precondition: PreconditionDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Take an article out of the trash."""
    article = await revisions_service.untrash(
        ref.session,
        await ref.for_write(include_deleted=True),
        principal=principal,
        precondition=precondition,
        now=ref.now,
    )
    return await idempotency.complete(
        await written_response(request, ref.session, article.id, article.version, article.slug)
    )
