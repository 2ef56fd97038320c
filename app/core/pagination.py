"""Collection envelopes, offset and keyset (cursor) pagination."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

import orjson
from fastapi import Depends, Query, Request

from app.core.errors import invalid

MAX_LIMIT = 100
MAX_OFFSET = 10_000


@dataclass(frozen=True, slots=True)
class Page:
    limit: int
    offset: int | None
    cursor: str | None


async def get_page(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = 20,
    offset: Annotated[
        int | None, Query(ge=0, le=MAX_OFFSET, description="Items to skip; use `cursor` beyond.")
    ] = None,
    cursor: Annotated[
        str | None,
        Query(max_length=500, description="Opaque cursor from `meta.next_cursor`."),
    ] = None,
) -> Page:
    if offset is not None and cursor is not None:
        raise invalid(["query", "cursor"], "Use either offset or cursor, not both.")
    return Page(limit=limit, offset=offset, cursor=cursor)


PageDep = Annotated[Page, Depends(get_page)]


async def get_offset_page(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip.")] = 0,
) -> Page:
    return Page(limit=limit, offset=offset, cursor=None)


# Short listings (keys, revisions) page by offset alone.
OffsetPageDep = Annotated[Page, Depends(get_offset_page)]


def following_offset(page: Page, total: int) -> int | None:
    """The offset of the page after ``page`` of an offset listing, if there is one."""
    following = (page.offset or 0) + page.limit
    return following if following < total else None


def encode_cursor(sort: str, values: Sequence[Any]) -> str:
    raw = orjson.dumps([sort, *values], option=orjson.OPT_UTC_Z)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str, sort: str, arity: int) -> list[Any]:
    """The key values a cursor carries; a forged or foreign cursor is a 422."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        decoded = orjson.loads(raw)
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        decoded = None
    if (
        not isinstance(decoded, list)
        or len(decoded) != arity + 1
        or decoded[0] != sort
        or not all(v is None or isinstance(v, str | int) for v in decoded[1:])
    ):
        raise invalid(["query", "cursor"], "The cursor is not valid for this listing and sort.")
    return decoded[1:]


def base_url(request: Request) -> str:
    configured: str | None = request.app.state.settings.base_url
    return configured.rstrip("/") if configured else str(request.base_url).rstrip("/")


def self_url(request: Request) -> str:
    query = request.url.query
    return f"{base_url(request)}{request.url.path}" + (f"?{query}" if query else "")


def _page_url(request: Request, name: str, value: str) -> str:
    params = [
        (k, v) for k, v in request.query_params.multi_items() if k not in ("cursor", "offset")
    ]
    params.append((name, value))
    query = "&".join(f"{k}={quote(v, safe='')}" for k, v in params)
    return f"{base_url(request)}{request.url.path}?{query}"


def envelope(
    request: Request,
    data: list[Any],
    *,
    page: Page,
    total: int,
    next_cursor: str | None,
    next_offset: int | None = None,
    meta: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """The collection body and its ``Link`` header.

    The next page is found by ``next_cursor`` (keyset listings) or, for the short
    listings paged by offset alone, by ``next_offset``.
    """
    next_url = None
    if next_cursor is not None:
        next_url = _page_url(request, "cursor", next_cursor)
    elif next_offset is not None:
        next_url = _page_url(request, "offset", str(next_offset))
    body = {
        "data": data,
        "meta": {
            "total": total,
            "limit": page.limit,
            "offset": None if page.cursor is not None else (page.offset or 0),
            "next_cursor": next_cursor,
            **(meta or {}),
        },
        "links": {"self": self_url(request), "next": next_url},
    }
    headers = {"Link": f'<{next_url}>; rel="next"'} if next_url else {}
    return body, headers
