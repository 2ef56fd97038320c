from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, VersionedMixin


class Entity(VersionedMixin, Base):
    __tablename__ = "entities"

    name: Mapped[str] = mapped_column(String(300))
    type: Mapped[str] = mapped_column(String(16), index=True)
    aliases: Mapped[list[str]] = mapped_column(default=list)
    description: Mapped[str | None] = mapped_column(Text)
    # From when readers see it: its creation through its own endpoint, or the
    # publication time of the first public (or scheduled) article carrying it;
    # NULL while only hidden articles do (see models.visibility).
    public_from: Mapped[datetime | None] = mapped_column(default=None, index=True)
    external_ids: Mapped[dict[str, Any]] = mapped_column(default=dict)

    names: Mapped[list[EntityName]] = relationship(
        lazy="raise", cascade="all, delete-orphan", back_populates="entity"
    )


class EntityName(Base):
    """Every name an entity is written as (name and aliases), for look-up and typeahead."""

    __tablename__ = "entity_names"

    entity_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True
    )
    name_key: Mapped[str] = mapped_column(String(300), primary_key=True, index=True)
    name: Mapped[str] = mapped_column(String(300))
    is_alias: Mapped[bool] = mapped_column(default=False)

    entity: Mapped[Entity] = relationship(lazy="raise", back_populates="names")
