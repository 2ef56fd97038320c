"""The demo content: the seed wire story, the entities it names, a few more stories."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.articles import repository as articles_repository
from app.articles import service as articles
from app.articles.schemas import ArticleCreate
from app.core.clock import utcnow
from app.core.security import Principal
from app.core.slugs import fold_name
from app.entities import repository as entities_repository
from app.entities import service as entities
from app.entities.schemas import EntityCreate
from app.models import Article

DEMO = Principal(role="admin", name="lede demo")

MORE_STORIES: list[dict[str, Any]] = [
    {
        "title": "UN Security Council Votes to End MINUSMA Mandate",
        "body_format": "markdown",
        "body": (
            "The **United Nations** Security Council voted unanimously to end the mandate of "
            "MINUSMA, giving the mission until the end of the year to withdraw from Mali.\n\n"
            "Secretary-General António Guterres said the withdrawal would be carried out "
            "in an orderly and safe manner."
        ),
        "section": "world/africa",
        "status": "published",
        "published_at": "2023-06-30T16:00:00Z",
        "tags": ["UN peacekeeping", "Mali"],
        "authors": ["Lede Desk"],
    },
    {
        "title": "Wagner Group's Role in the Sahel Under Scrutiny",
        "body_format": "html",
        "body": (
            "<p>UN experts have raised concerns about the activities of the Wagner Group in Mali "
            "and neighbouring countries.</p><p>Analysts say Russia's influence in the Sahel "
            "has grown since 2021.</p>"
        ),
        "section": "world/africa",
        "status": "published",
        "published_at": "2023-07-03T08:30:00Z",
        "tags": ["Sahel security"],
        "authors": ["Lede Desk"],
    },
    {
        "title": "Draft: Timeline of the MINUSMA Withdrawal",
        "body_format": "text",
        "body": "Notes for an explainer on the withdrawal of MINUSMA from Mali.",
        "section": "world/africa",
        "status": "draft",
        "tags": ["Mali"],
    },
]


def _read(name: str) -> Any:
    return json.loads((resources.files("app.demo") / name).read_text(encoding="utf-8"))


async def load_demo(session: AsyncSession) -> dict[str, int]:
    """Load what is missing; running it again changes nothing."""
    now = utcnow()
    counts = {"entities": 0, "articles": 0}
    seeds = _read("seed-entities.json")
    # Already there: a live entity of the name and type, as create_entity tells a duplicate.
    found = await entities_repository.find_by_name_keys(
        session, {fold_name(raw["name"]) for raw in seeds}
    )
    present = {(fold_name(entity.name), entity.type) for _key, entity in found}
    for raw in seeds:
        if (fold_name(raw["name"]), raw["type"]) not in present:
            await entities.create_entity(session, data=EntityCreate(**raw), now=now)
            counts["entities"] += 1
    for raw in [_read("seed-article.json"), *MORE_STORIES]:
        if not await articles_repository.count(session, [Article.title == raw["title"]]):
            await articles.create_article(
                session, data=ArticleCreate(**raw), principal=DEMO, now=now
            )
            counts["articles"] += 1
    return counts
