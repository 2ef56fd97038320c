"""RFC 9457 problem details: one error base class, rendered by one set of handlers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

import orjson
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

PROBLEM_JSON = "application/problem+json"
log = structlog.get_logger("lede.errors")

# Each status's problem, named so that clients can branch on ``type``; a
# subclass of ProblemError may name a narrower one.
PROBLEM_NAMES = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    410: "gone",
    412: "stale-version",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "invalid-request",
    428: "if-match-required",
    429: "rate-limited",
    500: "server-error",
    503: "unavailable",
}


def problem_type(status: int) -> str:
    """The ``type`` URI of a status's problem, relative to the service's base URL."""
    name = PROBLEM_NAMES.get(status) or HTTPStatus(status).phrase.lower().replace(" ", "-")
    return f"/problems/{name}"


class FieldProblem(BaseModel):
    loc: list[str | int]
    field: str
    message: str
    type: str


class Problem(BaseModel):
    """What every error response carries (RFC 9457)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="A URI naming the problem, e.g. `/problems/stale-version`.")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldProblem] | None = None


class ProblemError(Exception):
    status: int = 500
    type: str | None = None

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: Sequence[Mapping[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
        title: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors) if errors is not None else None
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})
        self.title = title or HTTPStatus(self.status).phrase
        self.type = self.type or problem_type(self.status)


class Unauthorized(ProblemError):
    status = 401

    def __init__(self, detail: str = "A valid API key is required.") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="lede"'})


class Forbidden(ProblemError):
    status = 403


class NotFound(ProblemError):
    status = 404


class Conflict(ProblemError):
    status = 409


class Gone(ProblemError):
    status = 410


class PreconditionFailed(ProblemError):
    status = 412


class UnsupportedMediaType(ProblemError):
    status = 415


class UnprocessableContent(ProblemError):
    status = 422


class PreconditionRequired(ProblemError):
    status = 428


def field_error(
    loc: Sequence[str | int], message: str, kind: str = "value_error"
) -> dict[str, Any]:
    return {
        "loc": list(loc),
        "field": ".".join(str(part) for part in loc),
        "message": message,
        "type": kind,
    }


def invalid(loc: Sequence[str | int], message: str) -> UnprocessableContent:
    """A 422 naming the one field that is wrong."""
    return UnprocessableContent(message, errors=[field_error(loc, message)])


