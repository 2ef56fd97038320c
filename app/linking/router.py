"""/v1/extract"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field, StringConstraints
from starlette.responses import Response

from app.articles.schemas import Language
from app.core.db import DatabaseDep
from app.core.deps import NowDep, SettingsDep
from app.core.errors import problem_responses
from app.core.http import dumps
from app.core.schemas import InputModel
from app.core.security import PrincipalDep
from app.entities.schemas import EntitySummary, EntityType
from app.linking import service

router = APIRouter(prefix="/v1", tags=["linking"])

MAX_EXTRACT_CHARS = 100_000


class ExtractRequest(InputModel):
    text: Annotated[str, StringConstraints(max_length=MAX_EXTRACT_CHARS)]
    language: Language = "en"


class ExtractedEntity(BaseModel):
    entity: EntitySummary
    count: int
    spans: list[tuple[int, int]]
    text: list[str]


class AmbiguousCandidate(EntitySummary):
    score: float = Field(ge=0, le=1, description="Its share of the evidence in the text.")


class AmbiguousName(BaseModel):
    """A name several entities share that the text does not settle: none is linked."""

    text: str
    spans: list[tuple[int, int]]
    candidates: list[AmbiguousCandidate]


class Candidate(BaseModel):
    name: str
    count: int
    spans: list[tuple[int, int]]
    type: EntityType | None = Field(
        default=None, description="Guessed from a cue (a title, `… Group`); absent without one."
    )


class ExtractRead(BaseModel):
    entities: list[ExtractedEntity]
    ambiguous: list[AmbiguousName]
    candidates: list[Candidate]


@router.post(
    "/extract",
    responses={200: {"model": ExtractRead}, **problem_responses(401, 413, 422)},
)
async def extract_entities(
    data: ExtractRequest,
    database: DatabaseDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    now: NowDep,
) -> Response:
    """Known entities in a text, with spans; names several entities share that it does not
    settle; and capitalised names not known yet. Writes nothing."""
    # A read: the replica (if any) answers, and SQLite's write lock is not taken.
    async with database.reader() as session:
        found = await service.extract(
            session,
            data.text,
            refresh_seconds=settings.entity_refresh_seconds,
            public_at=None if principal.sees_drafts else now,
        )
    return Response(
        dumps(found),
        media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )
