"""Authors over HTTP: their pages, and the bylines that link articles to them."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest

from app.articles import transfer
from tests.conftest import Backend

ANN = {
    "name": "Ann Writer",
    "bio": "Covers the Sahel.",
    "image_url": "https://img.example/ann.jpg",
    "job_title": "West Africa correspondent",
    "urls": ["https://social.example/@ann"],
}


async def create_article(editor: httpx.AsyncClient, **fields: Any) -> Any:
    response = await editor.post("/v1/articles", json=fields)
    assert response.status_code == 201, response.text
    return response.json()


async def test_author_crud_and_former_slugs(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    created = await editor.post("/v1/authors", json=ANN)
    assert created.status_code == 201, created.text
    author = created.json()
    assert created.headers["location"].endswith("/v1/authors/ann-writer")
    assert {k: author[k] for k in ANN} == ANN
    assert (author["slug"], author["article_count"], author["version"]) == ("ann-writer", 0, 1)
    assert set(author) == {
        *ANN,
        "id",
        "slug",
        "article_count",
        "created_at",
        "updated_at",
        "version",
    }
    by_id = await anon.get(f"/v1/authors/{author['id']}")
    assert by_id.json() == author
    assert by_id.headers["cache-control"].startswith("public")
    # Names are unique whatever their case and accents.
    duplicate = await editor.post("/v1/authors", json={"name": "ANN WRÎTER"})
    assert duplicate.status_code == 409
    assert duplicate.json()["errors"][0]["loc"] == ["body", "name"]

    moved = await editor.patch(
        "/v1/authors/ann-writer",
        json={"slug": "ann-w", "job_title": "Sahel editor"},
        headers={"If-Match": by_id.headers["etag"]},
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["version"], moved.json()["bio"]) == (2, ANN["bio"])
    old = await anon.get("/v1/authors/ann-writer")
    assert old.status_code == 301
    assert old.headers["location"].endswith("/v1/authors/ann-w")
    stale = await editor.patch(
        "/v1/authors/ann-w", json={"bio": "x"}, headers={"If-Match": by_id.headers["etag"]}
    )
    assert stale.status_code == 412
    replaced = await editor.put("/v1/authors/ann-w", json={"name": "Ann Writer"})
    assert (replaced.json()["bio"], replaced.json()["urls"]) == (None, [])
    assert (await editor.delete("/v1/authors/ann-w")).status_code == 204
    assert (await anon.get("/v1/authors/ann-w")).status_code == 410
    assert (await admin.delete("/v1/authors/ann-w?purge=true")).status_code == 204
    assert (await anon.get("/v1/authors/ann-w")).status_code == 404


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"name": ""},
        {"name": "x" * 201},
        {"name": "Ann", "twitter": "@ann"},
        {"name": "Ann", "image_url": "not a url"},
        {"name": "Ann", "urls": ["javascript:alert(1)"]},
        {"name": "Ann", "urls": "https://a.example"},
        {"name": "Ann", "slug": "Not A Slug"},
        {"name": "Ann\x00"},
    ],
)
async def test_bad_author_bodies_are_422(editor: httpx.AsyncClient, payload: Any) -> None:
    response = await editor.post("/v1/authors", json=payload)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"]


async def test_bad_author_edits_are_422_and_writes_need_an_editor(
    editor: httpx.AsyncClient, reader: httpx.AsyncClient
) -> None:
    await editor.post("/v1/authors", json={"name": "Ann Writer"})
    for payload in ({"name": None}, {"urls": [""]}, {"job_title": "x" * 201}):
        response = await editor.patch("/v1/authors/ann-writer", json=payload)
        assert response.status_code == 422, (payload, response.text)
    assert (await reader.post("/v1/authors", json={"name": "Bob"})).status_code == 403
    assert (await reader.patch("/v1/authors/ann-writer", json={"bio": "x"})).status_code == 403


async def test_bylines_find_authors_by_name_and_create_unknown_ones(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    ann = (await editor.post("/v1/authors", json=ANN)).json()
    article = await create_article(
        editor,
        title="Sahel Report",
        status="published",
        authors=["ANN WRÍTER", "Bob Reporter", "bob reporter"],
    )
    # The bylines stay as written; each names one author, in order.
    assert article["authors"] == ["ANN WRÍTER", "Bob Reporter", "bob reporter"]
    assert [b["slug"] for b in article["bylines"]] == ["ann-writer", "bob-reporter"]
    assert article["bylines"][0] == {"id": ann["id"], "slug": "ann-writer", "name": "Ann Writer"}
    read = (await anon.get(f"/v1/articles/{article['slug']}")).json()
    assert read["bylines"] == article["bylines"]
    listed = (await anon.get("/v1/articles", params={"fields": "id,slug,bylines"})).json()
    assert listed["data"][0]["bylines"] == article["bylines"]
    bob = (await anon.get("/v1/authors/bob-reporter")).json()
    assert (bob["name"], bob["article_count"], bob["bio"]) == ("Bob Reporter", 1, None)

    # Renaming an author keeps their bylines; a new byline makes a new author.
    await editor.patch("/v1/authors/bob-reporter", json={"name": "Robert Reporter"})
    edited = await editor.patch(
        f"/v1/articles/{article['slug']}", json={"authors": ["Bob Reporter", "Cy Stringer"]}
    )
    assert edited.status_code == 200, edited.text
    assert [(b["slug"], b["name"]) for b in edited.json()["bylines"]] == [
        ("bob-reporter", "Robert Reporter"),
        ("cy-stringer", "Cy Stringer"),
    ]
    assert (await anon.get("/v1/authors/ann-writer")).json()["article_count"] == 0
    # A trashed author leaves the bylines readers see at once.
    await editor.delete("/v1/authors/cy-stringer")
    read = (await anon.get(f"/v1/articles/{article['slug']}")).json()
    assert [b["slug"] for b in read["bylines"]] == ["bob-reporter"]
    assert read["authors"] == ["Bob Reporter", "Cy Stringer"]


async def test_author_pages_list_published_articles_with_the_article_filters(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await create_article(
        editor, title="One", status="published", authors=["Ann Writer"], section="world"
    )
    await create_article(
        editor, title="Two", status="published", authors=["Ann Writer"], section="sport"
    )
    await create_article(editor, title="Draft", authors=["Ann Writer"])
    await create_article(editor, title="Other", status="published", authors=["Bob Reporter"])
    page = (await anon.get("/v1/authors/ann-writer/articles")).json()
    assert sorted(a["title"] for a in page["data"]) == ["One", "Two"]
    assert page["meta"]["total"] == 2
    filtered = (await anon.get("/v1/authors/ann-writer/articles?section=sport")).json()
    assert [a["title"] for a in filtered["data"]] == ["Two"]
    editors = (await editor.get("/v1/authors/ann-writer/articles")).json()
    assert sorted(a["title"] for a in editors["data"]) == ["Draft", "One", "Two"]
    for ref in ("ann-writer", "ANN writer", "Ann Wrìter"):
        found = (await anon.get("/v1/articles", params={"author": ref})).json()
        assert sorted(a["title"] for a in found["data"]) == ["One", "Two"], ref
    assert (await anon.get("/v1/authors/nobody/articles")).status_code == 404


async def test_typeahead_and_sorts(editor: httpx.AsyncClient, anon: httpx.AsyncClient) -> None:
    await create_article(editor, title="A", status="published", authors=["Ann Writer"])
    await create_article(editor, title="B", status="published", authors=["Ann Writer", "Zoe Ng"])
    await editor.post("/v1/authors", json={"name": "Bob Writerson"})
    names = [a["name"] for a in (await anon.get("/v1/authors")).json()["data"]]
    assert names == ["Ann Writer", "Bob Writerson", "Zoe Ng"]
    typed = (await anon.get("/v1/authors", params={"q": "writ"})).json()
    assert [a["name"] for a in typed["data"]] == ["Ann Writer", "Bob Writerson"]
    assert [a["name"] for a in (await anon.get("/v1/authors?q=zo")).json()["data"]] == ["Zoe Ng"]
    assert (await anon.get("/v1/authors?q=%25")).json()["data"] == []
    by_count = (await anon.get("/v1/authors?sort=-article_count")).json()["data"]
    assert [(a["name"], a["article_count"]) for a in by_count] == [
        ("Ann Writer", 2),
        ("Zoe Ng", 1),
        ("Bob Writerson", 0),
    ]
    assert (await anon.get("/v1/authors?sort=bio")).status_code == 422
    assert (await anon.get("/v1/authors?q=" + "x" * 201)).status_code == 422


async def test_bulk_upsert_and_export_carry_bylines(
    backend: Backend, editor: httpx.AsyncClient
) -> None:
    body = b"".join(
        orjson.dumps(item) + b"\n"
        for item in (
            {"title": "Wire One", "slug": "wire-one", "authors": ["Ann Writer", "Wire Desk"]},
            {"title": "Wire Two", "slug": "wire-two", "authors": ["wire desk"]},
        )
    )
    headers = {"content-type": "application/x-ndjson"}
    response = await editor.post("/v1/articles:bulk", content=body, headers=headers)
    assert response.json()["meta"]["created"] == 2, response.text
    one = (await editor.get("/v1/articles/wire-one")).json()
    two = (await editor.get("/v1/articles/wire-two")).json()
    assert [b["slug"] for b in one["bylines"]] == ["ann-writer", "wire-desk"]
    assert two["bylines"] == one["bylines"][1:]
    again = body.replace(b'["wire desk"]', b'["Ann Writer"]')
    response = await editor.post("/v1/articles:bulk", content=again, headers=headers)
    assert response.json()["meta"] == {"created": 0, "updated": 1, "unchanged": 1, "failed": 0}
    two = (await editor.get("/v1/articles/wire-two")).json()
    assert [b["slug"] for b in two["bylines"]] == ["ann-writer"]
    async with backend.database.reader() as session:
        exported = [item async for item in transfer.export_articles(session, since=None)]
    assert sorted(item["authors"] for item in exported) == [
        ["Ann Writer"],
        ["Ann Writer", "Wire Desk"],
    ]


async def test_author_events_enter_the_change_feed(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await create_article(editor, title="A", status="published", authors=["Ann Writer"])
    await editor.patch("/v1/authors/ann-writer", json={"bio": "Hello."})
    await editor.delete("/v1/authors/ann-writer")
    feed = (await anon.get("/v1/changes", params={"resource_type": "authors"})).json()
    assert [(e["resource_type"], e["event"], e["version"]) for e in feed["data"]] == [
        ("authors", "created", 1),
        ("authors", "updated", 2),
        ("authors", "deleted", 3),
    ]
