"""The OpenAPI document: what the routes declare, plus what the plumbing below them does.

Keys, conditional requests, idempotency and rate limits are handled by
dependencies and middleware rather than by route parameters (cheaper on every
request); this module states them in the document from the routes' dependency
graphs, so generated clients and the docs' *Authorize* button see them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from app.core.deps import get_precondition
from app.core.errors import document_problems
from app.core.security import ROLE_CHECKS, get_principal

BEARER = "bearerAuth"
TAGS = [
    {"name": "articles", "description": "Stories: create, read, edit, trash, history, related."},
    {"name": "entities", "description": "People, organizations, places and events stories name."},
    {"name": "tags", "description": "Editorial tags."},
    {"name": "authors", "description": "The people bylines name, with pages of their own."},
    {"name": "search", "description": "Full-text search over articles."},
    {"name": "linking", "description": "Find known entities and candidate names in a text."},
    {"name": "feeds", "description": "RSS 2.0, Atom 1.0 and JSON Feed 1.1 of the newest stories."},
    {"name": "changes", "description": "The ordered change feed, for clients that sync a copy."},
    {"name": "keys", "description": "API keys (admin)."},
    {"name": "webhooks", "description": "Signed, retried change notifications (admin)."},
    {"name": "operations", "description": "Liveness, readiness and metrics."},
]


def operation_id(route: APIRoute) -> str:
    """Short, stable ids from the handler's name: ``list_articles`` → ``listArticles``."""
    head, *rest = route.name.split("_")
    return head + "".join(word.capitalize() for word in rest)


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _calls(dependency)


def _header(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "header",
        "required": False,
        "schema": {"type": "string"},
        "description": description,
    }


def _response_header(description: str, type_: str = "string") -> dict[str, Any]:
    return {"description": description, "schema": {"type": type_}}


IF_MATCH = _header(
    "If-Match",
    "The ETag you edited: a stale one answers 412 instead of overwriting a colleague's change.",
)
IF_NONE_MATCH = _header("If-None-Match", "An ETag you hold: 304 when it is still current.")
IF_MODIFIED_SINCE = _header("If-Modified-Since", "A time: 304 when nothing changed since.")
IDEMPOTENCY_KEY = _header(
    "Idempotency-Key",
    "Retry-safe POST: a retry with the same key and body replays the first answer (kept 24 h).",
)
RATE_LIMIT_HEADERS = {
    "RateLimit-Limit": _response_header("Requests allowed per window.", "integer"),
    "RateLimit-Remaining": _response_header("Requests left in this window.", "integer"),
    "RateLimit-Reset": _response_header("Seconds until the window resets.", "integer"),
    "X-Request-ID": _response_header("The request's id, as in the logs."),
}
READ_HEADERS = {
    "ETag": _response_header("The representation's version: send it as If-None-Match or If-Match."),
    "Cache-Control": _response_header(
        "`public, max-age=…` for what readers see; `private, no-store` otherwise."
    ),
}


def _enum_names(node: Any) -> None:
    """Name enum values for generators: ``-published_at`` becomes ``PUBLISHED_AT_DESC``."""
    if isinstance(node, dict):
        values = node.get("enum")
        if isinstance(values, list) and values and all(isinstance(v, str) for v in values):
            node["x-enum-varnames"] = [
                re.sub(r"\W", "_", v.removeprefix("-")).upper() + ("_DESC" if v[:1] == "-" else "")
                for v in values
            ]
        for child in node.values():
            _enum_names(child)
    elif isinstance(node, list):
        for child in node:
            _enum_names(child)


def _document(app: FastAPI, document: dict[str, Any], idempotent: Callable[..., Any]) -> None:
    document["tags"] = TAGS
    schemes = document.setdefault("components", {}).setdefault("securitySchemes", {})
    schemes[BEARER] = {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key, sent as `Authorization: Bearer <key>`. "
        "Reads without one see what is published.",
    }
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        calls = set(_calls(route.dependant))
        for method in route.methods or ():
            operation = document["paths"].get(route.path_format, {}).get(method.lower())
            if operation is None:
                continue
            parameters = operation.setdefault("parameters", [])
            # Operations that read no key (liveness, readiness) answer uncached.
            keyed = get_principal in calls
            if keyed:
                needs_key = any(call in ROLE_CHECKS for call in calls)
                # An empty requirement makes the key optional: reads work without one.
                operation["security"] = [{BEARER: []}] if needs_key else [{}, {BEARER: []}]
            if get_precondition in calls:
                parameters.append(IF_MATCH)
            if idempotent in calls:
                parameters.append(IDEMPOTENCY_KEY)
            if method == "GET" and keyed:
                parameters.extend((IF_NONE_MATCH, IF_MODIFIED_SINCE))
            if method == "GET" and keyed:
                operation["responses"].setdefault("304", {"description": "Not modified."})
            for status, response in operation.get("responses", {}).items():
                if not status.startswith("2"):
                    continue
                headers = response.setdefault("headers", {})
                headers.update(RATE_LIMIT_HEADERS)
                if method == "GET" and keyed:
                    headers.update(READ_HEADERS)
                if status == "201":
                    headers["Location"] = _response_header("The URL of the created resource.")
            if not parameters:
                del operation["parameters"]
    _enum_names(document)


def install_openapi(app: FastAPI, *, idempotent: Callable[..., Any]) -> None:
    """Complete the generated document once, when it is first asked for.

    Operations that depend on ``idempotent`` take an Idempotency-Key.
    """
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = original()
            _document(app, document, idempotent)
            document_problems(document)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
