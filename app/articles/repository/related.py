"""Articles scored by the live entities and tags they share with another."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Integer, func, literal_column, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.models import Article, ArticleTag, Entity, Mention, Tag
from app.models.visibility import visible_clause


async def scored_page(
    session: AsyncSession,
    article_id: uuid.UUID,
    *,
    entity_weight: int,
    tag_weight: int,
    limit: int,
    now: datetime,
) -> tuple[list[tuple[uuid.UUID, int]], int]:
    """(id, score) of the best ``limit`` visible articles sharing anything with the article,
    highest score then newest first; and how many share anything.

    Each shared live entity scores ``entity_weight``, each shared live tag ``tag_weight``.
    Never the article itself.
    """
    other_mention = aliased(Mention)
    by_entity = (
        select(
            other_mention.article_id.label("article_id"),
            literal_column(str(entity_weight), Integer).label("weight"),
        )
        .select_from(Mention)
        .join(other_mention, other_mention.entity_id == Mention.entity_id)
        .join(Entity, Entity.id == Mention.entity_id)
        .where(
            Mention.article_id == article_id,
            other_mention.article_id != article_id,
            Entity.deleted_at.is_(None),
        )
    )
    other_tag = aliased(ArticleTag)
    by_tag = (
        select(other_tag.article_id, literal_column(str(tag_weight), Integer))
        .select_from(ArticleTag)
        .join(other_tag, other_tag.tag_id == ArticleTag.tag_id)
        .join(Tag, Tag.id == ArticleTag.tag_id)
        .where(
            ArticleTag.article_id == article_id,
            other_tag.article_id != article_id,
            Tag.deleted_at.is_(None),
        )
    )
    shared = union_all(by_entity, by_tag).subquery()
    score = func.sum(shared.c.weight).label("score")
    scored = (
        select(Article.id, score)
        .join(shared, shared.c.article_id == Article.id)
        .where(visible_clause(now))
        .group_by(Article.id, Article.published_at)
    )
    total = await session.scalar(select(func.count()).select_from(scored.subquery())) or 0
    rows = (
        await session.execute(
            scored.order_by(score.desc(), Article.published_at.desc(), Article.id.desc()).limit(
                limit
            )
        )
    ).all()
    return [(row.id, int(row.score)) for row in rows], total
