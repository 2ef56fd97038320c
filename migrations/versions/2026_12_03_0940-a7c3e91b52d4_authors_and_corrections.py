"""Authors, the bylines that link articles to them, and public corrections on articles.

Existing articles' bylines are resolved to authors here, one author per name
whatever its case and accents, as writes resolve them.

Revision ID: a7c3e91b52d4
Revises: f44d7cc9571c
Create Date: 2026-12-03 09:40:00.000000+00:00
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from app.core.slugs import fold_name, make_slug

revision: str = "a7c3e91b52d4"
down_revision: str | None = "f44d7cc9571c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "authors",
        sa.Column("bio", sa.Text(), nullable=True),
        sa.Column("image_url", sa.String(length=2000), nullable=True),
        sa.Column("job_title", sa.String(length=200), nullable=True),
        sa.Column("urls", JSON, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authors")),
        sa.UniqueConstraint("name_key", name=op.f("uq_authors_name_key")),
        sa.UniqueConstraint("slug", name=op.f("uq_authors_slug")),
    )
    op.create_index(op.f("ix_authors_updated_at"), "authors", ["updated_at"], unique=False)
    op.create_table(
        "article_authors",
        sa.Column("article_id", sa.Uuid(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_authors_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["authors.id"],
            name=op.f("fk_article_authors_author_id_authors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "author_id", name=op.f("pk_article_authors")),
    )
    op.create_index(
        op.f("ix_article_authors_author_id"), "article_authors", ["author_id"], unique=False
    )
    op.add_column(
        "articles", sa.Column("corrections", JSON, nullable=False, server_default=sa.text("'[]'"))
    )
    _backfill_bylines()


def _backfill_bylines() -> None:
    connection = op.get_bind()
    articles = sa.table("articles", sa.column("id", sa.Uuid()), sa.column("authors", JSON))
    authors = sa.table(
        "authors",
        sa.column("id", sa.Uuid()),
        *(sa.column(name) for name in ("name", "name_key", "slug", "version")),
        sa.column("urls", JSON),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    links = sa.table(
        "article_authors",
        sa.column("article_id", sa.Uuid()),
        sa.column("author_id", sa.Uuid()),
        sa.column("position"),
    )
    now = datetime.now(UTC)
    if connection.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    by_key: dict[str, uuid.UUID] = {}
    slugs: set[str] = set()
    new_authors: list[dict[str, object]] = []
    new_links: list[dict[str, object]] = []
    for article_id, names in connection.execute(sa.select(articles.c.id, articles.c.authors)):
        position = 0
        seen: set[uuid.UUID] = set()
        for name in names or []:
            key = fold_name(name)
            if not key:
                continue
            if key not in by_key:
                base = make_slug(name, fallback="author")
                slug, n = base, 2
                while slug in slugs:
                    slug, n = f"{base}-{n}", n + 1
                slugs.add(slug)
                by_key[key] = uuid.uuid4()
                new_authors.append(
                    {
                        "id": by_key[key],
                        "name": " ".join(name.split()),
                        "name_key": key,
                        "slug": slug,
                        "version": 1,
                        "urls": [],
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            if by_key[key] in seen:
                continue
            seen.add(by_key[key])
            new_links.append(
                {"article_id": article_id, "author_id": by_key[key], "position": position}
            )
            position += 1
    if new_authors:
        op.bulk_insert(authors, new_authors)
    if new_links:
        op.bulk_insert(links, new_links)


def downgrade() -> None:
    op.drop_column("articles", "corrections")
    op.drop_index(op.f("ix_article_authors_author_id"), table_name="article_authors")
    op.drop_table("article_authors")
    op.drop_index(op.f("ix_authors_updated_at"), table_name="authors")
    op.drop_table("authors")
