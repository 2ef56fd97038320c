"""Article versions: what one keeps, which fields changed, and writing the next one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.articles import publishing
from app.core.schemas import rfc3339
from app.core.security import Principal
from app.models import Article, ArticleRevision
from app.models.visibility import is_visible
from app.resources.repository.versions import flush_new_version

# An article's own fields, as an editor writes them.
OWN = (
    "slug",
    "title",
    "summary",
    "body",
    "body_format",
    "authors",
    "section",
    "language",
    "status",
    "published_at",
    "expires_at",
    "canonical_url",
    "source",
    "image",
)
# Fields whose change is a new version, in the order revisions list them.
TRACKED = (*OWN, "tags", "entities", "corrections")
_TIMES = ("published_at", "expires_at")


def own_fields(article: Any) -> dict[str, Any]:
    """The fields of ``article`` (an ``Article``, or a row of its columns) an editor writes,
    as they would write them: a summary made from the body is none."""
    values = {name: getattr(article, name) for name in OWN}
    values["summary"] = None if article.summary_derived else article.summary
    values["authors"] = list(article.authors)
    return values


def snapshot(article: Any, *, tags: list[str], manual: list[dict[str, str]]) -> dict[str, Any]:
    """What a revision keeps of an article (an ``Article``, or a row of its columns)."""
    values = own_fields(article)
    for name in _TIMES:
        if values[name] is not None:
            values[name] = rfc3339(values[name])
    return {**values, "tags": tags, "entities": manual, "corrections": list(article.corrections)}


def named_entity(mention: Any) -> dict[str, str]:
    """A manual mention as the editor named it: by id, with the salience they gave."""
    salience = {"salience": mention.editor_salience} if mention.editor_salience else {}
    return {"id": str(mention.entity_id), **salience}


def snapshot_of(article: Article) -> dict[str, Any]:
    return snapshot(
        article,
        tags=[link.tag.name for link in article.tag_links],
        manual=[named_entity(m) for m in article.mentions if m.source == "manual"],
    )


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [name for name in TRACKED if before.get(name) != after.get(name)]


async def save_version(
    session: AsyncSession,
    article: Article,
    before: dict[str, Any],
    changed: list[str],
    *,
    principal: Principal,
    now: datetime,
    was_public: bool,
) -> None:
    """Keep ``before`` as a revision and write the article's changes as its next version."""
    session.add(
        ArticleRevision(
            article_id=article.id,
            version=article.version,
            snapshot=before,
            changed_fields=changed,
            actor=article.updated_by,
            created_at=article.updated_at,
        )
    )
    article.updated_at = now
    article.updated_by = principal.actor
    await flush_new_version(session, article)
    event = "updated"
    came_back = "status" in changed or "expires_at" in changed
    if article.status == "published" and not was_public and came_back:
        event = "published"
    elif was_public and not is_visible(article, now):
        event = "unpublished"
    await publishing.record_event(session, article, event, now=now, was_public=was_public)
