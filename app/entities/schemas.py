"""Entity request and response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.core.schemas import Collection, InputModel, Slug

EntityType = Literal["person", "organization", "location", "event", "other"]
EntityName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Description = Annotated[str, StringConstraints(max_length=2000)]
Aliases = Annotated[list[EntityName], Field(max_length=100)]
ExternalIds = Annotated[
    dict[Annotated[str, StringConstraints(min_length=1, max_length=50)], Any],
    Field(max_length=20),
]


class EntityCreate(InputModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "António Guterres",
                    "type": "person",
                    "aliases": ["Antonio Guterres", "Guterres"],
                    "description": "Secretary-General of the United Nations",
                    "external_ids": {"wikidata": "Q311440"},
                }
            ]
        }
    )

    name: EntityName
    type: EntityType
    slug: Slug | None = None
    aliases: Aliases = Field(default_factory=list)
    description: Description | None = None
    external_ids: ExternalIds = Field(default_factory=dict)


class EntityUpdate(InputModel):
    name: EntityName | None = None
    type: EntityType | None = None
    slug: Slug | None = None
    aliases: Aliases | None = None
    description: Description | None = None
    external_ids: ExternalIds | None = None


class EntitySummary(BaseModel):
    """An entity as articles, search and co-occurrence name it."""

    id: uuid.UUID
    slug: str
    name: str
    type: EntityType


class RelatedEntity(BaseModel):
    entity: EntitySummary
    count: int = Field(description="Articles that mention both.")


class EntityRead(BaseModel):
    id: uuid.UUID
    slug: str
    name: str
    type: EntityType
    aliases: list[str]
    description: str | None
    external_ids: dict[str, Any]
    article_count: int
    about_count: int = Field(description="Published articles about it (salience `about`).")
    first_seen: datetime | None
    last_seen: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int


class EntityPage(Collection[EntityRead]):
    """A page of entities."""


class RelatedEntityPage(Collection[RelatedEntity]):
    """Co-occurring entities, most shared first."""


class TopEntity(BaseModel):
    slug: str
    name: str
    count: int = Field(description="Stories of the period that mention both.")


class TimelinePeriod(BaseModel):
    period: str = Field(description="First day of the period (UTC), `YYYY-MM-DD`.")
    articles: int = Field(description="Published stories of the period that mention it.")
    about: int = Field(description="Of those, the stories about it.")
    top_entities: list[TopEntity] = Field(
        max_length=5, description="The entities mentioned with it in most of these stories."
    )


class Timeline(Collection[TimelinePeriod]):
    """Periods with published stories mentioning the entity, oldest first."""
