"""Articles over HTTP: create, read, list, edit, delete, and every bad input on the way."""
# ruff: noqa: RUF001

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

SEED_SLUG = "mali-demands-expulsion-of-un-peacekeeping-mission-amid-security-concerns"


async def test_seed_story_is_served_by_slug_with_its_tags(
    seeded: dict[str, Any], anon: httpx.AsyncClient
) -> None:
    assert seeded["slug"] == SEED_SLUG
    response = await anon.get(f"/v1/articles/{SEED_SLUG}")
    assert response.status_code == 200
    body = response.json()
    assert body["title"].startswith("Mali Demands Expulsion")
    assert [t["name"] for t in body["tags"]] == ["Mali", "UN peacekeeping", "Sahel security"]
    assert body["status"] == "published"
    assert body["published_at"] == "2023-06-17T09:00:00Z"
    assert body["body_text"].startswith("Mali’s Foreign Ministry")
    assert body["summary"].startswith("Mali’s Foreign Ministry")
    assert body["word_count"] > 300
    assert body["reading_time_minutes"] == 2
    assert body["version"] == 1
    assert response.headers["etag"] == f'"{body["id"]}-1"'
    assert response.headers["cache-control"].startswith("public, max-age=")


async def test_create_answers_201_with_location_and_derived_fields(
    editor: httpx.AsyncClient,
) -> None:
    response = await editor.post(
        "/v1/articles",
        json={
            "title": "Floods Hit the Capital",
            "body": "<p>Heavy <b>rain</b> fell.</p><script>alert(1)</script>",
            "authors": ["A. Reporter"],
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"].endswith(f"/v1/articles/{body['slug']}")
    assert body["slug"] == "floods-hit-the-capital"
    assert body["status"] == "draft"
    assert body["published_at"] is None
    assert "script" not in body["body_html"]
    assert body["body_text"] == "Heavy rain fell."
    assert body["summary"] == "Heavy rain fell."
    assert body["authors"] == ["A. Reporter"]


async def test_slug_clash_gets_a_number_and_explicit_duplicate_is_409(
    editor: httpx.AsyncClient,
) -> None:
    first = await editor.post("/v1/articles", json={"title": "Same Title"})
    second = await editor.post("/v1/articles", json={"title": "Same Title"})
    third = await editor.post("/v1/articles", json={"title": "Same Title"})
    assert [r.json()["slug"] for r in (first, second, third)] == [
        "same-title",
        "same-title-2",
        "same-title-3",
    ]
    duplicate = await editor.post("/v1/articles", json={"title": "Other", "slug": "same-title"})
    assert duplicate.status_code == 409
    assert duplicate.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": "x", "colour": "red"}, "body.colour"),
        ({"title": "x" * 301}, "body.title"),
        ({"title": ""}, "body.title"),
        ({}, "body.title"),
        ({"title": 42}, "body.title"),
        ({"title": "x", "status": "live"}, "body.status"),
        ({"title": "x", "summary": "s" * 1001}, "body.summary"),
        ({"title": "x", "slug": "Not A Slug"}, "body.slug"),
        ({"title": "x", "body_format": "rtf"}, "body.body_format"),
        ({"title": "x", "tags": "mali"}, "body.tags"),
        ({"title": "nul \u0000 byte"}, "body.title"),
        ({"title": "x", "canonical_url": "javascript:alert(1)"}, "body.canonical_url"),
        ({"title": "x", "published_at": "yesterday"}, "body.published_at"),
        ({"title": "x", "image": {"caption": "no url"}}, "body.image.url"),
        ({"title": "x", "entities": [{"slug": "nobody"}]}, "body.entities.0"),
    ],
)
async def test_bad_article_input_is_a_422_naming_the_field(
    editor: httpx.AsyncClient, payload: dict[str, Any], field: str
) -> None:
    response = await editor.post("/v1/articles", json=payload)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422
    assert any(e["field"].startswith(field) for e in problem["errors"]), problem
    listing = await editor.get("/v1/articles")
    assert listing.json()["meta"]["total"] == 0


async def test_uuid_shaped_slug_is_refused(editor: httpx.AsyncClient) -> None:
    response = await editor.post(
        "/v1/articles", json={"title": "x", "slug": "123e4567-e89b-12d3-a456-426614174000"}
    )
    assert response.status_code == 422


