"""Entity linking through the API: article writes, /extract, and matcher freshness."""

# Typographic quotes are the subject matter here.
# ruff: noqa: RUF001, RUF003

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, text

from app.linking import index as linking_index
from app.linking.index import EntityIndex, index_for
from app.main import create_app
from app.models import Change, Entity, Mention
from tests.conftest import Backend, make_settings

SEED_LINKED = {
    "Mali",
    "MINUSMA",
    "United Nations",
    "Abdoulaye Diop",
    "António Guterres",
    "El Ghassim Wane",
    "Olivier Salgado",
    "Wagner Group",
}


def by_name(article: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["entity"]["name"]: m for m in article["entities"]}


async def make_entity(client: httpx.AsyncClient, name: str, type_: str, *aliases: str) -> Any:
    response = await client.post(
        "/v1/entities", json={"name": name, "type": type_, "aliases": list(aliases)}
    )
    assert response.status_code == 201, response.text
    return response.json()


async def post_text(
    client: httpx.AsyncClient, title: str, body: str, *, query: str = "", **fields: Any
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/articles{query}",
        json={"title": title, "body": body, "body_format": "text", **fields},
    )
    assert response.status_code == 201, response.text
    article: dict[str, Any] = response.json()
    return article


async def index_of(app: FastAPI) -> EntityIndex:
    async with app.state.database.writer() as session:
        return index_for(session)


@asynccontextmanager
async def worker(
    backend: Backend, **settings: Any
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """Another worker process on the same database: its own app, engine and matcher."""
    app = create_app(make_settings(backend.url, **settings))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://testserver",
            headers={"Authorization": f"Bearer {backend.keys['editor']}"},
        ) as client:
            yield app, client


# --- the seed story ---------------------------------------------------------------------------


async def test_seed_story_links_the_known_entities_by_itself(
    seeded: dict[str, Any], seed_article: dict[str, Any]
) -> None:
    assert "entities" not in seed_article
    mentions = by_name(seeded)
    assert set(mentions) == SEED_LINKED
    assert "Russia" not in mentions  # the story says "Russian" only
    body = seeded["body_text"]
    names = {
        "Mali": {"Mali"},
        "MINUSMA": {
            "MINUSMA",
            "United Nations Multidimensional Integrated Stabilization Mission in Mali",
        },
        "United Nations": {"UN"},
        "Abdoulaye Diop": {"Abdoulaye Diop", "Diop"},
        "António Guterres": {"Antonio Guterres", "Guterres"},
        "El Ghassim Wane": {"El Ghassim Wane"},
        "Olivier Salgado": {"Olivier Salgado"},
        "Wagner Group": {"Wagner group"},
    }
    for name, mention in mentions.items():
        assert mention["source"] == "auto"
        assert mention["count"] == len(mention["spans"]) > 0
        assert {body[start:end] for start, end in mention["spans"]} == names[name], name
    assert mentions["Mali"]["spans"][0] == [0, 4]  # "Mali’s" opens the story
    assert mentions["Mali"]["count"] == 5


async def test_malian_never_links_mali(seeded: dict[str, Any]) -> None:
    body = seeded["body_text"]
    malian = {i for i in range(len(body)) if body.startswith("Malian", i)}
    assert len(malian) == 6
    assert not [s for s in by_name(seeded)["Mali"]["spans"] if s[0] in malian]


async def test_seed_links_are_stored_and_listed(
    seeded: dict[str, Any], anon: httpx.AsyncClient
) -> None:
    stored = (await anon.get(f"/v1/articles/{seeded['slug']}")).json()
    assert stored["entities"] == seeded["entities"]
    page = (await anon.get("/v1/entities/el-ghassim-wane/articles")).json()
    assert [a["slug"] for a in page["data"]] == [seeded["slug"]]
    wane = (await anon.get("/v1/entities/el-ghassim-wane")).json()
    assert wane["article_count"] == 1
    russia = (await anon.get("/v1/entities/russia")).json()
    assert russia["article_count"] == 0


# --- tricky texts ----------------------------------------------------------------------------


async def test_names_at_the_edges_and_in_quotes(editor: httpx.AsyncClient) -> None:
    await make_entity(editor, "Mali", "location")
    await make_entity(editor, "Niger", "location")
    body = "Mali’s army and “Niger” (Mali) met the Malian and Nigerian envoys in Niger"
    article = await post_text(editor, "Talks", body)
    mentions = by_name(article)
    assert [body[s:e] for s, e in mentions["Mali"]["spans"]] == ["Mali", "Mali"]
    assert mentions["Mali"]["spans"][0] == [0, 4]
    assert mentions["Niger"]["spans"][-1] == [len(body) - 5, len(body)]
    assert mentions["Niger"]["count"] == 2


