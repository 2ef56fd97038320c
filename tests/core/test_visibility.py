"""No GET route tells a reader anything of a story that is not public.

The routes are walked from the app itself, so a route added later is covered
without editing this test. Four hidden stories (a draft, a scheduled one, a
trashed one and an expired one, none ever public) each bring a new tag and a
new entity, and every one of these stories, tags and entities gets a former
slug. Then:

- every request a reader can make about public things (lists, typeahead,
  search with facets, feeds, related, entity and tag pages, the change feed)
  answers exactly as it did before the hidden stories existed: status, body,
  headers and counts;
- every id, slug and former slug of a hidden story, tag or entity answers,
  on every route that takes a ref, exactly as an unknown ref does.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
from fastapi import FastAPI
from starlette.routing import BaseRoute

from tests.conftest import Backend

SECRET = "zanzibarquux"
KINDS = ("draft", "scheduled", "trashed", "expired")
# Differ from one request to the next whatever the content.
VOLATILE_HEADERS = {"date", "x-request-id", "content-length"}
# Routes about the process, not the content: they change with every request made.
PROCESS_ROUTES = {"/metrics"}


def get_paths(routes: list[BaseRoute]) -> Iterator[str]:
    """The path of every GET route, through included routers."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from get_paths(included.routes)
        elif "GET" in (getattr(route, "methods", None) or ()):
            yield str(route.path)  # type: ignore[attr-defined]


def _all_get_paths(app: FastAPI) -> list[str]:
    paths = sorted(set(get_paths(app.routes)))
    documented = {p for p, ops in app.openapi()["paths"].items() if "get" in ops}
    assert documented <= set(paths)
    return paths


async def _public_world(editor: httpx.AsyncClient) -> None:
    assert (
        await editor.post("/v1/entities", json={"name": "Open Source", "type": "person"})
    ).status_code == 201
    assert (await editor.post("/v1/tags", json={"name": "Open tag"})).status_code == 201
    story = await editor.post(
        "/v1/articles",
        json={
            "title": "Open story",
            "body": "Told by Open Source.",
            "body_format": "text",
            "status": "published",
            "published_at": "2024-01-01T00:00:00Z",
            "tags": ["Open tag"],
        },
    )
    assert story.status_code == 201, story.text


async def _rename(editor: httpx.AsyncClient, collection: str, slug: str) -> dict[str, str]:
    """Give a resource a new slug; its refs (id, slug, former slug)."""
    response = await editor.patch(f"/v1/{collection}/{slug}", json={"slug": f"{slug}-renamed"})
    assert response.status_code == 200, response.text
    return {"id": response.json()["id"], "slug": f"{slug}-renamed", "former": slug}


async def _hidden_world(editor: httpx.AsyncClient) -> dict[str, list[dict[str, str]]]:
    """The hidden stories, and the refs of every article, tag and entity they brought."""
    refs: dict[str, list[dict[str, str]]] = {"articles": [], "tags": [], "entities": []}
    when = {
        "draft": {},
        "trashed": {},
        "scheduled": {"status": "published", "published_at": "2999-01-01T00:00:00Z"},
        "expired": {
            "status": "published",
            "published_at": "2020-01-01T00:00:00Z",
            "expires_at": "2020-02-01T00:00:00Z",
        },
    }
    for kind in KINDS:
        name = f"{SECRET.title()} {kind.title()}"
        response = await editor.post(
            "/v1/articles",
            json={
                "title": f"The {kind} {SECRET} story",
                "body": f"The {SECRET} plan, told by Open Source and {name}.",
                "body_format": "text",
                "tags": [f"{SECRET} {kind}", "Open tag"],
                "entities": [
                    {"name": name, "type": "person"},
                    {"slug": "open-source"},
                ],
                **when[kind],
            },
        )
        assert response.status_code == 201, response.text
        article = response.json()
        refs["articles"].append(await _rename(editor, "articles", article["slug"]))
        refs["tags"].append(await _rename(editor, "tags", f"{SECRET}-{kind}"))
        refs["entities"].append(await _rename(editor, "entities", f"{SECRET}-{kind}"))
        if kind == "trashed":
            trashed = await editor.delete(f"/v1/articles/{article['id']}")
            assert trashed.status_code == 204
    return refs


