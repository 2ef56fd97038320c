"""Related articles: the published ones that share the most entities and tags with an article.

Each shared live entity scores ``ENTITY_WEIGHT`` and each shared live tag
``TAG_WEIGHT``; equal scores put the newest first. This module holds both the
query and the use case, as nothing else needs either.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Integer, func, literal_column, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.articles.repository import ARTICLE_LOAD
from app.models import Article, ArticleTag, Entity, Mention, Tag
from app.models.visibility import visible_clause

ENTITY_WEIGHT = 2
TAG_WEIGHT = 1


async def related_articles(
    session: AsyncSession, article: Article, *, limit: int, now: datetime
) -> tuple[list[tuple[Article, int]], int]:
    """The best ``limit`` articles readers may see, with their scores; and how many share anything.

    Never the article itself, never a draft, whoever asks.
    """
    other_mention = aliased(Mention)
    by_entity = (
        select(
            other_mention.article_id.label("article_id"),
            literal_column(str(ENTITY_WEIGHT), Integer).label("weight"),
        )
        .select_from(Mention)
        .join(other_mention, other_mention.entity_id == Mention.entity_id)
        .join(Entity, Entity.id == Mention.entity_id)
        .where(
            Mention.article_id == article.id,
            other_mention.article_id != article.id,
            Entity.deleted_at.is_(None),
        )
    )
    other_tag = aliased(ArticleTag)
    by_tag = (
        select(other_tag.article_id, literal_column(str(TAG_WEIGHT), Integer))
        .select_from(ArticleTag)
        .join(other_tag, other_tag.tag_id == ArticleTag.tag_id)
        .join(Tag, Tag.id == ArticleTag.tag_id)
        .where(
            ArticleTag.article_id == article.id,
            other_tag.article_id != article.id,
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
    scores: dict[uuid.UUID, int] = {row.id: int(row.score) for row in rows}
    loaded = {
        a.id: a
        for a in (
            await session.scalars(
                select(Article).where(Article.id.in_(scores)).options(*ARTICLE_LOAD)
            )
        ).all()
    }
    return [(loaded[i], score) for i, score in scores.items() if i in loaded], total
