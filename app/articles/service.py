"""Article use cases: write paths (with revisions and the change feed) and reads."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Row, insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.articles import reads, repository
from app.articles.content import count_words, derive_summary, reading_time_minutes, render_body
from app.articles.filters import ARTICLE_FIELDS, ArticleFilters, ArticleSort
from app.articles.schemas import ArticleCreate, MentionIn
from app.authors import service as authors_service
from app.changes.service import Event, record_changes, withdraw_pending
from app.core.errors import Conflict, Gone, NotFound, invalid
from app.core.http import dumps
from app.core.pagination import Page
from app.core.repository import (
    Found,
    Precondition,
    ensure_slug_free,
    find_by_ref,
    flush_new_version,
    insert_with_free_slugs,
    move_slug,
    trash_or_purge,
)
from app.core.schemas import rfc3339
from app.core.security import Principal
from app.core.slugs import could_be_ref, fold_name, make_slug
from app.entities import service as entities_service
from app.linking import service as linking_service
from app.linking.salience import Salience
from app.linking.service import ArticleText, Linked, LinkOptions
from app.models import Article, ArticleAuthor, ArticleRevision, ArticleTag, Entity, Mention, Tag
from app.models.visibility import (
    becomes_visible,
    is_visible,
    readable_clause,
    was_visible_when_trashed,
)
from app.tags import service as tags_service

# Writes that do not say otherwise (bulk import, the CLI, the demo) link entities.
LINK = LinkOptions()

# Fields whose change is a new version, in the order revisions list them.
TRACKED = (
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
    "tags",
    "entities",
    "corrections",
)


# Reads ---------------------------------------------------------------------


async def find_article(
    session: AsyncSession,
    ref: str,
    *,
    principal: Principal,
    now: datetime,
    include_deleted: bool = False,
    for_update: bool = False,
) -> Found[Article]:
    """The article ``ref`` names as this principal may see it; 404 / 410 otherwise.

    A write takes it ``for_update``: concurrent writers then apply their edits
    one after the other to the latest version (last writer wins) rather than
    fail on each other's version bump; If-Match is checked against that latest.
    """
    # A former slug leads only to what this principal may read: a reader asking
    # for a hidden story's old slug learns what an unknown ref tells (SPEC §3).
    found = await find_by_ref(
        session,
        Article,
        ref,
        options=repository.ARTICLE_LOAD,
        moved_where=readable_clause(sees_drafts=principal.sees_drafts, now=now),
        for_update=for_update,
    )
    article = found.item
    if article is None:
        if found.moved_to is None:
            raise NotFound(f"No article {ref!r}.")
        return found
    if article.deleted_at is not None and not (include_deleted and principal.sees_drafts):
        if principal.sees_drafts or was_visible_when_trashed(article):
            raise Gone(f"The article {ref!r} has been deleted.")
        raise NotFound(f"No article {ref!r}.")
    if not principal.sees_drafts and not is_visible(article, now):
        raise NotFound(f"No article {ref!r}.")
    return found


async def list_articles(
    session: AsyncSession,
    caches: reads.ReadCaches,
    *,
    filters: ArticleFilters,
    sort: ArticleSort,
    page: Page,
    principal: Principal,
    now: datetime,
) -> tuple[list[Article], int, str | None]:
    """A page of loaded articles (for renderings that need more than the JSON shows)."""
    where = _where(session, filters, principal, now)
    total = None
    if not principal.sees_drafts:
        position = await repository.change_position(session)
        total, _until = await _reader_total(session, caches, filters, where, now, position)
    return await repository.list_page(
        session,
        where=where,
        sort=sort,
        page=page,
        sees_drafts=principal.sees_drafts,
        options=repository.READ_LOAD,
        total=total,
    )


# How a listing's page becomes a response, from its items, the total and the next cursor.
PageRenderer = Callable[[list[dict[str, Any]], int, str | None], reads.Rendered]


async def list_rendered(
    session: AsyncSession,
    caches: reads.ReadCaches,
    *,
    key: Hashable,
    filters: ArticleFilters,
    sort: ArticleSort,
    page: Page,
    principal: Principal,
    now: datetime,
    fields: tuple[str, ...],
    render: PageRenderer,
) -> reads.Rendered:
    """A page of articles in their public shape, limited to ``fields``, as ``render`` puts it.

    Readers' pages are kept by ``key`` (what identifies the request: its URL)
    until the next write or scheduled release changes what they would show.
    """
    if principal.sees_drafts:
        where = _where(session, filters, principal, now)
        items, total, next_cursor = await _views(session, where, sort, page, fields, None, True)
        return render(items, total, next_cursor)

    async def make(position: int) -> reads.Rendered:
        # Built only now: the clauses cost more than a kept page's whole answer.
        where = _where(session, filters, principal, now)
        total, until = await _reader_total(session, caches, filters, where, now, position)
        items, total, next_cursor = await _views(session, where, sort, page, fields, total, False)
        return replace(render(items, total, next_cursor), until=until)

    return await caches.pages.kept(session, key, now, make)


async def _views(
    session: AsyncSession,
    where: list[Any],
    sort: ArticleSort,
    page: Page,
    fields: tuple[str, ...],
    total: int | None,
    sees_drafts: bool,
) -> tuple[list[dict[str, Any]], int, str | None]:
    rows, total, next_cursor = await repository.page_rows(
        session,
        where=where,
        sort=sort,
        page=page,
        sees_drafts=sees_drafts,
        columns=repository.columns_of(fields),
        total=total,
    )
    return await reads.shape(session, rows, fields), total, next_cursor


def _where(
    session: AsyncSession, filters: ArticleFilters, principal: Principal, now: datetime
) -> list[Any]:
    return [
        readable_clause(sees_drafts=principal.sees_drafts, now=now),
        *repository.filter_clauses(session, filters),
    ]


async def _reader_total(
    session: AsyncSession,
    caches: reads.ReadCaches,
    filters: ArticleFilters,
    where: list[Any],
    now: datetime,
    position: int,
) -> tuple[int, datetime | None]:
    """The total readers see, and until when it holds (the next scheduled release)."""
    hit = caches.totals.get(filters)
    if hit is not None and hit[0] == position and (hit[2] is None or now < hit[2]):
        return hit[1], hit[2]
    total = await repository.count(session, where)
    until = await repository.next_release(session, now)
    if len(caches.totals) >= caches.TOTALS_MAX:
        caches.totals.clear()
    caches.totals[filters] = (position, total, until)
    return total, until


async def current_version(
    session: AsyncSession, ref: str, *, principal: Principal, now: datetime
) -> Row[Any] | None:
    """(id, version, updated_at, position) of an article this principal may see, or None."""
    if not could_be_ref(ref):
        return None
    return await repository.current_version(
        session, ref, sees_drafts=principal.sees_drafts, now=now
    )


async def article_body(
    session: AsyncSession,
    caches: reads.ReadCaches,
    current: Row[Any],
    fields: tuple[str, ...],
    now: datetime,
    document: reads.Document | None = None,
) -> bytes | None:
    """The JSON (or ``document``) of the article ``current_version`` found, or None if it
    changed since."""
    key = (current.id, current.version, fields, None if document is None else document.key)
    kept = caches.bodies.get(current.position, key, now)
    if kept is not None:
        return kept.body
    columns = repository.columns_of(fields)
    row = await repository.read_row(session, current.id, current.version, columns)
    if row is None:
        return None
    rendered = await render_article((await reads.shape(session, [row], fields))[0], document)
    caches.bodies.put(current.position, key, rendered)
    return rendered.body


async def render_article(
    content: dict[str, Any], document: reads.Document | None = None
) -> reads.Rendered:
    """An article's public shape as JSON, or as ``document`` renders it."""
    return reads.Rendered(dumps(content)) if document is None else await document.render(content)


