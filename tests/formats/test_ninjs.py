"""GET /v1/articles/{ref}/ninjs: IPTC ninjs 2.2 that validates against IPTC's own schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from app.formats import ninjs
from app.formats.common import Linked, Site
from tests.formats.test_jsonld import expand

SCHEMA = json.loads(
    (Path(__file__).parent / "schemas" / "ninjs-schema_2.2.json").read_text(encoding="utf-8")
)
VALIDATOR = Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)

ENTITIES: list[dict[str, Any]] = [
    {"name": "Amina Diallo", "type": "person", "external_ids": {"wikidata": "Q4747"}},
    {"name": "Sahel Fund", "type": "organization"},
    {"name": "Timbuktu", "type": "location", "external_ids": {"geonames": "2449067"}},
    {"name": "Bamako Summit", "type": "event"},
    {"name": "Climate Change", "type": "other", "external_ids": {"wikidata": "Q125928"}},
]
IMAGES: list[dict[str, str] | None] = [
    None,
    {"url": "https://img.example/plain.jpg"},
    {"url": "https://img.example/full.jpg", "caption": "Dunes", "credit": "AFP", "alt": "Sand"},
]
BYLINES: list[list[str]] = [[], ["Ann Writer"], ["Ann Writer", "Bob Reporter"]]


def valid(item: dict[str, Any]) -> dict[str, Any]:
    errors = [f"{list(e.path)}: {e.message}" for e in VALIDATOR.iter_errors(item)]
    assert not errors, errors
    return item


def story(i: int) -> dict[str, Any]:
    """The i-th of a spread of stories: every kind of entity, image, byline and status."""
    named = ENTITIES if i % 4 == 0 else [ENTITIES[i % len(ENTITIES)]]
    body = " ".join(f"{e['name']} was in the news." for e in named)
    fields: dict[str, Any] = {
        "title": f"Story {i}: {named[0]['name']}",
        "body": f"{body}\n\nSecond paragraph {i}.",
        "body_format": "text",
        "authors": BYLINES[(i // 3) % 3],
        "image": IMAGES[i % 3],
        "language": "fr-CA" if i % 5 == 1 else "en",
        "status": "draft" if i % 6 == 5 else "archived" if i % 7 == 6 else "published",
        "tags": ["Sahel", f"Tag {i % 4}"][: 1 + i % 2],
        "entities": [{"name": e["name"], "type": e["type"]} for e in named[:1]],
    }
    if i % 2:
        fields["summary"] = f"Summary of story {i}."
    if i % 5 == 0:
        fields.update(source="Wire", canonical_url=f"https://wire.example/{i}")
    if i % 3 != 2:
        fields["section"] = "world/africa"
    return fields


async def test_a_spread_of_stories_validates(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    for entity in ENTITIES:
        assert (await editor.post("/v1/entities", json=entity)).status_code == 201
    checked = 0
    kinds_seen: set[str] = set()
    for i in range(24):
        created = await editor.post("/v1/articles", json=story(i))
        assert created.status_code == 201, created.text
        slug = created.json()["slug"]
        for n in range(i % 3):
            await editor.post(f"/v1/articles/{slug}/corrections", json={"text": f"Fix {n}."})
        trashed = i % 8 == 7
        if trashed:
            assert (await editor.delete(f"/v1/articles/{slug}")).status_code == 204
        response = await editor.get(f"/v1/articles/{slug}/ninjs")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        item = valid(response.json())
        checked += 1
        assert item["pubstatus"] == ("canceled" if trashed else "usable")
        assert item["type"] == "text"
        assert item["headlines"][0]["value"].startswith(f"Story {i}:")
        assert item["version"] == str(1 + i % 3 + trashed)
        corrections = [
            d["value"] for d in item.get("descriptions", []) if d["role"] == "correction"
        ]
        assert corrections == [f"Fix {n}." for n in range(i % 3)]
        assert item.get("by", "") == ", ".join(BYLINES[(i // 3) % 3])
        assert ("associations" in item) == (IMAGES[i % 3] is not None)
        kinds_seen |= {k for k in ("people", "organisations", "places", "events") if k in item}
        if not trashed:
            expand((await editor.get(f"/v1/articles/{slug}/schema.jsonld")).json())
    assert checked >= 20
    assert kinds_seen == {"people", "organisations", "places", "events"}


async def test_entities_tags_and_images_land_where_ninjs_wants_them(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    for entity in ENTITIES:
        await editor.post("/v1/entities", json=entity)
    fields = {**story(0), "status": "published", "image": IMAGES[2], "source": "Wire"}
    slug = (await editor.post("/v1/articles", json=fields)).json()["slug"]
    item = valid((await anon.get(f"/v1/articles/{slug}/ninjs")).json())
    assert item["people"] == [
        {
            "name": "Amina Diallo",
            "rel": "about",
            "uri": "https://www.wikidata.org/wiki/Q4747",
            "literal": "amina-diallo",
        }
    ]
    assert item["organisations"][0]["uri"] == "http://testserver/v1/entities/sahel-fund"
    assert item["places"][0]["uri"] == "https://sws.geonames.org/2449067/"
    assert item["events"][0]["name"] == "Bamako Summit"
    subjects = {s["name"]: s for s in item["subjects"]}
    assert subjects["Sahel"] == {
        "name": "Sahel",
        "uri": "http://testserver/v1/tags/sahel",
        "literal": "sahel",
    }
    assert subjects["Climate Change"]["uri"] == "https://www.wikidata.org/wiki/Q125928"
    [picture] = item["associations"]
    assert picture["renditions"] == [{"name": "original", "href": IMAGES[2]["url"]}]  # type: ignore[index]
    assert picture["by"] == "AFP"
    assert item["infosources"] == [{"name": "Wire", "role": "source"}]
    assert {"role": "canonical-url", "value": "https://wire.example/0"} in item["altids"]
    bodies = {b["contenttype"]: b for b in item["bodies"]}
    assert bodies["text/plain"]["value"].startswith("Amina Diallo was in the news.")
    assert bodies["text/html"]["wordcount"] > 0


async def test_expired_stories_are_withheld(editor: httpx.AsyncClient) -> None:
    slug = (await editor.post("/v1/articles", json=story(1))).json()["slug"]
    article = (await editor.get(f"/v1/articles/{slug}")).json()
    now = datetime.now(UTC)
    site = Site("http://testserver", "Lede", None)
    article = {**article, "deleted_at": None}
    for expires_at, status in (
        (now - timedelta(days=1), "withheld"),
        (now + timedelta(days=1), "usable"),
    ):
        item = ninjs.ninjs_item({**article, "expires_at": expires_at}, site, Linked({}, {}), now)
        document = json.loads(json.dumps(item, default=lambda t: t.isoformat()))
        assert valid(document)["pubstatus"] == status
        assert document["expires"] == expires_at.isoformat()


@pytest.mark.parametrize("path", ["/v1/articles/{slug}/ninjs", "/v1/articles/{slug}/schema.jsonld"])
async def test_it_is_read_like_the_json_article(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient, path: str
) -> None:
    created = (await editor.post("/v1/articles", json={"title": "Wire Story"})).json()
    url = path.format(slug="wire-story")
    assert (await anon.get(url)).status_code == 404
    assert (await anon.get(path.format(slug=created["id"]))).status_code == 404
    private = await editor.get(url)
    assert private.headers["cache-control"] == "private, no-store"
    await editor.patch("/v1/articles/wire-story", json={"status": "published"})
    json_article = await anon.get("/v1/articles/wire-story")
    document = await anon.get(url)
    assert document.status_code == 200
    for header in ("etag", "cache-control", "last-modified"):
        assert document.headers[header] == json_article.headers[header], header
    cached = await anon.get(url, headers={"If-None-Match": document.headers["etag"]})
    assert cached.status_code == 304
    await editor.delete("/v1/articles/wire-story")
    assert (await anon.get(url)).status_code == 410