async def test_all_caps_headline_links_names_of_several_words_only(
    editor: httpx.AsyncClient,
) -> None:
    await make_entity(editor, "United Nations", "organization", "UN")
    await make_entity(editor, "Mali", "location")
    await make_entity(editor, "El Ghassim Wane", "person", "Wane")
    article = await post_text(
        editor,
        "UNITED NATIONS WARNS MALI",
        "Support may wane, officials said.",
    )
    mentions = by_name(article)
    # Only in the title: linked, with no span (spans point into the body).
    assert mentions["United Nations"]["spans"] == []
    assert mentions["United Nations"]["count"] == 0
    assert "Mali" not in mentions  # one word: case-sensitive
    assert "El Ghassim Wane" not in mentions  # the verb "wane"


async def test_summary_written_by_the_editor_is_searched_too(editor: httpx.AsyncClient) -> None:
    await make_entity(editor, "Bamako", "location")
    article = await post_text(
        editor, "Quiet day", "Nothing happened.", summary="Calm returned to Bamako."
    )
    assert by_name(article)["Bamako"]["spans"] == []


async def test_one_name_two_entities(editor: httpx.AsyncClient) -> None:
    country = await make_entity(editor, "Jordan", "location")
    person = await make_entity(editor, "Michael Jordan", "person", "Jordan")
    # Nothing in the story says which: neither is linked.
    neither = await post_text(editor, "Visit", "Jordan welcomed the delegation.")
    assert neither["entities"] == []
    # The full name elsewhere settles which Jordan the lone surname is.
    settled = await post_text(editor, "Game", "Michael Jordan scored. Later Jordan rested.")
    assert set(by_name(settled)) == {"Michael Jordan"}
    assert by_name(settled)["Michael Jordan"]["count"] == 2
    # So does the editor naming one of them.
    chosen = await post_text(
        editor, "Border", "Jordan closed the crossing.", entities=[{"id": country["id"]}]
    )
    assert [(m["entity"]["id"], m["source"]) for m in chosen["entities"]] == [
        (country["id"], "manual")
    ]
    assert person["id"] not in {m["entity"]["id"] for m in chosen["entities"]}


async def test_longest_name_wins_and_both_un_and_guterres_link(editor: httpx.AsyncClient) -> None:
    await make_entity(editor, "United Nations", "organization", "UN")
    await make_entity(editor, "António Guterres", "person", "Antonio Guterres", "Guterres")
    await make_entity(editor, "Mali", "location")
    await make_entity(
        editor,
        "MINUSMA",
        "organization",
        "United Nations Multidimensional Integrated Stabilization Mission in Mali",
    )
    body = (
        "UN Secretary-General Antonio Guterres spoke of the United Nations "
        "Multidimensional Integrated Stabilization Mission in Mali."
    )
    mentions = by_name(await post_text(editor, "Speech", body))
    assert set(mentions) == {"United Nations", "António Guterres", "MINUSMA"}
    assert [body[s:e] for s, e in mentions["United Nations"]["spans"]] == ["UN"]


async def test_trashed_entities_do_not_link(editor: httpx.AsyncClient) -> None:
    await make_entity(editor, "Timbuktu", "location")
    first = await post_text(editor, "Trip", "We reached Timbuktu.")
    assert set(by_name(first)) == {"Timbuktu"}
    assert (await editor.delete("/v1/entities/timbuktu")).status_code == 204
    second = await post_text(editor, "Trip again", "We reached Timbuktu again.")
    assert second["entities"] == []
    edited = await editor.patch(f"/v1/articles/{first['slug']}", json={"title": "Trip, edited"})
    assert edited.json()["entities"] == []


# --- manual mentions, updates and the switch ---------------------------------------------------


