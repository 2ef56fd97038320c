"""Render article feeds as RSS 2.0, Atom 1.0 and JSON Feed 1.1.

Pure functions from plain data to bytes: no database and no HTTP here, so the
routes can compute ETags from the output and the tests need nothing but data.
The same input always yields the same bytes, because readers and caches key on
them.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from io import BytesIO
from uuid import NAMESPACE_URL, UUID, uuid5

import orjson

__all__ = ["FeedItem", "FeedMeta", "render_atom", "render_json_feed", "render_rss"]

ATOM_NS = "http://www.w3.org/2005/Atom"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
DC_NS = "http://purl.org/dc/elements/1.1/"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"

# Atom requires a feed-level <updated>; an empty feed has no newest item, and
# using "now" would change the bytes (and the ETag) on every request.
_EMPTY_FEED_UPDATED = datetime(1970, 1, 1, tzinfo=UTC)

# Everything XML 1.0 allows (§2.2 Char). The rest -- C0 controls such as NUL and
# VT, lone surrogates, U+FFFE/U+FFFF -- cannot appear even as character
# references, so the only way to stay well-formed is to drop them.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True, slots=True)
class FeedItem:
    id: str  # article uuid
    url: str  # canonical absolute link for the item
    title: str
    summary: str | None
    content_html: str
    authors: tuple[str, ...]
    published_at: datetime  # timezone-aware
    updated_at: datetime  # timezone-aware
    tags: tuple[str, ...]  # tag names
    image_url: str | None


@dataclass(frozen=True, slots=True)
class FeedMeta:
    title: str  # e.g. "Lede — world/africa"
    self_url: str  # absolute URL of this feed document, with its query string
    home_url: str  # absolute site/API URL
    description: str
    language: str  # e.g. "en"
    updated_at: datetime | None  # newest item's updated_at; None when there are no items


def render_rss(meta: FeedMeta, items: Sequence[FeedItem]) -> bytes:
    """RSS 2.0, UTF-8, with the atom/content/dc extensions readers expect."""
    # Prefixed names are written literally (with the xmlns declarations set by
    # hand) rather than through ET.register_namespace, which mutates global
    # state and only declares the namespaces that happen to be used.
    rss = ET.Element(
        "rss",
        {
            "version": "2.0",
            "xmlns:atom": ATOM_NS,
            "xmlns:content": CONTENT_NS,
            "xmlns:dc": DC_NS,
        },
    )
    channel = _sub(rss, "channel")
    _sub(channel, "title", meta.title)
    _sub(channel, "link", meta.home_url)
    _sub(channel, "description", meta.description)
    _sub(channel, "language", meta.language)
    if meta.updated_at is not None:
        _sub(channel, "lastBuildDate", _rfc822(meta.updated_at))
    _sub(
        channel,
        "atom:link",
        attrs={"href": meta.self_url, "rel": "self", "type": "application/rss+xml"},
    )
    for item in items:
        entry = _sub(channel, "item")
        _sub(entry, "title", item.title)
        _sub(entry, "link", item.url)
        _sub(entry, "guid", _urn(item.id), {"isPermaLink": "false"})
        _sub(entry, "pubDate", _rfc822(item.published_at))
        if item.summary is not None:
            _sub(entry, "description", item.summary)
        _sub(entry, "content:encoded", item.content_html)
        for author in item.authors:
            # RSS <author> must be an e-mail address; dc:creator takes a name.
            _sub(entry, "dc:creator", author)
        for tag in item.tags:
            _sub(entry, "category", tag)
    return _xml_bytes(rss)


def render_atom(meta: FeedMeta, items: Sequence[FeedItem]) -> bytes:
    """Atom 1.0 (RFC 4287), UTF-8."""
    feed = ET.Element("feed", {"xmlns": ATOM_NS, "xml:lang": meta.language})
    # The id must never change for this feed; deriving it from the self URL
    # keeps it stable without storing anything.
    _sub(feed, "id", f"urn:uuid:{uuid5(NAMESPACE_URL, _clean(meta.self_url))}")
    _sub(feed, "title", meta.title)
    _sub(feed, "subtitle", meta.description)
    _sub(feed, "updated", _rfc3339(meta.updated_at or _EMPTY_FEED_UPDATED))
    _sub(feed, "link", attrs={"rel": "self", "href": meta.self_url, "type": "application/atom+xml"})
    _sub(feed, "link", attrs={"rel": "alternate", "href": meta.home_url})
    # RFC 4287 §4.1.1: the feed needs an author unless every entry has one.
    # An empty feed satisfies that vacuously, but validators still flag it.
    if not items or not all(item.authors for item in items):
        _sub(_sub(feed, "author"), "name", meta.title)
    for item in items:
        entry = _sub(feed, "entry")
        _sub(entry, "id", _urn(item.id))
        _sub(entry, "title", item.title)
        _sub(entry, "link", attrs={"rel": "alternate", "href": item.url})
        _sub(entry, "published", _rfc3339(item.published_at))
        _sub(entry, "updated", _rfc3339(item.updated_at))
        for author in item.authors:
            _sub(_sub(entry, "author"), "name", author)
        if item.summary is not None:
            _sub(entry, "summary", item.summary)
        _sub(entry, "content", item.content_html, {"type": "html"})
        for tag in item.tags:
            _sub(entry, "category", attrs={"term": tag})
    return _xml_bytes(feed)


def render_json_feed(meta: FeedMeta, items: Sequence[FeedItem]) -> bytes:
    """JSON Feed 1.1 (https://jsonfeed.org/version/1.1), UTF-8."""
    feed = {
        "version": JSON_FEED_VERSION,
        "title": _clean(meta.title),
        "home_page_url": _clean(meta.home_url),
        "feed_url": _clean(meta.self_url),
        "description": _clean(meta.description),
        "language": _clean(meta.language),
        "items": [_json_item(item) for item in items],
    }
    return orjson.dumps(feed)


def _json_item(item: FeedItem) -> dict[str, object]:
    # Same id as the RSS guid and Atom id, so an item is named alike in every format.
    out: dict[str, object] = {
        "id": _urn(item.id),
        "url": _clean(item.url),
        "title": _clean(item.title),
        "content_html": _clean(item.content_html),
    }
    # JSON Feed's optional fields are omitted rather than sent as null or [].
    if item.summary is not None:
        out["summary"] = _clean(item.summary)
    if item.image_url is not None:
        out["image"] = _clean(item.image_url)
    out["date_published"] = _rfc3339(item.published_at)
    out["date_modified"] = _rfc3339(item.updated_at)
    if item.authors:
        out["authors"] = [{"name": _clean(author)} for author in item.authors]
    if item.tags:
        out["tags"] = [_clean(tag) for tag in item.tags]
    return out


def _clean(text: str) -> str:
    """Drop characters XML 1.0 cannot carry.

    JSON goes through this too, so the three formats carry identical text, and
    because orjson refuses lone surrogates.
    """
    return _NOT_XML_CHAR.sub("", text)


def _sub(
    parent: ET.Element,
    tag: str,
    text: str | None = None,
    attrs: Mapping[str, str] | None = None,
) -> ET.Element:
    element = ET.SubElement(
        parent, tag, {name: _clean(value) for name, value in (attrs or {}).items()}
    )
    if text is not None:
        element.text = _clean(text)
    return element


def _xml_bytes(root: ET.Element) -> bytes:
    # ElementTree.write rather than ET.tostring, whose stubs return Any for a
    # byte encoding.
    buffer = BytesIO()
    ET.ElementTree(root).write(buffer, encoding="utf-8", xml_declaration=True)
    return buffer.getvalue()


def _urn(item_id: str) -> str:
    # Going through UUID rejects ids that are not uuids and canonicalises case,
    # so a guid never changes just because the id was spelled differently.
    return f"urn:uuid:{UUID(item_id)}"


def _utc(value: datetime) -> datetime:
    # A naive datetime would be rendered in whatever zone it happens to mean;
    # refuse it so the caller converts at the boundary instead.
    if value.utcoffset() is None:
        raise ValueError(f"feed datetimes must be timezone-aware, got {value!r}")
    return value.astimezone(UTC)


def _rfc822(value: datetime) -> str:
    return format_datetime(_utc(value), usegmt=True)


def _rfc3339(value: datetime) -> str:
    # Whole seconds, like the RSS dates, so every format states the same instant.
    return _utc(value).replace(microsecond=0, tzinfo=None).isoformat() + "Z"
