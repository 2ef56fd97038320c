"""How article reads and writes answer over HTTP, for every router that shows articles.

The article, entity, tag and author routers, search and the structured
documents all answer articles the same way: one ETag, cache and 304 rule,
one list rendering, one way of telling a reader nothing of a hidden story.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from app.articles import queries
from app.articles.caches import ReadCaches
from app.articles.filters import LIST_FIELDS, ArticleFilters, ArticleSort, parse_fields
from app.articles.reads import Document, Rendered
from app.core.config import Settings
from app.core.db import SessionDep
from app.core.deps import Ref, request_now
from app.core.http import (
    body_etag,
    cached_body,
    dumps,
    not_modified,
    validator_headers,
    version_etag,
)
from app.core.pagination import Page, base_url, envelope, self_url
from app.core.responses import moved_response, stored_response
from app.core.security import Principal, PrincipalDep
from app.models import Article

REF_PATH = Path(description="An article id or slug; a former slug answers 301 to the current one.")


async def article_ref(
    request: Request, ref: Annotated[str, REF_PATH], session: SessionDep, principal: PrincipalDep
) -> Ref[Article]:
    """The article the path names, to be found as the principal may see it."""
    return Ref(ref, session, principal, request_now(request), queries.find_article)


ArticleDep = Annotated[Ref[Article], Depends(article_ref)]


def hot_context(request: Request) -> tuple[Settings, datetime]:
    """The settings and the request's "now", for the hottest reads.

    Not dependencies there: each dependency FastAPI resolves costs about a
    tenth of a cached answer (a 304 took a fifth less CPU without three of them).
    """
    settings: Settings = request.app.state.settings
    return settings, request_now(request)


def read_caches(request: Request) -> ReadCaches:
    """This worker's kept renderings and totals (made with the app, sized by settings)."""
    caches: ReadCaches = request.app.state.read_caches
    return caches


def is_public(principal: Principal) -> bool:
    return not principal.sees_drafts


async def written_response(
    request: Request,
    session: AsyncSession,
    article_id: uuid.UUID,
    version: int,
    slug: str,
    *,
    status_code: int = 200,
) -> Response:
    """The article as a write left it, read back as every read shows it."""
    location = f"{base_url(request)}/v1/articles/{slug}" if status_code == 201 else None
    return stored_response(
        await queries.stored_json(session, article_id, version),
        etag=version_etag(article_id, version),
        status_code=status_code,
        location=location,
    )


async def article_list_response(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    now: datetime,
    filters: ArticleFilters,
    page: Page,
    fields: str | None,
    sort: ArticleSort,
) -> Response:
    """A page of articles as every article listing answers it (also entity and tag pages)."""

    def render_page(items: list[dict[str, Any]], total: int, next_cursor: str | None) -> Rendered:
        content, headers = envelope(request, items, page=page, total=total, next_cursor=next_cursor)
        body = dumps(content)
        return Rendered(body, body_etag(body), headers)

    rendered = await queries.list_rendered(
        session,
        read_caches(request),
        key=self_url(request),
        filters=filters,
        sort=sort,
        page=page,
        principal=principal,
        now=now,
        fields=parse_fields(fields, LIST_FIELDS),
        render=render_page,
    )
    return page_body(request, rendered, settings=settings, principal=principal)


def page_body(
    request: Request, rendered: Rendered, *, settings: Settings, principal: Principal
) -> Response:
    """A rendered page of articles (a list, search results) as its JSON answer."""
    return cached_body(
        request,
        rendered.body,
        media_type="application/json",
        settings=settings,
        public=is_public(principal),
        etag=rendered.etag,
        headers=rendered.headers,
    )


async def article_response(
    request: Request,
    session: AsyncSession,
    ref: str,
    principal: Principal,
    *,
    fields: tuple[str, ...],
    document: Document | None = None,
) -> Response:
    """One article, as JSON or as ``document``: who may see it, its ETag and cache headers,
    304s and 301s are the same for every rendering."""
    settings, now = hot_context(request)
    public = is_public(principal)
    media_type = "application/json" if document is None else document.media_type
    # The version alone says whether the client's copy is current, and keys
    # the rendered JSON: neither needs the article loaded, unless no rendering
    # of it can be kept yet.
    caches = read_caches(request)
    unkept = caches.unkept(ref)
    current = await queries.current_version(
        session, ref, principal=principal, now=now, with_fields=fields if unkept else ()
    )
    if current is not None:
        etag = version_etag(current.id, current.version)
        if not_modified(request, etag, current.updated_at):
            headers = validator_headers(
                settings, public=public, etag=etag, last_modified=current.updated_at
            )
            return Response(status_code=304, headers=headers)
        body = await queries.article_body(
            session, caches, current, fields, now, document, carries_fields=unkept
        )
        if body is not None:
            return cached_body(
                request,
                body,
                media_type=media_type,
                settings=settings,
                public=public,
                etag=etag,
                last_modified=current.updated_at,
            )
    # Not visible to this principal, a former slug, or changed meanwhile: the
    # full look-up says which (404, 410, 301) or renders what is there now.
    shows_trash = document is not None and document.shows_trash
    found = await queries.find_article(
        session, ref, principal=principal, now=now, include_deleted=shows_trash
    )
    if found.item is None:
        return moved_response(request, found, settings=settings, public=public)
    article = found.item
    rendered = await queries.render_article(queries.to_dict(article, fields), document)
    return cached_body(
        request,
        rendered.body,
        media_type=media_type,
        settings=settings,
        public=public,
        etag=version_etag(article.id, article.version),
        last_modified=article.updated_at,
    )
