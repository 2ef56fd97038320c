"""Who may see an article: the one rule every reader path applies, in SQL and in Python.

A reader sees an article that is published, whose publication time has come,
whose expiry (if any) has not, and that is not in the trash. Time moves with
no job: a scheduled story appears at its ``published_at`` and an expiring one
disappears at its ``expires_at``, so both forms take the same ``now`` (one per
request, ``core.deps.request_now``). The clause and the predicate sit side by
side here and ``tests/models/test_visibility_rule.py`` proves they agree.

The rule has a stored half (status and trash: what an index or a search
index can hold) and a timed half (the two times compared with ``now``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import BindParameter, ColumnElement, and_, or_

from app.models.article import Article

PUBLISHED = "published"

Now = datetime | BindParameter[Any]


class Shown(Protocol):
    """What the rule reads of an article (an ``Article``, or a row of its columns)."""

    @property
    def status(self) -> str: ...
    @property
    def published_at(self) -> datetime | None: ...
    @property
    def expires_at(self) -> datetime | None: ...
    @property
    def deleted_at(self) -> datetime | None: ...


# In memory ---------------------------------------------------------------------


def has_expired(expires_at: datetime | None, now: datetime) -> bool:
    """Whether a story's expiry has come: from then on readers no longer see it."""
    return expires_at is not None and expires_at <= now


def is_live(article: Shown, now: datetime) -> bool:
    """Published, released and not expired at ``now``, trash aside."""
    return (
        article.status == PUBLISHED
        and article.published_at is not None
        and article.published_at <= now
        and not has_expired(article.expires_at, now)
    )


def is_visible(article: Shown, now: datetime) -> bool:
    """Whether a reader sees the article at ``now``."""
    return article.deleted_at is None and is_live(article, now)


def was_visible_when_trashed(article: Shown) -> bool:
    """Whether readers saw a trashed article up to the moment it was trashed."""
    return article.deleted_at is not None and is_live(article, article.deleted_at)


def becomes_visible(article: Shown, now: datetime) -> bool:
    """Whether readers see the article now or will, with no further write (it is scheduled)."""
    return (
        article.deleted_at is None
        and article.status == PUBLISHED
        and article.published_at is not None
        and not has_expired(article.expires_at, now)
    )


# In SQL ------------------------------------------------------------------------


def listed_clause() -> ColumnElement[bool]:
    """The stored half: published and not in the trash."""
    return and_(Article.status == PUBLISHED, Article.deleted_at.is_(None))


def published_by(now: Now) -> ColumnElement[bool]:
    """Published with its publication time reached: what the (status, published_at)
    index tells alone, trash and expiry aside."""
    return and_(Article.status == PUBLISHED, Article.published_at <= now)


def released_clause(now: Now) -> ColumnElement[bool]:
    """The timed half: the publication time has come and the expiry has not."""
    return and_(
        Article.published_at <= now,
        or_(Article.expires_at.is_(None), Article.expires_at > now),
    )


def unreleased_clauses(now: Now) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """The timed half's complement, as two conditions an index each answers:
    not yet released (no or a future publication time), and expired."""
    return (
        or_(Article.published_at.is_(None), Article.published_at > now),
        Article.expires_at <= now,
    )


def visible_clause(now: Now) -> ColumnElement[bool]:
    """The SQL of :func:`is_visible`."""
    return and_(listed_clause(), released_clause(now))


def becomes_visible_clause(now: Now) -> ColumnElement[bool]:
    """The SQL of :func:`becomes_visible`."""
    return and_(
        listed_clause(),
        Article.published_at.is_not(None),
        or_(Article.expires_at.is_(None), Article.expires_at > now),
    )


def readable_clause(*, sees_drafts: bool, now: Now) -> ColumnElement[bool]:
    """What a principal may read: editors everything but the trash, readers what is visible."""
    return Article.deleted_at.is_(None) if sees_drafts else visible_clause(now)


# The times at which the timed half changes its answer, for caches that must not
# outlive the next of them.
TURNING_POINTS = (Article.published_at, Article.expires_at)


# Tags and entities -------------------------------------------------------------


class Listed(Protocol):
    """What the rule reads of a tag or an entity."""

    @property
    def public_from(self) -> datetime | None: ...
    @property
    def deleted_at(self) -> datetime | None: ...


def is_public(item: Listed, now: datetime) -> bool:
    """Whether a reader sees a tag or an entity at ``now``: made public by then, not trashed.

    One that came in through a hidden article has no ``public_from`` until a
    public (or scheduled) article carries it.
    """
    return item.deleted_at is None and item.public_from is not None and item.public_from <= now


def was_public_when_trashed(item: Listed) -> bool:
    """Whether readers saw a trashed tag or entity up to the moment it was trashed."""
    return (
        item.deleted_at is not None
        and item.public_from is not None
        and item.public_from <= item.deleted_at
    )


def public_clause(model: Any, now: Now) -> ColumnElement[bool]:
    """The SQL of :func:`is_public`, for ``Tag`` or ``Entity``."""
    return and_(model.deleted_at.is_(None), model.public_from <= now)


def announced(item: Listed, event: str, now: datetime) -> tuple[bool, datetime | None]:
    """Whether readers hear of an event of a tag or entity in the change feed, and from when.

    A deletion only if they saw it then; any other event once they see it.
    """
    if item.public_from is None:
        return False, None
    if event == "deleted":
        return item.public_from <= now, None
    return True, item.public_from if item.public_from > now else None
