"""An article as a schema.org ``NewsArticle`` in JSON-LD, with what Google's article
structured data asks for (https://developers.google.com/search/docs/appearance/structured-data/article).

A pure function from the article's public shape: no database and no HTTP here.
"""

from __future__ import annotations

from typing import Any

from app.formats.common import Linked, Site, external_urls, salience

SCHEMA_TYPES = {
    "person": "Person",
    "organization": "Organization",
    "location": "Place",
    "event": "Event",
    "other": "Thing",
}


def news_article(article: dict[str, Any], site: Site, linked: Linked) -> dict[str, Any]:
    url = site.url("articles", article["slug"])
    page = article["canonical_url"] or url
    image = article["image"]
    entities: dict[str, list[dict[str, Any]]] = {"about": [], "mentions": []}
    for mention in article["entities"]:
        entities[salience(mention)].append(_entity(mention["entity"], site, linked))
    document: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "@id": url,
        "url": page,
        "mainEntityOfPage": {"@type": "WebPage", "@id": page},
        "headline": article["title"],
        "description": article["summary"],
        "image": image
        and [
            _drop_empty(
                {
                    "@type": "ImageObject",
                    "url": image["url"],
                    "caption": image.get("caption"),
                    "creditText": image.get("credit"),
                }
            )
        ],
        "datePublished": article["published_at"],
        "dateCreated": article["created_at"],
        "dateModified": article["updated_at"],
        "author": _authors(article, site, linked),
        "publisher": _drop_empty(
            {
                "@type": "Organization",
                "name": site.publisher_name,
                "logo": site.publisher_logo
                and {"@type": "ImageObject", "url": site.publisher_logo},
            }
        ),
        "articleSection": article["section"],
        "keywords": [tag["name"] for tag in article["tags"]],
        "inLanguage": article["language"],
        "wordCount": article["word_count"],
        "isBasedOn": article["source"],
        "about": entities["about"],
        "mentions": entities["mentions"],
        "correction": [
            {"@type": "CorrectionComment", "text": c["text"], "datePublished": c["at"]}
            for c in article["corrections"]
        ],
    }
    return _drop_empty(document)


def _authors(article: dict[str, Any], site: Site, linked: Linked) -> list[dict[str, Any]]:
    """A Person per byline, with the author's page; bylines with no author page by name."""
    if not article["bylines"]:
        return [{"@type": "Person", "name": name} for name in article["authors"]]
    people = []
    for byline in article["bylines"]:
        profile = linked.authors.get(byline["id"])
        people.append(
            _drop_empty(
                {
                    "@type": "Person",
                    "@id": site.url("authors", byline["slug"]),
                    "name": byline["name"],
                    "url": site.url("authors", byline["slug"]),
                    "jobTitle": profile and profile.job_title,
                    "image": profile and profile.image_url,
                    "sameAs": profile and list(profile.urls),
                }
            )
        )
    return people


def _entity(entity: dict[str, Any], site: Site, linked: Linked) -> dict[str, Any]:
    return _drop_empty(
        {
            "@type": SCHEMA_TYPES[entity["type"]],
            "@id": site.url("entities", entity["slug"]),
            "name": entity["name"],
            "sameAs": external_urls(linked.external_ids.get(entity["id"], {})),
        }
    )


def _drop_empty(document: dict[str, Any]) -> dict[str, Any]:
    """Leave out what has no value: validators flag empty properties."""
    return {k: v for k, v in document.items() if v is not None and v != [] and v != ""}
