"""The article filters shared by every listing: /articles, entity and tag pages, search, feeds."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated, Literal

from fastapi import Depends, Query

from app.articles.schemas import ArticleRead, ArticleStatus, ArticleSummary
from app.core.errors import invalid
from app.core.schemas import UtcTime

ArticleSort = Literal["-published_at", "published_at", "-updated_at", "title"]

# Fields a client may ask for with ``fields=``: those an article answers with;
# list items leave out the bodies unless asked.
ARTICLE_FIELDS = tuple(ArticleRead.model_fields)
LIST_FIELDS = tuple(ArticleSummary.model_fields)
# What a sparse fieldset always keeps, so that clients can tell items apart.
KEPT_FIELDS = ("id", "slug")


@dataclass(frozen=True, slots=True)
class ArticleFilters:
    status: ArticleStatus | None = None
    tags: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()
    section: str | None = None
    # Authors by slug or name (as written in a byline, whatever its case and accents).
    authors: tuple[str, ...] = ()
    language: str | None = None
    published_after: datetime | None = None
    published_before: datetime | None = None
    updated_after: datetime | None = None

    def with_tag(self, slug: str) -> ArticleFilters:
        return replace(self, tags=(*self.tags, slug))

    def with_entity(self, slug: str) -> ArticleFilters:
        return replace(self, entities=(*self.entities, slug))

    def with_author(self, slug: str) -> ArticleFilters:
        return replace(self, authors=(*self.authors, slug))


async def get_filters(
    status: Annotated[
        ArticleStatus | None, Query(description="Only articles in this status.")
    ] = None,
    tag: Annotated[
        list[str] | None, Query(max_length=20, description="Tag slug; repeat to require several.")
    ] = None,
    entity: Annotated[
        list[str] | None,
        Query(max_length=20, description="Entity slug; repeat to require several."),
    ] = None,
    section: Annotated[
        str | None, Query(max_length=200, description="Section, or a parent section (`world`).")
    ] = None,
    author: Annotated[
        str | None,
        Query(max_length=200, description="An author slug, or a byline (any case or accents)."),
    ] = None,
    language: Annotated[str | None, Query(max_length=35, description="BCP 47 tag.")] = None,
    published_after: Annotated[UtcTime | None, Query()] = None,
    published_before: Annotated[UtcTime | None, Query()] = None,
    updated_after: Annotated[UtcTime | None, Query()] = None,
) -> ArticleFilters:
    for name, values in (("tag", tag or []), ("entity", entity or [])):
        for value in values:
            if not value or len(value) > 200:
                raise invalid(["query", name], "Give a slug of 1 to 200 characters.")
    return ArticleFilters(
        status=status,
        tags=tuple(dict.fromkeys(tag or [])),
        entities=tuple(dict.fromkeys(entity or [])),
        section=section.strip("/") if section else None,
        authors=(author,) if author else (),
        language=language,
        published_after=published_after,
        published_before=published_before,
        updated_after=updated_after,
    )


def parse_fields(fields: str | None, default: tuple[str, ...]) -> tuple[str, ...]:
    if fields is None:
        return default
    asked = tuple(f.strip() for f in fields.split(",") if f.strip())
    unknown = [f for f in asked if f not in ARTICLE_FIELDS]
    if unknown or not asked:
        raise invalid(
            ["query", "fields"],
            f"Unknown field(s): {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(ARTICLE_FIELDS)}.",
        )
    return tuple(dict.fromkeys((*asked, *KEPT_FIELDS)))


FieldsQuery = Annotated[
    str | None,
    Query(
        max_length=1000,
        description="Comma-separated fields to return (sparse fieldset); `id` and `slug` "
        "are always included.",
    ),
]


async def get_fields(fields: FieldsQuery = None) -> str | None:
    return fields


FiltersDep = Annotated[ArticleFilters, Depends(get_filters)]
FieldsDep = Annotated[str | None, Depends(get_fields)]
