"""An article as IPTC ninjs 2.2 (https://iptc.org/std/ninjs/), the news agencies' JSON.

A pure function from the article's public shape: no database and no HTTP here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.formats.common import Linked, Site, external_urls, salience
from app.models.visibility import has_expired

# ninjs lists entities by kind; "other" ones go with the subjects, as tags do.
KINDS = {
    "person": "people",
    "organization": "organisations",
    "location": "places",
    "event": "events",
    "other": "subjects",
}


def pubstatus(article: dict[str, Any], now: datetime) -> str:
    """``canceled`` in the trash, ``withheld`` once expired, else ``usable``."""
    if article.get("deleted_at") is not None:
        return "canceled"
    if has_expired(article.get("expires_at"), now):
        return "withheld"
    return "usable"


def ninjs_item(
    article: dict[str, Any], site: Site, linked: Linked, now: datetime
) -> dict[str, Any]:
    concepts: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS.values()}
    concepts["subjects"] = [
        {"name": tag["name"], "uri": site.url("tags", tag["slug"]), "literal": tag["slug"]}
        for tag in article["tags"]
    ]
    for mention in article["entities"]:
        entity = mention["entity"]
        uris = external_urls(linked.external_ids.get(entity["id"], {}))
        concepts[KINDS[entity["type"]]].append(
            {
                "name": entity["name"],
                "rel": salience(mention),
                "uri": uris[0] if uris else site.url("entities", entity["slug"]),
                "literal": entity["slug"],
            }
        )
    image = article["image"]
    item: dict[str, Any] = {
        "uri": site.url("articles", article["id"]),
        "type": "text",
        "representationtype": "full",
        "version": str(article["version"]),
        "firstcreated": article["created_at"],
        "versioncreated": article["updated_at"],
        "contentcreated": article["published_at"] or article["created_at"],
        "pubstatus": pubstatus(article, now),
        "expires": article.get("expires_at"),
        "language": article["language"],
        "slugline": article["slug"],
        "headlines": [{"role": "main", "value": article["title"]}],
        "descriptions": [
            *([{"role": "summary", "value": article["summary"]}] if article["summary"] else []),
            *({"role": "correction", "value": c["text"]} for c in article["corrections"]),
        ],
        "bodies": [
            {
                "role": "main",
                "contenttype": "text/html",
                "value": article["body_html"],
                "wordcount": article["word_count"],
                "charcount": len(article["body_text"]),
            },
            {"role": "main", "contenttype": "text/plain", "value": article["body_text"]},
        ],
        "by": ", ".join(article["authors"]),
        **concepts,
        "infosources": [{"name": article["source"], "role": "source"}] if article["source"] else [],
        "altids": [
            {"role": "lede-id", "value": str(article["id"])},
            *(
                [{"role": "canonical-url", "value": article["canonical_url"]}]
                if article["canonical_url"]
                else []
            ),
        ],
        "associations": [_picture(image)] if image else [],
    }
    return {k: v for k, v in item.items() if v is not None and v != [] and v != ""}


def _picture(image: dict[str, Any]) -> dict[str, Any]:
    """The article's image as an associated picture item."""
    picture: dict[str, Any] = {
        "name": "featureimage",
        "uri": image["url"],
        "type": "picture",
        "renditions": [{"name": "original", "href": image["url"]}],
    }
    if image.get("caption"):
        picture["descriptions"] = [{"role": "caption", "value": image["caption"]}]
    if image.get("alt"):
        picture.setdefault("descriptions", []).append({"role": "alt", "value": image["alt"]})
    if image.get("credit"):
        picture["by"] = image["credit"]
    return picture
