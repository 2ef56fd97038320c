"""/v1/entities"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field, StringConstraints
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
from app.core.schemas import InputModel
from app.core.security import AdminDep, EditorDep, PrincipalDep, check_purge
from app.entities import service
from app.entities.repository import EntitySort
from app.entities.schemas import EntityCreate, EntityRead, EntityType, EntityUpdate
from app.linking.router import EntityRef

router = APIRouter(prefix="/v1/entities", tags=["entities"])
REF_PATH = Path(description="An entity id or slug; a former slug answers 301 to the current one.")
Q = Query(max_length=200, description="Prefix of a name or alias, for typeahead.")


@router.get(
    "", responses={200: {"description": "A page of entities."}, **problem_responses(401, 422)}
)
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
    data, total, next_cursor = await service.list_entities(
        session, q=q, type_=type, sort=sort, page=page, now=now
    )
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
    responses={201: {"model": EntityRead}, **problem_responses(401, 403, 409, 422)},
)
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
            location=f"{base_url(request)}/v1/entities/{entity.slug}",
        )
    )


@router.get(
    "/{ref}",
    responses={
        200: {"model": EntityRead},
        301: {"description": "Moved."},
        **problem_responses(401, 404, 410),
    },
)
async def get_entity(
    request: Request,
    ref: Annotated[str, REF_PATH],
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    now: NowDep,
) -> Response:
    """One entity by id or slug."""
    found = await service.find_entity(session, ref, principal=principal)
    if found.item is None:
        return moved_response(request, found, settings=settings, public=is_public(principal))
    return resource_response(
        request,
        await service.read_entity(session, found.item, now),
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
    for name in ("name", "type"):
        if name in values and values[name] is None:
            raise invalid(["body", name], f"{name} cannot be null.")
    item = current(await service.find_entity(session, ref, principal=principal), ref)
    entity = await service.update_entity(
        session, item, values=values, precondition=precondition, now=now
    )
    return resource_response(
        request,
        await service.read_entity(session, entity, now),
        resource=entity,
        settings=settings,
        public=False,
    )


@router.patch(
    "/{ref}",
    responses={
        200: {"model": EntityRead},
        **problem_responses(401, 403, 404, 409, 410, 412, 422, 428),
    },
)
async def update_entity(
    request: Request,
    ref: Annotated[str, REF_PATH],
    data: EntityUpdate,
    session: SessionDep,
    principal: EditorDep,
    settings: SettingsDep,
    now: NowDep,
    precondition: PreconditionDep,
) -> Response:
    """Change some fields of an entity (JSON merge patch)."""
    values = data.model_dump(exclude_unset=True)
    return await _edit(request, ref, values, session, settings, now, precondition, principal)


@router.put(
    "/{ref}",
    responses={
        200: {"model": EntityRead},
        **problem_responses(401, 403, 404, 409, 410, 412, 422, 428),
    },
)
async def replace_entity(
    request: Request,
    ref: Annotated[str, REF_PATH],
    data: EntityCreate,
    session: SessionDep,
    principal: EditorDep,
    settings: SettingsDep,
    now: NowDep,
    precondition: PreconditionDep,
) -> Response:
    """Replace an entity."""
    values = data.model_dump()
    return await _edit(request, ref, values, session, settings, now, precondition, principal)


@router.delete(
    "/{ref}",
    status_code=204,
    responses={204: {"description": "Deleted."}, **problem_responses(401, 403, 404, 410, 412, 428)},
)
async def delete_entity(
    ref: Annotated[str, REF_PATH],
    session: SessionDep,
    principal: EditorDep,
    now: NowDep,
    precondition: PreconditionDep,
    purge: Annotated[bool, Query(description="Remove for good (admin only).")] = False,
) -> Response:
    """Move an entity to the trash; it no longer links in new writes."""
    check_purge(principal, purge)
    item = current(
        await service.find_entity(session, ref, principal=principal, include_deleted=purge), ref
    )
    await service.delete_entity(session, item, purge=purge, precondition=precondition, now=now)
    return no_content()


@router.get(
    "/{ref}/articles",
    responses={
        200: {"description": "A page of articles."},
        301: {"description": "Moved."},
        **problem_responses(401, 404, 410, 422),
    },
)
async def list_entity_articles(
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
    """Published articles mentioning the entity, newest first."""
    found = await service.find_entity(session, ref, principal=principal)
    if found.item is None:
        return moved_response(request, found, settings=settings, public=is_public(principal))
    return await article_list_response(
        request,
        session,
        principal,
        settings,
        now,
        filters.with_entity(found.item.slug),
        page,
        fields,
        sort,
    )


class RelatedEntity(BaseModel):
    entity: EntityRef
    count: int


@router.get(
    "/{ref}/related",
    responses={
        200: {"description": "A page of entities with how many articles they share."},
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
        datetime | None, Query(description="Only articles published at or after this time.")
    ] = None,
) -> Response:
    """Entities mentioned in the same articles, with how many: most shared first, then by name."""
    found = await service.find_entity(session, ref, principal=principal)
    if found.item is None:
        return moved_response(request, found, settings=settings, public=is_public(principal))
    data, total, next_cursor = await service.related_entities(
        session,
        found.item,
        type_=type,
        since=since,
        page=page,
        principal=principal,
        now=now,
    )
    return collection_response(
        request,
        data,
        settings=settings,
        public=is_public(principal),
        page=page,
        total=total,
        next_cursor=next_cursor,
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
    item = current(await service.find_entity(session, ref, principal=principal), ref)
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
