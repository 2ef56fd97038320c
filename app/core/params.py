"""What a request may carry: the query parameters a route knows, and a body type it reads.

A misspelt filter is refused rather than ignored, so it never returns everything;
a body in a media type the route does not read is a 415 rather than a puzzling 422.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from fastapi.dependencies.models import Dependant

from app.core.errors import UnprocessableContent, UnsupportedMediaType, field_error

# Added to shared links by analytics and ad platforms, or by clients to bust a
# cache: never a filter, so never refused (a shared feed link must keep working).
IGNORED_PARAMS = frozenset({"_", "fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid"})
IGNORED_PREFIX = "utm_"
# RFC 7396 names its own type; plain JSON is what most clients send.
JSON_TYPES = frozenset({"application/json", "application/merge-patch+json"})


@dataclass(frozen=True, slots=True)
class RouteInputs:
    query: frozenset[str]
    json_body: bool


_known: dict[int, RouteInputs] = {}


def is_ignored(name: str) -> bool:
    return name in IGNORED_PARAMS or name.startswith(IGNORED_PREFIX)


def _route_inputs(request: Request) -> RouteInputs | None:
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if route is None or dependant is None:
        return None
    key = id(route)
    known = _known.get(key)
    if known is None:
        known = RouteInputs(frozenset(_query_names(dependant)), _reads_body(dependant))
        _known[key] = known
    return known


def _query_names(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def _reads_body(dependant: Dependant) -> bool:
    return bool(dependant.body_params) or any(_reads_body(sub) for sub in dependant.dependencies)


async def check_request(request: Request) -> None:
    """Refuse unknown query parameters (422) and bodies that are not JSON (415)."""
    known = _route_inputs(request)
    if known is None:
        return
    if known.json_body:
        _check_media_type(request)
    for name, value in request.query_params.multi_items():
        if "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value):
            raise UnprocessableContent(
                f"The {name} parameter holds a NUL or an unpaired surrogate.",
                errors=[field_error(["query", name], "NUL and unpaired surrogates are refused.")],
            )
    unknown = sorted(
        {name for name in request.query_params if name not in known.query and not is_ignored(name)}
    )
    if unknown:
        raise UnprocessableContent(
            f"Unknown query parameter: {', '.join(unknown)}.",
            errors=[
                field_error(
                    ["query", name], f"Unknown parameter; known: {', '.join(sorted(known.query))}."
                )
                for name in unknown
            ],
        )


def _check_media_type(request: Request) -> None:
    # A body sent with no Content-Type is read as JSON, as FastAPI does.
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if not media_type or media_type in JSON_TYPES or media_type.endswith("+json"):
        return
    accepted = "application/merge-patch+json, application/json"
    raise UnsupportedMediaType(
        f"This endpoint reads a JSON body (Content-Type: application/json), not {media_type}.",
        headers={"Accept-Patch": accepted} if request.method == "PATCH" else None,
    )
