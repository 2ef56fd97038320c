"""The application factory."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import fastapi_offline
from fastapi import Depends, FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app import health
from app.articles.bulk_http import router as bulk_router
from app.articles.caches import ReadCaches
from app.articles.documents import router as documents_router
from app.articles.history_router import router as history_router
from app.articles.router import router as articles_router
from app.articles.schedule import ReleaseAwareCacheMiddleware
from app.authors.router import router as authors_router
from app.changes.router import router as changes_router
from app.core.config import Settings, get_settings
from app.core.db import Database
from app.core.errors import install_error_handlers
from app.core.http import JSONBody
from app.core.keyfile import secret_key
from app.core.logging import configure_logging
from app.core.middleware import (
    BodyLimitMiddleware,
    CompressionMiddleware,
    HeadMiddleware,
    RequestIdMiddleware,
)
from app.core.migrations import check_schema
from app.core.openapi import install_openapi, operation_id
from app.core.params import check_request
from app.core.ratelimit import Counter, MemoryCounter, RateLimitMiddleware
from app.core.security import ApiKeys
from app.entities.router import router as entities_router
from app.feeds.router import router as feeds_router
from app.idempotency.deps import get_idempotency, install_replay_handler
from app.keys.repository import principal_by_digest
from app.keys.router import router as keys_router
from app.linking.index import warm_up
from app.linking.router import router as linking_router
from app.ops.metrics import MetricsMiddleware, app_metrics
from app.ops.metrics import router as metrics_router
from app.previews.router import router as previews_router
from app.search.router import router as search_router
from app.tags.router import router as tags_router
from app.webhooks.router import router as webhooks_router
from app.webhooks.sender import sending

STATIC = Path(fastapi_offline.__file__).parent / "static"
# Smaller answers gain too little; level 6 (zlib's default) compresses a page of
# articles within a few per cent of level 9 in about half the time.
GZIP_MINIMUM_BYTES = 1024
GZIP_LEVEL = 6


def _tune_gc() -> None:
    """Keep the collector off the objects of start-up, and run it less often.

    Profiles of list and detail requests showed 10-30 % of the time in the
    cyclic collector walking long-lived objects (modules, the matcher, ORM
    metadata); frozen, they are never scanned again.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings)
    rate_counter: Counter = MemoryCounter()
    if settings.redis_url:
        from app.core.redis_counter import RedisCounter  # only where Redis is configured

        rate_counter = RedisCounter(settings.redis_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = Database.from_settings(settings)
        try:
            await check_schema(database.engine)
            app.state.database = database
            app.state.secret_key = secret_key(settings)
            _tune_gc()
            warming = asyncio.create_task(warm_up(database.engine))
            async with sending(database, settings, registry=app_metrics(app).registry):
                yield
            warming.cancel()
        finally:
            await database.dispose()
            await rate_counter.close()

    app = FastAPI(
        title="Lede",
        version="0.1.0",
        summary="Headless content API for newsrooms.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        default_response_class=JSONBody,
        generate_unique_id_function=operation_id,
        dependencies=[Depends(check_request)],
    )
    app.state.settings = settings
    app.state.api_keys = ApiKeys(principal_by_digest)
    app.state.read_caches = ReadCaches(
        body_bytes=settings.body_cache_bytes,
        page_bytes=settings.page_cache_bytes,
        search_bytes=settings.search_cache_bytes,
    )
    install_error_handlers(app)
    install_replay_handler(app)
    for router in (
        bulk_router,
        articles_router,
        history_router,
        documents_router,
        previews_router,
        entities_router,
        tags_router,
        authors_router,
        search_router,
        linking_router,
        feeds_router,
        changes_router,
        keys_router,
        webhooks_router,
        health.router,
        metrics_router,
    ):
        app.include_router(router)
    _mount_docs(app)
    install_openapi(app, idempotent=get_idempotency)
    app.add_middleware(
        CompressionMiddleware, minimum_size=GZIP_MINIMUM_BYTES, compresslevel=GZIP_LEVEL
    )
    # Outside compression, so a HEAD carries the headers of the compressed GET.
    app.add_middleware(HeadMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(ReleaseAwareCacheMiddleware)
    if settings.rate_limit_per_minute:
        app.add_middleware(
            RateLimitMiddleware, limit=settings.rate_limit_per_minute, counter=rate_counter
        )
    if settings.trusted_proxies:
        # Outside the rate limit, which then counts the client the proxy names.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    app.add_middleware(MetricsMiddleware)
    app.add_middleware(RequestIdMiddleware)
    if settings.cors_origins:
        # Outermost, so that every answer (a 413, a 429) carries the CORS headers.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "If-Match",
                "If-None-Match",
                "Idempotency-Key",
                "X-Request-ID",
            ],
            expose_headers=[
                "ETag",
                "Link",
                "Location",
                "X-Request-ID",
                "RateLimit-Limit",
                "RateLimit-Remaining",
                "RateLimit-Reset",
                "Retry-After",
            ],
        )
    return app


def _mount_docs(app: FastAPI) -> None:
    """Interactive docs whose assets Lede serves itself: they work with no internet."""
    app.mount("/static/docs", StaticFiles(directory=STATIC), name="docs-static")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Lede — API docs",
            swagger_js_url="/static/docs/swagger-ui-bundle.js",
            swagger_css_url="/static/docs/swagger-ui.css",
            swagger_favicon_url="/static/docs/favicon.png",
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        return get_redoc_html(
            openapi_url="/openapi.json",
            title="Lede — API reference",
            redoc_js_url="/static/docs/redoc.standalone.js",
            redoc_favicon_url="/static/docs/favicon.png",
            with_google_fonts=False,
        )
