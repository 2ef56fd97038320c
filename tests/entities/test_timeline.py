"""Entity timelines: published stories per period, and who the entity appears with."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.entities.repository import coverage as coverage_repository
from tests.linking.test_linking_api import make_entity


async def _story(editor: httpx.AsyncClient, title: str, body: str, **fields: Any) -> str:
    response = await editor.post(
        "/v1/articles",
        json={"title": title, "body": body, "body_format": "text", "status": "published", **fields},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["slug"])


FILLER = "Officials met on Tuesday to talk about the harvest and the roads."


@pytest.fixture
async def coverage(editor: httpx.AsyncClient) -> None:
    for name in ("Mali", "Niger", "Chad", "Sudan"):
        await make_entity(editor, name, "location")
    # Monday 12 June 2023 to Sunday 18 June: one week.
    await _story(editor, "Mali votes", "Mali and Niger.", published_at="2023-06-12T00:00:00Z")
    await _story(
        editor,
        "Harvest",
        f"{FILLER}\n\n{FILLER} Mali, Niger, Chad.",
        published_at="2023-06-18T23:59:59Z",
    )
    # The next week, and the next month.
    await _story(editor, "Mali again", "Mali and Chad.", published_at="2023-06-19T08:00:00Z")
    await _story(editor, "July", "Mali and Sudan.", published_at="2023-07-02T10:00:00Z")
    # Never counted: a draft, a scheduled story, a trashed one, one without Mali.
    await _story(editor, "Draft", "Mali and Sudan.", status="draft")
    await _story(editor, "Later", "Mali.", published_at="2999-01-01T00:00:00Z")
    trashed = await _story(editor, "Gone", "Mali.", published_at="2023-06-13T00:00:00Z")
    assert (await editor.delete(f"/v1/articles/{trashed}")).status_code == 204
    await _story(editor, "Niger", "Niger.", published_at="2023-06-14T00:00:00Z")


def top(period: dict[str, Any]) -> list[tuple[str, int]]:
    return [(e["slug"], e["count"]) for e in period["top_entities"]]


async def test_weeks(coverage: None, anon: httpx.AsyncClient) -> None:
    response = await anon.get("/v1/entities/mali/timeline?interval=week")
    assert response.status_code == 200, response.text
    assert response.headers["etag"]
    data = response.json()["data"]
    assert [(p["period"], p["articles"], p["about"]) for p in data] == [
        ("2023-06-12", 2, 1),
        ("2023-06-19", 1, 1),
        ("2023-06-26", 1, 1),
    ]
    assert top(data[0]) == [("niger", 2), ("chad", 1)]
    assert top(data[2]) == [("sudan", 1)]


async def test_days_and_months(coverage: None, anon: httpx.AsyncClient) -> None:
    days = (await anon.get("/v1/entities/mali/timeline?interval=day")).json()["data"]
    assert [(p["period"], p["articles"]) for p in days] == [
        ("2023-06-12", 1),
        ("2023-06-18", 1),
        ("2023-06-19", 1),
        ("2023-07-02", 1),
    ]
    months = (await anon.get("/v1/entities/mali/timeline?interval=month")).json()["data"]
    assert [(p["period"], p["articles"], p["about"]) for p in months] == [
        ("2023-06-01", 3, 2),
        ("2023-07-01", 1, 1),
    ]
    assert top(months[0]) == [("chad", 2), ("niger", 2)]  # ties by name


async def test_the_top_five_are_live_entities_most_often_beside_it(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    others = ("Bamako", "Chad", "Egypt", "Ghana", "Kenya", "Libya")
    for name in ("Mali", *others):
        await make_entity(editor, name, "location")
    # Six stories: Bamako is beside Mali in all six, Chad in five, … Libya in one.
    for number in range(1, 7):
        body = ", ".join(("Mali", *others[:number])) + "."
        await _story(editor, f"Story {number}", body, published_at="2023-06-12T00:00:00Z")
    [week] = (await anon.get("/v1/entities/mali/timeline?interval=week")).json()["data"]
    assert top(week) == [("bamako", 6), ("chad", 5), ("egypt", 4), ("ghana", 3), ("kenya", 2)]
    # An entity in the trash leaves the list and the next one moves up.
    assert (await editor.delete("/v1/entities/bamako")).status_code == 204
    [week] = (await anon.get("/v1/entities/mali/timeline?interval=week")).json()["data"]
    assert top(week) == [("chad", 5), ("egypt", 4), ("ghana", 3), ("kenya", 2), ("libya", 1)]


async def test_since_and_until(coverage: None, anon: httpx.AsyncClient) -> None:
    response = await anon.get(
        "/v1/entities/mali/timeline",
        params={"interval": "day", "since": "2023-06-18T23:59:59Z", "until": "2023-07-02T10:00:00"},
    )
    assert [p["period"] for p in response.json()["data"]] == ["2023-06-18", "2023-06-19"]


async def test_editors_see_the_same_published_stories(
    coverage: None, editor: httpx.AsyncClient
) -> None:
    data = (await editor.get("/v1/entities/mali/timeline?interval=month")).json()["data"]
    assert [p["articles"] for p in data] == [3, 1]


async def test_a_kept_timeline_is_counted_again_after_a_write(
    coverage: None,
    editor: httpx.AsyncClient,
    anon: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    counted = 0
    count = coverage_repository.timeline

    async def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal counted
        counted += 1
        return await count(*args, **kwargs)

    monkeypatch.setattr(coverage_repository, "timeline", counting)
    url = "/v1/entities/mali/timeline?interval=month"
    first = (await anon.get(url)).json()["data"]
    assert (await anon.get(url)).json()["data"] == first
    assert counted == 1
    await _story(editor, "July news", "Mali and Chad.", published_at="2023-07-20T10:00:00Z")
    months = (await anon.get(url)).json()["data"]
    assert counted == 2
    assert [(p["period"], p["articles"]) for p in months] == [("2023-06-01", 3), ("2023-07-01", 2)]
    assert top(months[1]) == [("chad", 1), ("sudan", 1)]


async def test_an_entity_without_stories(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient
) -> None:
    await make_entity(editor, "Chad", "location")
    assert (await anon.get("/v1/entities/chad/timeline")).json()["data"] == []
    assert (await anon.get("/v1/entities/nobody/timeline")).status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("interval=year", "query.interval"),
        ("interval=", "query.interval"),
        ("since=yesterday", "query.since"),
        ("until=2023-13-01", "query.until"),
        ("since=10000-01-01T00:00:00Z", "query.since"),
        ("since=2023-07-01T00:00:00Z&until=2023-06-01T00:00:00Z", "query.until"),
        ("since=2023-07-01T00:00:00Z&until=2023-07-01T00:00:00Z", "query.until"),
        ("period=week", "query.period"),
    ],
)
async def test_bad_queries_are_422(
    editor: httpx.AsyncClient, anon: httpx.AsyncClient, query: str, field: str
) -> None:
    await make_entity(editor, "Mali", "location")
    response = await anon.get(f"/v1/entities/mali/timeline?{query}")
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == field
