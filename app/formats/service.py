"""What the structured documents read beyond the article's JSON."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.authors import service as authors_service
from app.entities import service as entities_service
from app.formats.common import Linked


async def linked(session: AsyncSession, article: dict[str, Any]) -> Linked:
    """The external ids of the article's entities and the profiles of its authors."""
    return Linked(
        external_ids=await entities_service.external_ids(
            session, {m["entity"]["id"] for m in article["entities"]}
        ),
        authors=await authors_service.profiles(session, {b["id"] for b in article["bylines"]}),
    )
