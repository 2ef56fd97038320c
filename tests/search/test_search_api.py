"""GET /v1/search on both databases: relevance, syntax, visibility, facets, abuse."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, MutableMapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import asyncpg  # type: ignore[import-untyped, unused-ignore]
import httpx
import pytest
from sqlalchemy import JSON, Boolean, Integer, Uuid, column, insert, table, text
from typer.testing import CliRunner

from app.cli import app as cli
from app.core.clock import utcnow
from app.core.config import get_settings
from app.core.db import Database
from app.core.migrations import upgrade
from app.main import create_app
from app.models.base import UTCDateTime
from app.search.backends import base, postgres
from tests.conftest import Backend, _create_pg_database, _drop_pg_database, make_settings
from tests.search.test_query import HOSTILE

# The revision the "search index" migration builds on.
BEFORE_SEARCH_INDEX = "f3d0ba0633ab"
SEED_ENTITIES = (
    "mali",
    "minusma",
    "united-nations",
    "abdoulaye-diop",
    "antonio-guterres",
    "el-ghassim-wane",
    "olivier-salgado",
    "wagner-group",
)

# Stories beside the seed story, each listing the entities its text names, so that
# mentions are the same whether or not automatic linking adds its own.
STORIES: dict[str, dict[str, Any]] = {
    "sahel": {
        "title": "Sahel briefing: the week in review",
        "summary": "Regional news from the Sahel.",
        "body": "Officials in Bamako discussed the peacekeeping budget on Monday.\n\n"
        "Farmers across the region reported a difficult season, and talks on a troop "
        "withdrawal continued elsewhere.\n\nIn Mali, markets reopened after the holiday.",
        "section": "world/africa",
        "published_at": "2023-06-20T08:00:00Z",
        "tags": ["Sahel security"],
        "entities": [{"slug": "mali"}],
    },
    "drought": {
        "title": "Drought grips farmers in Kenya",
        "summary": "Crops failed across the north.",
        "body": "Crops failed across the north as the rains did not come.\n\n"
        "The UN Security Council was briefed on the crisis.",
        "section": "world/africa",
        "published_at": "2023-07-01T08:00:00Z",
        "tags": ["Climate"],
        "entities": [{"slug": "united-nations"}],
    },
    "weather": {
        "title": "Weather roundup",
        "summary": "Sun in the south, rain in the west.",
        "body": "Sunny skies in the south, while a drought continues in the north.\n\n"
        "Aid agencies announced withdrawals of staff from two districts.",
        "section": "climate",
        "published_at": "2023-07-02T08:00:00Z",
        "tags": ["Climate"],
    },
    "council": {
        "title": "Security talks resume",
        "summary": "Officials met again.",
        "body": "The security of the border was discussed on Friday by the regional council.",
        "section": "politics",
        "published_at": "2023-07-03T08:00:00Z",
        "tags": ["Diplomacy"],
    },
    "ceasefire": {
        "title": "Ceasefire holds in Sudan",
        "summary": "Convoys moved on Tuesday.",
        "body": "Guterres welcomed the ceasefire.\n\nAid convoys moved towards Khartoum.",
        "section": "world/africa",
        "published_at": "2023-07-04T08:00:00Z",
        "tags": ["Diplomacy"],
        "entities": [{"slug": "antonio-guterres"}],
    },
}
# Only editors may find these.
HIDDEN: dict[str, dict[str, Any]] = {
    "draft": {
        "title": "Zeppelin sightings over Mali",
        "body": "A zeppelin was seen over Mali.",
        "status": "draft",
        "section": "world/africa",
        "tags": ["Mali"],
        "entities": [{"slug": "mali"}],
    },
    "scheduled": {
        "title": "Zeppelin museum opens",
        "body": "The zeppelin museum opens to the public.",
        "status": "published",
        "published_at": "2099-01-01T00:00:00Z",
        "section": "culture",
    },
}


def published(payload: dict[str, Any]) -> dict[str, Any]:
    return {"body_format": "text", "status": "published", **payload}


@pytest.fixture
async def corpus(
    editor: httpx.AsyncClient,
    seed_article: dict[str, Any],
    seed_entities: list[dict[str, Any]],
) -> dict[str, dict[str, Any]]:
    """The seed story (as "seed"), the stories above and the hidden ones, by name."""
    for entity in seed_entities:
        response = await editor.post("/v1/entities", json=entity)
        assert response.status_code == 201, response.text
    payloads = {
        "seed": {**seed_article, "entities": [{"slug": slug} for slug in SEED_ENTITIES]},
        **STORIES,
        **HIDDEN,
    }
    stored = {}
    for name, payload in payloads.items():
        response = await editor.post("/v1/articles", json=published(payload))
        assert response.status_code == 201, response.text
        stored[name] = response.json()
    return stored


async def search(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get("/v1/search", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def names(body: dict[str, Any], corpus: dict[str, dict[str, Any]]) -> list[str]:
    by_id = {article["id"]: name for name, article in corpus.items()}
    return [by_id[hit["id"]] for hit in body["data"]]


# Relevance and syntax


async def test_seed_story_comes_first(
    corpus: dict[str, dict[str, Any]], anon: httpx.AsyncClient
) -> None:
    body = await search(anon, q="peacekeeping withdrawal Mali")
    assert names(body, corpus) == ["seed", "sahel"]
    assert body["meta"]["total"] == 2
    scores = [hit["score"] for hit in body["data"]]
    assert scores == sorted(scores, reverse=True)
    assert scores[-1] > 0


async def test_title_match_outranks_body_only_match(
    corpus: dict[str, dict[str, Any]], anon: httpx.AsyncClient
) -> None:
    body = await search(anon, q="drought")
    assert names(body, corpus) == ["drought", "weather"]
    assert body["data"][0]["score"] > body["data"][1]["score"]


async def test_phrase_needs_the_words_together(
    corpus: dict[str, dict[str, Any]], anon: httpx.AsyncClient
) -> None:
    assert names(await search(anon, q='"security council"'), corpus) == ["drought"]
    words = await search(anon, q="security council")
    assert set(names(words, corpus)) == {"drought", "council"}


async def test_or_finds_either(corpus: dict[str, dict[str, Any]], anon: httpx.AsyncClient) -> None:
    body = await search(anon, q="ceasefire OR drought", sort="-published_at")
    assert names(body, corpus) == ["ceasefire", "weather", "drought"]


async def test_exclusion(corpus: dict[str, dict[str, Any]], anon: httpx.AsyncClient) -> None:
    assert set(names(await search(anon, q="mali"), corpus)) == {"seed", "sahel"}
    assert names(await search(anon, q="mali -wagner"), corpus) == ["sahel"]
    assert names(await search(anon, q='mali -"troop withdrawal"'), corpus) == ["seed"]


async def test_stemming(corpus: dict[str, dict[str, Any]], anon: httpx.AsyncClient) -> None:
    expected = {"seed", "sahel", "weather"}
    assert set(names(await search(anon, q="withdrawals"), corpus)) == expected
    assert set(names(await search(anon, q="withdrawal"), corpus)) == expected


async def test_diacritics_and_case_are_ignored(
    corpus: dict[str, dict[str, Any]], anon: httpx.AsyncClient
) -> None:
    assert set(names(await search(anon, q="GUTERRES"), corpus)) == {"seed", "ceasefire"}
    assert set(names(await search(anon, q="antonio"), corpus)) == {"seed"}


async def test_sort_newest_first(
    corpus: dict[str, dict[str, Any]], anon: httpx.AsyncClient
) -> None:
    body = await search(anon, q="mali OR drought OR ceasefire", sort="-published_at")
    assert names(body, corpus) == ["ceasefire", "weather", "drought", "sahel", "seed"]
    assert all(hit["score"] > 0 for hit in body["data"])


# Hits


async def test_hit_shape_and_highlights(
    corpus: dict[str, dict[str, Any]], anon: httpx.AsyncClient
) -> None:
    body = await search(anon, q="withdrawals mission")
    (hit,) = body["data"]
    assert hit["id"] == corpus["seed"]["id"]
    assert hit["slug"] == corpus["seed"]["slug"]
    assert "body_text" not in hit
    assert "body_html" not in hit
    assert [tag["slug"] for tag in hit["tags"]] == ["mali", "un-peacekeeping", "sahel-security"]
    highlights = hit["highlights"]
    assert highlights["title"] == (
        "Mali Demands Expulsion of UN Peacekeeping <mark>Mission</mark> Amid Security Concerns"
    )
    assert "<mark>withdrawal</mark>" in highlights["summary"]
    snippet = highlights["body"]
    assert "<mark>withdrawal</mark>" in snippet
    assert len(re.sub(r"</?mark>", "", snippet)) <= 250


async def test_highlights_escape_html_and_null_without_a_body_match(
    editor: httpx.AsyncClient,
) -> None:
    response = await editor.post(
        "/v1/articles",
        json=published(
            {
                "title": 'Tariffs <b>rise</b> & "trade"',
                "summary": "Prices rose.",
                "body": "Nothing about it here.",
                "published_at": "2023-01-01T00:00:00Z",
            }
        ),
    )
    assert response.status_code == 201
    (hit,) = (await search(editor, q="tariffs"))["data"]
    assert hit["highlights"] == {
        "title": "<mark>Tariffs</mark> &lt;b&gt;rise&lt;/b&gt; &amp; &quot;trade&quot;",
        "summary": "Prices rose.",
        "body": None,
    }


async def test_sparse_fields_keep_score_highlights_and_matched_entities(
    corpus: dict[str, dict[str, Any]], anon: httpx.AsyncClient
) -> None:
    body = await search(anon, q="ceasefire", fields="id,title,body_text")
    (hit,) = body["data"]
    assert set(hit) == {
        "id",
        "slug",
        "title",
        "body_text",
        "score",
        "highlights",
        "matched_entities",
    }
    assert hit["body_text"].startswith("Guterres welcomed")


async def test_article_filters_apply(
    corpus: dict[str, dict[str, Any]], anon: httpx.AsyncClient
) -> None:
    query = "mali OR drought OR ceasefire"
    assert set(names(await search(anon, q=query, tag="climate"), corpus)) == {"drought", "weather"}
    assert set(names(await search(anon, q=query, section="world"), corpus)) == {
        "seed",
        "sahel",
        "drought",
        "ceasefire",
    }
    guterres = await search(anon, q=query, entity="antonio-guterres")
    assert set(names(guterres, corpus)) == {"seed", "ceasefire"}
    body = await search(anon, q=query, published_before="2023-07-01T12:00:00Z")
    assert set(names(body, corpus)) == {"seed", "sahel", "drought"}
    assert body["meta"]["total"] == 3


# Visibility and freshness


async def test_readers_never_find_drafts_or_scheduled(
    corpus: dict[str, dict[str, Any]], anon: httpx.AsyncClient, reader: httpx.AsyncClient
) -> None:
    for client in (anon, reader):
        body = await search(client, q="zeppelin", facets="tag,section")
        assert body["data"] == []
        assert body["meta"]["total"] == 0
        assert body["meta"]["facets"] == {"tag": [], "section": []}
        status = await search(client, q="zeppelin", status="draft")
        assert status["meta"]["total"] == 0


async def test_editors_find_drafts_and_scheduled(
    corpus: dict[str, dict[str, Any]], editor: httpx.AsyncClient
) -> None:
    body = await search(editor, q="zeppelin")
    assert set(names(body, corpus)) == {"draft", "scheduled"}
    newest = await search(editor, q="zeppelin", sort="-published_at")
    assert names(newest, corpus)[0] == "scheduled"
    drafts = await search(editor, q="zeppelin", status="draft")
    assert names(drafts, corpus) == ["draft"]


async def test_an_article_is_findable_as_soon_as_its_write_returns(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    response = await editor.post(
        "/v1/articles",
        json=published({"title": "Quokka census", "body": "Island counts quokkas."}),
    )
    article = response.json()
    assert names_of(await search(anon, q="quokka")) == [article["id"]]

    response = await editor.patch(
        f"/v1/articles/{article['id']}", json={"title": "Wombat census", "body": "Wombats."}
    )
    assert response.status_code == 200
    assert (await search(anon, q="quokka"))["data"] == []
    assert names_of(await search(anon, q="wombat")) == [article["id"]]

    response = await editor.patch(f"/v1/articles/{article['id']}", json={"status": "draft"})
    assert response.status_code == 200
    assert (await search(anon, q="wombat"))["data"] == []
    assert names_of(await search(editor, q="wombat")) == [article["id"]]

    response = await editor.delete(f"/v1/articles/{article['id']}")
    assert response.status_code == 204
    assert (await search(editor, q="wombat"))["data"] == []


async def test_kept_search_pages_follow_writes_and_scheduled_releases(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    async def found() -> set[str]:
        # Asked three times: readers' pages are kept from the second time they are made.
        bodies = [await search(anon, q="quokka") for _ in range(3)]
        assert bodies[1] == bodies[2]
        assert bodies[2]["meta"]["total"] == len(bodies[2]["data"])
        return set(names_of(bodies[2]))

    async def post(title: str, **fields: Any) -> str:
        payload = published({"title": title, "body": "Island counts quokkas."}) | fields
        response = await editor.post("/v1/articles", json=payload)
        assert response.status_code == 201, response.text
        article_id: str = response.json()["id"]
        return article_id

    first = await post("Quokka census")
    # Far enough ahead for the searches before it on a busy machine.
    soon = datetime.now(UTC) + timedelta(seconds=5)
    scheduled = await post("Quokka count scheduled", published_at=soon.isoformat())
    assert await found() == {first}
    second = await post("Quokka recount")
    assert await found() == {first, second}
    await asyncio.sleep((soon - datetime.now(UTC)).total_seconds() + 0.1)
    assert await found() == {first, second, scheduled}
    private = await search(editor, q="quokka")
    assert private["meta"]["total"] == 3


async def test_purged_article_leaves_the_index(
    editor: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    created = await editor.post(
        "/v1/articles", json=published({"title": "Narwhal tusks", "body": "Narwhals."})
    )
    other = await editor.post(
        "/v1/articles", json=published({"title": "Narwhal songs", "body": "More narwhals."})
    )
    response = await admin.delete(f"/v1/articles/{created.json()['id']}", params={"purge": "true"})
    assert response.status_code == 204
    body = await search(admin, q="narwhal")
    assert names_of(body) == [other.json()["id"]]
    assert body["meta"]["total"] == 1


def names_of(body: dict[str, Any]) -> list[str]:
    return [hit["id"] for hit in body["data"]]


# Facets and entities


async def test_facets_count_every_match_not_just_the_page(
    corpus: dict[str, dict[str, Any]], anon: httpx.AsyncClient
) -> None:
    body = await search(anon, q="mali", facets="tag,entity,section,type", limit=1)
    assert len(body["data"]) == 1
    assert body["meta"]["total"] == 2
    facets = body["meta"]["facets"]
    assert facets["tag"] == [
        {"slug": "sahel-security", "name": "Sahel security", "count": 2},
        {"slug": "mali", "name": "Mali", "count": 1},
        {"slug": "un-peacekeeping", "name": "UN peacekeeping", "count": 1},
    ]
    assert facets["entity"][0] == {"slug": "mali", "name": "Mali", "count": 2}
    assert [item["slug"] for item in facets["entity"][1:]] == [
        "abdoulaye-diop",
        "antonio-guterres",
        "el-ghassim-wane",
        "minusma",
        "olivier-salgado",
        "united-nations",
        "wagner-group",
    ]
    assert {item["count"] for item in facets["entity"][1:]} == {1}
    assert facets["section"] == [{"slug": "world/africa", "name": "world/africa", "count": 2}]
    assert facets["type"] == [
        {"slug": "location", "name": "location", "count": 2},
        {"slug": "organization", "name": "organization", "count": 1},
        {"slug": "person", "name": "person", "count": 1},
    ]


async def test_facets_for_editors_count_drafts(
    corpus: dict[str, dict[str, Any]], editor: httpx.AsyncClient
) -> None:
    body = await search(editor, q="mali", facets="tag,section")
    assert body["meta"]["total"] == 3
    assert body["meta"]["facets"]["tag"][:2] == [
        {"slug": "mali", "name": "Mali", "count": 2},
        {"slug": "sahel-security", "name": "Sahel security", "count": 2},
    ]
    assert body["meta"]["facets"]["section"] == [
        {"slug": "world/africa", "name": "world/africa", "count": 3}
    ]
    assert "entity" not in body["meta"]["facets"]


async def test_facets_only_when_asked(
    corpus: dict[str, dict[str, Any]], anon: httpx.AsyncClient
) -> None:
    assert "facets" not in (await search(anon, q="mali"))["meta"]


ENTITY_QUERIES = {
    "guterres": ["antonio-guterres"],
    "António Guterres": ["antonio-guterres"],
    "peacekeeping withdrawal Mali": ["mali"],
    '"abdoulaye diop" OR un': ["abdoulaye-diop", "united-nations"],
    "zanzibar": [],
}


async def test_meta_entities_names_the_entities_the_query_names(
    corpus: dict[str, dict[str, Any]], anon: httpx.AsyncClient
) -> None:
    for q, expected in ENTITY_QUERIES.items():
        entities = (await search(anon, q=q))["meta"]["entities"]
        assert [entity["slug"] for entity in entities] == expected, q
        for entity in entities:
            assert set(entity) == {"id", "slug", "name", "type", "searched"}


async def test_an_alias_finds_the_stories_linked_to_its_entity(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient, seed_entities: list[dict[str, Any]]
) -> None:
    # Stored before the entity is known: nothing links it.
    unlinked = await editor.post(
        "/v1/articles",
        json=published({"title": "United Nations Avenue repaved", "body": "Road works."}),
    )
    assert unlinked.status_code == 201, unlinked.text
    for entity in seed_entities:
        response = await editor.post("/v1/entities", json=entity)
        assert response.status_code == 201, response.text
    stories = {
        "linked": {"title": "United Nations agency warns of famine", "body": "Aid is short."},
        "typed": {"title": "Flights to the UN summit", "body": "Airlines added seats."},
        "guterres": {
            "title": "The United Nations chief visits Bamako",
            "body": "António Guterres met officials.",
        },
        "other": {"title": "Nations league final", "body": "A united team won."},
    }
    ids = {unlinked.json()["id"]: "unlinked"}
    for name, payload in stories.items():
        response = await editor.post("/v1/articles", json=published(payload))
        assert response.status_code == 201, response.text
        ids[response.json()["id"]] = name
    body = await search(anon, q="UN")
    assert {ids[hit["id"]] for hit in body["data"]} == {"linked", "typed", "guterres"}
    assert body["meta"]["total"] == 3
    by_name = {ids[hit["id"]]: hit for hit in body["data"]}
    assert by_name["linked"]["matched_entities"] == ["united-nations"]
    assert by_name["linked"]["highlights"]["title"].startswith(
        "<mark>United</mark> <mark>Nations</mark> agency"
    )
    [entity] = body["meta"]["entities"]
    assert (entity["slug"], entity["searched"]) == ("united-nations", True)
    both = await search(anon, q="UN Guterres")
    assert [ids[hit["id"]] for hit in both["data"]] == ["guterres"]
    assert sorted(both["data"][0]["matched_entities"]) == ["antonio-guterres", "united-nations"]
    # Typed as two words, the name matches as the words did before, and the links too.
    spelled = await search(anon, q="united nations")
    assert {ids[hit["id"]] for hit in spelled["data"]} == {
        "unlinked",
        "linked",
        "typed",
        "guterres",
        "other",
    }
    # Excluding the entity's name excludes only what is typed.
    assert {ids[hit["id"]] for hit in (await search(anon, q="UN -famine"))["data"]} == {
        "typed",
        "guterres",
    }
    # A word that names no entity: no links, nothing marked.
    plain = await search(anon, q="airlines")
    assert plain["data"][0]["matched_entities"] == []
    assert plain["meta"]["entities"] == []


async def test_a_surname_finds_what_says_it_and_the_stories_linked_by_another_name(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    """Names that say what was typed ("Amara Garcia" for "garcia") find nothing more than
    the typed word; another name of the entity ("Amara") widens the search to the stories
    linked to it."""
    response = await editor.post(
        "/v1/entities",
        json={"name": "Amara Garcia", "type": "person", "aliases": ["Garcia", "Amara"]},
    )
    assert response.status_code == 201, response.text
    stories: dict[str, dict[str, Any]] = {
        "surname": {"title": "Garcia wins the vote", "body": "A close count."},
        "full": {"title": "Amara Garcia speaks in Bamako", "body": "On the harvest."},
        "alias": {
            "title": "Amara speaks again",
            "body": "On the roads.",
            "entities": [{"slug": "amara-garcia"}],
        },
        "other": {"title": "Amaranth grows well", "body": "A good year."},
    }
    ids = {}
    for name, payload in stories.items():
        created = await editor.post("/v1/articles", json=published(payload))
        assert created.status_code == 201, created.text
        ids[created.json()["id"]] = name
    body = await search(anon, q="garcia")
    assert {ids[hit["id"]] for hit in body["data"]} == {"surname", "full", "alias"}
    assert body["meta"]["total"] == 3
    [entity] = body["meta"]["entities"]
    assert (entity["slug"], entity["searched"]) == ("amara-garcia", True)


async def test_meta_entities_leave_out_trashed_entities(
    corpus: dict[str, dict[str, Any]], editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    response = await editor.delete("/v1/entities/antonio-guterres")
    assert response.status_code == 204
    assert (await search(anon, q="guterres"))["meta"]["entities"] == []


# Paging


async def test_relevance_cursor_walks_every_hit_once(
    corpus: dict[str, dict[str, Any]], anon: httpx.AsyncClient
) -> None:
    query = "mali OR drought OR ceasefire OR security"
    everything = await search(anon, q=query, limit=100)
    seen: list[str] = []
    params: dict[str, Any] = {"q": query, "limit": 2}
    while True:
        body = await search(anon, **params)
        assert body["meta"]["total"] == everything["meta"]["total"]
        seen += names_of(body)
        if body["meta"]["next_cursor"] is None:
            assert body["links"]["next"] is None
            break
        assert body["links"]["next"].startswith("http://testserver/v1/search?")
        params["cursor"] = body["meta"]["next_cursor"]
    assert seen == names_of(everything)
    assert len(seen) == everything["meta"]["total"] == 6


async def test_offset_and_newest_first_cursor(
    corpus: dict[str, dict[str, Any]], anon: httpx.AsyncClient
) -> None:
    query = "mali OR drought OR ceasefire OR security"
    everything = names_of(await search(anon, q=query, limit=100, sort="-published_at"))
    assert (
        names_of(await search(anon, q=query, offset=2, limit=2))
        == names_of(await search(anon, q=query, limit=100))[2:4]
    )
    first = await search(anon, q=query, limit=4, sort="-published_at")
    rest = await search(
        anon, q=query, limit=4, sort="-published_at", cursor=first["meta"]["next_cursor"]
    )
    assert names_of(first) + names_of(rest) == everything


async def test_past_the_last_hit(
    corpus: dict[str, dict[str, Any]], anon: httpx.AsyncClient
) -> None:
    body = await search(anon, q="mali", offset=5)
    assert body["data"] == []
    assert body["meta"]["total"] == 2


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "WyJyZWxldmFuY2UiXQ",  # ["relevance"]
        "WyJyZWxldmFuY2UiLCJ4Il0",  # ["relevance","x"]
        "WyJyZWxldmFuY2UiLC0xXQ",  # ["relevance",-1]
        "WyJyZWxldmFuY2UiLHRydWVd",  # ["relevance",true]
        "WyJyZWxldmFuY2UiLDk5OTk5OV0",  # ["relevance",999999]
        "WyItcHVibGlzaGVkX2F0IiwxLDJd",  # ["-published_at",1,2]
    ],
)
async def test_forged_relevance_cursor_is_422(anon: httpx.AsyncClient, cursor: str) -> None:
    response = await anon.get("/v1/search", params={"q": "mali", "cursor": cursor})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "cursor"]


async def test_forged_date_cursor_is_422(anon: httpx.AsyncClient) -> None:
    response = await anon.get(
        "/v1/search",
        params={"q": "mali", "sort": "-published_at", "cursor": "WyJyZWxldmFuY2UiLDJd"},
    )
    assert response.status_code == 422


# Bad and hostile input


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "x" * 501}, "q"),
        ({"q": "mali", "sort": "title"}, "sort"),
        ({"q": "mali", "facets": "tag,colour"}, "facets"),
        ({"q": "mali", "facets": ","}, "facets"),
        ({"q": "mali", "fields": "id,secret"}, "fields"),
        ({"q": "mali", "limit": 101}, "limit"),
        ({"q": "mali", "offset": 10_001}, "offset"),
        ({"q": "mali", "offset": 1, "cursor": "x"}, "cursor"),
        ({"q": "mali", "published_after": "yesterday"}, "published_after"),
        ({"q": "mali", "query": "mali"}, "query"),
    ],
)
async def test_bad_parameters_are_422(
    anon: httpx.AsyncClient, params: dict[str, Any], field: str
) -> None:
    response = await anon.get("/v1/search", params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert ["query", field] in [error["loc"] for error in response.json()["errors"]]


async def test_500_characters_is_allowed(
    corpus: dict[str, dict[str, Any]], anon: httpx.AsyncClient
) -> None:
    body = await search(anon, q=("mali " * 100)[:500])
    assert set(names(body, corpus)) == {"seed", "sahel"}


HOSTILE_TOO = ["-", "NOT", "OR", "NEAR(mali", "mali*", "^mali", "mali:", "\\mali\\", "\t\r\n"]


async def test_hostile_queries_answer_200_or_422(
    corpus: dict[str, dict[str, Any]], anon: httpx.AsyncClient
) -> None:
    # One test over every input, so the corpus is loaded once per database.
    for q in [*HOSTILE, *HOSTILE_TOO]:
        raw = quote(q.encode("utf-8", "surrogatepass"), safe="")
        response = await anon.get(f"/v1/search?q={raw}&facets=tag,entity,section,type")
        # Every query parameter refuses NUL (app/core/params.py).
        refused = len(q) > 500 or "\x00" in q
        assert response.status_code == (422 if refused else 200), (q[:40], response.text)
        body = response.json()
        if refused:
            assert body["errors"][0]["loc"] == ["query", "q"]
        else:
            assert body["meta"]["total"] == len(body["data"])


async def test_control_characters_are_stripped(
    corpus: dict[str, dict[str, Any]], anon: httpx.AsyncClient
) -> None:
    response = await anon.get("/v1/search?q=%01mali%1f%7f")
    assert response.status_code == 200
    assert set(names(response.json(), corpus)) == {"seed", "sahel"}
    response = await anon.get("/v1/search?q=mali%00")
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "q"]


async def test_a_query_that_asks_for_nothing_finds_nothing(
    corpus: dict[str, dict[str, Any]], anon: httpx.AsyncClient
) -> None:
    for q in ("   ", "-mali", "OR", '""', "🙂"):
        body = await search(anon, q=q, facets="type")
        assert body["data"] == []
        assert body["meta"]["total"] == 0
        assert body["meta"]["facets"] == {"type": []}
        assert body["meta"]["entities"] == []


async def test_non_latin_scripts_are_found(editor: httpx.AsyncClient) -> None:
    response = await editor.post(
        "/v1/articles",
        json=published({"title": "مالي والأمم المتحدة", "body": "马里 联合国 Ελλάδα"}),
    )
    assert response.status_code == 201
    for q in ("مالي", "马里", "ελλάδα"):
        assert names_of(await search(editor, q=q)) == [response.json()["id"]], q


# HTTP


async def test_public_and_private_cache_headers(
    corpus: dict[str, dict[str, Any]], anon: httpx.AsyncClient, editor: httpx.AsyncClient
) -> None:
    response = await anon.get("/v1/search", params={"q": "mali"})
    assert response.headers["cache-control"].startswith("public, max-age=")
    etag = response.headers["etag"]
    again = await anon.get("/v1/search", params={"q": "mali"}, headers={"If-None-Match": etag})
    assert again.status_code == 304
    private = await editor.get("/v1/search", params={"q": "mali"})
    assert private.headers["cache-control"] == "private, no-store"


async def test_statement_timeout_is_a_503(
    backend: Backend, corpus: dict[str, dict[str, Any]]
) -> None:
    if backend.name != "postgresql":
        pytest.skip("a PostgreSQL table lock; SQLite's time limit: tests/core/test_statistics.py")
    app = create_app(make_settings(backend.url, statement_timeout_ms=200))
    async with app.router.lifespan_context(app):
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
            base_url="http://testserver",
        )
        # A search waiting on a lock counts against its timeout like a slow one.
        locker = await asyncpg.connect(backend.url.replace("+asyncpg", ""))
        try:
            async with locker.transaction():
                await locker.execute("LOCK TABLE articles IN ACCESS EXCLUSIVE MODE")
                response = await client.get("/v1/search", params={"q": "mali"})
        finally:
            await locker.close()
            await client.aclose()
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"]


# The index itself


async def test_lede_reindex_rebuilds_the_index(
    backend: Backend,
    corpus: dict[str, dict[str, Any]],
    anon: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if backend.name == "sqlite":
        async with backend.database.writer() as session, session.begin():
            await session.execute(
                text("INSERT INTO articles_fts (articles_fts) VALUES ('delete-all')")
            )
        # Asked twice: a page readers ask again is kept.
        for _ in range(2):
            assert (await search(anon, q="mali"))["data"] == []
    monkeypatch.setenv("LEDE_DATABASE_URL", backend.url)
    get_settings.cache_clear()
    try:
        # The command runs its own event loop, so it cannot share the test's.
        result = await asyncio.to_thread(CliRunner().invoke, cli, ["reindex"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "index" in result.output
    assert set(names(await search(anon, q="mali"), corpus)) == {"seed", "sahel"}


async def test_the_best_old_story_beats_many_weak_new_ones(
    corpus: dict[str, dict[str, Any]], editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    for day in range(1, 29):
        weak = {
            "title": f"Market report {day}",
            "body": f"Prices moved on day {day}.\n\nA zebra crossing was repainted.",
            "published_at": f"2024-02-{day:02d}T08:00:00Z",
        }
        response = await editor.post("/v1/articles", json=published(weak))
        assert response.status_code == 201, response.text
    best = {
        "title": "Zebra migration reaches the Mara",
        "summary": "The zebra herds crossed the river.",
        "body": "Zebra by the thousand crossed the Mara river.",
        "published_at": "2019-08-01T08:00:00Z",
    }
    response = await editor.post("/v1/articles", json=published(best))
    assert response.status_code == 201, response.text
    body = await search(anon, q="zebra", limit=5)
    assert body["data"][0]["id"] == response.json()["id"]
    assert body["meta"]["total"] == 29
    # The weak ones follow, newest first: they tie.
    dates = [hit["published_at"] for hit in body["data"][1:]]
    assert dates == sorted(dates, reverse=True)
    assert dates[0].startswith("2024-02-28")


async def test_ties_go_to_the_newer_story_on_every_page(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    ids = []
    for day in (3, 9, 1, 7, 5, 2, 8, 4, 6):
        same = {
            "title": "Harbour notice",
            "body": "The quay is closed for repairs.",
            "published_at": f"2024-03-{day:02d}T08:00:00Z",
        }
        response = await editor.post("/v1/articles", json=published(same))
        assert response.status_code == 201, response.text
        ids.append((day, response.json()["id"]))
    newest_first = [article_id for _day, article_id in sorted(ids, reverse=True)]
    paged: list[str] = []
    for offset in range(0, 9, 2):
        page = await search(anon, q="quay", limit=2, offset=offset)
        assert page["meta"]["total"] == 9
        paged += names_of(page)
    assert paged == newest_first


@pytest.mark.parametrize("word", ["report", "reports"])
async def test_a_word_in_most_stories_ranks_title_then_summary_then_body(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient, word: str
) -> None:
    long_body = " ".join(["The report said more than the last report."] * 40)
    stories = {
        "body": {"title": "Floods close roads", "body": long_body, "summary": "Roads shut."},
        "summary": {"title": "Bridges close", "summary": "A report on bridges.", "body": "Shut."},
        "title": {"title": "Report on schools", "summary": "Schools shut.", "body": "Closed."},
    }
    for index in range(5):
        stories[f"filler {index}"] = {
            "title": f"Bulletin {index}",
            "summary": "Briefly.",
            "body": f"A report, number {index}, again and again: report after report.",
        }
    ids = {}
    for name, payload in stories.items():
        response = await editor.post("/v1/articles", json=published(payload))
        assert response.status_code == 201, response.text
        ids[response.json()["id"]] = name
    body = await search(anon, q=word)
    order = [ids[hit["id"]] for hit in body["data"]]
    assert order[:2] == ["title", "summary"]
    assert order.index("body") > 1
    scores = [hit["score"] for hit in body["data"]]
    # Not flattened to nothing.
    assert scores[0] > scores[1] > scores[order.index("body")] > 0.01


async def test_rum_and_gin_find_the_same_stories(
    backend: Backend,
    corpus: dict[str, dict[str, Any]],
    anon: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if backend.name != "postgresql":
        pytest.skip("PostgreSQL only")
    queries = ["mali OR drought OR ceasefire OR security", "mali", '"peacekeeping mission"']
    with_index = [await search(anon, q=q, limit=100) for q in queries]

    async def no_rum(_session: Any) -> bool:
        return False

    monkeypatch.setattr(postgres, "has_rum", no_rum)
    for q, indexed in zip(queries, with_index, strict=True):
        ranked = await search(anon, q=q, limit=100)
        assert set(names_of(ranked)) == set(names_of(indexed))
        assert ranked["meta"]["total"] == indexed["meta"]["total"] == len(names_of(indexed))
        assert names_of(ranked)[:1] == names_of(indexed)[:1]


@pytest.fixture(params=["sqlite", "postgresql"])
async def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.db'}"
        return
    name, url = await _create_pg_database()
    try:
        yield url
    finally:
        await _drop_pg_database(name)


async def test_migration_indexes_the_articles_already_stored(empty_url: str) -> None:
    await asyncio.to_thread(upgrade, empty_url, BEFORE_SEARCH_INDEX)
    # The columns the table had before the search index, whatever later revisions add.
    articles = table(
        "articles",
        *(column(name) for name in ("slug", "title", "summary", "body", "body_format")),
        *(column(name) for name in ("body_html", "body_text", "language", "status")),
        column("id", Uuid()),
        column("authors", JSON()),
        column("summary_derived", Boolean()),
        *(column(name, Integer()) for name in ("word_count", "reading_time_minutes", "version")),
        *(column(name, UTCDateTime()) for name in ("published_at", "created_at", "updated_at")),
    )
    now = utcnow()
    database = Database.from_settings(make_settings(empty_url))
    try:
        async with database.writer() as session, session.begin():
            await session.execute(
                insert(articles).values(
                    id=uuid.uuid4(),
                    slug="okapi",
                    title="Okapi sighted",
                    summary=None,
                    body="",
                    body_format="text",
                    body_html="",
                    body_text="Rangers saw an okapi.",
                    language="en",
                    status="published",
                    authors=[],
                    summary_derived=False,
                    word_count=4,
                    reading_time_minutes=1,
                    version=1,
                    published_at=now,
                    created_at=now,
                    updated_at=now,
                )
            )
    finally:
        await database.dispose()
    await asyncio.to_thread(upgrade, empty_url)
    app = create_app(make_settings(empty_url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            body = await search(client, q="okapis")
    assert [hit["slug"] for hit in body["data"]] == ["okapi"]


async def test_newest_first_is_the_same_for_many_matches(
    corpus: dict[str, dict[str, Any]], anon: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    query = "mali OR drought OR ceasefire OR security"
    expected = await search(anon, q=query, sort="-published_at", limit=3)
    monkeypatch.setattr(base, "MANY", 1)
    walked = await search(anon, q=query, sort="-published_at", limit=3)
    assert names_of(walked) == names_of(expected)
    assert [hit["score"] for hit in walked["data"]] == [hit["score"] for hit in expected["data"]]
    rest = await search(
        anon, q=query, sort="-published_at", limit=3, cursor=walked["meta"]["next_cursor"]
    )
    assert names(walked, corpus) + names(rest, corpus) == [
        "ceasefire",
        "council",
        "weather",
        "drought",
        "sahel",
        "seed",
    ]


# Abandoned searches

SLEEPING = (
    "SELECT count(*) FROM pg_stat_activity"
    " WHERE datname = current_database() AND state = 'active' AND query LIKE '%pg_sleep%'"
    " AND pid <> pg_backend_pid()"
)


async def _until(check: Any, *, seconds: float) -> bool:
    """Whether ``check()`` comes true within ``seconds``."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def test_a_search_the_client_abandons_is_cancelled_in_the_database(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend.name != "postgresql":
        pytest.skip("SQLite answers from this process: nothing keeps running elsewhere")

    async def slow_rank(*args: Any, **kwargs: Any) -> Any:
        session = args[1]
        await session.execute(text("SELECT pg_sleep(60)"))
        raise AssertionError("the search was not cancelled")

    monkeypatch.setattr(postgres.PostgresBackend, "rank", slow_rank)
    gone = asyncio.Event()
    request_messages = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive() -> dict[str, Any]:
        if request_messages:
            return request_messages.pop()
        await gone.wait()
        return {"type": "http.disconnect"}

    sent: list[MutableMapping[str, Any]] = []

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/v1/search",
        "raw_path": b"/v1/search",
        "query_string": b"q=mali",
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    # Well past the test's patience: only the cancellation can end the query in time.
    app = create_app(make_settings(backend.url, statement_timeout_ms=120_000, database_pool_size=1))
    observer = await asyncpg.connect(backend.url.replace("+asyncpg", ""))

    async def sleeping() -> bool:
        return bool(await observer.fetchval(SLEEPING))

    async def idle() -> bool:
        return not await sleeping()

    try:
        async with app.router.lifespan_context(app):
            served = asyncio.create_task(app(scope, receive, send))
            assert await _until(sleeping, seconds=10)
            gone.set()
            await asyncio.wait_for(served, timeout=10)
            assert await _until(idle, seconds=2)
            # The connection that ran it serves the next search.
            monkeypatch.undo()
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as after:
                await search(after, q="mali")
    finally:
        await observer.close()
    assert [message["status"] for message in sent if "status" in message] == [499]
