"""Search index: FTS5 on SQLite, a weighted tsvector with a GIN index on PostgreSQL.

SQLite: ``articles_fts`` is an external-content FTS5 table over the view
``articles_fts_source``: the title, summary and plain-text body of each
article, and its ``state`` (what the view says about visibility), under the
article's implicit rowid. Triggers keep it in step, so an article is findable
as soon as the transaction that wrote it commits. ``articles`` must stay a
rowid table. The triggers and the view live and die with the table: a later
batch migration of ``articles`` (SQLite copies the table, which drops its
triggers, may renumber its rowids, and refuses the final rename while a view
names the dropped table) must drop the view and the triggers first, create
them again after, and run the ``rebuild`` below; so must anything else that
renumbers rows (``lede reindex`` runs the rebuild).

PostgreSQL: ``articles.search_vector`` is a generated column (title weight A,
summary B, body C), so it is current in the same statement that writes the
row; it is not mapped in the ORM and the search backend names it. The body is
cut to its first 200 000 characters, which keeps the vector under the 1 MiB a
tsvector can hold. Every language is indexed with the ``english``
configuration: English stems, and other languages still match word for word
because queries are parsed with the same configuration.

Revision ID: f44d7cc9571c
Revises: f3d0ba0633ab
Create Date: 2026-11-27 23:04:58.084932+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "f44d7cc9571c"
down_revision: str | None = "f3d0ba0633ab"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FTS_COLUMNS = "title, summary, body_text, state"
SQLITE_UPGRADE = (
    # What the index holds for each article. "state" lets a search leave out what a
    # reader may not see inside the index, without reading each matching row:
    # "hidden" for drafts, archived and trashed articles, "trashed" for the last.
    # Scheduled articles are published ones with a future date; search leaves them
    # out through the (status, published_at) index.
    """
    CREATE VIEW articles_fts_source AS
    SELECT rowid, title, summary, body_text,
           CASE
               WHEN deleted_at IS NOT NULL THEN 'hidden trashed'
               WHEN status <> 'published' THEN 'hidden'
               ELSE ''
           END AS state
    FROM articles
    """,
    f"""
    CREATE VIRTUAL TABLE articles_fts USING fts5(
        {FTS_COLUMNS},
        content='articles_fts_source',
        content_rowid='rowid',
        tokenize='porter unicode61 remove_diacritics 2'
    )
    """,
    # External content: the index must be told the old values to forget them
    # (https://sqlite.org/fts5.html#external_content_tables), so they are read
    # through the view before the row changes and the new ones after.
    f"""
    CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts (rowid, {FTS_COLUMNS})
        SELECT rowid, {FTS_COLUMNS} FROM articles_fts_source WHERE rowid = new.rowid;
    END
    """,
    f"""
    CREATE TRIGGER articles_fts_delete BEFORE DELETE ON articles BEGIN
        INSERT INTO articles_fts (articles_fts, rowid, {FTS_COLUMNS})
        SELECT 'delete', rowid, {FTS_COLUMNS} FROM articles_fts_source WHERE rowid = old.rowid;
    END
    """,
    # Only a change of what the index holds touches it: editing tags, authors or
    # the publication time leaves it alone.
    f"""
    CREATE TRIGGER articles_fts_update_before
    BEFORE UPDATE OF title, summary, body_text, status, deleted_at ON articles BEGIN
        INSERT INTO articles_fts (articles_fts, rowid, {FTS_COLUMNS})
        SELECT 'delete', rowid, {FTS_COLUMNS} FROM articles_fts_source WHERE rowid = old.rowid;
    END
    """,
    f"""
    CREATE TRIGGER articles_fts_update_after
    AFTER UPDATE OF title, summary, body_text, status, deleted_at ON articles BEGIN
        INSERT INTO articles_fts (rowid, {FTS_COLUMNS})
        SELECT rowid, {FTS_COLUMNS} FROM articles_fts_source WHERE rowid = new.rowid;
    END
    """,
    # Index the articles already stored.
    "INSERT INTO articles_fts (articles_fts) VALUES ('rebuild')",
)
SQLITE_DOWNGRADE = (
    "DROP TRIGGER articles_fts_update_after",
    "DROP TRIGGER articles_fts_update_before",
    "DROP TRIGGER articles_fts_delete",
    "DROP TRIGGER articles_fts_insert",
    "DROP TABLE articles_fts",
    "DROP VIEW articles_fts_source",
)

POSTGRES_UPGRADE = (
    # Rewrites the table once, computing the vector of every stored article.
    """
    ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')
        || setweight(to_tsvector('english'::regconfig, coalesce(summary, '')), 'B')
        || setweight(to_tsvector('english'::regconfig, left(coalesce(body_text, ''), 200000)), 'C')
    ) STORED
    """,
    "CREATE INDEX ix_articles_search_vector ON articles USING gin (search_vector)",
)
POSTGRES_DOWNGRADE = (
    "DROP INDEX ix_articles_search_vector",
    "ALTER TABLE articles DROP COLUMN search_vector",
)


def _run(statements: Sequence[str]) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _run(SQLITE_UPGRADE)
    else:
        _run(POSTGRES_UPGRADE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _run(SQLITE_DOWNGRADE)
    else:
        _run(POSTGRES_DOWNGRADE)
