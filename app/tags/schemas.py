"""Tag request and response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from app.core.schemas import Collection, InputModel, Slug

TagName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(max_length=2000)]


class TagCreate(InputModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "Peacekeeping", "description": "UN missions"}]}
    )

    name: TagName
    slug: Slug | None = None
    description: Description | None = None


class TagUpdate(InputModel):
    name: TagName | None = None
    slug: Slug | None = None
    description: Description | None = None


class TagRead(BaseModel):
    id: uuid.UUID
    slug: str
    name: str
    description: str | None
    article_count: int
    created_at: datetime
    updated_at: datetime
    version: int


class TagPage(Collection[TagRead]):
    """A page of tags."""
