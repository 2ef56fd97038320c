"""Clients generated from /openapi.json by standard generators compile and read real responses.

The generators are the project's test tools: ``make test`` installs
openapi-typescript and TypeScript under ``tests/clients/node_modules`` and
openapi-python-client in ``.tools/``.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from app.main import create_app
from tests.conftest import Backend

REPO = Path(__file__).resolve().parents[1]
CLIENTS = REPO / "tests" / "clients"
NODE_BIN = CLIENTS / "node_modules" / ".bin"
PYTHON_GENERATOR = Path(
    os.environ.get("LEDE_OPENAPI_PYTHON_CLIENT", REPO / ".tools" / "bin" / "openapi-python-client")
)
SEED_SLUG = "mali-demands-expulsion-of-un-peacekeeping-mission-amid-security-concerns"


def _tool(path: Path) -> Path:
    if not path.exists():
        pytest.fail(f"{path} is missing: `make test` installs the client generators.")
    return path


@pytest.fixture(scope="module")
def openapi_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("openapi") / "openapi.json"
    path.write_text(json.dumps(create_app().openapi()))
    return path


def test_typescript_types_type_check_a_client(openapi_file: Path, tmp_path: Path) -> None:
    subprocess.run(
        [_tool(NODE_BIN / "openapi-typescript"), openapi_file, "-o", tmp_path / "lede.d.ts"],
        check=True,
        capture_output=True,
    )
    for name in ("client.ts", "tsconfig.json"):
        shutil.copy(CLIENTS / name, tmp_path / name)
    checked = subprocess.run(
        [_tool(NODE_BIN / "tsc"), "-p", tmp_path / "tsconfig.json"],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def _json_bodies_only(document: dict[str, Any]) -> dict[str, Any]:
    """The document without request bodies in other media types than JSON.

    openapi-python-client writes ``isinstance(body, list[ArticleCreate])`` for
    a body that is a JSON array or NDJSON text, which Python refuses.
    """
    for operations in document["paths"].values():
        for operation in operations.values():
            content = operation.get("requestBody", {}).get("content", {})
            for media_type in [m for m in content if m != "application/json"]:
                del content[media_type]
    return document


@pytest.fixture(scope="module")
def lede_client(
    openapi_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ModuleType]:
    out = tmp_path_factory.mktemp("python-client")
    document = out / "openapi.json"
    document.write_text(json.dumps(_json_bodies_only(json.loads(openapi_file.read_text()))))
    subprocess.run(
        [
            _tool(PYTHON_GENERATOR),
            "generate",
            "--path",
            document,
            "--meta",
            "none",
            "--output-path",
            out / "lede_client",
            "--config",
            CLIENTS / "openapi-python-client.yml",
        ],
        check=True,
        capture_output=True,
        env={**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"},
    )
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module("lede_client")
    finally:
        sys.path.remove(str(out))
        for name in [n for n in sys.modules if n == "lede_client" or n.startswith("lede_client.")]:
            del sys.modules[name]


class Api:
    """Calls the generated operation modules and checks what they parsed."""

    def __init__(self, package: ModuleType, http: httpx.AsyncClient) -> None:
        self.package = package
        self.client = package.Client(base_url="http://testserver")
        self.client.set_async_httpx_client(http)
        self.models = importlib.import_module("lede_client.models")

    async def call(self, operation: str, status: int, parsed_as: str | None, **kwargs: Any) -> Any:
        module = importlib.import_module(f"lede_client.api.{operation}")
        response = await module.asyncio_detailed(client=self.client, **kwargs)
        assert response.status_code == status, response.content[:500]
        if parsed_as is not None:
            assert type(response.parsed).__name__ == parsed_as, response.content[:500]
        return response.parsed

    def model(self, model: str, **values: Any) -> Any:
        return getattr(self.models, model)(**values)

    def enum(self, enum: str, value: str) -> Any:
        return getattr(self.models, enum)(value)


async def test_python_client_round_trips_every_operation(
    backend: Backend, seeded: dict[str, Any], lede_client: ModuleType
) -> None:
    headers = {"Authorization": f"Bearer {backend.keys['admin']}"}
    transport = httpx.ASGITransport(app=backend.app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers=headers
    ) as http:
        api = Api(lede_client, http)
        await _articles(api)
        await _entities_and_tags(api)
        await _the_rest(api)


async def _articles(api: Api) -> None:
    page = await api.call("articles.list_articles", 200, "ArticlePage")
    assert type(page.data[0]).__name__ == "ArticleSummary"
    assert page.meta.total == 1
    sparse = await api.call("articles.list_articles", 200, "ArticlePage", fields="title")
    assert type(sparse.data[0]).__name__ == "ArticlePartial"
    assert sparse.data[0].slug == SEED_SLUG
    seed = await api.call("articles.get_article", 200, "ArticleRead", ref=SEED_SLUG)
    assert "Mali" in {mention.entity.name for mention in seed.entities}
    assert seed.published_at.tzinfo is not None
    missing = await api.call("articles.get_article", 404, "Problem", ref="no-such-story")
    assert missing.type_ == "/problems/not-found"
    invalid = await api.call("articles.list_articles", 422, "Problem", limit=0)
    assert invalid.errors[0].field == "query.limit"

    story = api.model(
        "ArticleCreate",
        title="Floods hit the capital",
        body="First.\n\nSecond.",
        body_format=api.enum("ArticleCreateBodyFormat", "text"),
    )
    created = await api.call("articles.create_article", 201, "ArticleRead", body=story)
    etag = f'"{created.id}-{created.version}"'
    patched = await api.call(
        "articles.update_article",
        200,
        "ArticleRead",
        ref=str(created.id),
        body=api.model("ArticleUpdate", title="Floods recede"),
        if_match=etag,
    )
    assert patched.version == 2
    stale = await api.call(
        "articles.update_article",
        412,
        "Problem",
        ref=str(created.id),
        body=api.model("ArticleUpdate", title="Too late"),
        if_match=etag,
    )
    assert stale.type_ == "/problems/stale-version"
    await api.call("articles.replace_article", 200, "ArticleRead", ref=str(created.id), body=story)
    revisions = await api.call("articles.list_article_revisions", 200, None, ref=str(created.id))
    assert revisions is not None
    await api.call(
        "articles.restore_article_revision", 200, "ArticleRead", ref=str(created.id), version=1
    )
    await api.call("articles.delete_article", 204, None, ref=str(created.id))
    await api.call("articles.untrash_article", 200, "ArticleRead", ref=str(created.id))
    await api.call("articles.list_related_articles", 200, "RelatedArticlePage", ref=SEED_SLUG)
    bulk = await api.call(
        "articles.bulk_upsert_articles",
        200,
        "BulkResult",
        body=[api.model("ArticleCreate", title="Wire one"), api.model("ArticleCreate", title="")],
    )
    assert [item.status for item in bulk.data] == ["created", "error"]
    assert bulk.data[1].problem.status == 422


async def _entities_and_tags(api: Api) -> None:
    entities = await api.call("entities.list_entities", 200, "EntityPage")
    assert {entity.slug for entity in entities.data} >= {"mali", "minusma"}
    created = await api.call(
        "entities.create_entity",
        201,
        "EntityRead",
        body=api.model(
            "EntityCreate", name="Timbuktu", type_=api.enum("EntityCreateType", "location")
        ),
    )
    await api.call("entities.get_entity", 200, "EntityRead", ref="timbuktu")
    await api.call(
        "entities.update_entity",
        200,
        "EntityRead",
        ref="timbuktu",
        body=api.model("EntityUpdate", description="A city on the Niger"),
    )
    await api.call(
        "entities.replace_entity",
        200,
        "EntityRead",
        ref="timbuktu",
        body=api.model(
            "EntityCreate", name="Timbuktu", type_=api.enum("EntityCreateType", "location")
        ),
    )
    await api.call("entities.list_entity_articles", 200, "ArticlePage", ref="mali")
    related = await api.call("entities.list_related_entities", 200, "RelatedEntityPage", ref="mali")
    assert related.data[0].count >= 1
    await api.call(
        "entities.merge_entity",
        200,
        "EntityRead",
        ref=str(created.id),
        body=api.model("EntityMerge", into="mali"),
    )
    await api.call("entities.delete_entity", 204, None, ref="minusma")

    tag = await api.call(
        "tags.create_tag", 201, "TagRead", body=api.model("TagCreate", name="Sahel")
    )
    await api.call("tags.list_tags", 200, "TagPage")
    await api.call("tags.get_tag", 200, "TagRead", ref=tag.slug)
    await api.call(
        "tags.update_tag",
        200,
        "TagRead",
        ref=tag.slug,
        body=api.model("TagUpdate", description="West Africa's belt"),
    )
    await api.call(
        "tags.replace_tag", 200, "TagRead", ref=tag.slug, body=api.model("TagCreate", name="Sahel")
    )
    await api.call("tags.list_tag_articles", 200, "ArticlePage", ref=tag.slug)
    await api.call("tags.delete_tag", 204, None, ref=tag.slug)


async def _the_rest(api: Api) -> None:
    found = await api.call("search.search", 200, "SearchPage", q="Mali", facets="tag,entity")
    assert type(found.data[0]).__name__ == "SearchHit"
    assert "<mark>" in found.data[0].highlights.title
    sparse = await api.call("search.search", 200, "SearchPage", q="Mali", fields="title")
    assert type(sparse.data[0]).__name__ == "SearchHitPartial"
    extracted = await api.call(
        "linking.extract_entities",
        200,
        "ExtractRead",
        body=api.model("ExtractRequest", text="Mali asked the mission to leave."),
    )
    assert extracted is not None
    feed = await api.call("feeds.articles_json_feed", 200, "JsonFeed")
    assert feed.items
    await api.call("changes.list_changes", 200, "ChangePage")
    key = await api.call(
        "keys.create_key",
        201,
        "KeyCreated",
        body=api.model(
            "KeyCreate", name="generated client", role=api.enum("KeyCreateRole", "reader")
        ),
    )
    await api.call("keys.list_keys", 200, None)
    await api.call("keys.revoke_key", 204, None, ref=str(key.id))
    await api.call("operations.healthz", 200, "Health")
    await api.call("operations.readyz", 200, "Readiness")
