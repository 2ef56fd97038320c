"""/v1/tags"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from app.articles.filters import ArticleSort, FieldsDep, FiltersDep
from app.articles.router import article_list_response, is_public
from app.core.db import SessionDep
from app.core.deps import NowDep, PreconditionDep, SettingsDep
from app.core.errors import invalid, problem_responses
from app.core.idempotency import IdempotencyDep
from app.core.pagination import PageDep, base_url
from app.core.repository import current
from app.core.responses import collection_response, moved_response, no_content, resource_response
from app.core.security import EditorDep, PrincipalDep, check_purge
from app.tags import service
from app.tags.repository import TagSort
from app.tags.schemas import TagCreate, TagRead, TagUpdate

router = APIRouter(prefix="/v1/tags", tags=["tags"])
REF_PATH = Path(description="A tag id or slug; a former slug answers 301 to the current one.")
Q = Query(max_length=200, description="Name prefix, for typeahead.")


@router.get("", responses={200: {"description": "A page of tags."}, **problem_responses(401, 422)})
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
    data, total, next_cursor = await service.list_tags(session, q=q, sort=sort, page=page, now=now)
    return collection_response(
        request,
        data,
        settings=settings,
        public=is_public(principal),
        page=page,
        total=total,
        next_cursor=next_cursor,
    )


@router.post(
    "",
    status_code=201,
    responses={201: {"model": TagRead}, **problem_responses(401, 403, 409, 422)},
)
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
            location=f"{base_url(request)}/v1/tags/{tag.slug}",
        )
    )


@router.get(
    "/{ref}",
    responses={
        200: {"model": TagRead},
        301: {"description": "Moved."},
        **problem_responses(401, 404, 410),
    },
)
async def get_tag(
    request: Request,
    ref: Annotated[str, REF_PATH],
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    now: NowDep,
) -> Response:
    """One tag by id or slug."""
    found = await service.find_tag(session, ref, principal=principal)
    if found.item is None:
        return moved_response(request, found, settings=settings, public=is_public(principal))
    return resource_response(
        request,
        await service.read_tag(session, found.item, now),
        resource=found.item,
        settings=settings,
        public=is_public(principal),
    )


async def _edit(
    request: Request,
    ref: str,
    values: dict[str, object],
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    precondition: PreconditionDep,
    principal: EditorDep,
) -> Response:
    if "name" in values and values["name"] is None:
        raise invalid(["body", "name"], "name cannot be null.")
    item = current(await service.find_tag(session, ref, principal=principal), ref)
    tag = await service.update_tag(session, item, values=values, precondition=precondition, now=now)
    return resource_response(
        request,
        await service.read_tag(session, tag, now),
        resource=tag,
        settings=settings,
        public=False,
    )


@router.patch(
    "/{ref}",
    responses={
        200: {"model": TagRead},
        **problem_responses(401, 403, 404, 409, 410, 412, 422, 428),
    },
)
async def update_tag(
    request: Request,
    ref: Annotated[str, REF_PATH],
    data: TagUpdate,
    session: SessionDep,
    principal: EditorDep,
    settings: SettingsDep,
    now: NowDep,
    precondition: PreconditionDep,
) -> Response:
    """Change some fields of a tag (JSON merge patch)."""
    values = data.model_dump(exclude_unset=True)
    return await _edit(request, ref, values, session, settings, now, precondition, principal)


@router.put(
    "/{ref}",
    responses={
        200: {"model": TagRead},
        **problem_responses(401, 403, 404, 409, 410, 412, 422, 428),
    },
)
async def replace_tag(
    request: Request,
    ref: Annotated[str, REF_PATH],
    data: TagCreate,
    session: SessionDep,
    principal: EditorDep,
    settings: SettingsDep,
    now: NowDep,
    precondition: PreconditionDep,
) -> Response:
    """Replace a tag."""
    values = data.model_dump()
    return await _edit(request, ref, values, session, settings, now, precondition, principal)


@router.delete(
    "/{ref}",
    status_code=204,
    responses={204: {"description": "Deleted."}, **problem_responses(401, 403, 404, 410, 412, 428)},
)
async def delete_tag(
    ref: Annotated[str, REF_PATH],
    session: SessionDep,
    principal: EditorDep,
    now: NowDep,
    precondition: PreconditionDep,
    purge: Annotated[bool, Query(description="Remove for good (admin only).")] = False,
) -> Response:
    """Move a tag to the trash; its articles keep their other tags."""
    check_purge(principal, purge)
    item = current(
        await service.find_tag(session, ref, principal=principal, include_deleted=purge), ref
    )
    await service.delete_tag(session, item, purge=purge, precondition=precondition, now=now)
    return no_content()


@router.get(
    "/{ref}/articles",
    responses={
        200: {"description": "A page of articles."},
        301: {"description": "Moved."},
        **problem_responses(401, 404, 410, 422),
    },
)
async def list_tag_articles(
    request: Request,
    ref: Annotated[str, REF_PATH],
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    now: NowDep,
    filters: FiltersDep,
    page: PageDep,
    fields: FieldsDep,
    sort: Annotated[ArticleSort, Query(description="Order of the list.")] = "-published_at",
) -> Response:
    """Articles carrying the tag, newest first."""
    found = await service.find_tag(session, ref, principal=principal)
    if found.item is None:
        return moved_response(request, found, settings=settings, public=is_public(principal))
    return await article_list_response(
        request,
        session,
        principal,
        settings,
        now,
        filters.with_tag(found.item.slug),
        page,
        fields,
        sort,
    )
