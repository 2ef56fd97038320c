"""Feed rendering: every format parses, round-trips its data and stays well-formed."""

from __future__ import annotations

import dataclasses
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import feedparser
import orjson
import pytest

from app.feeds.render import (
    FeedItem,
    FeedMeta,
    render_atom,
    render_json_feed,
    render_rss,
)

Renderer = Callable[[FeedMeta, Sequence[FeedItem]], bytes]

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
DC = "{http://purl.org/dc/elements/1.1/}"

FIRST_ID = "0b6f5c1e-3f4a-4c7d-9a2b-1c2d3e4f5a6b"
SECOND_ID = "7d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"
PUBLISHED = datetime(2024, 3, 9, 14, 5, 7, 123456, tzinfo=UTC)
UPDATED = datetime(2024, 3, 10, 8, 0, 0, tzinfo=UTC)

# Everything XML 1.0 forbids that a CMS could plausibly hand us, next to text
# that is legal but needs escaping.
HOSTILE = 'Tom & "Jerry" <script>alert(1)</script> ]]> \x00\x0b\x1f\ud800\ufffe\uffff 🎉 مرحبا'
HOSTILE_CLEANED = 'Tom & "Jerry" <script>alert(1)</script> ]]>  🎉 مرحبا'


def make_item(**changes: Any) -> FeedItem:
    item = FeedItem(
        id=FIRST_ID,
        url="https://news.example/world/africa/story?ref=feed&x=1",
        title="Floods in Lagos",
        summary="Heavy rain closes roads.",
        content_html="<p>Heavy rain <em>closes</em> roads.</p>",
        authors=("Ada Obi", "Kwame Mensah"),
        published_at=PUBLISHED,
        updated_at=UPDATED,
        tags=("weather", "nigeria"),
        image_url="https://cdn.news.example/lagos.jpg",
    )
    return dataclasses.replace(item, **changes)


def make_meta(**changes: Any) -> FeedMeta:
    meta = FeedMeta(
        title="Lede — world/africa",
        self_url="https://api.news.example/feeds/world/africa.rss?limit=20&lang=en",
        home_url="https://api.news.example/",
        description="Latest stories from world/africa",
        language="en",
        updated_at=UPDATED,
    )
    return dataclasses.replace(meta, **changes)


def two_items() -> list[FeedItem]:
    return [
        make_item(),
        make_item(
            id=SECOND_ID,
            url="https://news.example/world/africa/other",
            title="Elections in Accra",
            summary=None,
            authors=("Kwame Mensah",),
            published_at=PUBLISHED - timedelta(days=1),
            updated_at=PUBLISHED - timedelta(days=1),
            tags=(),
            image_url=None,
        ),
    ]


def parse_feed(document: bytes) -> Any:
    parsed = feedparser.parse(document)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return parsed


def struct_utc(value: datetime) -> time.struct_time:
    # feedparser reports parsed dates as UTC struct_time with tm_isdst=0.
    return value.utctimetuple()


# --- RSS 2.0 -----------------------------------------------------------------


def test_rss_root_declares_version_and_namespaces() -> None:
    document = render_rss(make_meta(), two_items())

    assert document.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    root_tag = document.split(b"\n", 1)[1].split(b">", 1)[0]
    assert root_tag == (
        b'<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"'
        b' xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        b' xmlns:dc="http://purl.org/dc/elements/1.1/"'
    )


def test_rss_channel_round_trips() -> None:
    meta = make_meta()
    parsed = parse_feed(render_rss(meta, two_items()))

    assert parsed.version == "rss20"
    assert parsed.feed.title == meta.title
    assert parsed.feed.link == meta.home_url
    assert parsed.feed.subtitle == meta.description
    assert parsed.feed.language == "en"
    assert parsed.feed.updated == "Sun, 10 Mar 2024 08:00:00 GMT"
    assert parsed.feed.updated_parsed == struct_utc(UPDATED)
    self_links = [link for link in parsed.feed.links if link.rel == "self"]
    assert [(link.href, link.type) for link in self_links] == [
        (meta.self_url, "application/rss+xml")
    ]


