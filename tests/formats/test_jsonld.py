"""GET /v1/articles/{ref}/schema.jsonld: a NewsArticle that JSON-LD processors read whole."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pyld import jsonld

from app.formats import jsonld as news_jsonld
from app.formats.common import Linked, Site
from tests.conftest import Backend

SLUG = "mali-demands-expulsion-of-un-peacekeeping-mission-amid-security-concerns"
DOC = f"/v1/articles/{SLUG}/schema.jsonld"
SCHEMA = "https://schema.org/"
# schema.org's context, as much of it as these documents use: no network in tests.
CONTEXT = {
    "@vocab": SCHEMA,
    "url": {"@id": "url", "@type": "@id"},
    "sameAs": {"@id": "sameAs", "@type": "@id"},
    "image": {"@id": "image"},
}
LOGO = "https://news.example/logo.png"


def load_local(url: str, options: Any = None) -> dict[str, Any]:
    assert url.rstrip("/") == "https://schema.org", url
    return {"contextUrl": None, "documentUrl": url, "document": {"@context": CONTEXT}}


OPTIONS = {"documentLoader": load_local}


def expand(document: dict[str, Any]) -> dict[str, Any]:
    """The document as a JSON-LD processor reads it: every property a full schema.org IRI."""
    [node] = jsonld.expand(document, OPTIONS)
    compacted = jsonld.compact(node, "https://schema.org", OPTIONS)
    # Nothing was dropped on the way: every property maps to schema.org.
    assert set(compacted) - {"@context"} == set(document) - {"@context"}
    result: dict[str, Any] = node
    return result


def values(node: dict[str, Any], name: str) -> list[Any]:
    return [v.get("@value", v.get("@id", v)) for v in node.get(SCHEMA + name, [])]


def first(node: dict[str, Any], name: str) -> Any:
    return values(node, name)[0]


@pytest.fixture
def publisher(backend: Backend) -> Iterator[None]:
    settings = backend.app.state.settings
    backend.app.state.settings = settings.model_copy(
        update={"publisher_name": "The Daily Example", "publisher_logo": LOGO}
    )
    yield
    backend.app.state.settings = settings


async def test_the_seed_story_has_what_google_asks_for(
    seeded: dict[str, Any],
    publisher: None,
    editor: httpx.AsyncClient,
    anon: httpx.AsyncClient,
) -> None:
    await editor.post("/v1/authors", json={"name": "Ann Writer", "job_title": "Correspondent"})
    edited = await editor.patch(
        f"/v1/articles/{SLUG}",
        json={
            "authors": ["Ann Writer", "Bob Reporter"],
            "image": {"url": "https://img.example/bamako.jpg", "caption": "Bamako", "credit": "AP"},
        },
    )
    assert edited.status_code == 200, edited.text
    await editor.post(f"/v1/articles/{SLUG}/corrections", json={"text": "Misnamed the minister."})
    article = (await anon.get(f"/v1/articles/{SLUG}")).json()
    response = await anon.get(DOC)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/ld+json"
    document = response.json()
    assert document["@context"] == "https://schema.org"
    node = expand(document)

    assert node["@type"] == [SCHEMA + "NewsArticle"]
    assert first(node, "headline") == article["title"]
    assert first(node, "description") == article["summary"]
    assert first(node, "datePublished") == "2023-06-17T09:00:00Z"
    assert first(node, "dateModified") == article["updated_at"]
    assert first(node, "inLanguage") == "en"
    assert first(node, "articleSection") == "world/africa"
    assert values(node, "keywords") == ["Mali", "UN peacekeeping", "Sahel security"]
    page = f"http://testserver/v1/articles/{SLUG}"
    assert first(node, "mainEntityOfPage") == page
    [image] = node[SCHEMA + "image"]
    assert first(image, "url") == "https://img.example/bamako.jpg"
    assert first(image, "creditText") == "AP"

    authors = node[SCHEMA + "author"]
    assert [a["@type"] for a in authors] == [[SCHEMA + "Person"]] * 2
    assert [first(a, "name") for a in authors] == ["Ann Writer", "Bob Reporter"]
    assert first(authors[0], "url") == "http://testserver/v1/authors/ann-writer"
    assert first(authors[0], "jobTitle") == "Correspondent"
    assert (await anon.get(first(authors[1], "url"))).json()["name"] == "Bob Reporter"

    [publisher_node] = node[SCHEMA + "publisher"]
    assert publisher_node["@type"] == [SCHEMA + "Organization"]
    assert first(publisher_node, "name") == "The Daily Example"
    assert first(publisher_node[SCHEMA + "logo"][0], "url") == LOGO

    about = {first(n, "name"): n for n in node[SCHEMA + "about"]}
    mentions = {first(n, "name"): n for n in node.get(SCHEMA + "mentions", [])}
    assert about["Mali"]["@type"] == [SCHEMA + "Place"]
    assert values(about["Mali"], "sameAs") == ["https://www.wikidata.org/wiki/Q912"]
    assert about["MINUSMA"]["@type"] == [SCHEMA + "Organization"]
    assert values(about["MINUSMA"], "sameAs") == ["https://www.wikidata.org/wiki/Q3332563"]
    # Named in passing: the story mentions him, it is not about him.
    assert mentions["Abdoulaye Diop"]["@type"] == [SCHEMA + "Person"]
    assert SCHEMA + "sameAs" not in mentions["Abdoulaye Diop"]  # the fixture has no ids for him
    assert len(about) + len(mentions) == len(article["entities"])

    [correction] = node[SCHEMA + "correction"]
    assert correction["@type"] == [SCHEMA + "CorrectionComment"]
    assert first(correction, "text") == "Misnamed the minister."
    assert first(correction, "datePublished") == article["corrections"][0]["at"]


async def test_salience_splits_about_from_mentions(
    seeded: dict[str, Any], editor: httpx.AsyncClient
) -> None:
    article = (await editor.get(f"/v1/articles/{SLUG}")).json()
    for mention in article["entities"]:
        mention["salience"] = "about" if mention["entity"]["slug"] == "mali" else "mentions"
    article["deleted_at"] = None
    site = Site("http://testserver", "Lede", None)
    document = news_jsonld.news_article(article, site, Linked({}, {}))
    assert [e["name"] for e in document["about"]] == ["Mali"]
    assert len(document["mentions"]) == len(article["entities"]) - 1
    assert "publisher" in document
    assert "logo" not in document["publisher"]
    assert "image" not in document
    node = expand(document)
    assert len(node[SCHEMA + "mentions"]) == len(article["entities"]) - 1


async def test_it_is_read_like_the_json_article(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    draft = (await editor.post("/v1/articles", json={"title": "Quiet Draft"})).json()
    assert (await anon.get("/v1/articles/quiet-draft/schema.jsonld")).status_code == 404
    as_editor = await editor.get("/v1/articles/quiet-draft/schema.jsonld")
    assert as_editor.status_code == 200
    assert as_editor.headers["cache-control"] == "private, no-store"
    assert "datePublished" not in as_editor.json()

    await editor.patch(f"/v1/articles/{draft['id']}", json={"status": "published"})
    json_article = await anon.get("/v1/articles/quiet-draft")
    document = await anon.get("/v1/articles/quiet-draft/schema.jsonld")
    for header in ("etag", "cache-control", "last-modified", "vary"):
        assert document.headers[header] == json_article.headers[header], header
    again = await anon.get(
        "/v1/articles/quiet-draft/schema.jsonld",
        headers={"If-None-Match": document.headers["etag"]},
    )
    assert again.status_code == 304
    assert again.headers["cache-control"] == json_article.headers["cache-control"]

    await editor.patch("/v1/articles/quiet-draft", json={"slug": "loud-story"})
    moved = await anon.get("/v1/articles/quiet-draft/schema.jsonld")
    assert moved.status_code == 301
    assert moved.headers["location"] == "http://testserver/v1/articles/loud-story/schema.jsonld"
    await editor.delete("/v1/articles/loud-story")
    assert (await anon.get("/v1/articles/loud-story/schema.jsonld")).status_code == 410
    assert (await editor.get("/v1/articles/loud-story/schema.jsonld")).status_code == 410
    assert (await anon.get("/v1/articles/no-such-story/schema.jsonld")).status_code == 404
