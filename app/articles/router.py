"""/v1/articles"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from app.articles import related, service
from app.articles import revisions as revisions_service
from app.articles.filters import (
    ARTICLE_FIELDS,
    LIST_FIELDS,
    ArticleFilters,
    ArticleSort,
    FieldsQuery,
    FiltersDep,
    parse_fields,
)
from app.articles.reads import Document, Rendered
from app.articles.schemas import (
    ArticleCreate,
    ArticlePage,
    ArticleRead,
    ArticleShown,
    ArticleUpdate,
    CorrectionCreate,
    RelatedArticlePage,
)
from app.core.config import Settings
from app.core.db import SessionDep
from app.core.deps import NowDep, PreconditionDep, SettingsDep, request_now
from app.core.errors import invalid, problem_responses
from app.core.http import (
    body_etag,
    cached_body,
    cached_json,
    dumps,
    not_modified,
    validator_headers,
    version_etag,
)
from app.core.idempotency import IdempotencyDep
from app.core.pagination import Page, PageDep, base_url, envelope, self_url
from app.core.repository import Precondition, current
from app.core.responses import (
    collection_response,
    moved_response,
    no_content,
    stored_response,
)
from app.core.security import EditorDep, Principal, PrincipalDep, check_purge
from app.linking.router import LinkOptionsDep
from app.linking.service import LinkOptions
from app.models import Article

router = APIRouter(prefix="/v1/articles", tags=["articles"])

REF_PATH = Path(description="An article id or slug; a former slug answers 301 to the current one.")
# Fields a merge patch may not set to null: they always have a value.
NOT_NULLABLE = ("title", "body", "body_format", "authors", "language", "status", "tags", "entities")


def hot_context(request: Request) -> tuple[Settings, datetime]:
    """The settings and the request's "now", for the hottest reads.

    Not dependencies there: each dependency FastAPI resolves costs about a
    tenth of a cached answer (a 304 took a fifth less CPU without three of them).
    """
    settings: Settings = request.app.state.settings
    return settings, request_now(request)


def is_public(principal: Principal) -> bool:
    return not principal.sees_drafts


async def written_response(
    request: Request,
    session: AsyncSession,
    article_id: uuid.UUID,
    version: int,
    slug: str,
    *,
    status_code: int = 200,
) -> Response:
    """The article as a write left it, read back as every read shows it."""
    location = f"{base_url(request)}/v1/articles/{slug}" if status_code == 201 else None
    return stored_response(
        await service.stored_json(session, article_id, version),
        etag=version_etag(article_id, version),
        status_code=status_code,
        location=location,
    )


@router.get("", response_model=ArticlePage, responses=problem_responses(401, 422))
async def list_articles(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    filters: FiltersDep,
    page: PageDep,
    fields: FieldsQuery = None,
    sort: Annotated[ArticleSort, Query(description="Order of the list.")] = "-published_at",
) -> Response:
    """Articles, newest first; readers see only what is published."""
    settings, now = hot_context(request)
    return await article_list_response(
        request, session, principal, settings, now, filters, page, fields, sort
    )


async def article_list_response(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    now: datetime,
    filters: ArticleFilters,
    page: Page,
    fields: str | None,
    sort: ArticleSort,
) -> Response:
    """A page of articles as every article listing answers it (also entity and tag pages)."""

    def render_page(items: list[dict[str, Any]], total: int, next_cursor: str | None) -> Rendered:
        content, headers = envelope(request, items, page=page, total=total, next_cursor=next_cursor)
        body = dumps(content)
        return Rendered(body, body_etag(body), headers)

    rendered = await service.list_rendered(
        session,
        key=self_url(request),
        filters=filters,
        sort=sort,
        page=page,
        principal=principal,
        now=now,
        fields=parse_fields(fields, LIST_FIELDS),
        render=render_page,
    )
    return cached_body(
        request,
        rendered.body,
        media_type="application/json",
        settings=settings,
        public=is_public(principal),
        etag=rendered.etag,
        headers=rendered.headers,
    )


@router.post(
    "",
    status_code=201,
    responses={201: {"model": ArticleRead}, **problem_responses(401, 403, 409, 413, 422)},
)
async def create_article(
    request: Request,
    data: ArticleCreate,
    session: SessionDep,
    principal: EditorDep,
    settings: SettingsDep,
    now: NowDep,
    idempotency: IdempotencyDep,
    linking: LinkOptionsDep,
) -> Response:
    """Create an article; tags and entities named are found or created."""
    written = await service.create_article(
        session, data=data, principal=principal, now=now, linking=linking
    )
    return await idempotency.complete(
        await written_response(
            request, session, written["id"], written["version"], written["slug"], status_code=201
        )
    )


@router.get(
    "/{ref}",
    response_model=ArticleShown,
    responses={
        301: {"description": "A former slug: moved to the current one."},
        304: {"description": "Not modified."},
        **problem_responses(401, 404, 410),
    },
)
async def get_article(
    request: Request,
    ref: Annotated[str, REF_PATH],
    session: SessionDep,
    principal: PrincipalDep,
    fields: FieldsQuery = None,
) -> Response:
    """One article by id or slug."""
    return await article_response(
        request, session, ref, principal, fields=parse_fields(fields, ARTICLE_FIELDS)
    )


async def article_response(
    request: Request,
    session: AsyncSession,
    ref: str,
    principal: Principal,
    *,
    fields: tuple[str, ...],
    document: Document | None = None,
) -> Response:
    """One article, as JSON or as ``document``: who may see it, its ETag and cache headers,
    304s and 301s are the same for every rendering."""
    settings, now = hot_context(request)
    public = is_public(principal)
    media_type = "application/json" if document is None else document.media_type
    # The version alone says whether the client's copy is current, and keys
    # the rendered JSON: neither needs the article loaded.
    current = await service.current_version(session, ref, principal=principal, now=now)
    if current is not None:
        etag = version_etag(current.id, current.version)
        if not_modified(request, etag, current.updated_at):
            headers = validator_headers(
                settings, public=public, etag=etag, last_modified=current.updated_at
            )
            return Response(status_code=304, headers=headers)
        body = await service.article_body(session, current, fields, now, document)
        if body is not None:
            return cached_body(
                request,
                body,
                media_type=media_type,
                settings=settings,
                public=public,
                etag=etag,
                last_modified=current.updated_at,
            )
    # Not visible to this principal, a former slug, or changed meanwhile: the
    # full look-up says which (404, 410, 301) or renders what is there now.
    shows_trash = document is not None and document.shows_trash
    found = await service.find_article(
        session, ref, principal=principal, now=now, include_deleted=shows_trash
    )
    if found.item is None:
        return moved_response(request, found, settings=settings, public=public)
    article = found.item
    rendered = await service.render_article(service.to_dict(article, fields), document)
    return cached_body(
        request,
        rendered.body,
        media_type=media_type,
        settings=settings,
        public=public,
        etag=version_etag(article.id, article.version),
        last_modified=article.updated_at,
    )


async def _editable(
    session: AsyncSession,
    ref: str,
    principal: Principal,
    now: datetime,
    *,
    include_deleted: bool = False,
    for_update: bool = True,
) -> Article:
    """The article a write addresses: by id or current slug only, never a former one."""
    found = await service.find_article(
        session,
        ref,
        principal=principal,
        now=now,
        include_deleted=include_deleted,
        for_update=for_update,
    )
    return current(found, ref)


async def _edit(
    request: Request,
    ref: str,
    values: dict[str, Any],
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    now: datetime,
    precondition: Precondition,
    linking: LinkOptions,
) -> Response:
    for name in NOT_NULLABLE:
        if name in values and values[name] is None:
            raise invalid(["body", name], f"{name} cannot be null.")
    article = await _editable(session, ref, principal, now)
    article = await service.update_article(
        session,
        article,
        values=values,
        principal=principal,
        precondition=precondition,
        now=now,
        linking=linking,
    )
    return await written_response(request, session, article.id, article.version, article.slug)


@router.patch(
    "/{ref}",
    responses={
        200: {"model": ArticleRead},
        **problem_responses(401, 403, 404, 409, 410, 412, 422, 428),
    },
)
async def update_article(
    request: Request,
    ref: Annotated[str, REF_PATH],
    data: ArticleUpdate,
    session: SessionDep,
    principal: EditorDep,
    settings: SettingsDep,
    now: NowDep,
    precondition: PreconditionDep,
    linking: LinkOptionsDep,
) -> Response:
    """Change some fields (JSON merge patch); send If-Match to never overwrite a colleague."""
    values = data.model_dump(exclude_unset=True)
    return await _edit(
        request, ref, values, session, principal, settings, now, precondition, linking
    )


@router.put(
    "/{ref}",
    responses={
        200: {"model": ArticleRead},
        **problem_responses(401, 403, 404, 409, 410, 412, 422, 428),
    },
)
async def replace_article(
    request: Request,
    ref: Annotated[str, REF_PATH],
    data: ArticleCreate,
    session: SessionDep,
    principal: EditorDep,
    settings: SettingsDep,
    now: NowDep,
    precondition: PreconditionDep,
    linking: LinkOptionsDep,
) -> Response:
    """Replace the whole article; fields left out take their defaults."""
    values = data.model_dump()
    if values["slug"] is None:
        del values["slug"]
    if values["published_at"] is None:
        del values["published_at"]
    return await _edit(
        request, ref, values, session, principal, settings, now, precondition, linking
    )


@router.delete(
    "/{ref}",
    status_code=204,
    responses={
        204: {"description": "Moved to the trash (or purged)."},
        **problem_responses(401, 403, 404, 410, 412, 428),
    },
)
async def delete_article(
    ref: Annotated[str, REF_PATH],
    session: SessionDep,
    principal: EditorDep,
    now: NowDep,
    precondition: PreconditionDep,
    purge: Annotated[bool, Query(description="Remove for good (admin only).")] = False,
) -> Response:
    """Move an article to the trash; readers then get 410."""
    check_purge(principal, purge)
    article = await _editable(session, ref, principal, now, include_deleted=purge)
    await service.delete_article(
        session, article, purge=purge, principal=principal, precondition=precondition, now=now
    )
    return no_content()


class RevisionRead(BaseModel):
    version: int
    updated_by: str | None
    updated_at: datetime
    changed_fields: list[str]
    article: dict[str, Any]


class RevisionsMeta(BaseModel):
    total: int
    current_version: int


class RevisionList(BaseModel):
    data: list[RevisionRead]
    meta: RevisionsMeta


@router.get(
    "/{ref}/revisions",
    responses={
        200: {"model": RevisionList, "description": "Earlier versions, newest first."},
        **problem_responses(401, 403, 404, 410),
    },
)
async def list_article_revisions(
    request: Request,
    ref: Annotated[str, REF_PATH],
    session: SessionDep,
    principal: EditorDep,
    settings: SettingsDep,
    now: NowDep,
) -> Response:
    """Earlier versions of an article: who, when, what changed."""
    article = await _editable(session, ref, principal, now, include_deleted=True, for_update=False)
    revisions = await revisions_service.list_revisions(session, article)
    return cached_json(
        request,
        {"data": revisions, "meta": {"total": len(revisions), "current_version": article.version}},
        settings=settings,
        public=False,
    )


@router.post(
    "/{ref}/revisions/{version}/restore",
    responses={200: {"model": ArticleRead}, **problem_responses(401, 403, 404, 410, 412, 428)},
)
async def restore_article_revision(
    request: Request,
    ref: Annotated[str, REF_PATH],
    version: Annotated[int, Path(ge=1, le=2**31 - 1, description="An earlier version.")],
    session: SessionDep,
    principal: EditorDep,
    settings: SettingsDep,
    now: NowDep,
    precondition: PreconditionDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Make an earlier version current again, as a new version."""
    article = await _editable(session, ref, principal, now)
    article = await revisions_service.restore_revision(
        session, article, version, principal=principal, precondition=precondition, now=now
    )
    return await idempotency.complete(
        await written_response(request, session, article.id, article.version, article.slug)
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
    ref: Annotated[str, REF_PATH],
    data: CorrectionCreate,
    session: SessionDep,
    principal: EditorDep,
    now: NowDep,
    precondition: PreconditionDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Publish a correction note: it joins the article's `corrections`, newest last."""
    article = await _editable(session, ref, principal, now)
    article = await service.add_correction(
        session, article, text=data.text, principal=principal, precondition=precondition, now=now
    )
    return await idempotency.complete(
        await written_response(
            request, session, article.id, article.version, article.slug, status_code=201
        )
    )


@router.post(
    "/{ref}/restore",
    responses={200: {"model": ArticleRead}, **problem_responses(401, 403, 404, 412, 428)},
)
async def untrash_article(
    request: Request,
    ref: Annotated[str, REF_PATH],
    session: SessionDep,
    principal: EditorDep,
    settings: SettingsDep,
    now: NowDep,
    precondition: PreconditionDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Take an article out of the trash."""
    article = await _editable(session, ref, principal, now, include_deleted=True)
    article = await revisions_service.untrash(
        session, article, principal=principal, precondition=precondition, now=now
    )
    return await idempotency.complete(
        await written_response(request, session, article.id, article.version, article.slug)
    )


@router.get(
    "/{ref}/related",
    response_model=RelatedArticlePage,
    responses={
        301: {"description": "A former slug: moved to the current one."},
        **problem_responses(401, 404, 410, 422),
    },
)
async def list_related_articles(
    request: Request,
    ref: Annotated[str, REF_PATH],
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    now: NowDep,
    limit: Annotated[int, Query(ge=1, le=100, description="How many.")] = 10,
) -> Response:
    """Published articles sharing the most entities (2 points each) and tags (1 point each)."""
    found = await service.find_article(session, ref, principal=principal, now=now)
    if found.item is None:
        return moved_response(request, found, settings=settings, public=is_public(principal))
    scored, total = await related.related_articles(session, found.item, limit=limit, now=now)
    return collection_response(
        request,
        [{**service.to_dict(article, LIST_FIELDS), "score": score} for article, score in scored],
        settings=settings,
        public=is_public(principal),
        page=Page(limit=limit, offset=0, cursor=None),
        total=total,
        next_cursor=None,
    )
