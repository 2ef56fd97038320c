"""No GET route shows a reader anything of a draft: routes are enumerated from OpenAPI,
so a route added later is covered without editing this test."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.conftest import Backend

SECRET_WORD = "zanzibarquux"


async def _make_content(editor: httpx.AsyncClient) -> dict[str, Any]:
    for entity in (
        {"name": "Secret Source", "type": "person"},
        {"name": "Open Source", "type": "person"},
    ):
        assert (await editor.post("/v1/entities", json=entity)).status_code == 201
    draft = await editor.post(
        "/v1/articles",
        json={
            "title": f"Embargoed {SECRET_WORD} story",
            "body": f"The {SECRET_WORD} plan, told by Secret Source.",
            "body_format": "text",
            "tags": ["Secret tag"],
            "entities": [{"slug": "secret-source"}],
        },
    )
    scheduled = await editor.post(
        "/v1/articles",
        json={
            "title": f"Scheduled {SECRET_WORD} story",
            "status": "published",
            "published_at": "2999-01-01T00:00:00Z",
            "tags": ["Secret tag"],
        },
    )
    trashed = await editor.post(
        "/v1/articles",
        json={
            "title": f"Trashed {SECRET_WORD} story",
            "status": "published",
            "tags": ["Secret tag"],
        },
    )
    assert (await editor.delete(f"/v1/articles/{trashed.json()['slug']}")).status_code == 204
    public = await editor.post(
        "/v1/articles",
        json={
            "title": "Open story",
            "body": "Told by Open Source.",
            "body_format": "text",
            "status": "published",
            "tags": ["Open tag"],
            "entities": [{"slug": "open-source"}],
        },
    )
    hidden = [draft.json(), scheduled.json(), trashed.json()]
    return {"hidden": hidden, "public": public.json()}


def _fill(path: str, names: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: names.get(m.group(1), "1"), path)


async def test_no_get_route_leaks_a_draft(
    backend: Backend, editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    content = await _make_content(editor)
    hidden = content["hidden"]
    # The trashed story was public once: its id may appear (a change feed tells
    # clients to remove it), its words may not.
    never_public = hidden[:2]
    secrets = {SECRET_WORD} | {a["id"] for a in never_public} | {a["slug"] for a in never_public}
    paths = [
        path for path, operations in backend.app.openapi()["paths"].items() if "get" in operations
    ]
    assert "/v1/articles/{ref}" in paths
    checked = 0
    for path in paths:
        targets: list[str] = []
        if path.startswith("/v1/articles/{ref}"):
            targets = [_fill(path, {"ref": a[key]}) for a in hidden for key in ("id", "slug")]
        elif path.startswith("/v1/entities/{ref}"):
            targets = [_fill(path, {"ref": "secret-source"})]
        elif path.startswith("/v1/tags/{ref}"):
            targets = [_fill(path, {"ref": "secret-tag"})]
        else:
            targets = [_fill(path, {})]
        parameters = backend.app.openapi()["paths"][path]["get"].get("parameters", [])
        if any(p["name"] == "q" for p in parameters):
            targets = [f"{t}?q={SECRET_WORD}" for t in targets]
        for target in targets:
            response = await anon.get(target, follow_redirects=True)
            checked += 1
            assert response.status_code < 500, (target, response.text)
            text = response.text
            if response.headers.get("content-type") == "application/json":
                body = response.json()
                if isinstance(body, dict):
                    # links.self repeats the query the client sent.
                    text = str({k: v for k, v in body.items() if k != "links"})
            elif response.headers.get("content-type") == "application/problem+json":
                # A problem echoes the path the client asked for; that is no leak.
                problem = response.json()
                assert problem["status"] in (401, 404, 410), (target, problem)
                text = str({k: v for k, v in problem.items() if k not in ("detail", "instance")})
            leaked = [s for s in secrets if s in text]
            assert not leaked, f"{target} shows {leaked} to a reader"
    assert checked >= len(paths)
    tag = (await anon.get("/v1/tags/secret-tag")).json()
    assert tag["article_count"] == 0
    entity = (await anon.get("/v1/entities/secret-source")).json()
    assert entity["article_count"] == 0
    assert entity["last_seen"] is None
