"""Article writes: creating, editing and deleting articles, each a version on the change feed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.articles import mentions, publishing, repository, versions
from app.articles.content import count_words, derive_summary, reading_time_minutes, render_body
from app.articles.schemas import ArticleCreate
from app.authors import service as authors_service
from app.changes.service import record_changes
from app.core.errors import Conflict, invalid
from app.core.http import Precondition
from app.core.security import Principal
from app.core.slugs import fold_name, make_slug
from app.linking import service as linking_service
from app.linking.service import LinkOptions
from app.models import Article, ArticleAuthor, ArticleTag
from app.models.visibility import becomes_visible, is_visible
from app.resources.repository.slugs import ensure_slug_free, insert_with_free_slugs, move_slug
from app.resources.repository.versions import trash_or_purge
from app.tags import service as tags_service

# Writes that do not say otherwise (bulk import, the CLI, the demo) link entities.
LINK = LinkOptions()


def _rendered(
    body: str, body_format: str, summary: str | None, summary_derived: bool
) -> dict[str, Any]:
    """The stored forms of a body, and the summary (derived again unless an editor wrote it)."""
    rendered = render_body(body, body_format)  # type: ignore[arg-type]
    word_count = count_words(rendered.text)
    if summary_derived or summary is None:
        summary = derive_summary(rendered.text)
        summary_derived = summary is not None
    return {
        "body": body,
        "body_format": body_format,
        "body_html": rendered.html,
        "body_text": rendered.text,
        "word_count": word_count,
        "reading_time_minutes": reading_time_minutes(word_count),
        "summary": summary,
        "summary_derived": summary_derived,
    }


def _render_into(article: Article, body: str, body_format: str) -> None:
    values = _rendered(body, body_format, article.summary, article.summary_derived)
    for name, value in values.items():
        setattr(article, name, value)


def stored_image(image: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if image is None else {k: v for k, v in image.items() if v is not None}


async def _set_tags(
    session: AsyncSession, article: Article, refs: list[str], now: datetime
) -> None:
    tags = await tags_service.resolve_tags(session, refs, now=now)
    article.tag_links = [
        ArticleTag(tag_id=tag.id, tag=tag, position=i) for i, tag in enumerate(tags)
    ]


async def _set_bylines(session: AsyncSession, article: Article, names: list[str]) -> None:
    """Link the authors ``names`` name, before ``article.authors`` changes to them.

    A byline the article had already keeps its author, even one renamed
    since; the others are found by name, or created.
    """
    before = list(dict.fromkeys(fold_name(name) for name in article.authors))
    links = article.author_links
    kept = (
        {k: link.author for k, link in zip(before, links, strict=True)}
        if len(before) == len(links)
        else {}
    )
    found = await authors_service.resolve_author_map(
        session, [name for name in names if fold_name(name) not in kept]
    )
    chosen = dict.fromkeys(kept.get(fold_name(name)) or found[name.strip()] for name in names)
    article.author_links = [
        ArticleAuthor(author_id=author.id, author=author, position=i)
        for i, author in enumerate(chosen)
    ]


async def _apply(
    session: AsyncSession,
    article: Article,
    values: dict[str, Any],
    *,
    now: datetime,
    linking: LinkOptions,
) -> None:
    """Apply validated field values to a new or loaded article."""
    text_before = (article.title, article.summary, article.body_text)
    if "slug" in values and values["slug"] is not None and values["slug"] != article.slug:
        await move_slug(session, article, values["slug"])
    if "authors" in values and values["authors"] != article.authors:
        await _set_bylines(session, article, values["authors"])
    for name in ("title", "authors", "section", "language", "canonical_url", "source"):
        if name in values:
            setattr(article, name, values[name])
    if "image" in values:
        article.image = stored_image(values["image"])
    if "summary" in values:
        article.summary = values["summary"]
        article.summary_derived = False
    if "status" in values and values["status"] is not None:
        article.status = values["status"]
    if "published_at" in values:
        article.published_at = values["published_at"]
    if "expires_at" in values:
        article.expires_at = values["expires_at"]
    if article.status == "published" and article.published_at is None:
        article.published_at = now
    check_expiry(article.published_at, article.expires_at)
    if "body" in values or "body_format" in values:
        _render_into(
            article,
            values.get("body", article.body) or "",
            values.get("body_format") or article.body_format,
        )
    elif "summary" in values and values["summary"] is None:
        article.summary = derive_summary(article.body_text)
        article.summary_derived = article.summary is not None
    if "tags" in values:
        await _set_tags(session, article, values["tags"] or [], now)
    named = None
    if "entities" in values:
        [named] = await mentions.resolve_named(session, [values["entities"] or []], now=now)
    text_changed = (article.title, article.summary, article.body_text) != text_before
    if linking.enabled or text_changed or named is not None:
        await mentions.set_mentions(
            session, article, named, text_changed=text_changed, linking=linking
        )


def check_expiry(published_at: datetime | None, expires_at: datetime | None) -> None:
    if published_at is not None and expires_at is not None and expires_at <= published_at:
        raise invalid(
            ["body", "expires_at"],
            f"expires_at ({expires_at.isoformat()}) must come after published_at "
            f"({published_at.isoformat()}).",
        )


def _new_row(
    values: dict[str, Any], slug: str | None, *, principal: Principal, now: datetime
) -> dict[str, Any]:
    """The ``articles`` row of a validated create body (a ``None`` slug is given on insert)."""
    published_at = values["published_at"]
    if values["status"] == "published" and published_at is None:
        published_at = now
    check_expiry(published_at, values["expires_at"])
    return {
        "id": uuid.uuid4(),
        "slug": slug,
        "version": 1,
        "title": values["title"],
        "authors": values["authors"],
        "section": values["section"],
        "language": values["language"],
        "status": values["status"],
        "published_at": published_at,
        "expires_at": values["expires_at"],
        "canonical_url": values["canonical_url"],
        "source": values["source"],
        "image": stored_image(values["image"]),
        "created_at": now,
        "updated_at": now,
        "updated_by": principal.actor,
        "deleted_at": None,
        "corrections": [],
        **_rendered(
            values["body"], values["body_format"], values["summary"], values["summary"] is None
        ),
    }


async def create_articles(
    session: AsyncSession,
    items: Sequence[ArticleCreate],
    *,
    principal: Principal,
    now: datetime,
    linking: LinkOptions = LINK,
) -> list[dict[str, Any]]:
    """Write new articles, a statement per table for all of them; their rows.

    The first problem with any item (an unknown entity, a slug in use) is
    raised for the whole batch: a caller that must keep the others writes
    them one at a time.
    """
    values = [data.model_dump() for data in items]
    named = await mentions.resolve_named(session, [v["entities"] or [] for v in values], now=now)
    explicit = [v["slug"] for v in values if v["slug"] is not None]
    if len(set(explicit)) < len(explicit):
        raise Conflict("Two articles of the batch ask for the same slug.")
    await ensure_slug_free(session, Article, *explicit)
    rows = [_new_row(v, v["slug"], principal=principal, now=now) for v in values]
    await insert_with_free_slugs(
        session,
        Article,
        rows,
        {
            i: make_slug(v["title"], fallback="article")
            for i, v in enumerate(values)
            if v["slug"] is None
        },
    )
    tags = await tags_service.resolve_tag_map(
        session, [ref for v in values for ref in v["tags"] or []], now=now
    )
    texts = [
        mentions.article_text(SimpleNamespace(**row), n) for row, n in zip(rows, named, strict=True)
    ]
    linked = await linking_service.link_articles(session, texts, options=linking)
    authors = await authors_service.resolve_author_map(
        session, [name for v in values for name in v["authors"]]
    )
    tag_rows, byline_rows = [], []
    for row, v in zip(rows, values, strict=True):
        bylines = dict.fromkeys(authors[name.strip()] for name in v["authors"])
        byline_rows += [
            {"article_id": row["id"], "author_id": author.id, "position": position}
            for position, author in enumerate(bylines)
        ]
        chosen = dict.fromkeys(tags[ref.strip()] for ref in v["tags"] or [] if ref.strip())
        tag_rows += [
            {"article_id": row["id"], "tag_id": tag.id, "position": position}
            for position, tag in enumerate(chosen)
        ]
    mention_rows = [
        {"article_id": row["id"], **mentions.mention_values(found)}
        for row, article_links in zip(rows, linked, strict=True)
        for found in article_links
    ]
    await repository.insert_links(
        session, tags=tag_rows, bylines=byline_rows, mentions=mention_rows
    )
    written = [SimpleNamespace(**row) for row in rows]
    await record_changes(
        session,
        [
            e
            for row in written
            for e in publishing.article_events(row, "created", now=now, was_public=False)
        ],
    )
    public = [row.id for row in written if becomes_visible(row, now)]
    if public:
        await publishing.publish_carried(session, public, now)
    return rows


async def create_article(
    session: AsyncSession,
    *,
    data: ArticleCreate,
    principal: Principal,
    now: datetime,
    linking: LinkOptions = LINK,
) -> dict[str, Any]:
    """Write one new article; its ``articles`` row."""
    [row] = await create_articles(session, [data], principal=principal, now=now, linking=linking)
    return row


async def update_article(
    session: AsyncSession,
    article: Article,
    *,
    values: dict[str, Any],
    principal: Principal,
    precondition: Precondition,
    now: datetime,
    linking: LinkOptions = LINK,
) -> Article:
    """Apply ``values`` (already merged for PATCH, complete for PUT) as one new version."""
    precondition.check(article)
    before = versions.snapshot_of(article)
    mentions_before = mentions.mention_state(article.mentions)
    was_public = is_visible(article, now)
    await _apply(session, article, values, now=now, linking=linking)
    after = versions.snapshot_of(article)
    changed = versions.changed_fields(before, after)
    if not changed and mentions.mention_state(article.mentions) != mentions_before:
        # Nothing the editor sent changed, but linking found other entities
        # (created since the last write): that is a new version too.
        changed = ["entities"]
    if not changed:
        return article
    await versions.save_version(
        session, article, before, changed, principal=principal, now=now, was_public=was_public
    )
    return article


async def add_correction(
    session: AsyncSession,
    article: Article,
    *,
    text: str,
    principal: Principal,
    precondition: Precondition,
    now: datetime,
) -> Article:
    """Append a public correction note to the article, as a new version."""
    precondition.check(article)
    before = versions.snapshot_of(article)
    at = now.isoformat().replace("+00:00", "Z")
    article.corrections = [*article.corrections, {"text": text, "at": at}]
    await versions.save_version(
        session,
        article,
        before,
        ["corrections"],
        principal=principal,
        now=now,
        was_public=is_visible(article, now),
    )
    return article


async def delete_article(
    session: AsyncSession,
    article: Article,
    *,
    purge: bool,
    principal: Principal,
    precondition: Precondition,
    now: datetime,
) -> None:
    precondition.check(article)
    was_public = is_visible(article, now)
    if not purge:
        article.updated_by = principal.actor
    await trash_or_purge(session, article, purge=purge, now=now)
    await publishing.record_event(session, article, "deleted", now=now, was_public=was_public)
