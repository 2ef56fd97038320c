"""/v1/authors"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import Response

from app.articles.filters import ArticleFilters, ArticleSort, FieldsDep, FiltersDep
from app.articles.responses import is_public, read_caches
from app.articles.schemas import ArticlePage
from app.authors import service
from app.authors.repository import AuthorSort
from app.authors.schemas import AuthorCreate, AuthorPage, AuthorRead, AuthorUpdate
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
from app.models import Author
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

router = APIRouter(prefix="/v1/authors", tags=["authors"])
REF_PATH = Path(description="An author id or slug; a former slug answers 301 to the current one.")
Q = Query(max_length=200, description="Start of the name or of any word of it, for typeahead.")
# Fields an edit may not set to null: they always have a value.
NOT_NULL = ("name",)


async def author_ref(
    request: Request, ref: Annotated[str, REF_PATH], session: SessionDep, principal: PrincipalDep
) -> Ref[Author]:
    """The author the path names, to be found as the principal may see it."""
    return Ref(ref, session, principal, request_now(request), service.find_author)


AuthorDep = Annotated[Ref[Author], Depends(author_ref)]


@router.get("", response_model=AuthorPage, responses=problem_responses(401, 422))
async def list_authors(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    now: NowDep,
    page: PageDep,
    q: Annotated[str | None, Q] = None,
    sort: Annotated[AuthorSort, Query(description="Order of the list.")] = "name",
) -> Response:
    """Authors by name; `q` finds them by the start of their name or of a word of it."""
    listed = await service.list_authors(
        session, q=q, sort=sort, page=page, now=now, positions=read_caches(request).positions
    )
    return page_response(request, listed, principal=principal, settings=settings, page=page)


@router.post("", status_code=201, responses=create_responses(AuthorRead))
async def create_author(
    request: Request,
    data: AuthorCreate,
    session: SessionDep,
    principal: EditorDep,
    settings: SettingsDep,
    now: NowDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Create an author; names are unique whatever their case and accents."""
    author = await service.create_author(session, data=data, now=now)
    return await idempotency.complete(
        resource_response(
            request,
            await service.read_author(session, author, now),
            resource=author,
            settings=settings,
            public=False,
            status_code=201,
            location=f"{base_url(request)}{router.prefix}/{author.slug}",
        )
    )


@router.get("/{ref}", responses=read_responses(AuthorRead))
async def get_author(request: Request, author: AuthorDep, settings: SettingsDep) -> Response:
    """One author by id or slug."""
    found = await author.found()
    if found.item is None:
        return moved(request, found, principal=author.principal, settings=settings)
    return resource_response(
        request,
        await service.read_author(author.session, found.item, author.now),
        resource=found.item,
        settings=settings,
        public=is_public(author.principal),
    )


async def _edited(
    request: Request,
    author: Ref[Author],
    values: dict[str, Any],
    settings: Settings,
    precondition: Precondition,
) -> Response:
    refuse_nulls(values, NOT_NULL)
    item = await service.update_author(
        author.session,
        await author.for_write(),
        values=values,
        precondition=precondition,
        now=author.now,
    )
    return resource_response(
        request,
        await service.read_author(author.session, item, author.now),
        resource=item,
        settings=settings,
        public=False,
    )


@router.patch("/{ref}", responses=edit_responses(AuthorRead))
async def update_author(
    request: Request,
    data: AuthorUpdate,
    author: AuthorDep,
    principal: EditorDep,
    settings: SettingsDep,
    precondition: PreconditionDep,
) -> Response:
    """Change some fields of an author (JSON merge patch)."""
    values = data.model_dump(exclude_unset=True)
    return await _edited(request, author, values, settings, precondition)


@router.put("/{ref}", responses=edit_responses(AuthorRead))
async def replace_author(
    request: Request,
    data: AuthorCreate,
    author: AuthorDep,
    principal: EditorDep,
    settings: SettingsDep,
    precondition: PreconditionDep,
) -> Response:
    """Replace an author."""
    return await _edited(request, author, data.model_dump(), settings, precondition)


@router.delete("/{ref}", status_code=204, responses=DELETE_RESPONSES)
async def delete_author(
    author: AuthorDep,
    principal: EditorDep,
    precondition: PreconditionDep,
    purge: PurgeQuery = False,
) -> Response:
    """Move an author to the trash; their bylines stay on the articles as written."""
    check_purge(principal, purge)
    item = await author.for_write(include_deleted=purge)
    await service.delete_author(
        author.session, item, purge=purge, precondition=precondition, now=author.now
    )
    return no_content()


@router.get("/{ref}/articles", response_model=ArticlePage, responses=LISTED_RESPONSES)
async def list_author_articles(
    request: Request,
    author: AuthorDep,
    settings: SettingsDep,
    filters: FiltersDep,
    page: PageDep,
    fields: FieldsDep,
    sort: Annotated[ArticleSort, Query(description="Order of the list.")] = "-published_at",
) -> Response:
    """Published articles with a byline of the author, newest first."""
    return await articles_response(
        request, author, ArticleFilters.with_author, settings, filters, page, fields, sort
    )
