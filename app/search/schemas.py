"""What a search answers."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from app.articles.schemas import ArticleSummary
from app.core.schemas import Collection, CollectionMeta, partial
from app.entities.schemas import EntitySummary


class Highlights(BaseModel):
    """Snippets with the matches in `<mark>…</mark>`, everything else HTML-escaped."""

    title: str
    summary: str | None
    body: str | None = Field(description="A snippet of the body; null when the body is empty.")


class SearchHit(ArticleSummary):
    score: float = Field(description="Relevance: higher is better.")
    highlights: Highlights
    matched_entities: list[str] = Field(
        description="Slugs of the entities the query names (`meta.entities` with `searched`) "
        "that this article is linked to: it matches their names, however it writes them."
    )


SearchHitPartial = partial(
    SearchHit,
    keep=("id", "slug", "score", "highlights", "matched_entities"),
    name="SearchHitPartial",
)
SearchHitShown = Annotated[
    SearchHit | SearchHitPartial,  # type: ignore[valid-type]
    Field(description="A matching article, or the fields asked for with `fields`."),
]


class FacetCount(BaseModel):
    slug: str
    name: str
    count: int


class NamedEntity(EntitySummary):
    searched: bool = Field(
        description="The query's words for it also matched articles linked to it that write "
        "another of its names or aliases."
    )


class SearchMeta(CollectionMeta):
    entities: list[NamedEntity] = Field(description="Entities whose name or alias the query names.")
    facets: dict[str, list[FacetCount]] | None = Field(
        None, description="Counts over every match, for the kinds asked for with `facets`."
    )


class SearchPage(Collection[SearchHitShown]):
    """A page of matching articles, best first."""

    meta: SearchMeta