def test_rss_items_round_trip() -> None:
    first, second = two_items()
    parsed = parse_feed(render_rss(make_meta(), [first, second]))

    entry = parsed.entries[0]
    assert entry.title == first.title
    assert entry.link == first.url
    assert entry.id == f"urn:uuid:{FIRST_ID}"
    assert entry.guidislink is False
    assert entry.published == "Sat, 09 Mar 2024 14:05:07 GMT"
    assert entry.published_parsed == struct_utc(PUBLISHED)
    assert entry.summary == first.summary
    assert entry.content[0].value == first.content_html
    assert [author.name for author in entry.authors] == list(first.authors)
    assert [tag.term for tag in entry.tags] == list(first.tags)

    other = parsed.entries[1]
    assert other.title == second.title
    assert other.id == f"urn:uuid:{SECOND_ID}"
    assert [author.name for author in other.authors] == ["Kwame Mensah"]
    assert "tags" not in other


def test_rss_xml_structure() -> None:
    first, second = two_items()
    root = ET.fromstring(render_rss(make_meta(), [first, second]))

    channel = root.find("channel")
    assert channel is not None
    assert channel.findtext("lastBuildDate") == "Sun, 10 Mar 2024 08:00:00 GMT"
    items = channel.findall("item")
    assert len(items) == 2
    guid = items[0].find("guid")
    assert guid is not None
    assert guid.get("isPermaLink") == "false"
    assert guid.text == f"urn:uuid:{FIRST_ID}"
    assert items[0].findtext(f"{CONTENT}encoded") == first.content_html
    assert [el.text for el in items[0].findall(f"{DC}creator")] == list(first.authors)
    assert [el.text for el in items[0].findall("category")] == list(first.tags)
    # No summary means no description rather than an empty one.
    assert items[1].find("description") is None


# --- Atom 1.0 ----------------------------------------------------------------


def test_atom_feed_round_trips() -> None:
    meta = make_meta()
    parsed = parse_feed(render_atom(meta, two_items()))

    assert parsed.version == "atom10"
    assert parsed.feed.title == meta.title
    assert parsed.feed.subtitle == meta.description
    assert parsed.feed.language == "en"
    assert parsed.feed.id.startswith("urn:uuid:")
    assert parsed.feed.updated == "2024-03-10T08:00:00Z"
    assert parsed.feed.updated_parsed == struct_utc(UPDATED)
    links = {link.rel: link.href for link in parsed.feed.links}
    assert links == {"self": meta.self_url, "alternate": meta.home_url}


def test_atom_entries_round_trip() -> None:
    first, second = two_items()
    parsed = parse_feed(render_atom(make_meta(), [first, second]))

    entry = parsed.entries[0]
    assert entry.id == f"urn:uuid:{FIRST_ID}"
    assert entry.title == first.title
    assert entry.link == first.url
    assert entry.published == "2024-03-09T14:05:07Z"
    assert entry.published_parsed == struct_utc(PUBLISHED)
    assert entry.updated == "2024-03-10T08:00:00Z"
    assert entry.updated_parsed == struct_utc(UPDATED)
    assert [author.name for author in entry.authors] == list(first.authors)
    assert entry.summary == first.summary
    assert entry.content[0].type == "text/html"
    assert entry.content[0].value == first.content_html
    assert [tag.term for tag in entry.tags] == list(first.tags)

    other = parsed.entries[1]
    assert other.id == f"urn:uuid:{SECOND_ID}"
    assert other.updated_parsed == struct_utc(second.updated_at)
    # feedparser fills a missing summary from the content, so look at the XML.
    entries = ET.fromstring(render_atom(make_meta(), [second])).findall(f"{ATOM}entry")
    assert entries[0].find(f"{ATOM}summary") is None


