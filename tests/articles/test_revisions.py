"""History: earlier versions, restore, trash and untrash."""

from __future__ import annotations

from typing import Any

import httpx

SLUG = "mali-demands-expulsion-of-un-peacekeeping-mission-amid-security-concerns"


async def test_revisions_list_who_when_what(
    seeded: dict[str, Any], editor: httpx.AsyncClient
) -> None:
    await editor.patch(f"/v1/articles/{SLUG}", json={"title": "Second title"})
    await editor.patch(f"/v1/articles/{SLUG}", json={"section": "world", "authors": ["Desk"]})
    response = await editor.get(f"/v1/articles/{SLUG}/revisions")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["meta"]["current_version"] == 3
    assert [r["version"] for r in body["data"]] == [2, 1]
    assert body["data"][0]["changed_fields"] == ["title"]
    assert body["data"][0]["article"]["title"] == "Second title"
    assert body["data"][1]["changed_fields"] == []
    assert body["data"][1]["article"]["title"] == seeded["title"]
    assert body["data"][0]["updated_by"] == "test editor"
    assert response.headers["cache-control"] == "private, no-store"


async def test_revisions_are_a_collection_with_z_times(
    seeded: dict[str, Any], editor: httpx.AsyncClient
) -> None:
    await editor.patch(
        f"/v1/articles/{SLUG}",
        json={"published_at": "2023-06-16T14:05:00+02:00"},
    )
    for n in range(3):
        await editor.patch(f"/v1/articles/{SLUG}", json={"title": f"Title {n}"})
    url = f"/v1/articles/{SLUG}/revisions"
    response = await editor.get(url, params={"limit": 2})
    body = response.json()
    assert body["meta"] == {
        "total": 4,
        "limit": 2,
        "offset": 0,
        "next_cursor": None,
        "current_version": 5,
    }
    assert [r["version"] for r in body["data"]] == [4, 3]
    assert [r["changed_fields"] for r in body["data"]] == [["title"], ["title"]]
    assert body["links"]["next"] == f"http://testserver{url}?limit=2&offset=2"
    assert response.headers["link"] == f'<{body["links"]["next"]}>; rel="next"'
    rest = (await editor.get(body["links"]["next"])).json()
    assert [r["version"] for r in rest["data"]] == [2, 1]
    assert rest["data"][0]["changed_fields"] == ["published_at"]
    assert rest["data"][1]["changed_fields"] == []
    assert rest["links"]["next"] is None
    assert rest["data"][0]["article"]["published_at"] == "2023-06-16T12:05:00Z"
    assert all(r["updated_at"].endswith("Z") for r in body["data"] + rest["data"])
    assert (await editor.get(url, params={"offset": -1})).status_code == 422


async def test_revisions_are_for_editors_only(
    seeded: dict[str, Any], anon: httpx.AsyncClient
) -> None:
    assert (await anon.get(f"/v1/articles/{SLUG}/revisions")).status_code == 401


async def test_restore_makes_a_new_version(
    seeded: dict[str, Any], editor: httpx.AsyncClient
) -> None:
    await editor.patch(
        f"/v1/articles/{SLUG}", json={"title": "Wrong", "tags": ["Oops"], "body": "Gone."}
    )
    response = await editor.post(f"/v1/articles/{SLUG}/revisions/1/restore")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["version"] == 3
    assert body["title"] == seeded["title"]
    assert body["body_text"] == seeded["body_text"]
    assert [t["name"] for t in body["tags"]] == ["Mali", "UN peacekeeping", "Sahel security"]
    assert body["published_at"] == seeded["published_at"]
    missing = await editor.post(f"/v1/articles/{SLUG}/revisions/9/restore")
    assert missing.status_code == 404
    stale = await editor.post(
        f"/v1/articles/{SLUG}/revisions/1/restore", headers={"If-Match": f'"{body["id"]}-1"'}
    )
    assert stale.status_code == 412


async def test_untrash(
    seeded: dict[str, Any], editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await editor.delete(f"/v1/articles/{SLUG}")
    assert (await anon.get(f"/v1/articles/{SLUG}")).status_code == 410
    restored = await editor.post(f"/v1/articles/{SLUG}/restore")
    assert restored.status_code == 200, restored.text
    assert (await anon.get(f"/v1/articles/{SLUG}")).status_code == 200
