"""POST /v1/articles:bulk: many articles created or replaced in one request."""

from __future__ import annotations

import asyncio
import time
import uuid

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.background import BackgroundTask
from starlette.responses import Response

from app.articles import bulk
from app.articles.bulk_items import MAX_ITEMS, ItemResult, ItemStatus, Tally, parse_body
from app.core.db import DatabaseDep, SessionDep
from app.core.deps import NowDep
from app.core.errors import Problem, problem_responses
from app.core.http import dumps
from app.core.security import EditorDep
from app.idempotency.deps import IdempotencyDep
from app.linking.deps import LinkOptionsDep

router = APIRouter(prefix="/v1", tags=["articles"])


# A bulk request is written STEP items at a time, and what is written is
# committed every COMMIT_EVERY items or COMMIT_SECONDS, whichever comes first:
# other writers wait for a fraction of a second, however busy the machine.
STEP = 5
COMMIT_EVERY = 20
COMMIT_SECONDS = 0.5
# On SQLite a bulk request steps aside this long after each commit: writers in
# other processes wait in SQLite's busy handler, which tries again at most
# every 100 ms, and would otherwise rarely find the lock free.
SQLITE_STEP_ASIDE_SECONDS = 0.1


class BulkItem(BaseModel):
    index: int
    status: ItemStatus
    id: uuid.UUID | None = None
    slug: str | None = None
    version: int | None = None
    problem: Problem | None = None


class BulkMeta(BaseModel):
    created: int
    updated: int
    unchanged: int
    failed: int


class BulkResult(BaseModel):
    data: list[BulkItem]
    meta: BulkMeta


_REQUEST_BODY = {
    "required": True,
    "description": (
        f"Up to {MAX_ITEMS} articles, each as for `POST /v1/articles`. An article whose "
        "`slug` or `canonical_url` is already stored replaces it (as `PUT` does); "
        "the others are created."
    ),
    "content": {
        "application/json": {
            "schema": {
                "type": "array",
                "maxItems": MAX_ITEMS,
                "items": {"$ref": "#/components/schemas/ArticleCreate"},
            }
        },
        "application/x-ndjson": {
            "schema": {"type": "string", "description": "One `ArticleCreate` object per line."}
        },
    },
}


@router.post(
    "/articles:bulk",
    response_model=None,
    responses={
        200: {"model": BulkResult, "description": "One result per article, in order."},
        **problem_responses(401, 403, 409, 413, 415, 422),
    },
    openapi_extra={"requestBody": _REQUEST_BODY},
)
async def bulk_upsert_articles(
    request: Request,
    session: SessionDep,
    database: DatabaseDep,
    principal: EditorDep,
    now: NowDep,
    linking: LinkOptionsDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Create or update many articles; one bad article never stops the others."""
    items = parse_body(await request.body(), request.headers.get("content-type"))
    # Committed a chunk at a time, so that other writers (on SQLite, every
    # other writer) wait for one chunk at most, not for the whole batch. With
    # an Idempotency-Key the batch stays one transaction: all of it is
    # replayed, or none of it was written.
    step = len(items) if idempotency.record is not None else STEP
    results: list[ItemResult] = []
    written, since = 0, time.monotonic()
    for start in range(0, len(items), max(step, 1)):
        if written >= COMMIT_EVERY or (written and time.monotonic() - since >= COMMIT_SECONDS):
            await session.commit()
            if database.dialect == "sqlite":
                await asyncio.sleep(SQLITE_STEP_ASIDE_SECONDS)
            written, since = 0, time.monotonic()
        results += await bulk.upsert_articles(
            session,
            items[start : start + step],
            principal=principal,
            now=now,
            linking=linking,
            first_index=start,
        )
        written += step
    tally = Tally()
    tally.add(results)
    body = {"data": [r.to_dict() for r in results], "meta": tally.counts()}
    return await idempotency.complete(
        Response(
            dumps(body),
            headers={"Cache-Control": "no-store"},
            media_type="application/json",
            # Once the answer is sent (after the commit), not before it.
            background=(
                BackgroundTask(database.gather_statistics)
                if tally.written >= bulk.ANALYZE_AFTER
                else None
            ),
        )
    )
