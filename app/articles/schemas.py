"""Article request and response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    BaseModel,
    Field,
    StringConstraints,
    model_validator,
)

from app.core.schemas import InputModel, Name, ShortText, Slug, UtcTime
from app.entities.schemas import EntityType

ArticleStatus = Literal["draft", "published", "archived"]
BodyFormat = Literal["html", "markdown", "text"]
Language = Annotated[
    str,
    StringConstraints(min_length=2, max_length=35, pattern=r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$"),
]
TagRef = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


def _check_url(value: str) -> str:
    AnyHttpUrl(value)
    return value


Url = Annotated[str, StringConstraints(min_length=1, max_length=2000), AfterValidator(_check_url)]


class ImageIn(InputModel):
    url: Url
    caption: Annotated[str, StringConstraints(max_length=1000)] | None = None
    credit: Annotated[str, StringConstraints(max_length=300)] | None = None
    alt: Annotated[str, StringConstraints(max_length=1000)] | None = None


class MentionIn(InputModel):
    """An entity named by ``slug`` or ``id``, or by ``name`` (+ ``type`` to create it)."""

    id: uuid.UUID | None = None
    slug: Annotated[str, StringConstraints(max_length=200)] | None = None
    name: Name | None = None
    type: EntityType | None = None

    @model_validator(mode="after")
    def _one_way(self) -> MentionIn:
        if self.id is None and self.slug is None and self.name is None:
            raise ValueError("give the entity's id, slug, or name")
        return self


class ArticleFields(InputModel):
    """Fields shared by create, replace and update; ``None`` means not given."""

    slug: Slug | None = None
    summary: Annotated[str, StringConstraints(max_length=1000)] | None = None
    body_format: BodyFormat = "html"
    authors: Annotated[list[ShortText], Field(max_length=50)] = Field(default_factory=list)
    section: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    language: Language = "en"
    status: ArticleStatus = "draft"
    published_at: UtcTime | None = None
    canonical_url: Url | None = None
    source: Annotated[str, StringConstraints(max_length=200)] | None = None
    image: ImageIn | None = None
    tags: Annotated[list[TagRef], Field(max_length=100)] = Field(default_factory=list)
    entities: Annotated[list[MentionIn], Field(max_length=500)] = Field(default_factory=list)


class ArticleCreate(ArticleFields):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    body: str = ""


class ArticleUpdate(ArticleFields):
    """JSON merge patch (RFC 7396): given fields replace, ``null`` clears."""

    title: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
        | None
    ) = None
    body: str | None = None
    body_format: BodyFormat | None = None  # type: ignore[assignment]
    authors: Annotated[list[ShortText], Field(max_length=50)] | None = None  # type: ignore[assignment]
    language: Language | None = None  # type: ignore[assignment]
    status: ArticleStatus | None = None  # type: ignore[assignment]
    tags: Annotated[list[TagRef], Field(max_length=100)] | None = None  # type: ignore[assignment]
    entities: Annotated[list[MentionIn], Field(max_length=500)] | None = None  # type: ignore[assignment]


# Responses: documented for OpenAPI; the service builds the dicts itself.


class Image(BaseModel):
    url: str
    caption: str | None = None
    credit: str | None = None
    alt: str | None = None


class TagSummary(BaseModel):
    id: uuid.UUID
    slug: str
    name: str


class EntitySummary(BaseModel):
    id: uuid.UUID
    slug: str
    name: str
    type: EntityType


class MentionRead(BaseModel):
    entity: EntitySummary
    count: int
    spans: list[tuple[int, int]]
    source: Literal["manual", "auto"]


class ArticleRead(BaseModel):
    id: uuid.UUID
    slug: str
    title: str
    summary: str | None = None
    body_html: str | None = None
    body_text: str | None = None
    authors: list[str] | None = None
    section: str | None = None
    language: str | None = None
    status: ArticleStatus | None = None
    published_at: UtcTime | None = None
    canonical_url: str | None = None
    source: str | None = None
    image: Image | None = None
    tags: list[TagSummary] | None = None
    entities: list[MentionRead] | None = None
    word_count: int | None = None
    reading_time_minutes: int | None = None
    version: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    deleted_at: datetime | None = None
