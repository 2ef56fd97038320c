from __future__ import annotations

from sqlalchemy import Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, NamedMixin


class Tag(NamedMixin, Base):
    __tablename__ = "tags"

    description: Mapped[str | None] = mapped_column(Text)
