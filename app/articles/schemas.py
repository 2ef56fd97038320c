"""Article request and response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from app.core.schemas import Collection, InputModel, Name, ShortText, Slug, UtcTime, partial
from app.entities.schemas import EntitySummary, EntityType
from app.linking.salience import Salience

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


Caption = Annotated[str, StringConstraints(max_length=1000)]
Credit = Annotated[str, StringConstraints(max_length=300)]


class ImageIn(InputModel):
    url: Url
    caption: Caption | None = None
    credit: Credit | None = None
    alt: Caption | None = None


class ImagePatch(InputModel):
    """Members of ``image`` to change: merged with the stored image, ``null`` removes one."""

    url: Url | None = None
    caption: Caption | None = None
    credit: Credit | None = None
    alt: Caption | None = None


class MentionIn(InputModel):
    """An entity named by ``slug`` or ``id``, or by ``name`` (+ ``type`` to create it); with
    ``salience``, the editor says whether the story is about it, over the computed rule."""

    id: uuid.UUID | None = None
    slug: Annotated[str, StringConstraints(max_length=200)] | None = None
    name: Name | None = None
    type: EntityType | None = None
    salience: Salience | None = None

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
    # After it readers no longer see the story; must come after published_at.
    expires_at: UtcTime | None = None
    canonical_url: Url | None = None
    source: Annotated[str, StringConstraints(max_length=200)] | None = None
    image: ImageIn | None = None
    tags: Annotated[list[TagRef], Field(max_length=100)] = Field(default_factory=list)
    entities: Annotated[list[MentionIn], Field(max_length=500)] = Field(default_factory=list)


class CorrectionCreate(InputModel):
    text: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
        Field(
            description="The correction note readers see, e.g. what an earlier version got wrong."
        ),
    ]


class ArticleCreate(ArticleFields):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "title": "Mali demands withdrawal of UN peacekeeping mission",
                    "body": "Mali's Foreign Ministry has called for the withdrawal of MINUSMA.\n\n"
                    "Foreign Minister Abdoulaye Diop spoke in New York.",
                    "body_format": "text",
                    "authors": ["Ann Writer"],
                    "section": "world/africa",
                    "tags": ["Mali", "Peacekeeping"],
                    "entities": [{"slug": "minusma"}],
                    "status": "published",
                }
            ]
        }
    )

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    body: str = ""


class ArticleUpdate(ArticleFields):
    """JSON merge patch (RFC 7396): given fields replace, ``null`` clears, ``image`` merges."""

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
    image: ImagePatch | None = None  # type: ignore[assignment]


# Responses: the shape every article read answers; the service renders the
# dicts itself (faster), and ARTICLE_FIELDS is read from these models.


class Image(BaseModel):
    url: str
    caption: str | None = None
    credit: str | None = None
    alt: str | None = None


class TagSummary(BaseModel):
    id: uuid.UUID
    slug: str
    name: str


Span = Annotated[list[int], Field(min_length=2, max_length=2)]


class Byline(BaseModel):
    id: uuid.UUID
    slug: str
    name: str


class Correction(BaseModel):
    text: str
    at: datetime


class MentionRead(BaseModel):
    entity: EntitySummary
    count: int = Field(description="Mentions in the body (`len(spans)`).")
    spans: list[Span] = Field(
        description="`[start, end)` code-point offsets of each mention in `body_text`."
    )
    source: Literal["manual", "auto"]
    salience: Salience = Field(
        description="`about` when the story is about the entity, `mentions` otherwise."
    )
    score: float = Field(ge=0, le=1, description="How central the entity is to the story.")


class ArticleSummary(BaseModel):
    """An article as lists show it: every field but the bodies."""

    id: uuid.UUID
    slug: str
    title: str
    summary: str | None
    authors: list[str] = Field(description="The bylines as written, in order.")
    bylines: list[Byline] = Field(description="The authors the bylines name, in order.")
    section: str | None
    language: str
    status: ArticleStatus
    published_at: datetime | None
    expires_at: datetime | None = Field(
        description="When the story stops being public (after published_at), if it does."
    )
    canonical_url: str | None
    source: str | None
    image: Image | None
    tags: list[TagSummary]
    entities: list[MentionRead]
    corrections: list[Correction] = Field(description="Public correction notes, newest last.")
    word_count: int
    reading_time_minutes: int
    version: int
    created_at: datetime
    updated_at: datetime


class ArticleRead(ArticleSummary):
    """An article, bodies included."""

    body_html: str = Field(description="Sanitized HTML.")
    body_text: str = Field(description="Plain text; mention spans index into it.")


ArticlePartial = partial(ArticleRead, keep=("id", "slug"), name="ArticlePartial")
ArticleShown = Annotated[
    ArticleRead | ArticlePartial,  # type: ignore[valid-type]
    Field(
        description="The whole article, or the fields asked for with `fields` (id and slug always)."
    ),
]
ArticleListed = Annotated[
    ArticleSummary | ArticlePartial,  # type: ignore[valid-type]
    Field(description="An article without its bodies, or the fields asked for with `fields`."),
]


class ArticlePage(Collection[ArticleListed]):
    """A page of articles."""


class RelatedArticle(ArticleSummary):
    score: float = Field(description="2 points per shared entity, 1 per shared tag.")


class RelatedArticlePage(Collection[RelatedArticle]):
    """Related articles, best first."""
