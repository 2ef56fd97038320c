"""The visibility rule's SQL and its Python say the same of every case, at every moment."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, or_, select

from app.models import Article, Tag, visibility
from tests.conftest import Backend

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)

# (status, published_at, expires_at, deleted_at) of every kind of article.
CASES: dict[str, tuple[str, datetime | None, datetime | None, datetime | None]] = {
    "draft": ("draft", None, None, None),
    "draft with a date": ("draft", T0 - HOUR, None, None),
    "archived": ("archived", T0 - HOUR, None, None),
    "published": ("published", T0 - HOUR, None, None),
    "published at T0": ("published", T0, None, None),
    "scheduled": ("published", T0 + HOUR, None, None),
    "expiring at T0": ("published", T0 - HOUR, T0, None),
    "expiring later": ("published", T0 - HOUR, T0 + HOUR, None),
    "expired": ("published", T0 - 2 * HOUR, T0 - HOUR, None),
    "scheduled and expiring": ("published", T0 + HOUR, T0 + 2 * HOUR, None),
    "trashed": ("published", T0 - HOUR, None, T0 - HOUR / 2),
    "trashed when expired": ("published", T0 - 2 * HOUR, T0 - HOUR, T0 - HOUR / 2),
    "trashed draft": ("draft", None, None, T0 - HOUR),
}
# Just before, at and just after each boundary, and far either side.
MOMENTS = [
    T0 + d
    for d in (
        -3 * HOUR,
        -HOUR,
        -timedelta(microseconds=1),
        timedelta(0),
        timedelta(microseconds=1),
        HOUR,
        2 * HOUR,
        3 * HOUR,
    )
]


async def _store(backend: Backend) -> dict[uuid.UUID, str]:
    names = {uuid.uuid4(): name for name in CASES}
    rows: list[dict[str, Any]] = []
    for article_id, name in names.items():
        status, published_at, expires_at, deleted_at = CASES[name]
        rows.append(
            {
                "id": article_id,
                "slug": name.replace(" ", "-"),
                "title": name,
                "status": status,
                "published_at": published_at,
                "expires_at": expires_at,
                "deleted_at": deleted_at,
                "created_at": T0 - 3 * HOUR,
                "updated_at": T0 - 3 * HOUR,
            }
        )
    async with backend.database.writer() as session, session.begin():
        await session.execute(insert(Article).execution_options(render_nulls=True), rows)
    return names


async def test_sql_and_python_agree_on_every_case_and_boundary(backend: Backend) -> None:
    names = await _store(backend)
    async with backend.database.reader() as session:
        articles = (await session.scalars(select(Article))).all()
        for now in MOMENTS:
            for clause, predicate in (
                (visibility.visible_clause(now), visibility.is_visible),
                (visibility.becomes_visible_clause(now), visibility.becomes_visible),
            ):
                in_sql = set((await session.scalars(select(Article.id).where(clause))).all())
                in_python = {a.id for a in articles if predicate(a, now)}
                assert {names[i] for i in in_sql} == {names[i] for i in in_python}, now
            # The timed half and its complement split the published articles in two.
            released = visibility.released_clause(now)
            unreleased = or_(*visibility.unreleased_clauses(now))
            both = select(Article.id).where(released, unreleased)
            assert (await session.scalars(both)).all() == []
            either = select(Article.id).where(or_(released, unreleased))
            assert len((await session.scalars(either)).all()) == len(CASES)


async def test_the_rule_says_what_readers_see(backend: Backend) -> None:
    seen = {
        name
        for name, (status, published_at, expires_at, deleted_at) in CASES.items()
        if visibility.is_visible(
            Article(
                status=status,
                published_at=published_at,
                expires_at=expires_at,
                deleted_at=deleted_at,
            ),
            T0,
        )
    }
    assert seen == {"published", "published at T0", "expiring later"}


async def test_tags_sql_and_python_agree(backend: Backend) -> None:
    cases = {
        "direct": (T0 - HOUR, None),
        "waiting for a story": (T0 + HOUR, None),
        "born in a draft": (None, None),
        "public from T0": (T0, None),
        "trashed": (T0 - HOUR, T0 - HOUR / 2),
    }
    names = {uuid.uuid4(): name for name in cases}
    async with backend.database.writer() as session, session.begin():
        for tag_id, name in names.items():
            public_from, deleted_at = cases[name]
            session.add(
                Tag(
                    id=tag_id,
                    slug=name.replace(" ", "-"),
                    name=name,
                    name_key=name,
                    public_from=public_from,
                    deleted_at=deleted_at,
                )
            )
    async with backend.database.reader() as session:
        tags = (await session.scalars(select(Tag))).all()
        for now in MOMENTS:
            clause = visibility.public_clause(Tag, now)
            in_sql = set((await session.scalars(select(Tag.id).where(clause))).all())
            in_python = {t.id for t in tags if visibility.is_public(t, now)}
            assert in_sql == in_python, now
        assert {names[t.id] for t in tags if visibility.is_public(t, T0)} == {
            "direct",
            "public from T0",
        }
