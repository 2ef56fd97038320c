"""Reject query parameters a route does not know, so a misspelt filter never returns everything."""

from __future__ import annotations

from fastapi import Request
from fastapi.dependencies.models import Dependant

from app.core.errors import UnprocessableContent, field_error

_known: dict[int, frozenset[str]] = {}


def _route_params(request: Request) -> frozenset[str] | None:
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if route is None or dependant is None:
        return None
    key = id(route)
    known = _known.get(key)
    if known is None:
        known = frozenset(_query_names(dependant))
        _known[key] = known
    return known


def _query_names(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


async def reject_unknown_query_params(request: Request) -> None:
    known = _route_params(request)
    if known is None:
        return
    for name, value in request.query_params.multi_items():
        if "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value):
            raise UnprocessableContent(
                f"The {name} parameter holds a NUL or an unpaired surrogate.",
                errors=[field_error(["query", name], "NUL and unpaired surrogates are refused.")],
            )
    unknown = sorted({name for name in request.query_params if name not in known})
    if unknown:
        raise UnprocessableContent(
            f"Unknown query parameter: {', '.join(unknown)}.",
            errors=[
                field_error(
                    ["query", name], f"Unknown parameter; known: {', '.join(sorted(known))}."
                )
                for name in unknown
            ],
        )
