"""Search backends: one interface, the implementation chosen from the database dialect."""

from __future__ import annotations

from app.search.backends.base import SearchBackend
from app.search.backends.postgres import PostgresBackend
from app.search.backends.sqlite import SqliteBackend

__all__ = ["SearchBackend", "backend_for", "is_search_index"]

_BACKENDS: dict[str, SearchBackend] = {"sqlite": SqliteBackend(), "postgresql": PostgresBackend()}


def backend_for(dialect: str) -> SearchBackend:
    return _BACKENDS[dialect]


def is_search_index(name: str | None) -> bool:
    """Whether a table, column or index is part of the search index its migration made.

    They live outside the ORM models, so schema comparison must leave them alone.
    """
    return name is not None and (
        name.startswith("articles_fts")
        or name in ("search_vector", "ix_articles_search_vector", "ix_articles_search_rum")
    )
