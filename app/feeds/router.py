"""/v1/feeds"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import JSONResponse, Response

from app.articles import queries
from app.articles.filters import ArticleFilters, FiltersDep
from app.articles.responses import read_caches
from app.core.config import Settings
from app.core.db import SessionDep
from app.core.deps import NowDep, SettingsDep
from app.core.errors import problem_responses
from app.core.http import cached_body
from app.core.pagination import MAX_LIMIT, Page, base_url, self_url
from app.core.security import ANONYMOUS, get_principal
from app.feeds.render import FeedItem, FeedMeta, render_atom, render_json_feed, render_rss
from app.models import Article

# The key is still checked, so a Lede that requires one for reads requires it here.
router = APIRouter(prefix="/v1/feeds", tags=["feeds"], dependencies=[Depends(get_principal)])

Renderer = Callable[[FeedMeta, Sequence[FeedItem]], bytes]


@dataclass(frozen=True, slots=True)
class FeedFormat:
    render: Renderer
    media_type: str


RSS = FeedFormat(render_rss, "application/rss+xml; charset=utf-8")
ATOM = FeedFormat(render_atom, "application/atom+xml; charset=utf-8")
JSON_FEED = FeedFormat(render_json_feed, "application/feed+json")

LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items in the feed.")]


class JsonFeedAuthor(BaseModel):
    name: str


class JsonFeedItem(BaseModel):
    id: str
    url: str
    title: str
    content_html: str
    summary: str | None = None
    image: str | None = None
    date_published: str
    date_modified: str
    authors: list[JsonFeedAuthor] | None = None
    tags: list[str] | None = None


class JsonFeed(BaseModel):
    """A JSON Feed 1.1 document (https://jsonfeed.org/version/1.1)."""

    version: str
    title: str
    home_page_url: str
    feed_url: str
    description: str
    language: str
    items: list[JsonFeedItem]


class JsonFeedResponse(JSONResponse):
    media_type = JSON_FEED.media_type


def _responses(media_type: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "description": "The feed document.",
            "content": {media_type.partition(";")[0]: {"schema": {"type": "string"}}},
        },
        **_NOT_MODIFIED,
    }


_NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified."},
    **problem_responses(401, 422),
}


def _title(filters: ArticleFilters) -> str:
    qualifiers = [
        *([filters.section] if filters.section else []),
        *filters.tags,
        *filters.entities,
        *filters.authors,
    ]
    return " — ".join(["Lede", *qualifiers]) if qualifiers else "Lede — latest articles"


def _item(article: Article, base: str) -> FeedItem:
    assert article.published_at is not None  # only visible articles are listed
    return FeedItem(
        id=str(article.id),
        url=article.canonical_url or f"{base}/v1/articles/{article.slug}",
        title=article.title,
        summary=article.summary,
        content_html=article.body_html + _corrections_html(article.corrections),
        authors=tuple(article.authors),
        published_at=article.published_at,
        updated_at=article.updated_at,
        tags=tuple(tag.name for tag in queries.live_tags(article)),
        image_url=(article.image or {}).get("url"),
    )


def _corrections_html(corrections: Sequence[dict[str, str]]) -> str:
    """The article's public corrections, after its body: feed readers show them with the story."""
    if not corrections:
        return ""
    notes = "".join(
        f"<p><strong>Correction ({escape(c['at'][:10])}):</strong> {escape(c['text'])}</p>"
        for c in corrections
    )
    return f'<aside class="corrections">{notes}</aside>'


def _last_modified(items: Sequence[FeedItem]) -> datetime | None:
    # A scheduled article joins the feed at its published_at, later than its
    # last edit: counting both keeps If-Modified-Since from hiding it.
    return max((max(i.updated_at, i.published_at) for i in items), default=None)


async def _feed(
    request: Request,
    session: AsyncSession,
    settings: Settings,
    now: datetime,
    filters: ArticleFilters,
    limit: int,
    feed_format: FeedFormat,
) -> Response:
    # Feeds are public documents, shared by every reader and cache: an editor's
    # key never brings drafts or scheduled articles into them.
    articles, _total, _next = await queries.list_articles(
        session,
        read_caches(request),
        filters=filters,
        sort="-published_at",
        page=Page(limit=limit, offset=None, cursor=None),
        principal=ANONYMOUS,
        now=now,
    )
    base = base_url(request)
    items = [_item(article, base) for article in articles]
    languages = {article.language for article in articles}
    updated = _last_modified(items)
    meta = FeedMeta(
        title=_title(filters),
        self_url=self_url(request),
        home_url=f"{base}/v1/articles",
        description="The newest published articles.",
        language=filters.language or (languages.pop() if len(languages) == 1 else "en"),
        updated_at=updated,
    )
    return cached_body(
        request,
        feed_format.render(meta, items),
        media_type=feed_format.media_type,
        settings=settings,
        public=True,
        last_modified=updated,
    )


@router.get("/articles.rss", response_class=Response, responses=_responses(RSS.media_type))
async def articles_rss(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    filters: FiltersDep,
    limit: LimitQuery = 20,
) -> Response:
    """The newest published articles as RSS 2.0; the article filters apply."""
    return await _feed(request, session, settings, now, filters, limit, RSS)


@router.get("/articles.atom", response_class=Response, responses=_responses(ATOM.media_type))
async def articles_atom(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    filters: FiltersDep,
    limit: LimitQuery = 20,
) -> Response:
    """The newest published articles as Atom 1.0; the article filters apply."""
    return await _feed(request, session, settings, now, filters, limit, ATOM)


@router.get(
    "/articles.json",
    response_class=JsonFeedResponse,
    response_model=JsonFeed,
    responses=_NOT_MODIFIED,
)
async def articles_json_feed(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    filters: FiltersDep,
    limit: LimitQuery = 20,
) -> Response:
    """The newest published articles as JSON Feed 1.1; the article filters apply."""
    return await _feed(request, session, settings, now, filters, limit, JSON_FEED)
