"""Related articles: the published ones that share the most entities and tags with an article.

Each shared live entity scores ``ENTITY_WEIGHT`` and each shared live tag
``TAG_WEIGHT``; equal scores put the newest first.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.articles import repository
from app.articles.repository import related as related_repository
from app.models import Article

ENTITY_WEIGHT = 2
TAG_WEIGHT = 1


async def related_articles(
    session: AsyncSession, article: Article, *, limit: int, now: datetime
) -> tuple[list[tuple[Article, int]], int]:
    """The best ``limit`` articles readers may see, with their scores; and how many share anything.

    Never the article itself, never a draft, whoever asks.
    """
    scored, total = await related_repository.scored_page(
        session,
        article.id,
        entity_weight=ENTITY_WEIGHT,
        tag_weight=TAG_WEIGHT,
        limit=limit,
        now=now,
    )
    scores = dict(scored)
    loaded = await repository.load_articles(session, list(scores))
    return [(a, scores[a.id]) for a in loaded], total
