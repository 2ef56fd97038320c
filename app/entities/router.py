"""/v1/entities"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import Field, StringConstraints, TypeAdapter
from starlette.responses import Response

from app.articles.filters import ArticleFilters
from app.articles.responses import is_public, read_caches
from app.core.db import SessionDep
from app.core.deps import NowDep, PreconditionDep, SettingsDep
from app.core.errors import problem_responses
from app.core.pagination import Page, PageDep
from app.core.responses import collection_response, moved_response, resource_response
from app.core.schemas import InputModel, UtcTime
from app.core.security import AdminDep, PrincipalDep
from app.core.slugs import current
from app.entities import coverage, service
from app.entities.coverage_reads import Interval
from app.entities.repository import EntitySort
from app.entities.schemas import (
    EntityCreate,
    EntityPage,
    EntityRead,
    EntityType,
    EntityUpdate,
    ExternalIds,
    RelatedEntityPage,
    Timeline,
)
from app.idempotency.deps import IdempotencyDep
from app.resource_router import Narrowing, add_resource_routes, page_response

router = APIRouter(prefix="/v1/entities", tags=["entities"])
REF_PATH = Path(description="An entity id or slug; a former slug answers 301 to the current one.")
Q = Query(max_length=200, description="Prefix of a name or alias, for typeahead.")


@router.get("", response_model=EntityPage, responses=problem_responses(401, 422))
async def list_entities(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    now: NowDep,
    page: PageDep,
    q: Annotated[str | None, Q] = None,
    type: Annotated[EntityType | None, Query(description="Only entities of this type.")] = None,
    sort: Annotated[EntitySort, Query(description="Order of the list.")] = "-article_count",
) -> Response:
    """Entities, most mentioned first; `q` finds them by the start of a name or alias."""
    listed = await service.list_entities(
        session,
        q=q,
        type_=type,
        sort=sort,
        page=page,
        now=now,
        sees_drafts=principal.sees_drafts,
        positions=read_caches(request).positions,
    )
    return page_response(request, listed, principal=principal, settings=settings, page=page)


def salience_narrowing(
    salience: Annotated[
        Literal["about"] | None,
        Query(description="`about`: only the stories about the entity, not those naming it."),
    ] = None,
) -> Narrowing:
    if salience == "about":
        return ArticleFilters.with_about
    return lambda filters, _slug: filters


add_resource_routes(
    router,
    name="entity",
    a_name="an entity",
    ref_path=REF_PATH,
    create_schema=EntityCreate,
    update_schema=EntityUpdate,
    read_schema=EntityRead,
    not_null=("name", "type"),
    nested={"external_ids": TypeAdapter(ExternalIds)},
    find=service.find_entity,
    read=service.read_entity,
    create=service.create_entity,
    update=service.update_entity,
    delete=service.delete_entity,
    with_slug=ArticleFilters.with_entity,
    narrow=salience_narrowing,
    create_doc="Create an entity; a name may be shared only by entities of different types.",
    delete_doc="Move an entity to the trash; it no longer links in new writes.",
    articles_doc="Published articles mentioning the entity, newest first.",
)


@router.get(
    "/{ref}/related",
    response_model=RelatedEntityPage,
    responses={
        301: {"description": "Moved."},
        **problem_responses(401, 404, 410, 422),
    },
)
async def list_related_entities(
    request: Request,
    ref: Annotated[str, REF_PATH],
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    now: NowDep,
    page: PageDep,
    type: Annotated[EntityType | None, Query(description="Only entities of this type.")] = None,
    since: Annotated[
        UtcTime | None, Query(description="Only articles published at or after this time.")
    ] = None,
) -> Response:
    """Entities mentioned in the same articles, with how many: most shared first, then by name."""
    found = await service.find_entity(session, ref, principal=principal, now=now)
    if found.item is None:
        return moved_response(request, found, settings=settings, public=is_public(principal))
    listed = await coverage.related_entities(
        session, found.item, type_=type, since=since, page=page, principal=principal, now=now
    )
    return page_response(request, listed, principal=principal, settings=settings, page=page)


@router.get(
    "/{ref}/timeline",
    response_model=Timeline,
    responses={
        301: {"description": "Moved."},
        **problem_responses(401, 404, 410, 422),
    },
)
async def get_entity_timeline(
    request: Request,
    ref: Annotated[str, REF_PATH],
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    now: NowDep,
    interval: Annotated[
        Interval, Query(description="Length of a period: weeks start on Monday, all in UTC.")
    ] = "week",
    since: Annotated[
        UtcTime | None, Query(description="Only stories published at or after this time.")
    ] = None,
    until: Annotated[
        UtcTime | None, Query(description="Only stories published before this time.")
    ] = None,
) -> Response:
    """Coverage of the entity over time: published stories per period, those about it, and
    the entities it appears with most."""
    found = await service.find_entity(session, ref, principal=principal, now=now)
    if found.item is None:
        return moved_response(request, found, settings=settings, public=is_public(principal))
    data = await coverage.entity_timeline(
        session,
        found.item,
        interval=interval,
        since=since,
        until=until,
        now=now,
        timelines=read_caches(request).timelines,
    )
    page = Page(limit=max(len(data), 1), offset=0, cursor=None)
    return collection_response(
        request,
        data,
        settings=settings,
        public=is_public(principal),
        page=page,
        total=len(data),
        next_cursor=None,
    )


class EntityMerge(InputModel):
    into: Annotated[
        str,
        StringConstraints(min_length=1, max_length=200),
        Field(description="Id or slug of the entity that absorbs this one."),
    ]


@router.post(
    "/{ref}/merge",
    responses={
        200: {"model": EntityRead, "description": "The entity merged into."},
        **problem_responses(401, 403, 404, 410, 412, 422, 428),
    },
)
async def merge_entity(
    request: Request,
    ref: Annotated[str, REF_PATH],
    data: EntityMerge,
    session: SessionDep,
    principal: AdminDep,
    settings: SettingsDep,
    now: NowDep,
    precondition: PreconditionDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Merge this entity into another (admin): mentions, names and external ids move there."""
    item = current(
        await service.find_entity(session, ref, principal=principal, now=now, for_update=True),
        ref,
    )
    target = await service.merge_entity(
        session, item, into=data.into, precondition=precondition, now=now
    )
    return await idempotency.complete(
        resource_response(
            request,
            await service.read_entity(session, target, now),
            resource=target,
            settings=settings,
            public=False,
        )
    )