async def stored_json(session: AsyncSession, article_id: uuid.UUID, version: int) -> dict[str, Any]:
    """The public shape of the article this transaction wrote, as reads show it."""
    columns = repository.columns_of(ARTICLE_FIELDS)
    row = await repository.read_row(session, article_id, version, columns)
    if row is None:
        raise RuntimeError(f"The article {article_id} is not at version {version}.")
    return (await reads.shape(session, [row], ARTICLE_FIELDS))[0]


async def readable_json(
    session: AsyncSession, ids: Sequence[uuid.UUID], *, sees_drafts: bool, now: datetime
) -> dict[uuid.UUID, dict[str, Any]]:
    """The JSON of those of the articles ``ids`` that a viewer may read, by id."""
    readable = await repository.readable_ids(session, ids, sees_drafts=sees_drafts, now=now)
    rows = await repository.rows_by_ids(
        session, [i for i in ids if i in readable], repository.columns_of(ARTICLE_FIELDS)
    )
    items = await reads.shape(session, rows, ARTICLE_FIELDS)
    return {row[0]: item for row, item in zip(rows, items, strict=True)}


async def matching_ids(
    session: AsyncSession, ids: Sequence[uuid.UUID], filters: ArticleFilters
) -> set[uuid.UUID]:
    """Those of the articles ``ids`` (trashed included) that ``filters`` pass."""
    return await repository.ids_where(session, ids, repository.filter_clauses(session, filters))