async def test_manual_mentions_are_kept_next_to_automatic_ones(editor: httpx.AsyncClient) -> None:
    await make_entity(editor, "Mali", "location")
    await make_entity(editor, "Sahel", "location")
    article = await post_text(
        editor,
        "Report",
        "Mali is calm.",
        entities=[{"slug": "sahel"}, {"name": "Tuareg rebels", "type": "organization"}],
    )
    mentions = by_name(article)
    assert {n: m["source"] for n, m in mentions.items()} == {
        "Mali": "auto",
        "Sahel": "manual",
        "Tuareg rebels": "manual",
    }
    assert mentions["Sahel"]["count"] == 0
    assert mentions["Sahel"]["spans"] == []
    # The editor names an entity the text also mentions: manual, with its spans.
    edited = await editor.patch(
        f"/v1/articles/{article['slug']}",
        json={"body": "Mali and the Sahel are calm.", "entities": [{"slug": "mali"}]},
    )
    assert edited.status_code == 200, edited.text
    mentions = by_name(edited.json())
    assert {n: m["source"] for n, m in mentions.items()} == {"Mali": "manual", "Sahel": "auto"}
    assert mentions["Mali"]["spans"] == [[0, 4]]
    # A text edit keeps manual mentions and moves their spans.
    moved = await editor.patch(
        f"/v1/articles/{article['slug']}", json={"body": "Calm: the Sahel and Mali."}
    )
    mentions = by_name(moved.json())
    assert (mentions["Mali"]["source"], mentions["Mali"]["spans"]) == ("manual", [[20, 24]])


async def test_link_entities_false(editor: httpx.AsyncClient) -> None:
    await make_entity(editor, "Mali", "location")
    await make_entity(editor, "Niger", "location")
    off = await post_text(
        editor,
        "Mali and Niger",
        "Mali and Niger.",
        query="?link_entities=false",
        entities=[{"slug": "niger"}],
    )
    assert [(m["entity"]["name"], m["source"]) for m in off["entities"]] == [("Niger", "manual")]
    slug = off["slug"]
    on = await editor.patch(f"/v1/articles/{slug}", json={"section": "world"})
    assert {m["entity"]["name"]: m["source"] for m in on.json()["entities"]} == {
        "Mali": "auto",
        "Niger": "manual",
    }
    # Off, with the text unchanged: earlier automatic mentions stay as they were.
    kept = await editor.patch(f"/v1/articles/{slug}?link_entities=false", json={"section": "x"})
    assert kept.json()["entities"] == on.json()["entities"]
    # Off, with the text changed: they would point at the wrong words, so they go.
    dropped = await editor.put(
        f"/v1/articles/{slug}?link_entities=false",
        json={
            "title": "Niger",
            "body": "Niger, then Mali.",
            "body_format": "text",
            "entities": [{"slug": "niger"}],
        },
    )
    assert dropped.status_code == 200, dropped.text
    assert [(m["entity"]["name"], m["spans"]) for m in dropped.json()["entities"]] == [
        ("Niger", [[0, 5]])
    ]


@pytest.mark.parametrize("value", ["maybe", "2", ""])
async def test_link_entities_must_be_a_boolean(editor: httpx.AsyncClient, value: str) -> None:
    response = await editor.post(f"/v1/articles?link_entities={value}", json={"title": "Anything"})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "query.link_entities"
    assert (await editor.get("/v1/articles")).json()["meta"]["total"] == 0


async def test_link_entities_is_not_a_read_parameter(anon: httpx.AsyncClient) -> None:
    assert (await anon.get("/v1/articles?link_entities=false")).status_code == 422


async def test_restoring_a_revision_links_again(editor: httpx.AsyncClient) -> None:
    await make_entity(editor, "Mali", "location")
    article = await post_text(editor, "First", "Mali.")
    await editor.patch(f"/v1/articles/{article['slug']}", json={"body": "Nothing."})
    restored = await editor.post(f"/v1/articles/{article['slug']}/revisions/1/restore")
    assert restored.status_code == 200, restored.text
    assert by_name(restored.json())["Mali"]["spans"] == [[0, 4]]


# --- freshness ---------------------------------------------------------------------------------


async def test_an_entity_created_after_start_links_in_the_next_write(
    editor: httpx.AsyncClient,
) -> None:
    before = await post_text(editor, "Gao", "Fighting near Gao.")
    assert before["entities"] == []
    await make_entity(editor, "Gao", "location")
    after = await post_text(editor, "Gao again", "Fighting near Gao again.")
    assert by_name(after)["Gao"]["spans"] == [[14, 17]]
    # Writing the first article again, with nothing changed, links it too: a new version.
    again = await editor.patch(f"/v1/articles/{before['slug']}", json={})
    assert again.json()["version"] == 2
    assert by_name(again.json())["Gao"]["source"] == "auto"
    unchanged = await editor.patch(f"/v1/articles/{before['slug']}", json={})
    assert unchanged.json()["version"] == 2


