"""/v1/search"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from app.articles.filters import LIST_FIELDS, FieldsDep, FiltersDep, parse_fields
from app.articles.reads import Rendered
from app.articles.responses import page_body, read_caches
from app.core.db import SessionDep
from app.core.deps import NowDep, SettingsDep
from app.core.errors import problem_responses
from app.core.http import body_etag, dumps
from app.core.pagination import PageDep, envelope, self_url
from app.core.security import PrincipalDep
from app.search import service
from app.search.schemas import SearchPage

router = APIRouter(prefix="/v1", tags=["search"])

T = TypeVar("T")
# What the access log shows for a search whose client left before the answer.
CLIENT_CLOSED_REQUEST = 499


async def _disconnect(request: Request) -> None:
    """Returns once the client has gone away."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def _unless_disconnected(request: Request, work: Coroutine[Any, Any, T]) -> T | None:
    """The result of ``work``, or ``None`` when the client goes away first.

    ``work`` is then cancelled, and with it the query it waits on (asyncpg asks
    the server to cancel it), rather than keep the database busy until the
    statement timeout for an answer nobody reads.
    """
    task = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(_disconnect(request))
    try:
        await asyncio.wait((task, watcher), return_when=asyncio.FIRST_COMPLETED)
    finally:
        watcher.cancel()
        if not task.done():
            task.cancel()
            # The session is the request's: the cancellation must settle before
            # the request closes it.
            await asyncio.wait((task,))
    if task.cancelled():
        return None
    return task.result()


@router.get(
    "/search",
    operation_id="search",
    response_model=SearchPage,
    responses=problem_responses(401, 422, 503),
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

    def render(result: service.SearchResult) -> Rendered:
        content, headers = envelope(
            request,
            result.hits,
            page=page,
            total=result.total,
            next_cursor=result.next_cursor,
            meta=result.meta,
        )
        body = dumps(content)
        return Rendered(body, body_etag(body), headers)

    search = service.search_rendered(
        session,
        key=self_url(request),
        pages=read_caches(request).searches,
        render=render,
        text=q,
        filters=filters,
        sort=sort,
        page=page,
        fields=parse_fields(fields, LIST_FIELDS),
        facets=service.parse_facets(facets),
        principal=principal,
        now=now,
    )
    rendered = await _unless_disconnected(request, search)
    if rendered is None:
        return Response(status_code=CLIENT_CLOSED_REQUEST)
    return page_body(request, rendered, settings=settings, principal=principal)