def to_dict(article: Article, fields: tuple[str, ...]) -> dict[str, Any]:
    """The public shape of an article, limited to ``fields``."""
    out: dict[str, Any] = {}
    for name in fields:
        if name == "tags":
            out["tags"] = [
                {"id": tag.id, "slug": tag.slug, "name": tag.name} for tag in live_tags(article)
            ]
        elif name == "bylines":
            out["bylines"] = [
                {"id": link.author.id, "slug": link.author.slug, "name": link.author.name}
                for link in article.author_links
                if link.author.deleted_at is None
            ]
        elif name == "entities":
            out["entities"] = [
                {
                    "entity": {
                        "id": m.entity.id,
                        "slug": m.entity.slug,
                        "name": m.entity.name,
                        "type": m.entity.type,
                    },
                    "count": m.count,
                    "spans": m.spans,
                    "source": m.source,
                    "salience": m.salience,
                    "score": m.score,
                }
                for m in sorted(article.mentions, key=_mention_order)
                if m.entity.deleted_at is None
            ]
        else:
            out[name] = getattr(article, name)
    return out


def live_tags(article: Article) -> list[Tag]:
    """The article's tags as it shows them: a trashed tag leaves every article at once."""
    return [link.tag for link in article.tag_links if link.tag.deleted_at is None]


def _mention_order(mention: Mention) -> tuple[int, str]:
    return reads.mention_order(mention.spans, mention.entity.name)


# Writes --------------------------------------------------------------------


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


def snapshot(article: Any, *, tags: list[str], manual: list[dict[str, str]]) -> dict[str, Any]:
    """What a revision keeps of an article (an ``Article``, or a row of its columns)."""
    return {
        "slug": article.slug,
        "title": article.title,
        "summary": None if article.summary_derived else article.summary,
        "body": article.body,
        "body_format": article.body_format,
        "authors": list(article.authors),
        "section": article.section,
        "language": article.language,
        "status": article.status,
        "published_at": rfc3339(article.published_at) if article.published_at else None,
        "expires_at": rfc3339(article.expires_at) if article.expires_at else None,
        "canonical_url": article.canonical_url,
        "source": article.source,
        "image": article.image,
        "tags": tags,
        "entities": manual,
        "corrections": list(article.corrections),
    }


def named_entity(mention: Any) -> dict[str, str]:
    """A manual mention as the editor named it: by id, with the salience they gave."""
    salience = {"salience": mention.editor_salience} if mention.editor_salience else {}
    return {"id": str(mention.entity_id), **salience}


def _snapshot(article: Article) -> dict[str, Any]:
    return snapshot(
        article,
        tags=[link.tag.name for link in article.tag_links],
        manual=[named_entity(m) for m in article.mentions if m.source == "manual"],
    )


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


