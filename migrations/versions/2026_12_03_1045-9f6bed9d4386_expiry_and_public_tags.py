"""Expiry, and tags and entities that stay hidden while only hidden articles carry them.

``articles.expires_at``: after it readers no longer see the story. Indexed, so
that the next expiry (which caps cache lifetimes) and the expired stories
(which search leaves out) are found without reading every article.

``tags.public_from``, ``entities.public_from``: from when readers see them.
Existing ones that no article carries were created through their own
endpoint and are public from their creation; the others from the publication
time of the first published article carrying them; those only hidden
articles carry stay hidden.

SQLite: the view the search index reads is made again from the visibility
rule (``app.search.backends.sqlite.SOURCE_VIEW``); it says the same of every
stored article, so the index needs no rebuild.

Revision ID: 9f6bed9d4386
Revises: a7c3e91b52d4
Create Date: 2026-12-03 10:45:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.search.backends.sqlite import SOURCE_VIEW

revision: str = "9f6bed9d4386"
down_revision: str | None = "a7c3e91b52d4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, the table linking it to articles, its column there)
CARRIED = (("tags", "article_tags", "tag_id"), ("entities", "mentions", "entity_id"))

OLD_SOURCE_VIEW = """
    CREATE VIEW articles_fts_source AS
    SELECT rowid, title, summary, body_text,
           CASE
               WHEN deleted_at IS NOT NULL THEN 'hidden trashed'
               WHEN status <> 'published' THEN 'hidden'
               ELSE ''
           END AS state
    FROM articles
    """


def _backfill(table: str, links: str, column: str) -> str:
    return f"""
    UPDATE {table} SET public_from = CASE
        WHEN NOT EXISTS (SELECT 1 FROM {links} WHERE {links}.{column} = {table}.id)
        THEN {table}.created_at
        ELSE (
            SELECT min(articles.published_at) FROM {links}
            JOIN articles ON articles.id = {links}.article_id
            WHERE {links}.{column} = {table}.id
              AND articles.status = 'published' AND articles.deleted_at IS NULL
        )
    END
    """


def upgrade() -> None:
    op.add_column("articles", sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(op.f("ix_articles_expires_at"), "articles", ["expires_at"], unique=False)
    for table, links, column in CARRIED:
        op.add_column(table, sa.Column("public_from", sa.DateTime(timezone=True), nullable=True))
        op.execute(_backfill(table, links, column))
        # Found quickly: those still waiting for a scheduled story.
        op.create_index(op.f(f"ix_{table}_public_from"), table, ["public_from"], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP VIEW articles_fts_source")
        op.execute(SOURCE_VIEW)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP VIEW articles_fts_source")
        op.execute(OLD_SOURCE_VIEW)
    for table, _links, _column in CARRIED:
        op.drop_index(op.f(f"ix_{table}_public_from"), table_name=table)
        op.drop_column(table, "public_from")
    op.drop_index(op.f("ix_articles_expires_at"), table_name="articles")
    op.drop_column("articles", "expires_at")
