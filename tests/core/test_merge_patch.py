"""PATCH is a JSON merge patch (RFC 7396) on articles, entities and tags alike."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.core.merge_patch import merge_patch

IMAGE = {
    "url": "https://example.org/mali.jpg",
    "caption": "Old",
    "credit": "Reuters",
    "alt": "Peacekeepers",
}


@pytest.mark.parametrize(
    ("target", "patch", "result"),
    [
        # The examples of RFC 7396, Appendix A.
        ({"a": "b"}, {"a": "c"}, {"a": "c"}),
        ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
        ({"a": "b"}, {"a": None}, {}),
        ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
        ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
        ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
        ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
        ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
        (["a", "b"], ["c", "d"], ["c", "d"]),
        ({"a": "b"}, ["c"], ["c"]),
        ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
        ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
        ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
    ],
)
def test_the_rfc_examples(target: Any, patch: Any, result: Any) -> None:
    assert merge_patch(target, patch) == result


async def test_a_nested_image_merges_and_null_removes_a_member(editor: httpx.AsyncClient) -> None:
    created = await editor.post("/v1/articles", json={"title": "Pictured", "image": IMAGE})
    url = f"/v1/articles/{created.json()['slug']}"
    patched = await editor.patch(url, json={"image": {"caption": "New"}})
    assert patched.status_code == 200, patched.text
    assert patched.json()["image"] == {**IMAGE, "caption": "New"}
    patched = await editor.patch(url, json={"image": {"credit": None}})
    image = patched.json()["image"]
    assert image.get("credit") is None
    assert image["url"] == IMAGE["url"]
    assert image["caption"] == "New"
    assert (await editor.get(url)).json()["image"] == patched.json()["image"]
    cleared = await editor.patch(url, json={"image": None})
    assert cleared.json()["image"] is None


@pytest.mark.parametrize(
    ("image", "field"),
    [
        ({"url": None}, "body.image.url"),
        ({"url": "not a url"}, "body.image.url"),
        ({"caption": "x" * 1001}, "body.image.caption"),
        ({"colour": "red"}, "body.image.colour"),
    ],
)
async def test_a_merge_that_leaves_a_bad_image_is_422(
    editor: httpx.AsyncClient, image: dict[str, Any], field: str
) -> None:
    created = await editor.post("/v1/articles", json={"title": "Pictured", "image": IMAGE})
    url = f"/v1/articles/{created.json()['slug']}"
    response = await editor.patch(url, json={"image": image})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]
    assert (await editor.get(url)).json()["image"] == IMAGE


async def test_an_image_patch_needs_a_url_when_there_is_none_yet(
    editor: httpx.AsyncClient,
) -> None:
    created = await editor.post("/v1/articles", json={"title": "Bare"})
    url = f"/v1/articles/{created.json()['slug']}"
    response = await editor.patch(url, json={"image": {"caption": "New"}})
    assert response.status_code == 422
    assert "body.image.url" in [e["field"] for e in response.json()["errors"]]
    added = await editor.patch(url, json={"image": {"url": IMAGE["url"], "caption": "New"}})
    assert added.json()["image"]["caption"] == "New"


async def test_put_still_replaces_the_whole_image(editor: httpx.AsyncClient) -> None:
    created = await editor.post("/v1/articles", json={"title": "Pictured", "image": IMAGE})
    url = f"/v1/articles/{created.json()['slug']}"
    replaced = await editor.put(url, json={"title": "Pictured", "image": {"url": IMAGE["url"]}})
    image = replaced.json()["image"]
    assert image["url"] == IMAGE["url"]
    assert [image.get(k) for k in ("caption", "credit", "alt")] == [None, None, None]


async def test_entity_external_ids_merge(editor: httpx.AsyncClient) -> None:
    created = await editor.post(
        "/v1/entities",
        json={
            "name": "Mali",
            "type": "location",
            "external_ids": {"wikidata": "Q912", "geonames": "2453866"},
        },
    )
    url = f"/v1/entities/{created.json()['slug']}"
    patched = await editor.patch(url, json={"external_ids": {"geonames": None, "osm": "192785"}})
    assert patched.status_code == 200, patched.text
    assert patched.json()["external_ids"] == {"wikidata": "Q912", "osm": "192785"}
    assert patched.json()["name"] == "Mali"
    too_many = {f"id{i}": str(i) for i in range(19)}
    response = await editor.patch(url, json={"external_ids": too_many})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.external_ids"


async def test_tag_null_removes_and_absent_keeps(editor: httpx.AsyncClient) -> None:
    created = await editor.post("/v1/tags", json={"name": "Sahel", "description": "Region"})
    url = f"/v1/tags/{created.json()['slug']}"
    renamed = await editor.patch(url, json={"name": "The Sahel"})
    assert renamed.json()["description"] == "Region"
    cleared = await editor.patch(url, json={"description": None})
    assert cleared.json()["description"] is None
    assert cleared.json()["name"] == "The Sahel"
    refused = await editor.patch(url, json={"name": None})
    assert refused.status_code == 422
