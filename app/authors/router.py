"""/v1/authors"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from app.articles.filters import ArticleFilters
from app.articles.responses import read_caches
from app.authors import service
from app.authors.repository import AuthorSort
from app.authors.schemas import AuthorCreate, AuthorPage, AuthorRead, AuthorUpdate
from app.core.db import SessionDep
from app.core.deps import NowDep, SettingsDep
from app.core.errors import problem_responses
from app.core.pagination import PageDep
from app.core.security import PrincipalDep
from app.resource_router import add_resource_routes, page_response

router = APIRouter(prefix="/v1/authors", tags=["authors"])
REF_PATH = Path(description="An author id or slug; a former slug answers 301 to the current one.")
Q = Query(max_length=200, description="Start of the name or of any word of it, for typeahead.")


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


add_resource_routes(
    router,
    name="author",
    a_name="an author",
    ref_path=REF_PATH,
    create_schema=AuthorCreate,
    update_schema=AuthorUpdate,
    read_schema=AuthorRead,
    not_null=("name",),
    find=service.find_author,
    read=service.read_author,
    create=service.create_author,
    update=service.update_author,
    delete=service.delete_author,
    with_slug=ArticleFilters.with_author,
    create_doc="Create an author; names are unique whatever their case and accents.",
    delete_doc="Move an author to the trash; their bylines stay on the articles as written.",
    articles_doc="Published articles with a byline of the author, newest first.",
)