async def test_malformed_json_is_a_422(editor: httpx.AsyncClient) -> None:
    response = await editor.post(
        "/v1/articles", content=b'{"title": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422


async def test_writes_need_an_editor_key(
    anon: httpx.AsyncClient, reader: httpx.AsyncClient, backend: Any
) -> None:
    assert (await anon.post("/v1/articles", json={"title": "x"})).status_code == 401
    assert (await reader.post("/v1/articles", json={"title": "x"})).status_code == 403
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=backend.app),
        base_url="http://testserver",
        headers={"Authorization": "Bearer not-a-key"},
    ) as stranger:
        response = await stranger.post("/v1/articles", json={"title": "x"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_readers_never_see_drafts_or_scheduled(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    draft = (await editor.post("/v1/articles", json={"title": "Draft"})).json()
    scheduled = (
        await editor.post(
            "/v1/articles",
            json={"title": "Later", "status": "published", "published_at": "2999-01-01T00:00:00Z"},
        )
    ).json()
    live = (await editor.post("/v1/articles", json={"title": "Live", "status": "published"})).json()
    assert live["published_at"] is not None
    for hidden in (draft, scheduled):
        assert (await anon.get(f"/v1/articles/{hidden['slug']}")).status_code == 404
        assert (await anon.get(f"/v1/articles/{hidden['id']}")).status_code == 404
        assert (await editor.get(f"/v1/articles/{hidden['slug']}")).status_code == 200
    public = (await anon.get("/v1/articles")).json()
    assert [a["slug"] for a in public["data"]] == ["live"]
    assert public["meta"]["total"] == 1
    assert (await editor.get("/v1/articles")).json()["meta"]["total"] == 3
    drafts_for_reader = (await anon.get("/v1/articles?status=draft")).json()
    assert drafts_for_reader["data"] == []
    private = await editor.get("/v1/articles")
    assert private.headers["cache-control"] == "private, no-store"


async def test_get_by_id_and_unknown_ref(seeded: dict[str, Any], anon: httpx.AsyncClient) -> None:
    by_id = await anon.get(f"/v1/articles/{seeded['id']}")
    assert by_id.json()["slug"] == SEED_SLUG
    missing = await anon.get("/v1/articles/no-such-story")
    assert missing.status_code == 404
    assert missing.json()["title"] == "Not Found"
    missing_id = await anon.get("/v1/articles/123e4567-e89b-12d3-a456-426614174000")
    assert missing_id.status_code == 404


async def test_patch_merges_and_bumps_version(
    seeded: dict[str, Any], editor: httpx.AsyncClient
) -> None:
    response = await editor.patch(
        f"/v1/articles/{SEED_SLUG}",
        json={"section": "world", "summary": "Mali wants MINUSMA out."},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["version"] == 2
    assert body["section"] == "world"
    assert body["summary"] == "Mali wants MINUSMA out."
    assert body["title"] == seeded["title"]
    assert [t["slug"] for t in body["tags"]] == ["mali", "un-peacekeeping", "sahel-security"]
    cleared = await editor.patch(f"/v1/articles/{SEED_SLUG}", json={"section": None})
    assert cleared.json()["section"] is None
    unchanged = await editor.patch(f"/v1/articles/{SEED_SLUG}", json={"section": None})
    assert unchanged.json()["version"] == 3
    refused = await editor.patch(f"/v1/articles/{SEED_SLUG}", json={"title": None})
    assert refused.status_code == 422


async def test_patch_with_stale_if_match_is_412(
    seeded: dict[str, Any], editor: httpx.AsyncClient
) -> None:
    etag = f'"{seeded["id"]}-1"'
    first = await editor.patch(
        f"/v1/articles/{SEED_SLUG}", json={"title": "New title"}, headers={"If-Match": etag}
    )
    assert first.status_code == 200
    second = await editor.patch(
        f"/v1/articles/{SEED_SLUG}", json={"title": "Other title"}, headers={"If-Match": etag}
    )
    assert second.status_code == 412
    assert second.json()["current_etag"] == first.headers["etag"]
    current = await editor.get(f"/v1/articles/{SEED_SLUG}")
    assert current.json()["title"] == "New title"


async def test_slug_change_leaves_a_301(
    seeded: dict[str, Any], editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    response = await editor.patch(f"/v1/articles/{SEED_SLUG}", json={"slug": "mali-minusma"})
    assert response.status_code == 200
    moved = await anon.get(f"/v1/articles/{SEED_SLUG}?fields=id,slug", follow_redirects=False)
    assert moved.status_code == 301
    assert moved.headers["location"] == "http://testserver/v1/articles/mali-minusma?fields=id,slug"
    followed = await anon.get(f"/v1/articles/{SEED_SLUG}", follow_redirects=True)
    assert followed.json()["slug"] == "mali-minusma"


async def test_put_replaces_the_article(seeded: dict[str, Any], editor: httpx.AsyncClient) -> None:
    response = await editor.put(
        f"/v1/articles/{SEED_SLUG}",
        json={"title": "Replaced", "body": "One paragraph.", "body_format": "text"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["slug"] == SEED_SLUG
    assert body["title"] == "Replaced"
    assert body["tags"] == []
    assert body["section"] is None
    assert body["status"] == "draft"
    assert body["body_html"] == "<p>One paragraph.</p>"


async def test_delete_moves_to_trash_then_readers_get_410(
    seeded: dict[str, Any],
    editor: httpx.AsyncClient,
    anon: httpx.AsyncClient,
    admin: httpx.AsyncClient,
) -> None:
    assert (await editor.delete(f"/v1/articles/{SEED_SLUG}")).status_code == 204
    assert (await anon.get(f"/v1/articles/{SEED_SLUG}")).status_code == 410
    assert (await anon.get("/v1/articles")).json()["meta"]["total"] == 0
    assert (await editor.delete(f"/v1/articles/{SEED_SLUG}?purge=true")).status_code == 403
    assert (await admin.delete(f"/v1/articles/{SEED_SLUG}?purge=true")).status_code == 204
    assert (await anon.get(f"/v1/articles/{SEED_SLUG}")).status_code == 404


async def test_list_filters_sort_and_pages(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    for i in range(5):
        response = await editor.post(
            "/v1/articles",
            json={
                "title": f"Story {i}",
                "status": "published",
                "published_at": f"2024-01-0{i + 1}T10:00:00Z",
                "tags": ["Sport"] if i % 2 else ["Politics", "Sport"],
                "section": "world/europe" if i < 3 else "business",
                "authors": ["Ada Lovelace"] if i == 4 else [],
                "language": "fr" if i == 0 else "en",
            },
        )
        assert response.status_code == 201, response.text
    page = (await anon.get("/v1/articles?limit=2")).json()
    assert [a["title"] for a in page["data"]] == ["Story 4", "Story 3"]
    assert "body_html" not in page["data"][0]
    assert page["meta"]["total"] == 5
    seen = [a["title"] for a in page["data"]]
    while page["meta"]["next_cursor"]:
        page = (await anon.get(page["links"]["next"])).json()
        seen += [a["title"] for a in page["data"]]
    assert seen == ["Story 4", "Story 3", "Story 2", "Story 1", "Story 0"]

    async def titles(query: str) -> list[str]:
        response = await anon.get(f"/v1/articles?{query}")
        assert response.status_code == 200, response.text
        return [a["title"] for a in response.json()["data"]]

    assert await titles("tag=politics&tag=sport") == ["Story 4", "Story 2", "Story 0"]
    assert await titles("section=world") == ["Story 2", "Story 1", "Story 0"]
    assert await titles("section=business") == ["Story 4", "Story 3"]
    assert await titles("author=ada%20lovelace") == ["Story 4"]
    assert await titles("language=fr") == ["Story 0"]
    assert await titles("published_after=2024-01-03T12:00:00Z") == ["Story 4", "Story 3"]
    assert await titles("published_before=2024-01-02T12:00:00Z") == ["Story 1", "Story 0"]
    assert await titles("sort=published_at&limit=2") == ["Story 0", "Story 1"]
    assert await titles("sort=title&offset=3") == ["Story 3", "Story 4"]
    sparse = (await anon.get("/v1/articles?fields=id,slug,title&limit=1")).json()["data"][0]
    assert set(sparse) == {"id", "slug", "title"}
    with_body = (await anon.get("/v1/articles?fields=title,body_text&limit=1")).json()["data"][0]
    assert list(with_body) == ["title", "body_text", "id", "slug"]


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=101",
        "limit=-1",
        "limit=1e3",
        "limit=all",
        "offset=10001",
        "offset=-1",
        "cursor=garbage",
        "cursor=WyJ0aXRsZSIsIngiLCJ5Il0",
        "sort=newest",
        "status=live",
        "fields=password",
        "tagg=mali",
        "published_after=soon",
    ],
)
async def test_bad_list_parameters_are_422(anon: httpx.AsyncClient, query: str) -> None:
    response = await anon.get(f"/v1/articles?{query}")
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"]


async def test_conditional_get_answers_304(seeded: dict[str, Any], anon: httpx.AsyncClient) -> None:
    first = await anon.get(f"/v1/articles/{SEED_SLUG}")
    again = await anon.get(
        f"/v1/articles/{SEED_SLUG}", headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304
    listing = await anon.get("/v1/articles")
    assert (
        await anon.get("/v1/articles", headers={"If-None-Match": listing.headers["etag"]})
    ).status_code == 304


async def test_errors_are_problem_json(anon: httpx.AsyncClient) -> None:
    not_found = await anon.get("/v1/nowhere")
    assert not_found.status_code == 404
    assert not_found.headers["content-type"] == "application/problem+json"
    not_allowed = await anon.request("TRACE", "/v1/articles")
    assert not_allowed.status_code == 405
    assert not_allowed.json()["status"] == 405


async def test_totals_follow_writes_and_scheduled_releases(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    async def total() -> int:
        response = await anon.get("/v1/articles")
        count: int = response.json()["meta"]["total"]
        return count

    assert await total() == 0
    await editor.post("/v1/articles", json={"title": "Now", "status": "published"})
    assert await total() == 1
    soon = (datetime.now(UTC) + timedelta(seconds=1.5)).isoformat()
    await editor.post(
        "/v1/articles", json={"title": "Soon", "status": "published", "published_at": soon}
    )
    assert await total() == 1
    await asyncio.sleep(1.6)
    assert await total() == 2