async def test_new_aliases_link_at_once(editor: httpx.AsyncClient) -> None:
    await make_entity(editor, "Kidal", "location")
    await post_text(editor, "Warm up", "Kidal.")
    renamed = await editor.patch("/v1/entities/kidal", json={"aliases": ["Kidal region"]})
    assert renamed.status_code == 200
    article = await post_text(editor, "North", "The Kidal region is tense.")
    assert [m["spans"] for m in article["entities"]] == [[[4, 16]]]


async def test_entity_created_in_the_same_transaction_links(editor: httpx.AsyncClient) -> None:
    await post_text(editor, "Warm up", "Nothing to see.")
    items = [
        {
            "title": "Profile",
            "slug": "profile",
            "body": "A profile.",
            "entities": [{"name": "Boubacar Keita", "type": "person"}],
        },
        {"title": "Speech", "slug": "speech", "body": "<p>Boubacar Keita spoke.</p>"},
    ]
    response = await editor.post(
        "/v1/articles:bulk",
        content=b"".join(orjson.dumps(item) + b"\n" for item in items),
        headers={"content-type": "application/x-ndjson"},
    )
    assert response.status_code == 200, response.text
    speech = (await editor.get("/v1/articles/speech")).json()
    assert [(m["entity"]["name"], m["source"], m["spans"]) for m in speech["entities"]] == [
        ("Boubacar Keita", "auto", [[0, 14]])
    ]


async def test_another_worker_links_a_new_entity_within_the_refresh_interval(
    backend: Backend, editor: httpx.AsyncClient
) -> None:
    async with worker(backend, entity_refresh_seconds=3600) as (app, other):
        warm = await post_text(other, "Warm up", "Menaka is far.")
        assert warm["entities"] == []
        await make_entity(editor, "Menaka", "location")  # through this worker
        # The other worker read the entity set version less than an hour ago.
        stale = await post_text(other, "Menaka", "Menaka is far.")
        assert stale["entities"] == []
        (await index_of(app)).checked_at -= 3600
        fresh = await post_text(other, "Menaka again", "Menaka is far.")
        assert by_name(fresh)["Menaka"]["spans"] == [[0, 6]]


async def test_another_worker_refreshes_by_the_clock(
    backend: Backend, editor: httpx.AsyncClient
) -> None:
    async with worker(backend, entity_refresh_seconds=0.2) as (_app, other):
        await post_text(other, "Warm up", "Nothing.")
        await make_entity(editor, "Ansongo", "location")
        await asyncio.sleep(0.25)
        fresh = await post_text(other, "Ansongo", "Ansongo.")
        assert by_name(fresh)["Ansongo"]["spans"] == [[0, 7]]
        # An entity trashed through another worker is not linked, however fresh the matcher.
        await post_text(other, "Warm up again", "Nothing.")
        assert (await editor.delete("/v1/entities/ansongo")).status_code == 204
        gone = await post_text(other, "Ansongo again", "Ansongo.")
        assert gone["entities"] == []


async def test_a_database_emptied_under_the_matcher_is_read_again(
    backend: Backend, editor: httpx.AsyncClient
) -> None:
    await make_entity(editor, "Alpha Team", "organization")
    assert set(by_name(await post_text(editor, "A", "Alpha Team and Beta Team."))) == {"Alpha Team"}
    # As a restore from a backup would: entities and events gone, counters back at 0.
    async with backend.database.writer() as session, session.begin():
        for table in ("mentions", "article_tags", "article_revisions", "articles"):
            await session.execute(text(f"DELETE FROM {table}"))
        for table in ("entity_names", "entities", "changes", "slug_redirects"):
            await session.execute(text(f"DELETE FROM {table}"))
        await session.execute(text("UPDATE counters SET value = 0"))
    # The same number of entity writes as before: the version alone would not tell.
    await make_entity(editor, "Beta Team", "organization")
    linked = await post_text(editor, "B", "Alpha Team and Beta Team.")
    assert set(by_name(linked)) == {"Beta Team"}


