"""/v1/entities"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import Field, StringConstraints, TypeAdapter
from starlette.responses import Response

from app.articles.filters import ArticleFilters, ArticleSort, FieldsDep, FiltersDep
from app.articles.responses import is_public, read_caches
from app.articles.schemas import ArticlePage
from app.core.config import Settings
from app.core.db import SessionDep
from app.core.deps import NowDep, PreconditionDep, PurgeQuery, Ref, SettingsDep, request_now
from app.core.errors import problem_responses
from app.core.http import Precondition
from app.core.merge_patch import NestedFields, merge_nested, refuse_nulls
from app.core.pagination import Page, PageDep, base_url
from app.core.responses import collection_response, no_content, resource_response
from app.core.schemas import InputModel, UtcTime
from app.core.security import AdminDep, EditorDep, PrincipalDep, check_purge
from app.entities import coverage, service
from app.entities.repository import EntitySort
from app.entities.repository.coverage import Interval
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
from app.models import Entity
from app.resource_responses import (
    DELETE_RESPONSES,
    LISTED_RESPONSES,
    Narrowing,
    articles_response,
    create_responses,
    edit_responses,
    moved,
    page_response,
    read_responses,
)

router = APIRouter(prefix="/v1/entities", tags=["entities"])
REF_PATH = Path(description="An entity id or slug; a former slug answers 301 to the current one.")
Q = Query(max_length=200, description="Prefix of a name or alias, for typeahead.")
# Fields an edit may not set to null: they always have a value.
NOT_NULL = ("name", "type")
# Object-valued fields a merge patch merges member by member.
NESTED: NestedFields = {"external_ids": TypeAdapter(ExternalIds)}


async def entity_ref(
    request: Request, ref: Annotated[str, REF_PATH], session: SessionDep, principal: PrincipalDep
) -> Ref[Entity]:
    """The entity the path names, to be found as the principal may see it (a merged one's
    id leads where it was merged)."""
    return Ref(ref, session, principal, request_now(request), service.find_entity)


EntityDep = Annotated[Ref[Entity], Depends(entity_ref)]


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


def _about(filters: ArticleFilters, slug: str) -> ArticleFilters:
    return filters.with_entity(slug).with_about(slug)


async def entity_narrowing(
    salience: Annotated[
        Literal["about"] | None,
        Query(description="`about`: only the stories about the entity, not those naming it."),
    ] = None,
) -> Narrowing:
    """How an entity's article list narrows to it: the stories naming it, or only those about it."""
    return _about if salience == "about" else ArticleFilters.with_entity


