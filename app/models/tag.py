from __future__ import annotations

from datetime import datetime

from sqlalchemy import Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, NamedMixin


class Tag(NamedMixin, Base):
    __tablename__ = "tags"

    description: Mapped[str | None] = mapped_column(Text)
    # From when readers see it: its creation through its own endpoint, or the
    # publication time of the first public (or scheduled) article carrying it;
    # NULL while only hidden articles do (see models.visibility).
    public_from: Mapped[datetime | None] = mapped_column(default=None, index=True)
