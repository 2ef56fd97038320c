"""The OpenAPI document is the contract clients are generated from: it must be true."""

from __future__ import annotations

import re
from typing import Any

import httpx
import jsonschema
import pytest

from app.main import create_app

DOC = create_app().openapi()
OPERATIONS = [
    (path, method, operation)
    for path, operations in DOC["paths"].items()
    for method, operation in operations.items()
]


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = DOC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _schema_of(path: str, method: str, status: str = "200") -> dict[str, Any]:
    content = DOC["paths"][path][method]["responses"][status]["content"]
    (media,) = content.values()
    return {**media["schema"], "components": DOC["components"]}


def test_no_success_response_has_an_empty_schema() -> None:
    empty = [
        f"{method.upper()} {path} {status}"
        for path, method, operation in OPERATIONS
        for status, response in operation["responses"].items()
        if status.startswith("2")
        for media in (response.get("content") or {}).values()
        if not _resolve(media.get("schema") or {}).keys()
        & {"properties", "items", "allOf", "anyOf", "oneOf", "type"}
    ]
    assert empty == []


def test_operation_ids_are_short_stable_and_unique() -> None:
    ids = [operation["operationId"] for _, _, operation in OPERATIONS]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z][A-Za-z]*", i) for i in ids), ids
    assert {"listArticles", "getArticle", "createArticle", "search", "listTags"} <= set(ids)


def test_every_tag_is_described() -> None:
    described = {tag["name"] for tag in DOC["tags"] if tag.get("description")}
    used = {tag for _, _, operation in OPERATIONS for tag in operation.get("tags", [])}
    assert used <= described


def test_the_bearer_scheme_is_declared_and_writes_require_it() -> None:
    assert DOC["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": DOC["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    create = DOC["paths"]["/v1/articles"]["post"]
    assert create["security"] == [{"bearerAuth": []}]
    # Reads work with a key or without one.
    assert DOC["paths"]["/v1/articles"]["get"]["security"] == [{}, {"bearerAuth": []}]


def test_conditional_and_idempotency_headers_are_declared_where_honoured() -> None:
    def headers(path: str, method: str) -> set[str]:
        parameters = DOC["paths"][path][method].get("parameters", [])
        return {p["name"] for p in parameters if p["in"] == "header"}

    assert "If-Match" in headers("/v1/articles/{ref}", "patch")
    assert "If-Match" in headers("/v1/tags/{ref}", "put")
    assert "Idempotency-Key" in headers("/v1/articles", "post")
    assert "If-None-Match" in headers("/v1/articles/{ref}", "get")
    assert "If-Match" not in headers("/v1/articles", "post")
    created = DOC["paths"]["/v1/articles"]["post"]["responses"]["201"]["headers"]
    assert {"Location", "RateLimit-Remaining"} <= created.keys()
    assert "ETag" in DOC["paths"]["/v1/articles/{ref}"]["get"]["responses"]["200"]["headers"]


def test_collections_document_their_items() -> None:
    page = _resolve(
        DOC["paths"]["/v1/articles"]["get"]["responses"]["200"]["content"]["application/json"][
            "schema"
        ]
    )
    assert set(page["required"]) == {"data", "meta", "links"}
    items = page["properties"]["data"]["items"]["anyOf"]
    assert {_resolve(i)["title"] for i in items} == {"ArticleSummary", "ArticlePartial"}
    assert set(_resolve(items[1])["required"]) == {"id", "slug"}


async def test_real_responses_match_their_schemas(seeded: Any, editor: httpx.AsyncClient) -> None:
    slug = "mali-demands-expulsion-of-un-peacekeeping-mission-amid-security-concerns"
    checks = [
        ("/v1/articles", "/v1/articles", {}),
        ("/v1/articles", "/v1/articles", {"fields": "title"}),
        (f"/v1/articles/{slug}", "/v1/articles/{ref}", {}),
        (f"/v1/articles/{slug}", "/v1/articles/{ref}", {"fields": "word_count"}),
        (f"/v1/articles/{slug}/related", "/v1/articles/{ref}/related", {}),
        ("/v1/entities", "/v1/entities", {}),
        ("/v1/entities/mali/related", "/v1/entities/{ref}/related", {}),
        ("/v1/entities/mali/articles", "/v1/entities/{ref}/articles", {}),
        ("/v1/tags", "/v1/tags", {}),
        ("/v1/authors", "/v1/authors", {}),
        (f"/v1/articles/{slug}/schema.jsonld", "/v1/articles/{ref}/schema.jsonld", {}),
        (f"/v1/articles/{slug}/ninjs", "/v1/articles/{ref}/ninjs", {}),
        ("/v1/search", "/v1/search", {"q": "Mali", "facets": "tag,entity,section,type"}),
        ("/v1/search", "/v1/search", {"q": "Mali", "fields": "title"}),
        ("/v1/feeds/articles.json", "/v1/feeds/articles.json", {}),
        ("/v1/changes", "/v1/changes", {}),
        ("/healthz", "/healthz", {}),
    ]
    for url, path, params in checks:
        response = await editor.get(url, params=params)
        assert response.status_code == 200, url
        jsonschema.validate(response.json(), _schema_of(path, "get"))


async def test_a_sparse_fieldset_keeps_id_and_slug(seeded: Any, anon: httpx.AsyncClient) -> None:
    listed = (await anon.get("/v1/articles", params={"fields": "title"})).json()["data"]
    assert listed
    assert all(set(item) == {"id", "slug", "title"} for item in listed)
    one = await anon.get(f"/v1/articles/{listed[0]['slug']}", params={"fields": "word_count"})
    assert set(one.json()) == {"id", "slug", "word_count"}


@pytest.mark.parametrize("field", ["deleted_at", "body"])
def test_the_article_schema_names_only_what_is_sent(field: str) -> None:
    assert field not in _resolve({"$ref": "#/components/schemas/ArticleRead"})["properties"]
