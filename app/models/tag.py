from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, VersionedMixin


class Tag(VersionedMixin, Base):
    __tablename__ = "tags"

    name: Mapped[str] = mapped_column(String(200))
    # Case-folded name: tag names are unique case-insensitively.
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
