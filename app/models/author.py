from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, NamedMixin


class Author(NamedMixin, Base):
    """A person bylines name; articles link to authors through ``article_authors``."""

    __tablename__ = "authors"

    bio: Mapped[str | None] = mapped_column(Text)
    image_url: Mapped[str | None] = mapped_column(String(2000))
    job_title: Mapped[str | None] = mapped_column(String(200))
    urls: Mapped[list[str]] = mapped_column(default=list)
