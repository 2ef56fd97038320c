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


SearchHitPartial = partial(
    SearchHit, keep=("id", "slug", "score", "highlights"), name="SearchHitPartial"
)
SearchHitShown = Annotated[
    SearchHit | SearchHitPartial,  # type: ignore[valid-type]
    Field(description="A matching article, or the fields asked for with `fields`."),
]


class FacetCount(BaseModel):
    slug: str
    name: str
    count: int


class SearchMeta(CollectionMeta):
    entities: list[EntitySummary] = Field(
        description="Entities whose name or alias the query names."
    )
    facets: dict[str, list[FacetCount]] | None = Field(
        None, description="Counts over every match, for the kinds asked for with `facets`."
    )


class SearchPage(Collection[SearchHitShown]):
    """A page of matching articles, best first."""

    meta: SearchMeta
