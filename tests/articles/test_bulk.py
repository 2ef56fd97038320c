"""POST /v1/articles:bulk: upsert by slug or canonical URL, one result per article."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest

from app.articles import service
from tests.conftest import Backend

BULK = "/v1/articles:bulk"


def ndjson(*items: Any) -> bytes:
    return b"".join(orjson.dumps(item) + b"\n" for item in items)


async def post_ndjson(client: httpx.AsyncClient, body: bytes) -> httpx.Response:
    return await client.post(BULK, content=body, headers={"content-type": "application/x-ndjson"})


async def total_articles(editor: httpx.AsyncClient) -> int:
    total: int = (await editor.get("/v1/articles")).json()["meta"]["total"]
    return total


STORIES: list[dict[str, Any]] = [
    {"title": "Floods Hit the Capital", "slug": "floods", "body": "<p>Rain.</p>"},
    {
        "title": "Wire: Markets Rally",
        "canonical_url": "https://wire.example/markets-rally",
        "source": "Wire",
        "status": "published",
        "published_at": "2024-05-01T10:00:00Z",
        "tags": ["Markets"],
    },
    {"title": "No Key At All", "body_format": "text", "body": "First.\n\nSecond."},
]


async def test_creates_then_reports_unchanged_then_updated(editor: httpx.AsyncClient) -> None:
    first = await editor.post(BULK, json=STORIES)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["meta"] == {"created": 3, "updated": 0, "unchanged": 0, "failed": 0}
    assert [r["index"] for r in body["data"]] == [0, 1, 2]
    assert [r["slug"] for r in body["data"]] == ["floods", "wire-markets-rally", "no-key-at-all"]
    assert all(r["status"] == "created" and r["version"] == 1 for r in body["data"])
    assert all(r["problem"] is None for r in body["data"])
    assert first.headers["cache-control"] == "no-store"

    again = await editor.post(BULK, json=STORIES)
    assert again.json()["meta"] == {"created": 0, "updated": 0, "unchanged": 3, "failed": 0}
    assert [r["id"] for r in again.json()["data"]] == [r["id"] for r in body["data"]]
    assert all(r["version"] == 1 for r in again.json()["data"])

    changed = [dict(STORIES[0], title="Floods Hit the Capital Again"), *STORIES[1:]]
    third = await editor.post(BULK, json=changed)
    assert third.json()["meta"] == {"created": 0, "updated": 1, "unchanged": 2, "failed": 0}
    assert third.json()["data"][0] == {
        "index": 0,
        "status": "updated",
        "id": body["data"][0]["id"],
        "slug": "floods",
        "version": 2,
        "problem": None,
    }
    assert await total_articles(editor) == 3


async def test_canonical_url_matches_and_keeps_slug_and_publication_time(
    editor: httpx.AsyncClient,
) -> None:
    await editor.post(BULK, json=[STORIES[1]])
    update = {
        "title": "Wire: Markets Rally Further",
        "canonical_url": "https://wire.example/markets-rally",
        "status": "published",
    }
    response = await editor.post(BULK, json=[update])
    result = response.json()["data"][0]
    assert result["status"] == "updated"
    assert result["slug"] == "wire-markets-rally"
    article = (await editor.get("/v1/articles/wire-markets-rally")).json()
    assert article["title"] == "Wire: Markets Rally Further"
    assert article["published_at"] == "2024-05-01T10:00:00Z"
    # Full replace, as PUT: what the item leaves out takes its default.
    assert article["source"] is None
    assert article["tags"] == []


async def test_an_item_without_slug_or_url_matches_only_the_same_title(
    editor: httpx.AsyncClient,
) -> None:
    await editor.post("/v1/articles", json={"title": "Same Words!", "body": "<p>one</p>"})
    response = await editor.post(BULK, json=[{"title": "Same Words?", "body": "<p>two</p>"}])
    result = response.json()["data"][0]
    assert result["status"] == "created"
    assert result["slug"] == "same-words-2"
    response = await editor.post(BULK, json=[{"title": "Same Words!", "body": "<p>one</p>"}])
    assert response.json()["data"][0]["status"] == "unchanged"


async def test_bad_items_are_reported_and_the_good_ones_kept(editor: httpx.AsyncClient) -> None:
    held = (await editor.post("/v1/articles", json={"title": "Held", "slug": "held"})).json()
    other = (
        await editor.post(
            "/v1/articles",
            json={"title": "Other", "slug": "other", "canonical_url": "https://x.example/o"},
        )
    ).json()
    lines = [
        ndjson({"title": "Good One", "tags": ["Kept"]}),
        b"{not json\n",
        b"\n",
        ndjson({"title": ""}),
        # A tag and an article would be created, but the entity is unknown.
        ndjson({"title": "Half Done", "tags": ["Never Made"], "entities": [{"slug": "nobody"}]}),
        ndjson({"title": "Clash", "slug": "held", "canonical_url": "https://x.example/o"}),
        ndjson({"title": "Unknown Field", "colour": "red"}),
        b"[1, 2]\n",
        ndjson({"title": "Good Two", "slug": "good-two"}),
    ]
    response = await post_ndjson(editor, b"".join(lines))
    assert response.status_code == 200, response.text
    body = response.json()
    statuses = [(r["index"], r["status"]) for r in body["data"]]
    assert statuses == [
        (0, "created"),
        (1, "error"),
        (2, "error"),
        (3, "error"),
        (4, "error"),
        (5, "error"),
        (6, "error"),
        (7, "created"),
    ]
    assert body["meta"] == {"created": 2, "updated": 0, "unchanged": 0, "failed": 6}
    problems = {r["index"]: r["problem"] for r in body["data"] if r["problem"]}
    assert problems[1]["status"] == 422
    assert "Line 2 is not valid JSON" in problems[1]["detail"]
    assert problems[2]["status"] == 422
    assert problems[2]["errors"][0]["field"] == "body.2.title"
    assert problems[3]["status"] == 422
    assert problems[3]["errors"][0]["field"].startswith("body.3.entities.0")
    assert problems[4]["status"] == 409
    assert {e["field"]: e["message"] for e in problems[4]["errors"]} == {
        "body.4.slug": f"Used by the article {held['id']}.",
        "body.4.canonical_url": f"Used by the article {other['id']}.",
    }
    assert problems[5]["errors"][0]["field"] == "body.5.colour"
    assert problems[6]["status"] == 422
    assert await total_articles(editor) == 4
    assert (await editor.get("/v1/articles/half-done")).status_code == 404
    tags = (await editor.get("/v1/tags")).json()["data"]
    assert [t["name"] for t in tags] == ["Kept"]
    assert (await editor.get("/v1/articles/held")).json()["title"] == "Held"


async def test_a_trashed_match_is_a_conflict(editor: httpx.AsyncClient) -> None:
    await editor.post("/v1/articles", json={"title": "Gone", "slug": "gone"})
    assert (await editor.delete("/v1/articles/gone")).status_code == 204
    response = await editor.post(BULK, json=[{"title": "Gone Again", "slug": "gone"}])
    problem = response.json()["data"][0]["problem"]
    assert problem["status"] == 409
    assert "trash" in problem["detail"]


async def test_duplicates_in_one_batch_update_in_order(editor: httpx.AsyncClient) -> None:
    response = await editor.post(
        BULK,
        json=[
            {"title": "First Take", "slug": "take"},
            {"title": "Second Take", "slug": "take"},
            {"title": "Second Take", "slug": "take"},
        ],
    )
    assert [r["status"] for r in response.json()["data"]] == ["created", "updated", "unchanged"]
    assert (await editor.get("/v1/articles/take")).json()["title"] == "Second Take"


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b"[", "application/json", 422),
        (b'{"title": "not in an array"}', "application/json", 422),
        (b"title,body\nx,y\n", "text/csv", 415),
        (b"[]", None, 415),
    ],
)
async def test_a_body_that_is_not_a_batch_is_refused(
    editor: httpx.AsyncClient, content: bytes, content_type: str | None, status: int
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = await editor.post(BULK, content=content, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_an_empty_batch_does_nothing(editor: httpx.AsyncClient) -> None:
    response = await editor.post(BULK, json=[])
    assert response.json() == {
        "data": [],
        "meta": {"created": 0, "updated": 0, "unchanged": 0, "failed": 0},
    }


async def test_more_than_a_thousand_items_is_a_422_and_stores_nothing(
    editor: httpx.AsyncClient,
) -> None:
    items = [{"title": f"t{i}"} for i in range(1001)]
    response = await post_ndjson(editor, ndjson(*items))
    assert response.status_code == 422
    assert "1000" in response.json()["detail"]
    response = await editor.post(BULK, json=items)
    assert response.status_code == 422
    assert await total_articles(editor) == 0


async def test_writes_need_an_editor(anon: httpx.AsyncClient, reader: httpx.AsyncClient) -> None:
    assert (await anon.post(BULK, json=[])).status_code == 401
    assert (await reader.post(BULK, json=[])).status_code == 403


async def test_a_crash_half_way_leaves_nothing_written(
    editor: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    create = service.create_articles
    calls = 0

    async def failing(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("the disk caught fire")
        return await create(*args, **kwargs)

    monkeypatch.setattr(service, "create_articles", failing)
    # Stories 0 and 1 are written, story 0 is rewritten, then 3 and 4 crash.
    stories = [{"title": f"Story {i}"} for i in (0, 1, 0, 3, 4)]
    stories[2]["summary"] = "Rewritten."
    response = await editor.post(BULK, json=stories)
    assert response.status_code == 500
    assert calls == 2
    monkeypatch.undo()
    assert await total_articles(editor) == 0
    assert (await editor.get("/v1/changes")).json()["data"] == []


async def test_a_retry_with_the_same_idempotency_key_replays(editor: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "bulk-1"}
    first = await editor.post(BULK, json=STORIES[:1], headers=headers)
    again = await editor.post(BULK, json=STORIES[:1], headers=headers)
    assert again.status_code == 200
    assert again.json() == first.json()
    assert again.json()["data"][0]["status"] == "created"


async def test_bulk_writes_enter_the_change_feed(editor: httpx.AsyncClient) -> None:
    await editor.post(BULK, json=STORIES)
    await editor.post(BULK, json=STORIES)
    events = (await editor.get("/v1/changes", params={"resource_type": "articles"})).json()
    assert [e["event"] for e in events["data"]] == ["created", "created", "created"]


async def test_openapi_documents_both_body_types(backend: Backend) -> None:
    operation = backend.app.openapi()["paths"][BULK]["post"]
    content = operation["requestBody"]["content"]
    assert set(content) == {"application/json", "application/x-ndjson"}
    assert content["application/json"]["schema"]["items"] == {
        "$ref": "#/components/schemas/ArticleCreate"
    }
    assert "ArticleCreate" in backend.app.openapi()["components"]["schemas"]
    assert {"200", "401", "403", "413", "415", "422"} <= set(operation["responses"])


async def test_linking_is_on_unless_the_request_turns_it_off(
    editor: httpx.AsyncClient, seed_entities: list[dict[str, Any]]
) -> None:
    for entity in seed_entities:
        assert (await editor.post("/v1/entities", json=entity)).status_code == 201
    story = {"title": "Peacekeepers Leave", "body": "<p>MINUSMA is leaving Mali.</p>"}
    await editor.post(BULK, json=[dict(story, slug="linked")])
    await editor.post(BULK, json=[dict(story, slug="unlinked")], params={"link_entities": "false"})
    linked = (await editor.get("/v1/articles/linked")).json()
    assert {m["entity"]["slug"] for m in linked["entities"]} >= {"minusma", "mali"}
    assert all(m["source"] == "auto" for m in linked["entities"])
    assert (await editor.get("/v1/articles/unlinked")).json()["entities"] == []


async def test_new_stories_of_one_batch_get_slugs_of_their_own(editor: httpx.AsyncClient) -> None:
    await editor.post("/v1/articles", json={"title": "Breaking", "slug": "breaking"})
    response = await editor.post(
        BULK,
        json=[
            {"title": "Breaking", "canonical_url": f"https://wire.example/{i}"} for i in range(3)
        ],
    )
    assert [(r["status"], r["slug"]) for r in response.json()["data"]] == [
        ("created", "breaking-2"),
        ("created", "breaking-3"),
        ("created", "breaking-4"),
    ]
    again = await editor.post(
        BULK,
        json=[
            {"title": "Breaking", "canonical_url": f"https://wire.example/{i}"} for i in range(3)
        ],
    )
    assert [r["status"] for r in again.json()["data"]] == ["unchanged"] * 3


async def test_sending_the_same_stories_again_is_unchanged_until_something_differs(
    editor: httpx.AsyncClient, seed_entities: list[dict[str, Any]]
) -> None:
    story = {
        "title": "Peacekeepers Leave",
        "slug": "leave",
        "body": "<p>MINUSMA is leaving Mali.</p>",
        "tags": ["UN Peacekeeping", "Mali"],
        "image": {"url": "https://img.example/a.jpg", "caption": None},
    }
    assert (await editor.post(BULK, json=[story])).json()["meta"]["created"] == 1
    # The tags named by slug, as an export of another system might.
    by_slug = dict(story, tags=["un-peacekeeping", "mali"])
    for again in (story, by_slug):
        results = (await editor.post(BULK, json=[again])).json()["data"]
        assert [(r["status"], r["version"]) for r in results] == [("unchanged", 1)]
    # Entities created since are linked by the next import: that is a change.
    mali = next(e for e in seed_entities if e["name"] == "Mali")
    assert (await editor.post("/v1/entities", json=mali)).status_code == 201
    results = (await editor.post(BULK, json=[story])).json()["data"]
    assert [(r["status"], r["version"]) for r in results] == [("updated", 2)]
    article = (await editor.get("/v1/articles/leave")).json()
    assert [m["entity"]["name"] for m in article["entities"]] == ["Mali"]
    # Tags in another order, a tag more, another summary: each is a change.
    changes = [
        dict(story, tags=["Mali", "UN Peacekeeping"]),
        dict(story, tags=["Mali", "UN Peacekeeping", "Sahel"]),
        dict(story, tags=["Mali", "UN Peacekeeping", "Sahel"], summary="Leaving."),
    ]
    for version, changed in enumerate(changes, start=3):
        results = (await editor.post(BULK, json=[changed])).json()["data"]
        assert [(r["status"], r["version"]) for r in results] == [("updated", version)]
    assert (await editor.get("/v1/articles/leave")).json()["summary"] == "Leaving."
