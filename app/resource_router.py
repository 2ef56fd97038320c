"""The routes entities and tags share: read by ref, create, edit, trash, and their articles."""

# No `from __future__ import annotations`: FastAPI evaluates the annotations of an
# endpoint in its module's globals, where the closures' `ref_path` does not live.

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from app.articles.filters import ArticleFilters, ArticleSort, FieldsDep, FiltersDep
from app.articles.responses import article_list_response, is_public
from app.articles.schemas import ArticlePage
from app.core.config import Settings
from app.core.db import SessionDep
from app.core.deps import NowDep, PreconditionDep, SettingsDep
from app.core.errors import invalid, problem_responses
from app.core.http import Precondition
from app.core.merge_patch import NO_NESTED_FIELDS, NestedFields, merge_nested
from app.core.pagination import Page, PageDep, base_url
from app.core.responses import collection_response, moved_response, no_content, resource_response
from app.core.security import EditorDep, Principal, PrincipalDep, check_purge
from app.core.slugs import Found, current
from app.idempotency.deps import IdempotencyDep
from app.models.base import VersionedMixin

M = TypeVar("M", bound=VersionedMixin)
Endpoint = TypeVar("Endpoint", bound=Callable[..., Awaitable[Response]])
# How a resource's own query parameters narrow the filters of its article list, given its slug.
Narrowing = Callable[[ArticleFilters, str], ArticleFilters]


def _no_narrowing() -> Narrowing:
    return lambda filters, _slug: filters


def body_of(schema: type[BaseModel]) -> Callable[[Endpoint], Endpoint]:
    """Read the ``data`` of an endpoint as ``schema`` (FastAPI takes it from the annotation)."""

    def annotate(endpoint: Endpoint) -> Endpoint:
        endpoint.__annotations__["data"] = schema
        return endpoint

    return annotate


def page_response(
    request: Request,
    listed: tuple[list[dict[str, Any]], int, str | None],
    *,
    principal: Principal,
    settings: Settings,
    page: Page,
) -> Response:
    """A page of a listing, from what a service lists: items, total and next cursor."""
    data, total, next_cursor = listed
    return collection_response(
        request,
        data,
        settings=settings,
        public=is_public(principal),
        page=page,
        total=total,
        next_cursor=next_cursor,
    )