def _requests(paths: list[str]) -> list[str]:
    """What a reader may ask about public things, for every GET route."""
    public_refs = {
        "/v1/articles/{ref}": "open-story",
        "/v1/entities/{ref}": "open-source",
        "/v1/tags/{ref}": "open-tag",
    }
    targets: list[str] = []
    for path in paths:
        prefix = next((p for p in public_refs if path.startswith(p)), None)
        target = path.replace("{ref}", public_refs[prefix]) if prefix else path
        target = re.sub(r"\{[\w:]+\}", "1", target)
        targets.append(target)
    extra = [
        f"/v1/entities?q={SECRET}",
        f"/v1/tags?q={SECRET}",
        "/v1/entities?sort=-last_seen",
        "/v1/tags?sort=name",
        f"/v1/search?q={SECRET}",
        "/v1/search?q=told&facets=tag,entity,section,type",
        f"/v1/search?q=open+source+{SECRET}&facets=tag,entity",
        "/v1/articles?tag=open-tag&entity=open-source",
        "/v1/articles?sort=-updated_at&fields=id,slug,tags,entities",
        "/v1/feeds/articles.atom?tag=open-tag",
        "/v1/changes?resource_type=tags",
        "/v1/changes?resource_type=entities",
        "/v1/entities/open-source/related?type=person",
    ]
    return targets + extra


def _normalized(response: httpx.Response, *, corpus_scores: bool) -> tuple[Any, ...]:
    headers = {k: v for k, v in response.headers.items() if k not in VOLATILE_HEADERS}
    body: Any = response.content
    if response.url.path == "/v1/changes" and response.status_code == 200:
        # Where to poll next carries the time of the poll.
        body = orjson.loads(body)
        body["meta"].pop("next_cursor")
        body.pop("links")
        headers.pop("etag")
    if corpus_scores and response.url.path == "/v1/search" and response.status_code == 200:
        # SQLite's bm25 weighs a word by how many stored stories hold it, hidden
        # ones too (README: Search): scores may move, what is found may not.
        body = orjson.loads(body)
        for hit in body["data"]:
            hit.pop("score")
        headers.pop("etag")
    return response.status_code, headers, body


async def _walk(
    client: httpx.AsyncClient, targets: list[str], *, corpus_scores: bool
) -> dict[str, tuple[Any, ...]]:
    return {
        target: _normalized(await client.get(target), corpus_scores=corpus_scores)
        for target in targets
    }


def _unknown_like(ref: str) -> str:
    return str(uuid.uuid4()) if re.fullmatch(r"[0-9a-f-]{36}", ref) else "no-such-thing-at-all"


async def test_no_get_route_tells_a_reader_of_a_hidden_story(
    backend: Backend,
    editor: httpx.AsyncClient,
    anon: httpx.AsyncClient,
    reader: httpx.AsyncClient,
) -> None:
    paths = _all_get_paths(backend.app)
    assert "/v1/articles/{ref}" in paths
    assert "/v1/changes" in paths
    await _public_world(editor)
    targets = [t for t in _requests(paths) if t not in PROCESS_ROUTES]
    bm25 = backend.name == "sqlite"
    before = {
        name: await _walk(c, targets, corpus_scores=bm25)
        for name, c in (("anon", anon), ("reader", reader))
    }
    refs = await _hidden_world(editor)

    # Public things answer as they did before, counts included.
    for name, client in (("anon", anon), ("reader", reader)):
        after = await _walk(client, targets, corpus_scores=bm25)
        changed = [t for t in targets if after[t] != before[name][t]]
        assert not changed, f"{name} sees a change at {changed}"
    metrics = (await anon.get("/metrics")).text
    assert SECRET not in metrics.lower()

    # Hidden things answer as unknown ones, on every route that takes a ref.
    checked = 0
    for path in paths:
        collection = path.split("/")[2] if path.count("/") >= 3 else ""
        if "{ref}" not in path or collection not in refs:
            continue
        for item in refs[collection]:
            for ref in item.values():
                target = re.sub(r"\{[\w:]+\}", "1", path.replace("{ref}", ref))
                unknown_ref = _unknown_like(ref)
                unknown = re.sub(r"\{[\w:]+\}", "1", path.replace("{ref}", unknown_ref))
                response = await anon.get(target)
                expected = await anon.get(unknown)
                status, headers, body = _normalized(response, corpus_scores=False)
                assert status == expected.status_code in (401, 404), (target, response.text)
                assert headers == _normalized(expected, corpus_scores=False)[1], target
                assert body.replace(ref.encode(), b"?") == expected.content.replace(
                    unknown_ref.encode(), b"?"
                ), target
                checked += 1
    assert checked >= 4 * 3 * 6
    # Editors still see everything, former slugs included.
    for item in refs["tags"]:
        assert (await editor.get(f"/v1/tags/{item['former']}")).status_code == 301
