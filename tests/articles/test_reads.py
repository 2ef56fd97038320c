"""Reads of articles: the same JSON as writes answer, kept copies that never go stale."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import asyncpg
import httpx
import pytest

from app.articles import repository
from app.articles.caches import ReadCaches, RenderCache
from app.articles.filters import ARTICLE_FIELDS
from app.articles.reads import Rendered
from app.articles.repository import LINKED, hot_reads
from app.core.clock import utcnow
from app.core.engines import IDLE_CHECK_SECONDS
from app.core.prepared import fetch_prepared
from tests.conftest import POSTGRES_URL, Backend

LIST_ONLY = ("body_html", "body_text")


async def test_reads_answer_what_the_write_answered(
    seeded: dict[str, Any],
    anon: httpx.AsyncClient,
    editor: httpx.AsyncClient,
) -> None:
    assert seeded["tags"]
    assert len(seeded["entities"]) > 1
    for client in (anon, editor, anon):
        detail = await client.get(f"/v1/articles/{seeded['slug']}")
        assert detail.status_code == 200
        assert detail.json() == seeded
        assert list(detail.json()) == list(seeded)
        listing = (await client.get("/v1/articles")).json()
        item = {k: v for k, v in seeded.items() if k not in LIST_ONLY}
        assert listing["data"] == [item]
        assert list(listing["data"][0]) == list(item)
        by_id = await client.get(f"/v1/articles/{seeded['id']}")
        assert by_id.json() == seeded
        assert by_id.headers["etag"] == detail.headers["etag"]


async def test_first_reads_load_the_article_with_its_version_and_answer_alike(
    backend: Backend, seeded: dict[str, Any], anon: httpx.AsyncClient
) -> None:
    # The first two reads at a position load it whole with its version; the
    # third is the rendering kept from the second.
    backend.app.state.read_caches.clear()
    answers = [await anon.get(f"/v1/articles/{seeded['slug']}") for _ in range(4)]
    assert [a.json() for a in answers] == [seeded] * 4
    assert {a.headers["etag"] for a in answers} == {answers[0].headers["etag"]}
    caches = backend.app.state.read_caches
    assert [caches.unkept(ref) for ref in ("other", "other", "other")] == [True, True, False]
    without_bodies = ReadCaches(body_bytes=0, page_bytes=0, search_bytes=0)
    assert [without_bodies.unkept("other") for _ in range(3)] == [True, True, True]


@pytest.mark.parametrize("fields", ["tags,title,entities,id", "entities", "version,slug"])
async def test_sparse_fields_come_in_the_order_asked(
    seeded: dict[str, Any], anon: httpx.AsyncClient, fields: str
) -> None:
    # id and slug come too, after the fields asked for.
    names = list(dict.fromkeys([*fields.split(","), "id", "slug"]))
    expected = {name: seeded[name] for name in names}
    for _ in range(2):
        detail = await anon.get(f"/v1/articles/{seeded['slug']}?fields={fields}")
        assert detail.json() == expected
        assert list(detail.json()) == names
        listing = await anon.get(f"/v1/articles?fields={fields}")
        assert listing.json()["data"] == [expected]
        assert list(listing.json()["data"][0]) == names


async def test_renamed_tags_and_entities_show_at_once(
    seeded: dict[str, Any], anon: httpx.AsyncClient, editor: httpx.AsyncClient
) -> None:
    path = f"/v1/articles/{seeded['slug']}"
    tag = seeded["tags"][0]
    entity = seeded["entities"][0]["entity"]
    for _ in range(2):  # kept from the second reading on
        await anon.get(path)
        await anon.get("/v1/articles")
    renamed = await editor.patch(f"/v1/tags/{tag['id']}", json={"name": "Mali (country)"})
    assert renamed.status_code == 200, renamed.text
    assert (await anon.get(path)).json()["tags"][0]["name"] == "Mali (country)"
    assert (await anon.get("/v1/articles")).json()["data"][0]["tags"][0]["name"] == (
        "Mali (country)"
    )
    renamed = await editor.patch(f"/v1/entities/{entity['id']}", json={"name": "Someone Else"})
    assert renamed.status_code == 200, renamed.text
    names = [m["entity"]["name"] for m in (await anon.get(path)).json()["entities"]]
    assert "Someone Else" in names


async def test_edits_and_trash_reach_readers_at_once(
    seeded: dict[str, Any], anon: httpx.AsyncClient, editor: httpx.AsyncClient
) -> None:
    path = f"/v1/articles/{seeded['slug']}"
    for _ in range(2):  # kept from the second reading on
        first = await anon.get(path)
        await anon.get("/v1/articles")
    edited = await editor.patch(path, json={"title": "A New Title"})
    assert edited.status_code == 200
    again = await anon.get(path)
    assert again.json()["title"] == "A New Title"
    assert again.headers["etag"] != first.headers["etag"]
    assert (await anon.get("/v1/articles")).json()["data"][0]["title"] == "A New Title"
    assert (await editor.delete(path)).status_code == 204
    assert (await anon.get(path)).status_code == 410
    assert (await anon.get("/v1/articles")).json()["data"] == []


async def test_editors_never_get_a_readers_page(
    anon: httpx.AsyncClient, editor: httpx.AsyncClient
) -> None:
    await editor.post("/v1/articles", json={"title": "Out", "status": "published"})
    await editor.post("/v1/articles", json={"title": "Draft"})
    for _ in range(2):
        readers = await anon.get("/v1/articles")
        assert [a["title"] for a in readers.json()["data"]] == ["Out"]
        assert readers.headers["cache-control"].startswith("public")
        editors = await editor.get("/v1/articles")
        assert {a["title"] for a in editors.json()["data"]} == {"Out", "Draft"}
        assert editors.json()["meta"]["total"] == 2
        assert editors.headers["cache-control"] == "private, no-store"


async def test_if_modified_since_answers_304(
    seeded: dict[str, Any], anon: httpx.AsyncClient
) -> None:
    path = f"/v1/articles/{seeded['slug']}"
    first = await anon.get(path)
    since = {"If-Modified-Since": first.headers["last-modified"]}
    again = await anon.get(path, headers=since)
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["cache-control"] == first.headers["cache-control"]
    earlier = format_datetime(datetime.now(UTC) - timedelta(days=365 * 10), usegmt=True)
    changed = await anon.get(path, headers={"If-Modified-Since": earlier})
    assert changed.status_code == 200
    assert changed.json() == first.json()


async def test_a_bad_fieldset_is_422_even_when_revalidating(
    seeded: dict[str, Any], anon: httpx.AsyncClient
) -> None:
    path = f"/v1/articles/{seeded['slug']}"
    etag = (await anon.get(path)).headers["etag"]
    response = await anon.get(f"{path}?fields=password", headers={"If-None-Match": etag})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


async def test_readers_do_not_see_drafts_by_id_or_slug(
    anon: httpx.AsyncClient, editor: httpx.AsyncClient
) -> None:
    draft = (await editor.post("/v1/articles", json={"title": "Secret"})).json()
    for ref in (draft["slug"], draft["id"]):
        assert (await editor.get(f"/v1/articles/{ref}")).json() == draft
        hidden = await anon.get(f"/v1/articles/{ref}")
        assert hidden.status_code == 404
        assert hidden.headers["content-type"] == "application/problem+json"
        revalidate = await anon.get(f"/v1/articles/{ref}", headers={"If-None-Match": "*"})
        assert revalidate.status_code == 404


async def test_reads_survive_connections_the_server_closed(
    backend: Backend, seeded: dict[str, Any], anon: httpx.AsyncClient
) -> None:
    if backend.name != "postgresql":
        pytest.skip("a PostgreSQL server ends connections; a SQLite file does not")
    path = f"/v1/articles/{seeded['slug']}"
    assert (await anon.get(path)).status_code == 200
    admin = await asyncpg.connect(POSTGRES_URL)
    try:
        ended = await admin.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            backend.url.rsplit("/", 1)[1],
        )
    finally:
        await admin.close()
    assert ended
    # As after a restart: the server has gone away for a moment at least.
    await asyncio.sleep(IDLE_CHECK_SECONDS)
    for _ in range(3):
        assert (await anon.get(f"{path}?fields=title")).status_code == 200


def test_renderings_are_kept_from_the_second_one() -> None:
    cache = RenderCache(max_bytes=10, max_seen=2)
    cache.put(1, "a", Rendered(b"1234"))
    assert cache.get(1, "a") is None
    cache.put(1, "a", Rendered(b"1234"))
    assert cache.get(1, "a") == Rendered(b"1234")
    cache.put(1, "b", Rendered(b"5"))
    cache.put(1, "c", Rendered(b"6"))
    cache.put(1, "b", Rendered(b"5"))
    assert cache.get(1, "b") is None


def test_renderings_are_kept_from_the_first_one_while_the_open_share_has_room() -> None:
    cache = RenderCache(max_bytes=10, open_share=0.5)
    cache.put(1, "a", Rendered(b"1234"))
    assert cache.get(1, "a") == Rendered(b"1234")
    cache.put(1, "b", Rendered(b"56"))
    assert cache.get(1, "b") is None
    cache.put(1, "b", Rendered(b"56"))
    assert cache.get(1, "b") == Rendered(b"56")
    # A write empties it: the open share is open again.
    cache.put(2, "c", Rendered(b"78"))
    assert cache.get(2, "c") == Rendered(b"78")


def _keep(cache: RenderCache, position: int, key: str, rendered: Rendered) -> None:
    cache.put(position, key, rendered)
    cache.put(position, key, rendered)


def test_a_write_empties_the_kept_renderings() -> None:
    cache = RenderCache(max_bytes=10)
    _keep(cache, 1, "a", Rendered(b"1234"))
    assert cache.get(2, "a") is None
    assert cache.get(1, "a") is not None
    _keep(cache, 2, "b", Rendered(b"5678"))
    assert cache.get(1, "a") is None
    assert cache.get(2, "a") is None
    assert cache.get(2, "b") is not None
    _keep(cache, 1, "c", Rendered(b"9"))
    assert cache.get(1, "c") is None
    assert cache.get(2, "b") is not None


def test_a_full_cache_keeps_what_it_holds_and_pages_expire() -> None:
    cache = RenderCache(max_bytes=10)
    now = datetime.now(UTC)
    _keep(cache, 1, "a", Rendered(b"1234"))
    _keep(cache, 1, "b", Rendered(b"5678"))
    _keep(cache, 1, "c", Rendered(b"9012"))
    assert [cache.get(1, key) is not None for key in "abc"] == [True, True, False]
    _keep(cache, 1, "a", Rendered(b"12"))
    _keep(cache, 1, "d", Rendered(b"34", until=now + timedelta(seconds=1)))
    assert cache.get(1, "a") == Rendered(b"12")
    assert cache.get(1, "d", now) is not None
    assert cache.get(1, "d") is None
    assert cache.get(1, "d", now + timedelta(seconds=1)) is None
    _keep(cache, 1, "huge", Rendered(b"x" * 11))
    assert cache.get(1, "huge") is None


async def test_readers_asking_at_once_wait_for_one_rendering() -> None:
    cache = RenderCache(max_bytes=100)
    made: list[int] = []
    release = asyncio.Event()

    async def make(position: int) -> Rendered:
        made.append(position)
        await release.wait()
        return Rendered(b"page")

    now = datetime.now(UTC)
    readers = [asyncio.create_task(cache.made_once(1, "q", now, make)) for _ in range(5)]
    await asyncio.sleep(0)
    release.set()
    assert [await reader for reader in readers] == [Rendered(b"page")] * 5
    assert made == [1]
    # Asked by more than one reader, it is kept.
    assert cache.get(1, "q") == Rendered(b"page")


async def test_when_the_maker_fails_each_waiting_reader_makes_its_own() -> None:
    cache = RenderCache(max_bytes=100)
    calls = 0

    async def make(position: int) -> Rendered:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0)
        if calls == 1:
            raise RuntimeError("the database went away")
        return Rendered(b"page")

    now = datetime.now(UTC)
    first = asyncio.create_task(cache.made_once(1, "q", now, make))
    second = asyncio.create_task(cache.made_once(1, "q", now, make))
    with pytest.raises(RuntimeError):
        await first
    assert await second == Rendered(b"page")
    assert calls == 2


async def test_reads_on_the_driver_give_the_rows_a_session_gives(
    backend: Backend, seeded: dict[str, Any]
) -> None:
    article_id = uuid.UUID(seeded["id"])
    columns = repository.columns_of(ARTICLE_FIELDS)
    reads = [
        (hot_reads._POSITION, {}),
        (hot_reads._version_statement(False, False, ()), {"ref": seeded["slug"], "now": utcnow()}),
        (hot_reads._version_statement(True, True, ()), {"ref": article_id, "now": utcnow()}),
        (
            hot_reads._version_statement(False, False, columns),
            {"ref": seeded["slug"], "now": utcnow()},
        ),
        (hot_reads._row_statement(columns), {"id": article_id, "version": seeded["version"]}),
        (hot_reads._linked_statement(frozenset({"tags", "bylines"})), {"ids": [article_id]}),
        (hot_reads._linked_statement(LINKED), {"ids": [article_id]}),
        (hot_reads._linked_statement(frozenset({"entities"})), {"ids": [uuid.uuid4(), article_id]}),
        (hot_reads._linked_statement(frozenset({"entities"})), {"ids": []}),
    ]
    for prepared, params in reads:
        async with backend.database.request_reader() as session:
            assert not session.in_transaction()
            by_driver = await fetch_prepared(session, prepared, params)
        async with backend.database.reader() as session:
            by_session = (await session.execute(prepared.statement, params)).all()
        assert by_driver == [tuple(row) for row in by_session]
        for ours, theirs in zip(by_driver, by_session, strict=True):
            assert [type(value) for value in ours] == [type(value) for value in theirs]
    async with backend.database.request_reader() as session:
        [row] = await fetch_prepared(session, reads[1][0], reads[1][1])
    assert (str(row.id), row.version) == (seeded["id"], seeded["version"])
