"""Author request and response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from app.articles.schemas import Url
from app.core.schemas import Collection, InputModel, ShortText, Slug

Bio = Annotated[str, StringConstraints(max_length=5000)]
JobTitle = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Urls = Annotated[list[Url], Field(max_length=20)]


class AuthorCreate(InputModel):
    name: ShortText
    slug: Slug | None = None
    bio: Bio | None = None
    image_url: Url | None = None
    job_title: JobTitle | None = None
    urls: Urls = Field(default_factory=list)


class AuthorUpdate(InputModel):
    name: ShortText | None = None
    slug: Slug | None = None
    bio: Bio | None = None
    image_url: Url | None = None
    job_title: JobTitle | None = None
    urls: Urls | None = None


class AuthorRead(BaseModel):
    id: uuid.UUID
    slug: str
    name: str
    bio: str | None
    image_url: str | None
    job_title: str | None
    urls: list[str]
    article_count: int
    created_at: datetime
    updated_at: datetime
    version: int


class AuthorPage(Collection[AuthorRead]):
    """A page of authors."""
