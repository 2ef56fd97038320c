"""Orders kept in memory: pages of ids sorted by a key, with the cursors SQL pages use."""

from __future__ import annotations

import bisect
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from app.core.errors import invalid
from app.core.pagination import Page, decode_cursor, encode_cursor
from app.core.schemas import parse_utc

Keyed = tuple[Any, uuid.UUID]


def by_int_id(keyed: Keyed) -> tuple[Any, int]:
    """The order of ``(key, id)`` pairs, compared as integers: ties on the key (many
    items share a count) are then settled in C, not in ``UUID.__lt__``."""
    return keyed[0], keyed[1].int


def sorted_page(
    ascending: Sequence[Keyed], *, sort: str, page: Page
) -> tuple[list[uuid.UUID], str | None]:
    """One page, largest first, of ids sorted as ``(key, id)`` pairs; the next cursor.

    For orders kept in memory (counts cached per change-feed position); cursors
    are those ``keyset_page`` makes, so an order can move between the two.
    """
    end = len(ascending)
    if page.cursor is not None:
        raw_value, raw_id = decode_cursor(page.cursor, sort, 2)
        try:
            last: Keyed = (_parse_key(ascending, raw_value), uuid.UUID(str(raw_id)))
            end = bisect.bisect_left(ascending, last)
        except (ValueError, TypeError):
            raise invalid(["query", "cursor"], "The cursor is not valid.") from None
    elif page.offset:
        end = max(0, end - page.offset)
    chosen = ascending[max(0, end - page.limit) : end][::-1]
    next_cursor = None
    if end > page.limit:
        value, last_id = chosen[-1]
        next_cursor = encode_cursor(
            sort, [value.isoformat() if isinstance(value, datetime) else value, str(last_id)]
        )
    return [item_id for _key, item_id in chosen], next_cursor


def _parse_key(ascending: Sequence[Keyed], raw: Any) -> Any:
    if ascending and isinstance(ascending[0][0], datetime):
        return parse_utc(str(raw))
    if not isinstance(raw, int):
        raise TypeError("cursor value of the wrong type")
    return raw