def test_atom_id_is_derived_from_self_url() -> None:
    def feed_id(self_url: str) -> str | None:
        root = ET.fromstring(render_atom(make_meta(self_url=self_url), []))
        return root.findtext(f"{ATOM}id")

    url = "https://api.news.example/feeds/world.atom?limit=20"
    assert feed_id(url) == feed_id(url)
    assert feed_id(url) != feed_id(url + "&offset=20")


def test_atom_omits_feed_author_when_every_entry_has_one() -> None:
    root = ET.fromstring(render_atom(make_meta(), [make_item()]))

    assert root.find(f"{ATOM}author") is None


def test_atom_adds_feed_author_when_an_entry_has_none() -> None:
    meta = make_meta()
    items = [make_item(), make_item(id=SECOND_ID, authors=())]
    document = render_atom(meta, items)

    root = ET.fromstring(document)
    assert root.findtext(f"{ATOM}author/{ATOM}name") == meta.title
    entries = root.findall(f"{ATOM}entry")
    assert entries[1].find(f"{ATOM}author") is None
    assert parse_feed(document).feed.author == meta.title


# --- JSON Feed 1.1 -----------------------------------------------------------


def test_json_feed_top_level() -> None:
    meta = make_meta()
    feed = orjson.loads(render_json_feed(meta, two_items()))

    assert feed == {
        "version": "https://jsonfeed.org/version/1.1",
        "title": meta.title,
        "home_page_url": meta.home_url,
        "feed_url": meta.self_url,
        "description": meta.description,
        "language": "en",
        "items": feed["items"],
    }


def test_json_feed_items() -> None:
    first, second = two_items()
    feed = orjson.loads(render_json_feed(make_meta(), [first, second]))

    assert feed["items"] == [
        {
            "id": f"urn:uuid:{FIRST_ID}",
            "url": first.url,
            "title": first.title,
            "content_html": first.content_html,
            "summary": first.summary,
            "image": first.image_url,
            "date_published": "2024-03-09T14:05:07Z",
            "date_modified": "2024-03-10T08:00:00Z",
            "authors": [{"name": "Ada Obi"}, {"name": "Kwame Mensah"}],
            "tags": ["weather", "nigeria"],
        },
        # Absent optional values are left out, not sent as null or [].
        {
            "id": f"urn:uuid:{SECOND_ID}",
            "url": second.url,
            "title": second.title,
            "content_html": second.content_html,
            "date_published": "2024-03-08T14:05:07Z",
            "date_modified": "2024-03-08T14:05:07Z",
            "authors": [{"name": "Kwame Mensah"}],
        },
    ]


def test_json_feed_meets_spec_requirements() -> None:
    feed = orjson.loads(render_json_feed(make_meta(), [*two_items(), make_item(authors=())]))

    # JSON Feed 1.1 requires version, title and items at the top level, and an
    # id plus content_html or content_text on every item.
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(feed["title"], str)
    assert isinstance(feed["items"], list)
    for item in feed["items"]:
        assert isinstance(item["id"], str)
        assert isinstance(item["content_html"], str)
        for key in ("date_published", "date_modified"):
            assert datetime.fromisoformat(item[key]).utcoffset() == timedelta(0)
        for author in item.get("authors", []):
            assert set(author) == {"name"}
        assert all(isinstance(tag, str) for tag in item.get("tags", []))


# --- All formats -------------------------------------------------------------


XML_RENDERERS = [pytest.param(render_rss, id="rss"), pytest.param(render_atom, id="atom")]
ALL_RENDERERS = [*XML_RENDERERS, pytest.param(render_json_feed, id="json")]


