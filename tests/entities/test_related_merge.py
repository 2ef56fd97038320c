"""Related entities and articles, merging entities, and the counts that must stay right."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.entities import service as entities_service
from app.models import Change, Mention
from tests.conftest import Backend

SEED_SLUG = "mali-demands-expulsion-of-un-peacekeeping-mission-amid-security-concerns"


async def post_article(client: httpx.AsyncClient, title: str, body: str, **fields: Any) -> Any:
    response = await client.post(
        "/v1/articles", json={"title": title, "body": body, "body_format": "text", **fields}
    )
    assert response.status_code == 201, response.text
    return response.json()


async def make_entity(client: httpx.AsyncClient, **fields: Any) -> Any:
    response = await client.post("/v1/entities", json=fields)
    assert response.status_code == 201, response.text
    return response.json()


def related_names(page: dict[str, Any]) -> list[tuple[str, int]]:
    return [(item["entity"]["name"], item["count"]) for item in page["data"]]


# --- GET /entities/{ref}/related ---------------------------------------------------------------


async def test_related_entities_of_the_seed_story(
    seeded: dict[str, Any], editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await post_article(
        editor,
        "Diop at the UN",
        "Abdoulaye Diop spoke at the UN about Mali.",
        status="published",
        published_at="2023-07-01T00:00:00Z",
    )
    response = await anon.get("/v1/entities/mali/related")
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"].startswith("public")
    page = response.json()
    assert related_names(page) == [
        ("Abdoulaye Diop", 2),
        ("United Nations", 2),
        ("António Guterres", 1),
        ("El Ghassim Wane", 1),
        ("MINUSMA", 1),
        ("Olivier Salgado", 1),
        ("Wagner Group", 1),
    ]
    assert set(page["data"][0]["entity"]) == {"id", "slug", "name", "type"}
    assert page["meta"]["total"] == 7
    people = (await anon.get("/v1/entities/mali/related?type=person")).json()
    assert [name for name, _ in related_names(people)] == [
        "Abdoulaye Diop",
        "António Guterres",
        "El Ghassim Wane",
        "Olivier Salgado",
    ]
    recent = (await anon.get("/v1/entities/mali/related?since=2023-07-01T00:00:00Z")).json()
    assert related_names(recent) == [("Abdoulaye Diop", 1), ("United Nations", 1)]
    naive = (await anon.get("/v1/entities/mali/related?since=2023-07-01T00:00:00")).json()
    assert naive["data"] == recent["data"]
    assert (await anon.get("/v1/entities/russia/related")).json()["data"] == []


async def test_related_entities_count_only_what_the_reader_may_see(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    for name in ("Gao", "Kidal", "Menaka"):
        await make_entity(editor, name=name, type="location")
    await post_article(editor, "Public", "Gao and Kidal.", status="published")
    await post_article(editor, "Draft", "Gao and Menaka.")
    await post_article(
        editor,
        "Scheduled",
        "Gao and Menaka again.",
        status="published",
        published_at="2999-01-01T00:00:00Z",
    )
    trashed = await post_article(editor, "Trashed", "Gao and Menaka, gone.", status="published")
    assert (await editor.delete(f"/v1/articles/{trashed['slug']}")).status_code == 204
    assert related_names((await anon.get("/v1/entities/gao/related")).json()) == [("Kidal", 1)]
    as_editor = await editor.get("/v1/entities/gao/related")
    assert as_editor.headers["cache-control"] == "private, no-store"
    assert related_names(as_editor.json()) == [("Menaka", 2), ("Kidal", 1)]


async def test_related_entities_pages_and_moves(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    names = ["Ansongo", "Bourem", "Douentza", "Gao", "Hombori"]
    for name in names:
        await make_entity(editor, name=name, type="location")
    await post_article(editor, "All", " ".join(names) + ".", status="published")
    first = (await anon.get("/v1/entities/gao/related?limit=3")).json()
    assert first["meta"]["total"] == 4
    seen = [item["entity"]["name"] for item in first["data"]]
    assert first["links"]["next"]
    second = (await anon.get(first["links"]["next"])).json()
    seen += [item["entity"]["name"] for item in second["data"]]
    assert second["meta"]["next_cursor"] is None
    assert seen == ["Ansongo", "Bourem", "Douentza", "Hombori"]
    by_offset = (await anon.get("/v1/entities/gao/related?limit=3&offset=3")).json()
    assert by_offset["data"] == second["data"]
    renamed = await editor.patch("/v1/entities/gao", json={"slug": "gao-city"})
    assert renamed.status_code == 200
    moved = await anon.get("/v1/entities/gao/related?type=location")
    assert moved.status_code == 301
    assert moved.headers["location"].endswith("/v1/entities/gao-city/related?type=location")
    assert (await anon.get("/v1/entities/timbuktu/related")).status_code == 404
    assert (await editor.delete("/v1/entities/bourem")).status_code == 204
    assert (await anon.get("/v1/entities/bourem/related")).status_code == 410
    # A trashed entity no longer counts as a co-occurring one.
    after = (await anon.get("/v1/entities/gao-city/related")).json()
    assert "Bourem" not in [name for name, _ in related_names(after)]


@pytest.mark.parametrize(
    "query",
    [
        "type=planet",
        "since=yesterday",
        "limit=0",
        "limit=101",
        "offset=-1",
        "cursor=forged",
        "offset=1&cursor=x",
        "sort=name",
    ],
)
async def test_related_entities_bad_query_is_422(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient, query: str
) -> None:
    await make_entity(editor, name="Gao", type="location")
    response = await anon.get(f"/v1/entities/gao/related?{query}")
    assert response.status_code == 422, response.text
    assert response.json()["errors"]


async def test_related_entities_cursor_of_another_list_is_422(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    for name in ("Gao", "Kidal"):
        await make_entity(editor, name=name, type="location")
    cursor = (await anon.get("/v1/entities?limit=1")).json()["meta"]["next_cursor"]
    assert cursor
    response = await anon.get(f"/v1/entities/gao/related?cursor={cursor}")
    assert response.status_code == 422


# --- GET /articles/{ref}/related ---------------------------------------------------------------


async def test_related_articles_are_scored(
    seeded: dict[str, Any], editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    # Two shared entities (Mali, United Nations) and one tag: 2 * 2 + 1.
    best = await post_article(
        editor,
        "UN and Mali",
        "The UN left Mali.",
        status="published",
        published_at="2023-06-01T00:00:00Z",
        tags=["Mali"],
    )
    # One shared entity each: 2; the newer comes first.
    older = await post_article(
        editor, "Wagner", "Wagner Group.", status="published", published_at="2023-01-01T00:00:00Z"
    )
    newer = await post_article(
        editor, "Diop", "Diop spoke.", status="published", published_at="2023-02-01T00:00:00Z"
    )
    # One shared tag: 1.
    tagged = await post_article(
        editor, "Sahel", "Dust.", status="published", tags=["Sahel security"]
    )
    await post_article(editor, "Draft", "Mali, the UN, Diop and Wagner.", tags=["Mali"])
    await post_article(editor, "Unrelated", "Nothing in common.", status="published")
    response = await anon.get(f"/v1/articles/{SEED_SLUG}/related")
    assert response.status_code == 200, response.text
    page = response.json()
    assert [(a["slug"], a["score"]) for a in page["data"]] == [
        (best["slug"], 5),
        (newer["slug"], 2),
        (older["slug"], 2),
        (tagged["slug"], 1),
    ]
    assert page["meta"]["total"] == 4
    item = page["data"][0]
    assert "body_html" not in item
    assert "body_text" not in item
    assert item["title"] == "UN and Mali"
    assert {t["name"] for t in item["tags"]} == {"Mali"}
    assert {m["entity"]["name"] for m in item["entities"]} == {"Mali", "United Nations"}
    limited = (await anon.get(f"/v1/articles/{SEED_SLUG}/related?limit=1")).json()
    assert [a["slug"] for a in limited["data"]] == [best["slug"]]
    assert limited["meta"]["limit"] == 1
    # From the other side, the seed story is the best match.
    back = (await anon.get(f"/v1/articles/{best['slug']}/related")).json()
    assert back["data"][0]["slug"] == SEED_SLUG


async def test_related_articles_never_show_drafts(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await make_entity(editor, name="Gao", type="location")
    draft = await post_article(editor, "Draft on Gao", "Gao.")
    other_draft = await post_article(editor, "Another draft on Gao", "Gao.")
    public = await post_article(editor, "Public on Gao", "Gao.", status="published")
    assert (await anon.get(f"/v1/articles/{draft['slug']}/related")).status_code == 404
    as_editor = await editor.get(f"/v1/articles/{draft['slug']}/related")
    assert as_editor.status_code == 200
    assert as_editor.headers["cache-control"] == "private, no-store"
    assert [a["slug"] for a in as_editor.json()["data"]] == [public["slug"]]
    assert other_draft["slug"] not in as_editor.text
    mine = (await anon.get(f"/v1/articles/{public['slug']}/related")).json()
    assert mine["data"] == []


async def test_related_articles_moves_and_bad_input(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    article = await post_article(editor, "Old title", "Text.", status="published")
    await editor.patch(f"/v1/articles/{article['slug']}", json={"slug": "new-title"})
    moved = await anon.get(f"/v1/articles/{article['slug']}/related?limit=2")
    assert moved.status_code == 301
    assert moved.headers["location"].endswith("/v1/articles/new-title/related?limit=2")
    assert (await anon.get("/v1/articles/nothing-here/related")).status_code == 404
    for query in ("limit=0", "limit=101", "limit=x", "offset=1"):
        response = await anon.get(f"/v1/articles/new-title/related?{query}")
        assert response.status_code == 422, query
    assert (await editor.delete("/v1/articles/new-title")).status_code == 204
    assert (await anon.get("/v1/articles/new-title/related")).status_code == 410


# --- POST /entities/{ref}/merge ----------------------------------------------------------------


async def _merge_setup(editor: httpx.AsyncClient) -> dict[str, Any]:
    source = await make_entity(
        editor,
        name="UNO",
        type="organization",
        aliases=["U.N.O."],
        external_ids={"wikidata": "Q-wrong", "viaf": "123"},
    )
    target = await make_entity(
        editor,
        name="United Nations",
        type="organization",
        aliases=["UN"],
        external_ids={"wikidata": "Q1065"},
    )
    only_source = await post_article(
        editor, "Source only", "The UNO met.", status="published", published_at="2023-01-01T00:00Z"
    )
    both = await post_article(
        editor,
        "Both",
        "The United Nations, or UNO, met.",
        status="published",
        published_at="2023-03-01T00:00:00Z",
        entities=[{"slug": "uno"}],
    )
    draft = await post_article(editor, "Draft", "UNO.")
    return {
        "source": source,
        "target": target,
        "only_source": only_source,
        "both": both,
        "draft": draft,
    }


def mentions_of(article: dict[str, Any]) -> dict[str, tuple[str, int, list[list[int]]]]:
    return {m["entity"]["slug"]: (m["source"], m["count"], m["spans"]) for m in article["entities"]}


async def test_merge_moves_mentions_names_and_ids(
    backend: Backend,
    editor: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    anon: httpx.AsyncClient,
) -> None:
    setup = await _merge_setup(editor)
    source, target = setup["source"], setup["target"]
    assert mentions_of(setup["both"]) == {
        "united-nations": ("auto", 1, [[4, 18]]),
        "uno": ("manual", 1, [[23, 26]]),
    }
    response = await admin.post("/v1/entities/uno/merge", json={"into": "united-nations"})
    assert response.status_code == 200, response.text
    merged = response.json()
    assert merged["id"] == target["id"]
    assert merged["aliases"] == ["UN", "UNO", "U.N.O."]
    assert merged["external_ids"] == {"wikidata": "Q1065", "viaf": "123"}
    assert merged["version"] == 2
    assert response.headers["etag"] == f'"{target["id"]}-2"'
    assert merged["article_count"] == 2
    assert merged["first_seen"] == "2023-01-01T00:00:00Z"
    assert merged["last_seen"] == "2023-03-01T00:00:00Z"
    # The source is gone; its slug and its id lead to the target.
    for ref in ("uno", source["id"]):
        moved = await anon.get(f"/v1/entities/{ref}")
        assert moved.status_code == 301, ref
        assert moved.headers["location"].endswith("/v1/entities/united-nations")
    assert (await anon.get("/v1/entities/uno/articles")).status_code == 301
    # Mentions moved; where an article had both, they became one (manual wins).
    only = (await anon.get(f"/v1/articles/{setup['only_source']['slug']}")).json()
    assert mentions_of(only) == {"united-nations": ("auto", 1, [[4, 7]])}
    both = (await anon.get(f"/v1/articles/{setup['both']['slug']}")).json()
    assert mentions_of(both) == {"united-nations": ("manual", 2, [[4, 18], [23, 26]])}
    draft = (await editor.get(f"/v1/articles/{setup['draft']['slug']}")).json()
    assert list(mentions_of(draft)) == ["united-nations"]
    listed = (await anon.get("/v1/entities?sort=name")).json()
    assert [e["slug"] for e in listed["data"]] == ["united-nations"]
    # New writes link the old name to the target at once.
    fresh = await post_article(editor, "Later", "The UNO again.")
    assert mentions_of(fresh) == {"united-nations": ("auto", 1, [[4, 7]])}
    # Both entities told the change feed.
    async with backend.database.reader() as session:
        events = (
            await session.execute(
                select(Change.resource_id, Change.event)
                .where(Change.resource_type == "entities")
                .order_by(Change.seq.desc())
                .limit(2)
            )
        ).all()
    assert [(str(i), e) for i, e in events] == [
        (target["id"], "updated"),
        (source["id"], "deleted"),
    ]


async def test_merge_keeps_history_restorable_and_old_slugs_alive(
    editor: httpx.AsyncClient, admin: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    setup = await _merge_setup(editor)
    # A slug the source had before it was renamed keeps leading somewhere.
    assert (await editor.patch("/v1/entities/uno", json={"slug": "uno-org"})).status_code == 200
    both = setup["both"]["slug"]
    await editor.patch(f"/v1/articles/{both}", json={"entities": []})
    response = await admin.post("/v1/entities/uno-org/merge", json={"into": setup["target"]["id"]})
    assert response.status_code == 200, response.text
    moved = await anon.get("/v1/entities/uno")
    assert moved.headers["location"].endswith("/v1/entities/united-nations")
    # Version 1 named the source as a manual entity: it restores as the target.
    restored = await editor.post(f"/v1/articles/{both}/revisions/1/restore")
    assert restored.status_code == 200, restored.text
    assert mentions_of(restored.json())["united-nations"][0] == "manual"
    # Editors may name the merged entity by its former slug or id.
    named = await post_article(
        editor, "Named", "Nothing.", entities=[{"slug": "uno"}, {"id": setup["source"]["id"]}]
    )
    assert list(mentions_of(named)) == ["united-nations"]


async def test_merge_honours_if_match_and_idempotency(
    editor: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    setup = await _merge_setup(editor)
    source = setup["source"]
    stale = await admin.post(
        "/v1/entities/uno/merge",
        json={"into": "united-nations"},
        headers={"If-Match": f'"{source["id"]}-0"'},
    )
    assert stale.status_code == 412
    headers = {"If-Match": f'"{source["id"]}-1"', "Idempotency-Key": "merge-1"}
    first = await admin.post(
        "/v1/entities/uno/merge", json={"into": "united-nations"}, headers=headers
    )
    assert first.status_code == 200, first.text
    again = await admin.post(
        "/v1/entities/uno/merge", json={"into": "united-nations"}, headers=headers
    )
    assert again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()


@pytest.mark.parametrize(
    ("ref", "body", "status", "field"),
    [
        ("uno", {"into": "uno"}, 422, "body.into"),
        ("uno", {"into": "nobody"}, 422, "body.into"),
        ("uno", {"into": "trashed"}, 422, "body.into"),
        ("uno", {}, 422, "body.into"),
        ("uno", {"into": ""}, 422, "body.into"),
        ("uno", {"into": 7}, 422, "body.into"),
        ("uno", {"into": "united-nations", "also": 1}, 422, "body.also"),
        ("nobody", {"into": "united-nations"}, 404, None),
        ("trashed", {"into": "united-nations"}, 410, None),
    ],
)
async def test_bad_merges_change_nothing(
    backend: Backend,
    editor: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    ref: str,
    body: dict[str, Any],
    status: int,
    field: str | None,
) -> None:
    setup = await _merge_setup(editor)
    await make_entity(editor, name="Trashed", type="other")
    assert (await editor.delete("/v1/entities/trashed")).status_code == 204
    response = await admin.post(f"/v1/entities/{ref}/merge", json=body)
    assert response.status_code == status, response.text
    if field is not None:
        assert any(e["field"] == field for e in response.json()["errors"])
    await _assert_unmerged(backend, editor, setup)


async def _assert_unmerged(
    backend: Backend, editor: httpx.AsyncClient, setup: dict[str, Any]
) -> None:
    source = (await editor.get("/v1/entities/uno")).json()
    assert (source["version"], source["article_count"]) == (1, 2)
    target = (await editor.get("/v1/entities/united-nations")).json()
    assert (target["version"], target["aliases"]) == (1, ["UN"])
    async with backend.database.reader() as session:
        rows = (await session.execute(select(Mention.entity_id))).scalars().all()
    assert sorted(map(str, rows)).count(setup["source"]["id"]) == 3


async def test_merge_needs_an_admin(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient, reader: httpx.AsyncClient
) -> None:
    await _merge_setup(editor)
    body = {"into": "united-nations"}
    assert (await anon.post("/v1/entities/uno/merge", json=body)).status_code == 401
    assert (await reader.post("/v1/entities/uno/merge", json=body)).status_code == 403
    assert (await editor.post("/v1/entities/uno/merge", json=body)).status_code == 403


async def test_merge_from_a_former_slug_is_422(
    editor: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    await _merge_setup(editor)
    await editor.patch("/v1/entities/uno", json={"slug": "uno-org"})
    response = await admin.post("/v1/entities/uno/merge", json={"into": "united-nations"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "path.ref"


async def test_a_merge_failing_half_way_loses_nothing(
    backend: Backend,
    editor: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    setup = await _merge_setup(editor)

    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the disk is full")

    # Mentions and names have moved and the source is deleted when this fails.
    monkeypatch.setattr(entities_service, "remember_old_slug", broken)
    response = await admin.post("/v1/entities/uno/merge", json={"into": "united-nations"})
    assert response.status_code == 500
    assert "disk" not in response.text
    await _assert_unmerged(backend, editor, setup)


# --- counts that stay right --------------------------------------------------------------------


async def test_counts_follow_publishing_unpublishing_deleting_and_merging(
    editor: httpx.AsyncClient, admin: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await make_entity(editor, name="Gao", type="location")
    await make_entity(editor, name="Gao City", type="location")
    first = await post_article(
        editor, "One", "Gao.", tags=["Sahel"], status="published", published_at="2023-01-01T00:00Z"
    )
    second = await post_article(
        editor, "Two", "Gao.", tags=["Sahel"], status="published", published_at="2023-05-01T00:00Z"
    )
    await post_article(
        editor,
        "Later",
        "Gao.",
        tags=["Sahel"],
        status="published",
        published_at="2999-01-01T00:00Z",
    )
    await post_article(editor, "Draft", "Gao.", tags=["Sahel"])

    async def counts() -> tuple[int, str | None, str | None, int]:
        gao = (await anon.get("/v1/entities/gao")).json()
        sahel = (await anon.get("/v1/tags/sahel")).json()
        return gao["article_count"], gao["first_seen"], gao["last_seen"], sahel["article_count"]

    assert await counts() == (2, "2023-01-01T00:00:00Z", "2023-05-01T00:00:00Z", 2)
    await editor.patch(f"/v1/articles/{second['slug']}", json={"status": "draft"})
    assert await counts() == (1, "2023-01-01T00:00:00Z", "2023-01-01T00:00:00Z", 1)
    await editor.patch(f"/v1/articles/{second['slug']}", json={"status": "published"})
    assert await counts() == (2, "2023-01-01T00:00:00Z", "2023-05-01T00:00:00Z", 2)
    assert (await editor.delete(f"/v1/articles/{first['slug']}")).status_code == 204
    assert await counts() == (1, "2023-05-01T00:00:00Z", "2023-05-01T00:00:00Z", 1)
    assert (await editor.post(f"/v1/articles/{first['slug']}/restore")).status_code == 200
    assert await counts() == (2, "2023-01-01T00:00:00Z", "2023-05-01T00:00:00Z", 2)
    listed = (await anon.get("/v1/entities?sort=-article_count")).json()["data"]
    assert [(e["slug"], e["article_count"]) for e in listed] == [("gao", 2), ("gao-city", 0)]
    merged = await admin.post("/v1/entities/gao/merge", json={"into": "gao-city"})
    assert merged.status_code == 200, merged.text
    city = (await anon.get("/v1/entities/gao-city")).json()
    assert (city["article_count"], city["first_seen"], city["last_seen"]) == (
        2,
        "2023-01-01T00:00:00Z",
        "2023-05-01T00:00:00Z",
    )
    await editor.delete(f"/v1/articles/{second['slug']}?purge=false")
    city = (await anon.get("/v1/entities/gao-city")).json()
    assert city["article_count"] == 1
