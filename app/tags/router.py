"""/v1/tags"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from app.articles.filters import ArticleFilters
from app.articles.responses import read_caches
from app.core.db import SessionDep
from app.core.deps import NowDep, SettingsDep
from app.core.errors import problem_responses
from app.core.pagination import PageDep
from app.core.security import PrincipalDep
from app.resource_router import add_resource_routes, page_response
from app.tags import service
from app.tags.repository import TagSort
from app.tags.schemas import TagCreate, TagPage, TagRead, TagUpdate

router = APIRouter(prefix="/v1/tags", tags=["tags"])
REF_PATH = Path(description="A tag id or slug; a former slug answers 301 to the current one.")
Q = Query(max_length=200, description="Name prefix, for typeahead.")


@router.get("", response_model=TagPage, responses=problem_responses(401, 422))
async def list_tags(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    now: NowDep,
    page: PageDep,
    q: Annotated[str | None, Q] = None,
    sort: Annotated[TagSort, Query(description="Order of the list.")] = "-article_count",
) -> Response:
    """Tags, most used first; `q` finds them by the start of their name."""
    listed = await service.list_tags(
        session,
        q=q,
        sort=sort,
        page=page,
        now=now,
        sees_drafts=principal.sees_drafts,
        positions=read_caches(request).positions,
    )
    return page_response(request, listed, principal=principal, settings=settings, page=page)


add_resource_routes(
    router,
    name="tag",
    a_name="a tag",
    ref_path=REF_PATH,
    create_schema=TagCreate,
    update_schema=TagUpdate,
    read_schema=TagRead,
    not_null=("name",),
    find=service.find_tag,
    read=service.read_tag,
    create=service.create_tag,
    update=service.update_tag,
    delete=service.delete_tag,
    with_slug=ArticleFilters.with_tag,
    create_doc="Create a tag; names are unique whatever their case.",
    delete_doc="Move a tag to the trash; its articles keep their other tags.",
    articles_doc="Articles carrying the tag, newest first.",
)