async def _set_mentions(
    session: AsyncSession,
    article: Article,
    named: Named | None,
    *,
    text_changed: bool,
    linking: LinkOptions,
) -> None:
    """Link the entities the editor named (``named``; None: as before) and, if on, the rest.

    With linking off, the automatic mentions of an earlier write stay while
    the text they point into is unchanged, and go when it changed.
    """
    if named is None:
        kept = [m for m in article.mentions if m.source == "manual" and m.entity.deleted_at is None]
        named = Named(
            [m.entity for m in kept],
            {
                str(m.entity_id): cast(Salience, m.editor_salience)
                for m in kept
                if m.editor_salience
            },
        )
    [linked] = await linking_service.link_articles(
        session, [article_text(article, named)], options=linking
    )
    existing = {m.entity_id: m for m in article.mentions}
    mentions: list[Mention] = []
    for found in linked:
        mention = existing.pop(found.entity_id, None) or Mention(entity_id=found.entity_id)
        for name, value in mention_values(found).items():
            if getattr(mention, name) != value:
                setattr(mention, name, value)
        mentions.append(mention)
    if not linking.enabled and not text_changed:
        mentions += [m for m in existing.values() if m.source == "auto"]
    article.mentions = mentions


@dataclass(frozen=True, slots=True)
class Named:
    """The entities an editor named for an article, and the salience they gave some of them."""

    entities: Sequence[Entity] = ()
    salience: Mapping[str, Salience] = field(default_factory=dict)


async def resolve_named(
    session: AsyncSession, refs: Sequence[Sequence[dict[str, Any]]], *, now: datetime
) -> list[Named]:
    """For each article's ``entities`` input in ``refs``, the entities it names, found or
    created (looked up together for all the articles)."""
    mentions = [[MentionIn(**ref) for ref in article_refs] for article_refs in refs]
    found = await entities_service.resolve_entities(session, mentions, now=now)
    return [
        Named(
            list(dict.fromkeys(entities)),
            {str(e.id): m.salience for m, e in zip(named, entities, strict=True) if m.salience},
        )
        for named, entities in zip(mentions, found, strict=True)
    ]


NAMED_NONE = Named()


def article_text(article: Any, named: Named = NAMED_NONE) -> ArticleText:
    """What linking reads of an article (an ``Article``, or a row of its columns)."""
    # A derived summary is the body's opening: nothing more to find there.
    summary = None if article.summary_derived else article.summary
    return ArticleText(article.body_text, article.title, summary, named.entities, named.salience)


def mention_values(found: Linked) -> dict[str, Any]:
    """The ``mentions`` row of an entity linking found (its ``article_id`` aside)."""
    return {
        "entity_id": found.entity_id,
        "source": "manual" if found.manual else "auto",
        # The count is of mentions in the body: an entity named only in the
        # title or summary is linked with a count of 0.
        "count": len(found.spans),
        "spans": found.spans,
        "salience": found.salience,
        "score": found.score,
        "editor_salience": found.editor_salience,
    }


MentionState = tuple[str, str, int, list[Any], str, float, str | None]


def mention_state(mentions: Iterable[Any]) -> list[MentionState]:
    """What mentions (``Mention`` objects or rows) say, to tell whether a write changed them."""
    return sorted(
        (
            str(m.entity_id),
            m.source,
            m.count,
            m.spans,
            m.salience,
            m.score,
            m.editor_salience,
        )
        for m in mentions
    )


def linked_state(linked: Iterable[Linked]) -> list[MentionState]:
    """What the mentions linking found would say (see :func:`mention_state`)."""
    return mention_state(SimpleNamespace(**mention_values(found)) for found in linked)


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
        [named] = await resolve_named(session, [values["entities"] or []], now=now)
    text_changed = (article.title, article.summary, article.body_text) != text_before
    if linking.enabled or text_changed or named is not None:
        await _set_mentions(session, article, named, text_changed=text_changed, linking=linking)


