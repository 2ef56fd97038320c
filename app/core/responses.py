"""Building the responses resources and collections answer with."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Protocol

from fastapi import Request
from starlette.responses import RedirectResponse, Response

from app.core.config import Settings
from app.core.http import cache_control, cached_json, dumps, version_etag
from app.core.pagination import Page, base_url, envelope
from app.core.slugs import Found


class Versioned(Protocol):
    """What a single resource's validators are made of."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def version(self) -> int: ...
    @property
    def updated_at(self) -> datetime: ...


def resource_response(
    request: Request,
    content: dict[str, Any],
    *,
    resource: Versioned,
    settings: Settings,
    public: bool,
    status_code: int = 200,
    location: str | None = None,
) -> Response:
    """A single resource, tagged with its version; written ones are never cached."""
    etag = version_etag(resource.id, resource.version)
    if request.method == "GET":
        return cached_json(
            request,
            content,
            settings=settings,
            public=public,
            etag=etag,
            last_modified=resource.updated_at,
        )
    return stored_response(content, etag=etag, status_code=status_code, location=location)


def stored_response(
    content: dict[str, Any], *, etag: str, status_code: int = 200, location: str | None = None
) -> Response:
    """A resource as a write left it: tagged with its version, never cached."""
    headers = {"ETag": etag, "Cache-Control": "no-store"}
    if location is not None:
        headers["Location"] = location
    return Response(
        dumps(content), status_code=status_code, headers=headers, media_type="application/json"
    )


def collection_response(
    request: Request,
    data: list[Any],
    *,
    settings: Settings,
    public: bool,
    page: Page,
    total: int,
    next_cursor: str | None,
    next_offset: int | None = None,
    meta: dict[str, Any] | None = None,
    last_modified: datetime | None = None,
    etag: str | None = None,
) -> Response:
    body, headers = envelope(
        request,
        data,
        page=page,
        total=total,
        next_cursor=next_cursor,
        next_offset=next_offset,
        meta=meta,
    )
    return cached_json(
        request,
        body,
        settings=settings,
        public=public,
        headers=headers,
        last_modified=last_modified,
        etag=etag,
    )


def moved_response(
    request: Request, found: Found[Any], *, settings: Settings, public: bool
) -> Response:
    """301 from a former slug to the current one, keeping the rest of the path and the query."""
    assert found.moved_to is not None
    # /v1/<collection>/<former slug>[/<rest>]
    _, version, collection, _former, *rest = request.url.path.split("/")
    prefix = f"/{version}/{collection}/"
    target = f"{base_url(request)}{prefix}{found.moved_to}" + "".join(f"/{r}" for r in rest)
    if request.url.query:
        target += f"?{request.url.query}"
    return RedirectResponse(
        target, status_code=301, headers={"Cache-Control": cache_control(settings, public=public)}
    )


def no_content() -> Response:
    return Response(status_code=204, headers={"Cache-Control": "no-store"})