def add_resource_routes(
    router: APIRouter,
    *,
    name: str,
    a_name: str,
    ref_path: Any,
    create_schema: type[BaseModel],
    update_schema: type[BaseModel],
    read_schema: type[BaseModel],
    not_null: tuple[str, ...],
    find: Callable[..., Awaitable[Found[M]]],
    read: Callable[[AsyncSession, M, datetime], Awaitable[dict[str, Any]]],
    create: Callable[..., Awaitable[M]],
    update: Callable[..., Awaitable[M]],
    delete: Callable[..., Awaitable[None]],
    with_slug: Callable[[ArticleFilters, str], ArticleFilters],
    narrow: Callable[..., Narrowing] = _no_narrowing,
    create_doc: str,
    delete_doc: str,
    articles_doc: str,
    nested: NestedFields = NO_NESTED_FIELDS,
) -> None:
    """Add ``/{ref}`` (GET, PATCH, PUT, DELETE), ``/{ref}/articles`` and POST to ``router``.

    ``name`` names the operations (``get_<name>``…), ``a_name`` the resource in
    prose ("an entity"), ``ref_path`` describes ``{ref}``; ``not_null`` lists the
    fields an edit may not set to null, ``nested`` the object-valued fields a
    PATCH merges (RFC 7396); ``narrow``, a dependency, reads the resource's own
    parameters of ``/{ref}/articles``.
    """
    edit_responses: dict[int | str, dict[str, Any]] = {
        200: {"model": read_schema},
        **problem_responses(401, 403, 404, 409, 410, 412, 422, 428),
    }

    @router.post(
        "",
        name=f"create_{name}",
        description=create_doc,
        status_code=201,
        responses={201: {"model": read_schema}, **problem_responses(401, 403, 409, 422)},
    )
    @body_of(create_schema)
    async def create_resource(
        request: Request,
        data: BaseModel,
        session: SessionDep,
        principal: EditorDep,
        settings: SettingsDep,
        now: NowDep,
        idempotency: IdempotencyDep,
    ) -> Response:
        item = await create(session, data=data, now=now)
        return await idempotency.complete(
            resource_response(
                request,
                await read(session, item, now),
                resource=item,
                settings=settings,
                public=False,
                status_code=201,
                location=f"{base_url(request)}{router.prefix}/{item.slug}",
            )
        )

    @router.get(
        "/{ref}",
        name=f"get_{name}",
        description=f"One {name} by id or slug.",
        responses={
            200: {"model": read_schema},
            301: {"description": "Moved."},
            **problem_responses(401, 404, 410),
        },
    )
    async def get_resource(
        request: Request,
        ref: Annotated[str, ref_path],
        session: SessionDep,
        principal: PrincipalDep,
        settings: SettingsDep,
        now: NowDep,
    ) -> Response:
        found = await find(session, ref, principal=principal, now=now)
        if found.item is None:
            return moved_response(request, found, settings=settings, public=is_public(principal))
        return resource_response(
            request,
            await read(session, found.item, now),
            resource=found.item,
            settings=settings,
            public=is_public(principal),
        )

    async def edit(
        request: Request,
        ref: str,
        values: dict[str, object],
        session: AsyncSession,
        settings: Settings,
        now: datetime,
        precondition: Precondition,
        principal: Principal,
        *,
        merge: bool,
    ) -> Response:
        for field in not_null:
            if field in values and values[field] is None:
                raise invalid(["body", field], f"{field} cannot be null.")
        item = current(await find(session, ref, principal=principal, now=now, for_update=True), ref)
        if merge:
            values = merge_nested(item, values, nested)
        item = await update(session, item, values=values, precondition=precondition, now=now)
        return resource_response(
            request, await read(session, item, now), resource=item, settings=settings, public=False
        )

    @router.patch(
        "/{ref}",
        name=f"update_{name}",
        description=f"Change some fields of {a_name} (JSON merge patch).",
        responses=edit_responses,
    )
    @body_of(update_schema)
    async def update_resource(
        request: Request,
        ref: Annotated[str, ref_path],
        data: BaseModel,
        session: SessionDep,
        principal: EditorDep,
        settings: SettingsDep,
        now: NowDep,
        precondition: PreconditionDep,
    ) -> Response:
        values = data.model_dump(exclude_unset=True)
        return await edit(
            request, ref, values, session, settings, now, precondition, principal, merge=True
        )

    @router.put(
        "/{ref}", name=f"replace_{name}", description=f"Replace {a_name}.", responses=edit_responses
    )
    @body_of(create_schema)
    async def replace_resource(
        request: Request,
        ref: Annotated[str, ref_path],
        data: BaseModel,
        session: SessionDep,
        principal: EditorDep,
        settings: SettingsDep,
        now: NowDep,
        precondition: PreconditionDep,
    ) -> Response:
        values = data.model_dump()
        return await edit(
            request, ref, values, session, settings, now, precondition, principal, merge=False
        )

    @router.delete(
        "/{ref}",
        name=f"delete_{name}",
        description=delete_doc,
        status_code=204,
        responses={
            204: {"description": "Deleted."},
            **problem_responses(401, 403, 404, 410, 412, 428),
        },
    )
    async def delete_resource(
        ref: Annotated[str, ref_path],
        session: SessionDep,
        principal: EditorDep,
        now: NowDep,
        precondition: PreconditionDep,
        purge: Annotated[bool, Query(description="Remove for good (admin only).")] = False,
    ) -> Response:
        check_purge(principal, purge)
        found = await find(
            session, ref, principal=principal, now=now, include_deleted=purge, for_update=True
        )
        await delete(session, current(found, ref), purge=purge, precondition=precondition, now=now)
        return no_content()

    @router.get(
        "/{ref}/articles",
        name=f"list_{name}_articles",
        description=articles_doc,
        response_model=ArticlePage,
        responses={
            301: {"description": "Moved."},
            **problem_responses(401, 404, 410, 422),
        },
    )
    async def list_resource_articles(
        request: Request,
        ref: Annotated[str, ref_path],
        session: SessionDep,
        principal: PrincipalDep,
        settings: SettingsDep,
        now: NowDep,
        filters: FiltersDep,
        page: PageDep,
        fields: FieldsDep,
        narrowing: Annotated[Narrowing, Depends(narrow)],
        sort: Annotated[ArticleSort, Query(description="Order of the list.")] = "-published_at",
    ) -> Response:
        found = await find(session, ref, principal=principal, now=now)
        if found.item is None:
            return moved_response(request, found, settings=settings, public=is_public(principal))
        return await article_list_response(
            request,
            session,
            principal,
            settings,
            now,
            narrowing(with_slug(filters, found.item.slug), found.item.slug),
            page,
            fields,
            sort,
        )
