"""/v1/search"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from app.articles.filters import LIST_FIELDS, FieldsDep, FiltersDep, parse_fields
from app.articles.router import is_public
from app.core.db import SessionDep
from app.core.deps import NowDep, SettingsDep
from app.core.errors import problem_responses
from app.core.pagination import PageDep
from app.core.responses import collection_response
from app.core.security import PrincipalDep
from app.search import service

router = APIRouter(prefix="/v1", tags=["search"])


@router.get(
    "/search",
    responses={
        200: {"description": "A page of matching articles, best first."},
        **problem_responses(401, 422, 503),
    },
)
async def search_articles(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    now: NowDep,
    filters: FiltersDep,
    page: PageDep,
    fields: FieldsDep,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=500,
            description='Words (all must match), "quoted phrases", `OR` between two terms, '
            "`-excluded` terms.",
        ),
    ],
    sort: Annotated[service.SearchSort, Query(description="Order of the hits.")] = "relevance",
    facets: Annotated[
        str | None,
        Query(
            max_length=100,
            description=f"Comma-separated counts to return in `meta.facets`: "
            f"{', '.join(service.FACET_KINDS)}.",
        ),
    ] = None,
) -> Response:
    """Full-text search over articles, with highlights, facets and the entities named."""
    result = await service.search_articles(
        session,
        text=q,
        filters=filters,
        sort=sort,
        page=page,
        fields=parse_fields(fields, LIST_FIELDS),
        facets=service.parse_facets(facets),
        principal=principal,
        now=now,
    )
    return collection_response(
        request,
        result.hits,
        settings=settings,
        public=is_public(principal),
        page=page,
        total=result.total,
        next_cursor=result.next_cursor,
        meta=result.meta,
    )