@router.post("", status_code=201, responses=create_responses(EntityRead))
async def create_entity(
    request: Request,
    data: EntityCreate,
    session: SessionDep,
    principal: EditorDep,
    settings: SettingsDep,
    now: NowDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Create an entity; a name may be shared only by entities of different types."""
    entity = await service.create_entity(session, data=data, now=now)
    return await idempotency.complete(
        resource_response(
            request,
            await service.read_entity(session, entity, now),
            resource=entity,
            settings=settings,
            public=False,
            status_code=201,
            location=f"{base_url(request)}{router.prefix}/{entity.slug}",
        )
    )


@router.get("/{ref}", responses=read_responses(EntityRead))
async def get_entity(request: Request, entity: EntityDep, settings: SettingsDep) -> Response:
    """One entity by id or slug."""
    found = await entity.found()
    if found.item is None:
        return moved(request, found, principal=entity.principal, settings=settings)
    return resource_response(
        request,
        await service.read_entity(entity.session, found.item, entity.now),
        resource=found.item,
        settings=settings,
        public=is_public(entity.principal),
    )


async def _edited(
    request: Request,
    entity: Ref[Entity],
    values: dict[str, Any],
    settings: Settings,
    precondition: Precondition,
    *,
    merge: bool,
) -> Response:
    refuse_nulls(values, NOT_NULL)
    item = await entity.for_write()
    if merge:
        values = merge_nested(item, values, NESTED)
    item = await service.update_entity(
        entity.session, item, values=values, precondition=precondition, now=entity.now
    )
    return resource_response(
        request,
        await service.read_entity(entity.session, item, entity.now),
        resource=item,
        settings=settings,
        public=False,
    )


@router.patch("/{ref}", responses=edit_responses(EntityRead))
async def update_entity(
    request: Request,
    data: EntityUpdate,
    entity: EntityDep,
    principal: EditorDep,
    settings: SettingsDep,
    precondition: PreconditionDep,
) -> Response:
    """Change some fields of an entity (JSON merge patch)."""
    values = data.model_dump(exclude_unset=True)
    return await _edited(request, entity, values, settings, precondition, merge=True)


@router.put("/{ref}", responses=edit_responses(EntityRead))
async def replace_entity(
    request: Request,
    data: EntityCreate,
    entity: EntityDep,
    principal: EditorDep,
    settings: SettingsDep,
    precondition: PreconditionDep,
) -> Response:
    """Replace an entity."""
    return await _edited(request, entity, data.model_dump(), settings, precondition, merge=False)


@router.delete("/{ref}", status_code=204, responses=DELETE_RESPONSES)
async def delete_entity(
    entity: EntityDep,
    principal: EditorDep,
    precondition: PreconditionDep,
    purge: PurgeQuery = False,
) -> Response:
    """Move an entity to the trash; it no longer links in new writes."""
    check_purge(principal, purge)
    item = await entity.for_write(include_deleted=purge)
    await service.delete_entity(
        entity.session, item, purge=purge, precondition=precondition, now=entity.now
    )
    return no_content()


@router.get("/{ref}/articles", response_model=ArticlePage, responses=LISTED_RESPONSES)
async def list_entity_articles(
    request: Request,
    entity: EntityDep,
    settings: SettingsDep,
    filters: FiltersDep,
    page: PageDep,
    fields: FieldsDep,
    narrowing: Annotated[Narrowing, Depends(entity_narrowing)],
    sort: Annotated[ArticleSort, Query(description="Order of the list.")] = "-published_at",
) -> Response:
    """Published articles mentioning the entity, newest first."""
    return await articles_response(
        request, entity, narrowing, settings, filters, page, fields, sort
    )


@router.get("/{ref}/related", response_model=RelatedEntityPage, responses=LISTED_RESPONSES)
async def list_related_entities(
    request: Request,
    entity: EntityDep,
    settings: SettingsDep,
    page: PageDep,
    type: Annotated[EntityType | None, Query(description="Only entities of this type.")] = None,
    since: Annotated[
        UtcTime | None, Query(description="Only articles published at or after this time.")
    ] = None,
) -> Response:
    """Entities mentioned in the same articles, with how many: most shared first, then by name."""
    found = await entity.found()
    if found.item is None:
        return moved(request, found, principal=entity.principal, settings=settings)
    listed = await coverage.related_entities(
        entity.session,
        found.item,
        type_=type,
        since=since,
        page=page,
        principal=entity.principal,
        now=entity.now,
    )
    return page_response(request, listed, principal=entity.principal, settings=settings, page=page)


@router.get("/{ref}/timeline", response_model=Timeline, responses=LISTED_RESPONSES)
async def get_entity_timeline(
    request: Request,
    entity: EntityDep,
    settings: SettingsDep,
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
    found = await entity.found()
    if found.item is None:
        return moved(request, found, principal=entity.principal, settings=settings)
    data = await coverage.entity_timeline(
        entity.session,
        found.item,
        interval=interval,
        since=since,
        until=until,
        now=entity.now,
        timelines=read_caches(request).timelines,
    )
    page = Page(limit=max(len(data), 1), offset=0, cursor=None)
    return collection_response(
        request,
        data,
        settings=settings,
        public=is_public(entity.principal),
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
    entity: EntityDep,
    data: EntityMerge,
    principal: AdminDep,
    settings: SettingsDep,
    precondition: PreconditionDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Merge this entity into another (admin): mentions, names and external ids move there."""
    target = await service.merge_entity(
        entity.session,
        await entity.for_write(),
        into=data.into,
        precondition=precondition,
        now=entity.now,
    )
    return await idempotency.complete(
        resource_response(
            request,
            await service.read_entity(entity.session, target, entity.now),
            resource=target,
            settings=settings,
            public=False,
        )
    )