@pytest.mark.parametrize("render", XML_RENDERERS)
def test_hostile_text_stays_well_formed_xml(render: Renderer) -> None:
    meta = make_meta(title=HOSTILE, description=HOSTILE)
    item = make_item(
        title=HOSTILE,
        summary=HOSTILE,
        content_html=f"<p>{HOSTILE}</p>",
        authors=(HOSTILE,),
        tags=(HOSTILE,),
        url="https://news.example/a?b=1&c=<2>\x00",
    )
    document = render(meta, [item])

    parsed = parse_feed(document)
    entry = parsed.entries[0]
    assert parsed.feed.title == HOSTILE_CLEANED
    assert entry.title == HOSTILE_CLEANED
    assert entry.link == "https://news.example/a?b=1&c=<2>"
    assert [author.name for author in entry.authors] == [HOSTILE_CLEANED]
    assert [tag.term for tag in entry.tags] == [HOSTILE_CLEANED]
    # feedparser sanitises HTML (dropping the <script>), so check the exact
    # text with a plain XML parser.
    all_text = ET.tostring(ET.fromstring(document), encoding="unicode", method="text")
    assert f"<p>{HOSTILE_CLEANED}</p>" in all_text


def test_hostile_text_in_json_feed() -> None:
    document = render_json_feed(
        make_meta(title=HOSTILE), [make_item(title=HOSTILE, tags=(HOSTILE,))]
    )

    feed = orjson.loads(document)
    assert feed["title"] == HOSTILE_CLEANED
    assert feed["items"][0]["title"] == HOSTILE_CLEANED
    assert feed["items"][0]["tags"] == [HOSTILE_CLEANED]


@pytest.mark.parametrize("render", XML_RENDERERS)
def test_empty_xml_feed_is_valid(render: Renderer) -> None:
    meta = make_meta(updated_at=None)
    document = render(meta, [])

    ET.fromstring(document)
    parsed = parse_feed(document)
    assert parsed.entries == []
    assert parsed.feed.title == meta.title


def test_empty_rss_has_no_last_build_date() -> None:
    channel = ET.fromstring(render_rss(make_meta(updated_at=None), [])).find("channel")

    assert channel is not None
    assert channel.find("lastBuildDate") is None


def test_empty_atom_has_fixed_updated_and_feed_author() -> None:
    meta = make_meta(updated_at=None)
    root = ET.fromstring(render_atom(meta, []))

    assert root.findtext(f"{ATOM}updated") == "1970-01-01T00:00:00Z"
    assert root.findtext(f"{ATOM}author/{ATOM}name") == meta.title


def test_empty_json_feed() -> None:
    feed = orjson.loads(render_json_feed(make_meta(updated_at=None), []))

    assert feed["items"] == []
    assert feed["version"] == "https://jsonfeed.org/version/1.1"


@pytest.mark.parametrize("render", ALL_RENDERERS)
def test_output_is_deterministic(render: Renderer) -> None:
    # Separately built but equal inputs must give identical bytes (ETags).
    first = render(make_meta(), two_items())
    second = render(make_meta(), two_items())

    assert first == second


@pytest.mark.parametrize("render", ALL_RENDERERS)
def test_output_is_utf8(render: Renderer) -> None:
    document = render(make_meta(), [make_item(title="مرحبا 🎉")])

    assert "مرحبا 🎉".encode() in document


@pytest.mark.parametrize("render", ALL_RENDERERS)
def test_dates_are_rendered_in_utc(render: Renderer) -> None:
    lagos = timezone(timedelta(hours=1))
    shifted = make_item(
        published_at=PUBLISHED.astimezone(lagos), updated_at=UPDATED.astimezone(lagos)
    )

    assert render(make_meta(), [shifted]) == render(make_meta(), [make_item()])


@pytest.mark.parametrize("render", ALL_RENDERERS)
def test_naive_datetimes_are_rejected(render: Renderer) -> None:
    naive = make_item(published_at=PUBLISHED.replace(tzinfo=None))

    with pytest.raises(ValueError, match="timezone-aware"):
        render(make_meta(), [naive])


@pytest.mark.parametrize("render", ALL_RENDERERS)
def test_item_ids_are_canonical_uuids(render: Renderer) -> None:
    upper = render(make_meta(), [make_item(id=FIRST_ID.upper())])

    assert upper == render(make_meta(), [make_item()])
    with pytest.raises(ValueError, match="badly formed"):
        render(make_meta(), [make_item(id="not-a-uuid")])
