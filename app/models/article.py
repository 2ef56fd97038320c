from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, VersionedMixin

if TYPE_CHECKING:
    from app.models.author import Author
    from app.models.entity import Entity
    from app.models.tag import Tag


class Article(VersionedMixin, Base):
    __tablename__ = "articles"

    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str | None] = mapped_column(Text)
    # True when the summary was derived from the body, so a new body derives it again.
    summary_derived: Mapped[bool] = mapped_column(default=False)
    body: Mapped[str] = mapped_column(Text, default="")
    body_format: Mapped[str] = mapped_column(String(16), default="html")
    body_html: Mapped[str] = mapped_column(Text, default="")
    body_text: Mapped[str] = mapped_column(Text, default="")
    authors: Mapped[list[str]] = mapped_column(default=list)
    section: Mapped[str | None] = mapped_column(String(200), index=True)
    language: Mapped[str] = mapped_column(String(35), default="en")
    status: Mapped[str] = mapped_column(String(16), default="draft")
    published_at: Mapped[datetime | None] = mapped_column()
    # After it readers no longer see the story (rights lapsed); see models.visibility.
    expires_at: Mapped[datetime | None] = mapped_column(index=True)
    canonical_url: Mapped[str | None] = mapped_column(String(2000), unique=True)
    source: Mapped[str | None] = mapped_column(String(200))
    image: Mapped[dict[str, Any] | None] = mapped_column()
    word_count: Mapped[int] = mapped_column(default=0)
    reading_time_minutes: Mapped[int] = mapped_column(default=0)
    updated_by: Mapped[str | None] = mapped_column(String(200))
    # Public correction notes, oldest first: [{"text", "at"}].
    corrections: Mapped[list[Any]] = mapped_column(default=list)

    tag_links: Mapped[list[ArticleTag]] = relationship(
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="ArticleTag.position",
        back_populates="article",
    )
    mentions: Mapped[list[Mention]] = relationship(
        lazy="raise", cascade="all, delete-orphan", back_populates="article"
    )
    author_links: Mapped[list[ArticleAuthor]] = relationship(
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="ArticleAuthor.position",
        back_populates="article",
    )

    __table_args__ = (
        Index("ix_articles_status_published_at", "status", "published_at", "id"),
        Index("ix_articles_published_at_id", "published_at", "id"),
    )


class ArticleTag(Base):
    __tablename__ = "article_tags"

    article_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(default=0)

    article: Mapped[Article] = relationship(lazy="raise", back_populates="tag_links")
    tag: Mapped[Tag] = relationship(lazy="raise")


class ArticleAuthor(Base):
    """A byline of an article resolved to its author, in byline order."""

    __tablename__ = "article_authors"

    article_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    author_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("authors.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(default=0)

    article: Mapped[Article] = relationship(lazy="raise", back_populates="author_links")
    author: Mapped[Author] = relationship(lazy="raise")


class Mention(Base):
    __tablename__ = "mentions"

    article_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    entity_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    source: Mapped[str] = mapped_column(String(16), default="auto")
    count: Mapped[int] = mapped_column(default=0)
    spans: Mapped[list[Any]] = mapped_column(default=list)
    # "about" or "mentions": the editor's (editor_salience) if they gave one, else the rule's.
    salience: Mapped[str] = mapped_column(String(16), default="mentions", server_default="mentions")
    score: Mapped[float] = mapped_column(default=0.0, server_default="0")
    editor_salience: Mapped[str | None] = mapped_column(String(16))

    article: Mapped[Article] = relationship(lazy="raise", back_populates="mentions")
    entity: Mapped[Entity] = relationship(lazy="raise")


class ArticleRevision(Base):
    """The state of an article before a change, for history and restore."""

    __tablename__ = "article_revisions"

    article_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(primary_key=True)
    snapshot: Mapped[dict[str, Any]] = mapped_column()
    changed_fields: Mapped[list[str]] = mapped_column(default=list)
    actor: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column()
