"""How tags, entities and authors answer over HTTP: their pages, their former slugs,
their articles, and what each of their operations may answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request
from pydantic import BaseModel
from starlette.responses import Response

from app.articles.filters import ArticleFilters, ArticleSort
from app.articles.responses import article_list_response, is_public
from app.core.config import Settings
from app.core.deps import Ref
from app.core.errors import problem_responses
from app.core.pagination import Page
from app.core.responses import collection_response, moved_response
from app.core.security import Principal
from app.core.slugs import Found

Responses = dict[int | str, dict[str, Any]]
# How the filters of a resource's article list narrow to the resource, given its slug.
Narrowing = Callable[[ArticleFilters, str], ArticleFilters]

MOVED: Responses = {301: {"description": "Moved."}}
# A list under one resource (its articles, related entities, timeline).
LISTED_RESPONSES: Responses = {**MOVED, **problem_responses(401, 404, 410, 422)}
DELETE_RESPONSES: Responses = {
    204: {"description": "Deleted."},
    **problem_responses(401, 403, 404, 410, 412, 428),
}


def create_responses(schema: type[BaseModel]) -> Responses:
    """What creating a resource answers: ``schema`` with 201, or a problem."""
    return {201: {"model": schema}, **problem_responses(401, 403, 409, 422)}


def read_responses(schema: type[BaseModel]) -> Responses:
    """What reading one resource by ref answers: ``schema``, a 301, or a problem."""
    return {200: {"model": schema}, **MOVED, **problem_responses(401, 404, 410)}


def edit_responses(schema: type[BaseModel]) -> Responses:
    """What a PATCH or PUT of one resource answers: ``schema``, or a problem."""
    return {200: {"model": schema}, **problem_responses(401, 403, 404, 409, 410, 412, 422, 428)}


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


def moved(
    request: Request, found: Found[Any], *, principal: Principal, settings: Settings
) -> Response:
    """301 from the former slug a read named to the current one, cached as its reads are."""
    return moved_response(request, found, settings=settings, public=is_public(principal))


async def articles_response(
    request: Request,
    resource: Ref[Any],
    narrowing: Narrowing,
    settings: Settings,
    filters: ArticleFilters,
    page: Page,
    fields: str | None,
    sort: ArticleSort,
) -> Response:
    """The articles of the resource the path names (``narrowing`` the filters to its slug),
    or a 301 from a former slug."""
    found = await resource.found()
    if found.item is None:
        return moved(request, found, principal=resource.principal, settings=settings)
    filters = narrowing(filters, found.item.slug)
    return await article_list_response(
        request,
        resource.session,
        resource.principal,
        settings,
        resource.now,
        filters,
        page,
        fields,
        sort,
    )
