"""Entities, tags and authors answer alike; each keeps its own names and schemas in OpenAPI."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.main import create_app
from tests.conftest import make_settings


@pytest.fixture(scope="module")
def paths() -> dict[str, Any]:
    schema = create_app(make_settings("sqlite:///unused.db")).openapi()
    paths: dict[str, Any] = schema["paths"]
    return paths


def _body(operation: dict[str, Any]) -> str:
    ref: str = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return ref.rsplit("/", 1)[-1]


@pytest.mark.parametrize(
    ("collection", "name", "model"),
    [
        ("entities", "entity", "Entity"),
        ("tags", "tag", "Tag"),
        ("authors", "author", "Author"),
    ],
)
def test_shared_routes_keep_their_own_operations(
    paths: dict[str, Any], collection: str, name: str, model: str
) -> None:
    listing, one = paths[f"/v1/{collection}"], paths[f"/v1/{collection}/{{ref}}"]
    assert listing["post"]["operationId"] == f"create{model}"
    assert _body(listing["post"]) == f"{model}Create"
    assert one["get"]["summary"] == f"Get {model}"
    assert one["get"]["description"] == f"One {name} by id or slug."
    assert [p["name"] for p in one["get"]["parameters"] if p["in"] == "path"] == ["ref"]
    assert one["get"]["parameters"][0]["description"].endswith("answers 301 to the current one.")
    assert _body(one["patch"]) == f"{model}Update"
    assert _body(one["put"]) == f"{model}Create"
    assert one["delete"]["operationId"] == f"delete{model}"
    articles = paths[f"/v1/{collection}/{{ref}}/articles"]["get"]
    assert articles["operationId"] == f"list{model}Articles"


async def test_a_body_is_validated_against_its_own_schema(editor: httpx.AsyncClient) -> None:
    # Entities have a type; tags do not.
    response = await editor.post("/v1/tags", json={"name": "Budget", "type": "person"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "type"]
    assert response.headers["content-type"] == "application/problem+json"