def problem_body(
    status: int,
    *,
    detail: str | None = None,
    title: str | None = None,
    type_: str | None = None,
    instance: str | None = None,
    errors: Sequence[Mapping[str, Any]] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The RFC 9457 members of a problem, as every error answers it."""
    body: dict[str, Any] = {
        "type": type_ or problem_type(status),
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    if errors is not None:
        body["errors"] = list(errors)
    if extra:
        body.update(extra)
    return body


def problem_response(
    status: int,
    *,
    headers: Mapping[str, str] | None = None,
    **members: Any,
) -> Response:
    response_headers = {"Cache-Control": "no-store"}
    response_headers.update(headers or {})
    return Response(
        orjson.dumps(problem_body(status, **members)),
        status_code=status,
        headers=response_headers,
        media_type=PROBLEM_JSON,
    )


def _clean_loc(loc: Sequence[Any]) -> list[str | int]:
    return [part if isinstance(part, int) else str(part) for part in loc]


async def _problem_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    return problem_response(
        exc.status,
        detail=exc.detail,
        title=exc.title,
        type_=exc.type,
        instance=request.url.path,
        errors=exc.errors,
        headers=exc.headers,
        extra=exc.extra,
    )


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = []
    for error in exc.errors():
        loc = _clean_loc(error.get("loc", ()))
        message = str(error.get("msg", "Invalid value"))
        errors.append(field_error(loc, message, str(error.get("type", "value_error"))))
    fields = ", ".join(e["field"] for e in errors[:5])
    return problem_response(
        422,
        detail=f"The request is not valid: {fields}." if fields else "The request is not valid.",
        instance=request.url.path,
        errors=errors,
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    detail = exc.detail if isinstance(exc.detail, str) else None
    if exc.status_code == 400 and detail == "There was an error parsing the body":
        # Bytes that are not even text are bad input like any other: a 422.
        message = "The body could not be read as UTF-8 JSON."
        return problem_response(
            422,
            detail=message,
            instance=request.url.path,
            errors=[field_error(["body"], message, "json_invalid")],
        )
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"No route matches {request.url.path}."
    elif exc.status_code == 405 and detail == "Method Not Allowed":
        detail = f"{request.method} is not allowed on {request.url.path}."
    return problem_response(
        exc.status_code, detail=detail, instance=request.url.path, headers=headers
    )


async def _integrity_error(request: Request, exc: Exception) -> Response:
    log.warning("integrity_error", error=str(exc.__cause__ or exc)[:500])
    return problem_response(
        409,
        detail="The change conflicts with stored data (a duplicate or a missing reference).",
        instance=request.url.path,
    )


async def _stale(request: Request, exc: Exception) -> Response:
    return problem_response(
        412,
        detail="The resource changed while this request was being applied: fetch it again.",
        instance=request.url.path,
    )


async def _database_unavailable(request: Request, exc: Exception) -> Response:
    log.error("database_unavailable", error=repr(exc)[:500])
    return problem_response(
        503,
        detail="The database is unavailable. Retry shortly.",
        instance=request.url.path,
        headers={"Retry-After": "5"},
    )


async def _unhandled(request: Request, exc: Exception) -> Response:
    if is_database_unavailable(exc):
        return await _database_unavailable(request, exc)
    log.exception("unhandled_error", path=request.url.path)
    return problem_response(500, detail="An unexpected error occurred.", instance=request.url.path)


_CONNECTION_ERRORS = (ConnectionError, OSError, PoolTimeoutError, TimeoutError)


def is_database_unavailable(exc: BaseException) -> bool:
    """Whether an error means the database cannot be reached, rather than a bug."""
    original: BaseException | None
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        original = exc.orig
    elif isinstance(exc, _CONNECTION_ERRORS):
        return True
    else:
        # The driver's own error, from a read run on its connection (core.prepared.Prepared).
        original = exc
    # The asyncpg adapter wraps the driver's error and keeps it as the cause.
    names = {type(original).__name__, type(getattr(original, "__cause__", None)).__name__}
    if names & {
        "CannotConnectNowError",
        "ConnectionDoesNotExistError",
        "InterfaceError",
        "AdminShutdownError",
        "ConnectionFailureError",
        "TooManyConnectionsError",
        "QueryCanceledError",
    }:
        return True
    message = str(original).lower()
    # "interrupted": SQLite's statement timeout (the progress handler), as
    # QueryCanceledError is PostgreSQL's.
    return any(
        cause in message
        for cause in ("database is locked", "unable to open database", "interrupted")
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _problem_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(StaleDataError, _stale)
    # Database and network failures are answered here rather than by the
    # last-resort handler, which would also re-raise them into the server log.
    for kind in (DBAPIError, *_CONNECTION_ERRORS):
        app.add_exception_handler(kind, _unhandled)
    app.add_exception_handler(Exception, _unhandled)


# Problems any operation can answer, whatever it declares: a bad key, bad
# input, too many requests, an outage.
COMMON_PROBLEMS = (401, 413, 422, 429, 500, 503)


def document_problems(document: dict[str, Any]) -> None:
    """Make the OpenAPI document say what errors really look like: problem+json."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(
        "Problem", Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    )
    schemas.setdefault("FieldProblem", FieldProblem.model_json_schema())
    schemas["Problem"].pop("$defs", None)
    problem = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status in COMMON_PROBLEMS:
                responses.setdefault(str(status), {"description": HTTPStatus(status).phrase})
            for status, response in responses.items():
                if status.isdigit() and int(status) >= 400:
                    response["content"] = problem
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` declaring the problems a route can answer."""
    return {status: {"description": HTTPStatus(status).phrase} for status in statuses}
