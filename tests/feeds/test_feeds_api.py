"""Article feeds over HTTP: valid documents, public content only, filters, validators."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import feedparser
import httpx
import orjson
import pytest

SEED_SLUG = "mali-demands-expulsion-of-un-peacekeeping-mission-amid-security-concerns"
FEEDS = {
    "rss": ("application/rss+xml; charset=utf-8", "rss20"),
    "atom": ("application/atom+xml; charset=utf-8", "atom10"),
}
PATHS = ["/v1/feeds/articles.rss", "/v1/feeds/articles.atom", "/v1/feeds/articles.json"]


def iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


async def post(editor: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    payload = {"body": "<p>Words.</p>", "status": "published", **fields}
    response = await editor.post("/v1/articles", json=payload)
    assert response.status_code == 201, response.text
    article: dict[str, Any] = response.json()
    return article


@pytest.fixture
async def stories(editor: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    """Visible stories in two sections, plus a draft, a scheduled and a trashed one."""
    now = datetime.now(UTC).replace(microsecond=0)
    made = {
        "floods": await post(
            editor,
            title="Floods in Lagos",
            section="world/africa",
            tags=["Weather"],
            authors=["Ada Obi"],
            published_at=iso(now - timedelta(hours=3)),
        ),
        "budget": await post(
            editor,
            title="Budget Vote Delayed",
            section="politics",
            tags=["Economy"],
            published_at=iso(now - timedelta(hours=2)),
            canonical_url="https://news.example/politics/budget",
            image={"url": "https://cdn.news.example/budget.jpg"},
        ),
        "draft": await post(editor, title="Unfinished Draft", status="draft", section="politics"),
        "scheduled": await post(
            editor,
            title="Embargoed Report",
            section="world/africa",
            tags=["Weather"],
            published_at=iso(now + timedelta(days=1)),
        ),
        "trashed": await post(
            editor, title="Retracted Story", published_at=iso(now - timedelta(hours=1))
        ),
    }
    assert (await editor.delete(f"/v1/articles/{made['trashed']['slug']}")).status_code == 204
    return made


@pytest.mark.parametrize("kind", sorted(FEEDS))
async def test_xml_feeds_are_valid_and_list_the_newest_visible_articles(
    stories: dict[str, dict[str, Any]], anon: httpx.AsyncClient, kind: str
) -> None:
    media_type, version = FEEDS[kind]
    response = await anon.get(f"/v1/feeds/articles.{kind}")
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == version
    assert [e.title for e in feed.entries] == ["Budget Vote Delayed", "Floods in Lagos"]
    budget, floods = feed.entries
    assert budget.link == "https://news.example/politics/budget"
    assert floods.link == f"http://testserver/v1/articles/{stories['floods']['slug']}"
    assert floods.id == f"urn:uuid:{stories['floods']['id']}"
    assert floods.author == "Ada Obi"
    assert [t.term for t in floods.tags] == ["Weather"]
    assert "Words." in floods.content[0].value


async def test_json_feed_carries_the_json_feed_keys(
    stories: dict[str, dict[str, Any]], anon: httpx.AsyncClient
) -> None:
    response = await anon.get("/v1/feeds/articles.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/feed+json"
    feed = orjson.loads(response.content)
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["feed_url"] == "http://testserver/v1/feeds/articles.json"
    assert feed["home_page_url"] == "http://testserver/v1/articles"
    assert {"title", "description", "language", "items"} <= feed.keys()
    budget, floods = feed["items"]
    assert budget["url"] == "https://news.example/politics/budget"
    assert budget["image"] == "https://cdn.news.example/budget.jpg"
    assert budget["tags"] == ["Economy"]
    assert floods["id"] == f"urn:uuid:{stories['floods']['id']}"
    assert floods["authors"] == [{"name": "Ada Obi"}]
    assert floods["content_html"] == "<p>Words.</p>"
    assert floods["date_published"] == stories["floods"]["published_at"]


@pytest.mark.parametrize("path", PATHS)
async def test_drafts_scheduled_and_trashed_never_appear_even_for_editors(
    stories: dict[str, dict[str, Any]], editor: httpx.AsyncClient, path: str
) -> None:
    for query in ("", "?status=draft", "?section=politics", "?tag=weather", "?limit=100"):
        response = await editor.get(path + query)
        assert response.status_code == 200
        for hidden in ("draft", "scheduled", "trashed"):
            assert stories[hidden]["title"] not in response.text
            assert stories[hidden]["id"] not in response.text
        assert response.headers["cache-control"].startswith("public, max-age=")


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("tag=weather", ["Floods in Lagos"]),
        ("tag=economy", ["Budget Vote Delayed"]),
        ("section=world", ["Floods in Lagos"]),
        ("section=politics", ["Budget Vote Delayed"]),
        ("author=ada obi", ["Floods in Lagos"]),
        ("tag=weather&tag=economy", []),
        ("limit=1", ["Budget Vote Delayed"]),
    ],
)
async def test_article_filters_and_limit_apply(
    stories: dict[str, dict[str, Any]], anon: httpx.AsyncClient, query: str, titles: list[str]
) -> None:
    rss = feedparser.parse((await anon.get(f"/v1/feeds/articles.rss?{query}")).content)
    assert [e.title for e in rss.entries] == titles
    json_feed = orjson.loads((await anon.get(f"/v1/feeds/articles.json?{query}")).content)
    assert [item["title"] for item in json_feed["items"]] == titles


@pytest.mark.parametrize("path", PATHS)
async def test_etag_and_last_modified_revalidate_to_304(
    stories: dict[str, dict[str, Any]], anon: httpx.AsyncClient, path: str
) -> None:
    first = await anon.get(path)
    etag = first.headers["etag"]
    last_modified = parsedate_to_datetime(first.headers["last-modified"])
    newest = max(
        datetime.fromisoformat(stories[name][field])
        for name in ("floods", "budget")
        for field in ("updated_at", "published_at")
    )
    assert last_modified == newest.replace(microsecond=0)
    again = await anon.get(path)
    assert again.content == first.content
    assert again.headers["etag"] == etag
    cached = await anon.get(path, headers={"If-None-Match": etag})
    assert cached.status_code == 304
    assert cached.content == b""
    assert cached.headers["etag"] == etag
    since = await anon.get(path, headers={"If-Modified-Since": first.headers["last-modified"]})
    assert since.status_code == 304


async def test_a_new_article_changes_the_etag(
    stories: dict[str, dict[str, Any]], anon: httpx.AsyncClient, editor: httpx.AsyncClient
) -> None:
    before = await anon.get("/v1/feeds/articles.atom")
    await post(editor, title="Breaking News")
    after = await anon.get(
        "/v1/feeds/articles.atom", headers={"If-None-Match": before.headers["etag"]}
    )
    assert after.status_code == 200
    assert after.headers["etag"] != before.headers["etag"]
    assert feedparser.parse(after.content).entries[0].title == "Breaking News"


@pytest.mark.parametrize("path", PATHS)
async def test_an_empty_feed_is_still_a_valid_document(anon: httpx.AsyncClient, path: str) -> None:
    response = await anon.get(path)
    assert response.status_code == 200
    assert "last-modified" not in response.headers
    if path.endswith(".json"):
        assert orjson.loads(response.content)["items"] == []
    else:
        feed = feedparser.parse(response.content)
        assert feed.bozo == 0
        assert feed.entries == []


async def test_seed_story_appears_in_the_feed(
    seeded: dict[str, Any], anon: httpx.AsyncClient
) -> None:
    feed = feedparser.parse((await anon.get("/v1/feeds/articles.rss?tag=mali")).content)
    assert feed.bozo == 0
    [entry] = feed.entries
    assert entry.link == f"http://testserver/v1/articles/{SEED_SLUG}"
    assert [t.term for t in entry.tags] == ["Mali", "UN peacekeeping", "Sahel security"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "query.limit"),
        ("limit=101", "query.limit"),
        ("limit=ten", "query.limit"),
        ("published_after=yesterday", "query.published_after"),
        ("status=gone", "query.status"),
        ("tag=", "query.tag"),
        ("offset=20", "query.offset"),
        ("cursor=abc", "query.cursor"),
        ("sort=title", "query.sort"),
    ],
)
async def test_bad_parameters_are_422(anon: httpx.AsyncClient, query: str, field: str) -> None:
    response = await anon.get(f"/v1/feeds/articles.rss?{query}")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]


async def test_an_unknown_key_is_refused(anon: httpx.AsyncClient) -> None:
    response = await anon.get(
        "/v1/feeds/articles.json", headers={"Authorization": "Bearer not-a-key"}
    )
    assert response.status_code == 401
