"""Items of a bulk write: read from a JSON array or NDJSON, and the result of each."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain, islice
from typing import IO, Any, Literal

import orjson

from app.articles.schemas import ArticleCreate
from app.core.errors import UnsupportedMediaType, invalid

MAX_ITEMS = 1000
NDJSON_TYPES = frozenset({"application/x-ndjson", "application/jsonl"})
_UTF8_BOM = b"\xef\xbb\xbf"


ItemStatus = Literal["created", "updated", "unchanged", "error"]


@dataclass(frozen=True, slots=True)
class RawItem:
    """One article as read from the input; ``line`` is its NDJSON line number."""

    value: Any
    line: int | None = None
    error: str | None = None


@dataclass(slots=True)
class ItemResult:
    index: int
    status: ItemStatus
    line: int | None = None
    id: uuid.UUID | None = None
    slug: str | None = None
    version: int | None = None
    problem: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "status": self.status,
            "id": self.id,
            "slug": self.slug,
            "version": self.version,
            "problem": self.problem,
        }


@dataclass(slots=True)
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    rejected: list[ItemResult] = field(default_factory=list)

    def add(self, results: Iterable[ItemResult]) -> None:
        for result in results:
            if result.status == "error":
                self.failed += 1
                self.rejected.append(result)
            else:
                setattr(self, result.status, getattr(self, result.status) + 1)

    @property
    def written(self) -> int:
        return self.created + self.updated

    def counts(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": self.failed,
        }


def parse_ndjson(lines: Iterable[bytes]) -> Iterator[RawItem]:
    """One item per non-blank line; a line that is not JSON becomes an item in error."""
    for number, line in enumerate(lines, start=1):
        if number == 1:
            line = line.removeprefix(_UTF8_BOM)
        if not line.strip():
            continue
        try:
            yield RawItem(orjson.loads(line), line=number)
        except orjson.JSONDecodeError as exc:
            yield RawItem(None, line=number, error=f"Line {number} is not valid JSON: {exc}.")


def parse_json_array(data: bytes) -> list[RawItem]:
    try:
        decoded = orjson.loads(data.removeprefix(_UTF8_BOM))
    except orjson.JSONDecodeError as exc:
        raise invalid(["body"], f"The body is not valid JSON: {exc}.") from None
    if not isinstance(decoded, list):
        raise invalid(["body"], "Send a JSON array of articles, or NDJSON (one per line).")
    return [RawItem(value) for value in decoded]


def read_items(stream: IO[bytes]) -> tuple[Iterator[RawItem], int | None]:
    """The items of a JSON array or NDJSON stream, told apart by their first character.

    Also says how many there are, when that is known without holding them all.
    """
    seekable = stream.seekable()
    start = stream.tell() if seekable else 0
    head: list[bytes] = []
    for line in stream:
        head.append(line)
        if line.strip():
            break
    if b"".join(head).removeprefix(_UTF8_BOM).lstrip().startswith(b"["):
        items = parse_json_array(b"".join(head) + stream.read())
        return iter(items), len(items)
    if not seekable:
        return parse_ndjson(chain(head, stream)), None
    total = sum(1 for line in chain(head, stream) if line.strip())
    stream.seek(start)
    return parse_ndjson(stream), total


def parse_body(body: bytes, content_type: str | None) -> list[RawItem]:
    media_type = (content_type or "").partition(";")[0].strip().lower()
    if media_type in NDJSON_TYPES:
        items = list(islice(parse_ndjson(body.splitlines()), MAX_ITEMS + 1))
    elif media_type == "application/json":
        items = parse_json_array(body)
    else:
        raise UnsupportedMediaType(
            "Send application/json (an array of articles) or application/x-ndjson."
        )
    if len(items) > MAX_ITEMS:
        raise invalid(["body"], f"A bulk request takes at most {MAX_ITEMS} articles.")
    return items


@dataclass(frozen=True, slots=True)
class ValidItem:
    """An item that is a valid create body: its place in the input, and the body."""

    index: int
    line: int | None
    data: ArticleCreate
