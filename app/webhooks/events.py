"""Webhook event types: named from change-feed events, chosen with ``*`` patterns."""

from __future__ import annotations

from collections.abc import Iterable

from app.changes.service import MERGED
from app.models import Change

EVENT_TYPES = (
    "article.created",
    "article.updated",
    "article.published",
    "article.unpublished",
    "article.deleted",
    "entity.created",
    "entity.updated",
    "entity.deleted",
    "entity.merged",
    "tag.created",
    "tag.updated",
    "tag.deleted",
)
PATTERNS = frozenset({"*", *(f"{t.split('.')[0]}.*" for t in EVENT_TYPES), *EVENT_TYPES})
RESOURCES = {"articles": "article", "entities": "entity", "tags": "tag"}


def event_types(change: Change) -> tuple[str, ...]:
    """The types a change-feed event is told as, the first one preferred.

    ``published`` of ``articles`` is ``article.published``; the deletion of a
    merged entity is ``entity.merged``; an article created published is also
    ``article.published``, for those who only listen for that.
    """
    if change.event == "deleted" and (change.detail or "").startswith(MERGED):
        return ("entity.merged",)
    kind = RESOURCES[change.resource_type]
    if kind == "article" and change.event == "created" and change.public:
        return ("article.created", "article.published")
    return (f"{kind}.{change.event}",)


def matches(patterns: Iterable[str], type_: str) -> bool:
    kind = type_.split(".", 1)[0]
    return any(p in ("*", type_, f"{kind}.*") for p in patterns)


def chosen_type(patterns: Iterable[str], types: tuple[str, ...]) -> str | None:
    """The first of ``types`` the subscription's patterns ask for, if any."""
    wanted = tuple(patterns)
    return next((t for t in types if matches(wanted, t)), None)


def event_id(seq: int) -> str:
    """The ``webhook-id`` of the feed's event ``seq``: the same on every attempt and replay."""
    return f"evt_{seq}"
