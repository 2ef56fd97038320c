"""JSON responses, entity tags and cache headers (RFC 9110 §8.8, §13; RFC 9111)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from functools import lru_cache
from typing import Any, Protocol

import orjson
from fastapi import Request
from starlette.responses import JSONResponse, Response

from app.core.config import Settings
from app.core.errors import PreconditionFailed, PreconditionRequired


def _default(value: Any) -> Any:
    # asyncpg hands back its own UUID subclass, which orjson does not take as a UUID.
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(content: Any) -> bytes:
    return orjson.dumps(
        content, default=_default, option=orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS
    )


class JSONBody(JSONResponse):
    def render(self, content: Any) -> bytes:
        return dumps(content)


def version_etag(resource_id: object, version: int) -> str:
    return f'"{resource_id}-{version}"'


def body_etag(body: bytes) -> str:
    return f'W/"{hashlib.blake2b(body, digest_size=12).hexdigest()}"'


def _tags(header: str) -> list[str]:
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def _weak_equal(a: str, b: str) -> bool:
    return a.removeprefix("W/") == b.removeprefix("W/")


def if_none_match_hits(request: Request, etag: str) -> bool:
    """RFC 9110 §13.1.2: weak comparison, ``*`` matches any current representation."""
    header = request.headers.get("if-none-match")
    if header is None:
        return False
    return any(tag == "*" or _weak_equal(tag, etag) for tag in _tags(header))


def not_modified_since(request: Request, last_modified: datetime | None) -> bool:
    header = request.headers.get("if-modified-since")
    if header is None or last_modified is None or "if-none-match" in request.headers:
        return False
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        return False
    return last_modified.replace(microsecond=0) <= since


def not_modified(request: Request, etag: str, last_modified: datetime | None) -> bool:
    """Whether the client's copy is current (If-None-Match, else If-Modified-Since)."""
    return if_none_match_hits(request, etag) or not_modified_since(request, last_modified)


def if_match_tags(request: Request) -> list[str] | None:
    header = request.headers.get("if-match")
    return None if header is None else _tags(header)


def cache_control(settings: Settings, *, public: bool) -> str:
    if not public:
        return "private, no-store"
    return (
        f"public, max-age={settings.cache_max_age}, "
        f"stale-while-revalidate={settings.cache_stale_while_revalidate}"
    )


# Hot resources answer with the same Last-Modified on every read.
@lru_cache(maxsize=4096)
def http_date(value: datetime) -> str:
    return format_datetime(value, usegmt=True)


def cached_json(
    request: Request,
    content: Any,
    *,
    settings: Settings,
    public: bool,
    etag: str | None = None,
    last_modified: datetime | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A JSON GET response with validators; 304 when the client's copy is current."""
    return cached_body(
        request,
        dumps(content),
        media_type="application/json",
        settings=settings,
        public=public,
        etag=etag,
        last_modified=last_modified,
        status_code=status_code,
        headers=headers,
    )


def cached_body(
    request: Request,
    body: bytes,
    *,
    media_type: str,
    settings: Settings,
    public: bool,
    etag: str | None = None,
    last_modified: datetime | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A GET response of rendered bytes with validators; 304 when the client's copy is current."""
    tag = etag or body_etag(body)
    response_headers = validator_headers(
        settings, public=public, etag=tag, last_modified=last_modified
    )
    response_headers.update(headers or {})
    if not_modified(request, tag, last_modified):
        return Response(status_code=304, headers=response_headers)
    return Response(body, status_code=status_code, headers=response_headers, media_type=media_type)


def validator_headers(
    settings: Settings, *, public: bool, etag: str, last_modified: datetime | None
) -> dict[str, str]:
    headers = {
        "ETag": etag,
        "Cache-Control": cache_control(settings, public=public),
        # A preview token changes the answer: a cache must not serve it the public one.
        "Vary": "Authorization, Accept-Encoding, Lede-Preview",
    }
    if last_modified is not None:
        headers["Last-Modified"] = http_date(last_modified)
    return headers


class Versioned(Protocol):
    """A resource with an id and a version: what an ETag names."""

    id: uuid.UUID
    version: int


@dataclass(frozen=True, slots=True)
class Precondition:
    """What the client's If-Match said, and whether the deployment insists on it."""

    tags: list[str] | None
    required: bool

    def check(self, item: Versioned) -> None:
        if self.tags is None:
            if self.required:
                raise PreconditionRequired(
                    "Send If-Match with the ETag you last read, so edits are never lost."
                )
            return
        current = version_etag(item.id, item.version)
        if "*" in self.tags or any(t.removeprefix("W/") == current for t in self.tags):
            return
        raise stale(item)


def stale(item: Versioned) -> PreconditionFailed:
    current = version_etag(item.id, item.version)
    return PreconditionFailed(
        "The resource changed since you read it: fetch it again and reapply your edit.",
        extra={"current_etag": current},
        headers={"ETag": current},
    )
