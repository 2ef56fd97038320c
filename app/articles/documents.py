"""/v1/articles/{ref}/schema.jsonld and /v1/articles/{ref}/ninjs

Both are read through the JSON article's path (``article_response``): the same
visibility, 301s, ETags, 304s and cache headers.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from app.articles.filters import ARTICLE_FIELDS
from app.articles.reads import Document, Rendered
from app.articles.responses import REF_PATH, article_response, hot_context
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.http import dumps
from app.core.pagination import base_url
from app.core.security import PrincipalDep
from app.formats import jsonld, ninjs, service
from app.formats.common import Site
from app.models.visibility import has_expired

router = APIRouter(prefix="/v1/articles", tags=["articles"])

# The article's fields, and whether it is in the trash (ninjs says so to editors).
FIELDS = (*ARTICLE_FIELDS, "deleted_at")
# What the documents always carry; the standards they follow define the rest.
NEWS_ARTICLE = {
    "type": "object",
    "description": "https://schema.org/NewsArticle, as Google's article structured data reads it.",
    "required": ["@context", "@type", "headline", "dateModified", "publisher"],
    "properties": {
        "@context": {"type": "string", "enum": ["https://schema.org"]},
        "@type": {"type": "string", "enum": ["NewsArticle"]},
        "headline": {"type": "string"},
        "dateModified": {"type": "string", "format": "date-time"},
        "publisher": {"type": "object"},
    },
}
NINJS_ITEM = {
    "type": "object",
    "description": "IPTC ninjs 2.2 (https://iptc.org/std/ninjs/ninjs-schema_2.2.json).",
    "required": ["uri", "type", "version", "pubstatus", "headlines"],
    "properties": {
        "uri": {"type": "string", "format": "uri"},
        "type": {"type": "string", "enum": ["text"]},
        "version": {"type": "string"},
        "pubstatus": {"type": "string", "enum": ["usable", "withheld", "canceled"]},
        "headlines": {"type": "array", "items": {"type": "object"}},
    },
}


def _responses(
    media_type: str, description: str, schema: dict[str, Any]
) -> dict[int | str, dict[str, Any]]:
    return {
        200: {"description": description, "content": {media_type: {"schema": schema}}},
        301: {"description": "A former slug: moved to the current one."},
        304: {"description": "Not modified."},
        **problem_responses(401, 404, 410),
    }


def _site(request: Request) -> Site:
    settings, _now = hot_context(request)
    return Site(base_url(request), settings.publisher_name, settings.publisher_logo)


@router.get(
    "/{ref}/schema.jsonld",
    response_class=Response,
    responses=_responses("application/ld+json", "A schema.org NewsArticle.", NEWS_ARTICLE),
)
async def get_article_jsonld(
    request: Request, ref: Annotated[str, REF_PATH], session: SessionDep, principal: PrincipalDep
) -> Response:
    """The article as schema.org `NewsArticle` JSON-LD, to embed in its page for search engines."""
    site = _site(request)

    async def render(article: dict[str, Any]) -> Rendered:
        linked = await service.linked(session, article)
        return Rendered(dumps(jsonld.news_article(article, site, linked)))

    document = Document(key=("jsonld", site), media_type="application/ld+json", render=render)
    return await article_response(
        request, session, ref, principal, fields=FIELDS, document=document
    )


@router.get(
    "/{ref}/ninjs",
    response_class=Response,
    responses=_responses("application/json", "An IPTC ninjs 2.2 item.", NINJS_ITEM),
)
async def get_article_ninjs(
    request: Request, ref: Annotated[str, REF_PATH], session: SessionDep, principal: PrincipalDep
) -> Response:
    """The article as IPTC ninjs 2.2, for agencies and partners; editors see trashed ones too."""
    site = _site(request)
    _settings, now = hot_context(request)
    return await article_response(
        request, session, ref, principal, fields=FIELDS, document=_ninjs(session, site, now)
    )


def _ninjs(session: AsyncSession, site: Site, now: Any) -> Document:
    async def render(article: dict[str, Any]) -> Rendered:
        linked = await service.linked(session, article)
        body = dumps(ninjs.ninjs_item(article, site, linked, now))
        expires_at = article.get("expires_at")
        # Kept no longer than the story is usable: then it is withheld.
        return Rendered(body, until=None if has_expired(expires_at, now) else expires_at)

    return Document(
        key=("ninjs", site), media_type="application/json", render=render, shows_trash=True
    )