async def test_pending_entities_are_folded_into_the_matcher(
    backend: Backend, editor: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = await index_of(backend.app)
    index.version = None  # read everything again: nothing pending
    index.invalidate()
    await post_text(editor, "Warm up", "Nothing.")
    monkeypatch.setattr(linking_index, "FOLD_AT", 2)
    for name in ("Douentza", "Hombori", "Boni"):
        await make_entity(editor, name, "location")
    # Three pending entities: more than FOLD_AT, so the pending layer is built off the loop.
    first = await post_text(editor, "Road", "From Douentza to Hombori by Boni.")
    assert set(by_name(first)) == {"Douentza", "Hombori", "Boni"}
    fold = index._fold
    assert fold is not None
    await fold
    assert index.snapshot is not None
    assert index.snapshot.pending == {}
    second = await post_text(editor, "Road back", "From Hombori to Douentza.")
    assert [m["spans"] for m in second["entities"]] == [[[5, 12]], [[16, 24]]]


# --- /extract ----------------------------------------------------------------------------------


async def _writes(backend: Backend) -> tuple[int, int, int]:
    async with backend.database.reader() as session:
        return (
            await session.scalar(select(func.count()).select_from(Change)) or 0,
            await session.scalar(select(func.count()).select_from(Entity)) or 0,
            await session.scalar(select(func.count()).select_from(Mention)) or 0,
        )


async def test_extract_finds_known_entities_and_candidates(
    backend: Backend,
    seeded: dict[str, Any],
    seed_article: dict[str, Any],
    anon: httpx.AsyncClient,
) -> None:
    before = await _writes(backend)
    body = seed_article["body"]
    response = await anon.post("/v1/extract", json={"text": body})
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    found = response.json()
    entities = {e["entity"]["name"]: e for e in found["entities"]}
    assert set(entities) == SEED_LINKED
    assert found["entities"][0]["entity"]["name"] == "Mali"  # by first mention
    assert set(found["entities"][0]["entity"]) == {"id", "slug", "name", "type"}
    for item in found["entities"]:
        assert item["count"] == len(item["spans"]) == len(item["text"])
        assert [body[s:e] for s, e in item["spans"]] == item["text"]
    assert set(entities["António Guterres"]["text"]) == {"Antonio Guterres", "Guterres"}
    assert entities["Mali"]["spans"] == by_name(seeded)["Mali"]["spans"]
    candidates = {c["name"]: c for c in found["candidates"]}
    # Names of several words; "Malian" is an adjective, not a name.
    assert candidates == {
        "Foreign Ministry": {
            "name": "Foreign Ministry",
            "count": 1,
            "spans": [[7, 23]],
            "type": "organization",
        }
    }
    assert found["ambiguous"] == []
    assert "Mali" not in candidates
    assert "MINUSMA" not in candidates
    assert await _writes(backend) == before


async def test_extract_with_nothing_known(reader: httpx.AsyncClient) -> None:
    response = await reader.post(
        "/v1/extract", json={"text": "Ousmane Diallo met Aminata Traore.", "language": "fr"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "entities": [],
        "ambiguous": [],
        "candidates": [
            {"name": "Ousmane Diallo", "count": 1, "spans": [[0, 14]]},
            {"name": "Aminata Traore", "count": 1, "spans": [[19, 33]]},
        ],
    }
    empty = await reader.post("/v1/extract", json={"text": ""})
    assert empty.json() == {"entities": [], "ambiguous": [], "candidates": []}


async def test_extract_takes_a_hundred_thousand_characters(editor: httpx.AsyncClient) -> None:
    await make_entity(editor, "Mali", "location")
    text_ = ("Mali " * 20_000)[:100_000]
    response = await editor.post("/v1/extract", json={"text": text_})
    assert response.status_code == 200
    assert response.json()["entities"][0]["count"] == 20_000


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body.text"),
        ({"text": 12}, "body.text"),
        ({"text": None}, "body.text"),
        ({"text": "x" * 100_001}, "body.text"),
        ({"text": "Mali\u0000"}, "body.text"),
        ({"text": "Mali", "language": "not a language"}, "body.language"),
        ({"text": "Mali", "store": True}, "body.store"),
    ],
)
async def test_extract_bad_input_is_422(
    anon: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    response = await anon.post("/v1/extract", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert any(e["field"].startswith(field) for e in response.json()["errors"])


async def test_extract_rejects_what_is_not_json(anon: httpx.AsyncClient) -> None:
    response = await anon.post(
        "/v1/extract", content=b"Mali", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert (await anon.get("/v1/extract")).status_code == 405


async def test_extract_needs_a_key_when_reads_are_private(backend: Backend) -> None:
    async with worker(backend, public_read=False) as (_app, client):
        client.headers.pop("Authorization")
        response = await client.post("/v1/extract", json={"text": "Mali"})
        assert response.status_code == 401
