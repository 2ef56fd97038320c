"""/v1/tags"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import Response

from app.articles.filters import ArticleFilters, ArticleSort, FieldsDep, FiltersDep
from app.articles.responses import is_public, read_caches
from app.articles.schemas import ArticlePage
from app.core.config import Settings
from app.core.db import SessionDep
from app.core.deps import NowDep, PreconditionDep, PurgeQuery, Ref, SettingsDep, request_now
from app.core.errors import problem_responses
from app.core.http import Precondition
from app.core.merge_patch import refuse_nulls
from app.core.pagination import PageDep, base_url
from app.core.responses import no_content, resource_response
from app.core.security import EditorDep, PrincipalDep, check_purge
from app.idempotency.deps import IdempotencyDep
from app.models import Tag
from app.resource_responses import (
    DELETE_RESPONSES,
    LISTED_RESPONSES,
    articles_response,
    create_responses,
    edit_responses,
    moved,
    page_response,
    read_responses,
)
from app.tags import service
from app.tags.repository import TagSort
from app.tags.schemas import TagCreate, TagPage, TagRead, TagUpdate

router = APIRouter(prefix="/v1/tags", tags=["tags"])
REF_PATH = Path(description="A tag id or slug; a former slug answers 301 to the current one.")
Q = Query(max_length=200, description="Name prefix, for typeahead.")
# Fields an edit may not set to null: they always have a value.
NOT_NULL = ("name",)


async def tag_ref(
    request: Request, ref: Annotated[str, REF_PATH], session: SessionDep, principal: PrincipalDep
) -> Ref[Tag]:
    """The tag the path names, to be found as the principal may see it."""
    return Ref(ref, session, principal, request_now(request), service.find_tag)


TagDep = Annotated[Ref[Tag], Depends(tag_ref)]


@router.get("", response_model=TagPage, responses=problem_responses(401, 422))
async def list_tags(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    now: NowDep,
    page: PageDep,
    q: Annotated[str | None, Q] = None,
    sort: Annotated[TagSort, Query(description="Order of the list.")] = "-article_count",
) -> Response:
    """Tags, most used first; `q` finds them by the start of their name."""
    listed = await service.list_tags(
        session,
        q=q,
        sort=sort,
        page=page,
        now=now,
        sees_drafts=principal.sees_drafts,
        positions=read_caches(request).positions,
    )
    return page_response(request, listed, principal=principal, settings=settings, page=page)


@router.post("", status_code=201, responses=create_responses(TagRead))
async def create_tag(
    request: Request,
    data: TagCreate,
    session: SessionDep,
    principal: EditorDep,
    settings: SettingsDep,
    now: NowDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Create a tag; names are unique whatever their case."""
    tag = await service.create_tag(session, data=data, now=now)
    return await idempotency.complete(
        resource_response(
            request,
            await service.read_tag(session, tag, now),
            resource=tag,
            settings=settings,
            public=False,
            status_code=201,
            location=f"{base_url(request)}{router.prefix}/{tag.slug}",
        )
    )


@router.get("/{ref}", responses=read_responses(TagRead))
async def get_tag(request: Request, tag: TagDep, settings: SettingsDep) -> Response:
    """One tag by id or slug."""
    found = await tag.found()
    if found.item is None:
        return moved(request, found, principal=tag.principal, settings=settings)
    return resource_response(
        request,
        await service.read_tag(tag.session, found.item, tag.now),
        resource=found.item,
        settings=settings,
        public=is_public(tag.principal),
    )


async def _edited(
    request: Request,
    tag: Ref[Tag],
    values: dict[str, Any],
    settings: Settings,
    precondition: Precondition,
) -> Response:
    refuse_nulls(values, NOT_NULL)
    item = await service.update_tag(
        tag.session, await tag.for_write(), values=values, precondition=precondition, now=tag.now
    )
    return resource_response(
        request,
        await service.read_tag(tag.session, item, tag.now),
        resource=item,
        settings=settings,
        public=False,
    )


@router.patch("/{ref}", responses=edit_responses(TagRead))
async def update_tag(
    request: Request,
    data: TagUpdate,
    tag: TagDep,
    principal: EditorDep,
    settings: SettingsDep,
    precondition: PreconditionDep,
) -> Response:
    """Change some fields of a tag (JSON merge patch)."""
    values = data.model_dump(exclude_unset=True)
    return await _edited(request, tag, values, settings, precondition)


@router.put("/{ref}", responses=edit_responses(TagRead))
async def replace_tag(
    request: Request,
    data: TagCreate,
    tag: TagDep,
    principal: EditorDep,
    settings: SettingsDep,
    precondition: PreconditionDep,
) -> Response:
    """Replace a tag."""
    return await _edited(request, tag, data.model_dump(), settings, precondition)


@router.delete("/{ref}", status_code=204, responses=DELETE_RESPONSES)
async def delete_tag(
    tag: TagDep,
    principal: EditorDep,
    precondition: PreconditionDep,
    purge: PurgeQuery = False,
) -> Response:
    """Move a tag to the trash; its articles keep their other tags."""
    check_purge(principal, purge)
    item = await tag.for_write(include_deleted=purge)
    await service.delete_tag(tag.session, item, purge=purge, precondition=precondition, now=tag.now)
    return no_content()


@router.get("/{ref}/articles", response_model=ArticlePage, responses=LISTED_RESPONSES)
async def list_tag_articles(
    request: Request,
    tag: TagDep,
    settings: SettingsDep,
    filters: FiltersDep,
    page: PageDep,
    fields: FieldsDep,
    sort: Annotated[ArticleSort, Query(description="Order of the list.")] = "-published_at",
) -> Response:
    """Articles carrying the tag, newest first."""
    return await articles_response(
        request, tag, ArticleFilters.with_tag, settings, filters, page, fields, sort
    )
