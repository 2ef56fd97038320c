"""/v1/articles"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from app.articles import queries, related, service
from app.articles.filters import (
    ARTICLE_FIELDS,
    LIST_FIELDS,
    ArticleSort,
    FieldsQuery,
    FiltersDep,
    parse_fields,
)
from app.articles.responses import (
    REF_PATH,
    ArticleDep,
    article_list_response,
    article_response,
    hot_context,
    is_public,
    written_response,
)
from app.articles.schemas import (
    ArticleCreate,
    ArticlePage,
    ArticleRead,
    ArticleShown,
    ArticleUpdate,
    ImageIn,
    RelatedArticlePage,
)
from app.core.db import SessionDep
from app.core.deps import NowDep, PreconditionDep, PurgeQuery, Ref, SettingsDep, request_now
from app.core.errors import problem_responses
from app.core.http import Precondition
from app.core.merge_patch import NestedFields, merge_nested, refuse_nulls
from app.core.pagination import Page, PageDep
from app.core.responses import collection_response, moved_response, no_content
from app.core.security import EditorDep, PrincipalDep, check_purge
from app.idempotency.deps import IdempotencyDep
from app.linking.deps import LinkOptionsDep
from app.linking.service import LinkOptions
from app.models import Article
from app.previews import service as previews_service

router = APIRouter(prefix="/v1/articles", tags=["articles"])

PREVIEW_HEADER = "lede-preview"
# Fields a merge patch may not set to null: they always have a value.
NOT_NULLABLE = ("title", "body", "body_format", "authors", "language", "status", "tags", "entities")
# Object-valued fields a merge patch merges member by member.
NESTED: NestedFields = {"image": TypeAdapter(ImageIn)}


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
    preview: Annotated[
        str | None,
        Query(max_length=2000, description="A preview token (or send it as `Lede-Preview`)."),
    ] = None,
) -> Response:
    """One article by id or slug; with a preview token, that article in its current state."""
    chosen = parse_fields(fields, ARTICLE_FIELDS)
    token = preview or request.headers.get(PREVIEW_HEADER)
    if token is not None:
        return await _preview(request, session, ref, token, chosen)
    return await article_response(request, session, ref, principal, fields=chosen)


async def _preview(
    request: Request, session: AsyncSession, ref: str, token: str, fields: tuple[str, ...]
) -> Response:
    """The article a preview token opens, as an editor sees it: never public."""
    await previews_service.check_token(
        session, ref, token=token, key=request.app.state.secret_key, now=request_now(request)
    )
    return await article_response(request, session, ref, previews_service.PREVIEWER, fields=fields)


async def _edit(
    request: Request,
    article: Ref[Article],
    values: dict[str, Any],
    precondition: Precondition,
    linking: LinkOptions,
    *,
    merge: bool = False,
) -> Response:
    refuse_nulls(values, NOT_NULLABLE)
    item = await article.for_write()
    if merge:
        values = merge_nested(item, values, NESTED)
    item = await service.update_article(
        article.session,
        item,
        values=values,
        principal=article.principal,
        precondition=precondition,
        now=article.now,
        linking=linking,
    )
    return await written_response(request, article.session, item.id, item.version, item.slug)


@router.patch(
    "/{ref}",
    responses={
        200: {"model": ArticleRead},
        **problem_responses(401, 403, 404, 409, 410, 412, 422, 428),
    },
)
async def update_article(
    request: Request,
    article: ArticleDep,
    data: ArticleUpdate,
    principal: EditorDep,
    precondition: PreconditionDep,
    linking: LinkOptionsDep,
) -> Response:
    """Change some fields (JSON merge patch); send If-Match to never overwrite a colleague."""
    values = data.model_dump(exclude_unset=True)
    return await _edit(request, article, values, precondition, linking, merge=True)


@router.put(
    "/{ref}",
    responses={
        200: {"model": ArticleRead},
        **problem_responses(401, 403, 404, 409, 410, 412, 422, 428),
    },
)
async def replace_article(
    request: Request,
    article: ArticleDep,
    data: ArticleCreate,
    principal: EditorDep,
    precondition: PreconditionDep,
    linking: LinkOptionsDep,
) -> Response:
    """Replace the whole article; fields left out take their defaults."""
    values = data.model_dump()
    if values["slug"] is None:
        del values["slug"]
    if values["published_at"] is None:
        del values["published_at"]
    return await _edit(request, article, values, precondition, linking)


@router.delete(
    "/{ref}",
    status_code=204,
    responses={
        204: {"description": "Moved to the trash (or purged)."},
        **problem_responses(401, 403, 404, 410, 412, 428),
    },
)
async def delete_article(
    article: ArticleDep,
    principal: EditorDep,
    precondition: PreconditionDep,
    purge: PurgeQuery = False,
) -> Response:
    """Move an article to the trash; readers then get 410."""
    check_purge(principal, purge)
    await service.delete_article(
        article.session,
        await article.for_write(include_deleted=purge),
        purge=purge,
        principal=principal,
        precondition=precondition,
        now=article.now,
    )
    return no_content()


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
    article: ArticleDep,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=100, description="How many.")] = 10,
) -> Response:
    """Published articles sharing the most entities (2 points each) and tags (1 point each)."""
    found = await article.found()
    public = is_public(article.principal)
    if found.item is None:
        return moved_response(request, found, settings=settings, public=public)
    scored, total = await related.related_articles(
        article.session, found.item, limit=limit, now=article.now
    )
    return collection_response(
        request,
        [{**queries.to_dict(item, LIST_FIELDS), "score": score} for item, score in scored],
        settings=settings,
        public=public,
        page=Page(limit=limit, offset=0, cursor=None),
        total=total,
        next_cursor=None,
    )
