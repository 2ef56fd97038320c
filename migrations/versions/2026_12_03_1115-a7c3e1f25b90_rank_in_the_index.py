"""Rank in the index: a RUM index on the search vector when the server has ``rum``.

PostgreSQL only. When the ``rum`` extension is available
(``pg_available_extensions``; Debian: ``postgresql-15-rum``) and may be created,
``articles.search_vector`` gets a RUM index with word positions, which answers
phrases and orders matches by rank (``<=>``) from the index, and the GIN index
it replaces is dropped. Otherwise nothing changes: search ranks every match from
the GIN index, slower. The search backend looks for the RUM index by name.

Revision ID: a7c3e1f25b90
Revises: 255edce80c64
Create Date: 2026-12-03 11:15:00.000000+00:00
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

revision: str = "a7c3e1f25b90"
down_revision: str | None = "255edce80c64"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RUM_INDEX = "ix_articles_search_rum"
GIN_INDEX = "ix_articles_search_vector"


def _create_rum() -> bool:
    """Create the extension, unless the server lacks it or the role may not."""
    bind = op.get_bind()
    available = bind.scalar(text("SELECT count(*) FROM pg_available_extensions WHERE name = 'rum'"))
    if not available:
        return False
    savepoint = bind.begin_nested()
    try:
        bind.execute(text("CREATE EXTENSION IF NOT EXISTS rum"))
    except DBAPIError:
        savepoint.rollback()
        return False
    savepoint.commit()
    return True


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql" or not _create_rum():
        return
    op.execute(f"CREATE INDEX {RUM_INDEX} ON articles USING rum (search_vector rum_tsvector_ops)")
    op.execute(f"DROP INDEX {GIN_INDEX}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"CREATE INDEX IF NOT EXISTS {GIN_INDEX} ON articles USING gin (search_vector)")
    op.execute(f"DROP INDEX IF EXISTS {RUM_INDEX}")