def _events(article: Any, event: str, *, now: datetime, was_public: bool) -> list[Event]:
    """The change-feed events of a write to ``article`` (an ``Article``, or its row).

    Readers hear of a published (or scheduled) article from its publication
    time on, of its expiry when it comes, and at once of a change that took a
    public one away from them, so that copies they keep can drop it.
    """
    live = event != "deleted" and becomes_visible(article, now)
    events = [
        Event(
            "articles",
            article.id,
            event,
            article.version,
            public=live or was_public,
            visible_from=article.published_at if live and not was_public else None,
        )
    ]
    if live and article.expires_at is not None:
        events.append(
            Event(
                "articles",
                article.id,
                "unpublished",
                article.version,
                public=True,
                visible_from=article.expires_at,
            )
        )
    return events


def _event(
    article_id: uuid.UUID,
    version: int,
    *,
    event: str,
    status: str,
    published_at: datetime | None,
    deleted: bool,
    was_public: bool = False,
) -> Event:
    # Readers hear of a published (or scheduled) article from its publication
    # time on, and at once of a change that took a public one away from them,
    # so that copies they keep can drop it.
    live = event != "deleted" and status == "published" and not deleted
    return Event(
        "articles",
        article_id,
        event,
        version,
        public=live or was_public,
        visible_from=published_at if live and not was_public else None,
    )


async def record_event(
    session: AsyncSession,
    article: Article,
    event: str,
    *,
    now: datetime,
    was_public: bool = False,
) -> None:
    await record_changes(session, _events(article, event, now=now, was_public=was_public))
    await _publish_carried(session, [article.id], now)


async def _publish_carried(
    session: AsyncSession, article_ids: Sequence[uuid.UUID], now: datetime
) -> None:
    """Tags and entities readers first see through these articles, announced when they do."""
    tags, entities = await repository.publish_carried(session, article_ids, now)
    events: list[Event] = []
    for resource_type, rows in (("tags", tags), ("entities", entities)):
        # A scheduled story's tag waits for it: if that moved, so does the news.
        if rows:
            await withdraw_pending(session, resource_type, [row[0] for row in rows], now)
        for resource_id, version, public_from in rows:
            if public_from is not None:
                visible_from = public_from if public_from > now else None
                events.append(
                    Event(resource_type, resource_id, "created", version, True, visible_from)
                )
    await record_changes(session, events)


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
    named = await resolve_named(session, [v["entities"] or [] for v in values], now=now)
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
    texts = [article_text(SimpleNamespace(**row), n) for row, n in zip(rows, named, strict=True)]
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
        {"article_id": row["id"], **mention_values(found)}
        for row, article_links in zip(rows, linked, strict=True)
        for found in article_links
    ]
    # ORM bulk INSERTs: the tags and entities created on the way are flushed first.
    # NULLs are sent as values, so that rows missing different fields still go
    # in one statement.
    for model, model_rows in (
        (ArticleTag, tag_rows),
        (ArticleAuthor, byline_rows),
        (Mention, mention_rows),
    ):
        if model_rows:
            await session.execute(insert(model).execution_options(render_nulls=True), model_rows)
    written = [SimpleNamespace(**row) for row in rows]
    await record_changes(
        session,
        [e for row in written for e in _events(row, "created", now=now, was_public=False)],
    )
    public = [row.id for row in written if becomes_visible(row, now)]
    if public:
        await _publish_carried(session, public, now)
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


def _changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [name for name in TRACKED if before.get(name) != after.get(name)]


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
    before = _snapshot(article)
    mentions_before = mention_state(article.mentions)
    was_public = is_visible(article, now)
    await _apply(session, article, values, now=now, linking=linking)
    after = _snapshot(article)
    changed = _changed(before, after)
    if not changed and mention_state(article.mentions) != mentions_before:
        # Nothing the editor sent changed, but linking found other entities
        # (created since the last write): that is a new version too.
        changed = ["entities"]
    if not changed:
        return article
    await _save_version(
        session, article, before, changed, principal=principal, now=now, was_public=was_public
    )
    return article


async def _save_version(
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
    await record_event(session, article, event, now=now, was_public=was_public)


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
    before = _snapshot(article)
    at = now.isoformat().replace("+00:00", "Z")
    article.corrections = [*article.corrections, {"text": text, "at": at}]
    await _save_version(
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
    await record_event(session, article, "deleted", now=now, was_public=was_public)
