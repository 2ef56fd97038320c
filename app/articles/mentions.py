"""The entities an article mentions: those its editor named, and those linking finds in it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncSession

from app.articles.schemas import MentionIn
from app.entities import naming
from app.linking import service as linking_service
from app.linking.salience import Salience
from app.linking.service import ArticleText, Linked, LinkOptions
from app.models import Article, Entity, Mention


async def set_mentions(
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
    found = await naming.resolve_entities(session, mentions, now=now)
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
