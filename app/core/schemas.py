"""Base classes for request and response bodies."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    create_model,
    field_validator,
)

from app.core.slugs import slug_problem

_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def _reject_unstorable(value: str) -> str:
    # PostgreSQL cannot store NUL in text, and no encoder can write a lone
    # surrogate: reject both at the edge as a 422 rather than fail at insert.
    if _UNSTORABLE.search(value):
        raise ValueError("control characters and lone surrogates are not allowed")
    return value


def _walk(value: Any) -> Any:
    if isinstance(value, str):
        return _reject_unstorable(value)
    if isinstance(value, list):
        return [_walk(v) for v in value]
    if isinstance(value, dict):
        return {_walk(k): _walk(v) for k, v in value.items()}
    return value


class InputModel(BaseModel):
    """A request body: unknown fields are rejected, strings must be storable."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        return _walk(value)


def _valid_slug(value: str) -> str:
    problem = slug_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def as_utc(value: datetime) -> datetime:
    """A time sent without an offset is taken as UTC, as RFC 3339 readers expect.

    Only years 1 to 9999 in UTC can be stored: ``9999-12-31T23:59:59-23:59`` is a
    valid RFC 3339 time whose UTC instant is in year 10000.
    """
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("The time in UTC must fall within the years 1 to 9999.") from None


def parse_utc(text: str) -> datetime:
    """An ISO 8601 time from a cursor or a command line, as ``UtcTime`` takes it; ValueError."""
    return as_utc(datetime.fromisoformat(text))


Slug = Annotated[str, AfterValidator(_valid_slug)]
UtcTime = Annotated[datetime, AfterValidator(as_utc)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


# Responses -------------------------------------------------------------------
# Handlers answer pre-rendered JSON; these models state its shape once, for the
# OpenAPI document that clients are generated from.

T = TypeVar("T")


class CollectionMeta(BaseModel):
    total: int = Field(description="How many items the whole collection holds.")
    limit: int
    offset: int | None = Field(description="Where this page starts; null when paged by cursor.")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")


class CollectionLinks(BaseModel):
    self: str
    next: str | None


class Collection(BaseModel, Generic[T]):
    """A page of a collection: every list answers in this envelope."""

    data: list[T]
    meta: CollectionMeta
    links: CollectionLinks


def partial(model: type[BaseModel], *, keep: tuple[str, ...], name: str) -> type[BaseModel]:
    """``model`` with every field optional but ``keep``: the shape a sparse fieldset answers."""
    fields: dict[str, Any] = {}
    for field, info in model.model_fields.items():
        annotation: Any = info.annotation
        fields[field] = (annotation, ...) if field in keep else (annotation | None, None)
    return create_model(name, __doc__=f"Some fields of {model.__name__}.", **fields)
