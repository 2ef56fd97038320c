"""Liveness, readiness."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.responses import Response

from app.core.db import DatabaseDep
from app.core.errors import is_database_unavailable, problem_response
from app.core.http import JSONBody
from app.core.migrations import SchemaBehind, check_schema

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready"]
    database: str = Field(description="The database's dialect: `sqlite` or `postgresql`.")


@router.get("/healthz", response_model=Health)
async def healthz() -> Response:
    """The process answers; says nothing of the database."""
    return JSONBody({"status": "ok"}, headers={"Cache-Control": "no-store"})


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"description": "Not ready."}},
)
async def readyz(database: DatabaseDep) -> Response:
    """Ready to serve: the database answers and its schema is at head."""
    try:
        await database.ping()
        await check_schema(database.engine)
    except SchemaBehind as exc:
        return problem_response(503, detail=str(exc), headers={"Retry-After": "30"})
    except Exception as exc:
        if not is_database_unavailable(exc):
            raise
        return problem_response(
            503, detail="The database is unreachable.", headers={"Retry-After": "5"}
        )
    return JSONBody(
        {"status": "ready", "database": database.dialect}, headers={"Cache-Control": "no-store"}
    )
