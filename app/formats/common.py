"""What the structured renderings of an article share: the site, links, entity kinds."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

# External id schemes whose ids make a URL; ids that are URLs already are kept as they are.
EXTERNAL_URLS = {
    "wikidata": "https://www.wikidata.org/wiki/{}",
    "geonames": "https://sws.geonames.org/{}/",
    "viaf": "https://viaf.org/viaf/{}",
    "isni": "https://isni.org/isni/{}",
    "orcid": "https://orcid.org/{}",
}


@dataclass(frozen=True, slots=True)
class Site:
    """Where Lede answers, and who publishes what it serves."""

    base: str
    publisher_name: str
    publisher_logo: str | None

    def url(self, collection: str, slug: str) -> str:
        return f"{self.base}/v1/{collection}/{slug}"


@dataclass(frozen=True, slots=True)
class Linked:
    """What the documents show of an article's entities and authors beyond its JSON."""

    external_ids: Mapping[uuid.UUID, Mapping[str, Any]]
    # (job_title, image_url, urls) by author id.
    authors: Mapping[uuid.UUID, Any]


def external_urls(ids: Mapping[str, Any]) -> list[str]:
    """The URLs external ids stand for (``{"wikidata": "Q912"}`` → its Wikidata page)."""
    urls = []
    for scheme, value in sorted(ids.items()):
        text = str(value).strip()
        if text.startswith(("https://", "http://")):
            urls.append(text)
        elif text and scheme.lower() in EXTERNAL_URLS:
            urls.append(EXTERNAL_URLS[scheme.lower()].format(quote(text, safe="")))
    return urls


def salience(mention: Mapping[str, Any]) -> str:
    """``about`` or ``mentions``: what a mention says when it says, else ``about``."""
    return "mentions" if mention.get("salience") == "mentions" else "about"
