"""The migration chain, forwards and back, on both databases, with data in them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from app.core.db import Database
from app.core.schema import SchemaBehind, current_revision, downgrade, head_revision, upgrade
from app.demo.load import load_demo
from app.main import create_app
from tests.conftest import _create_pg_database, _drop_pg_database, make_settings


@pytest.fixture(params=["sqlite", "postgresql"])
async def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.db'}"
        return
    name, url = await _create_pg_database()
    try:
        yield url
    finally:
        await _drop_pg_database(name)


async def _tables(database: Database) -> set[str]:
    async with database.engine.connect() as connection:
        names = await connection.run_sync(lambda c: inspect(c).get_table_names())
    return set(names) - {"alembic_version"}


async def test_upgrade_with_data_downgrade_and_upgrade_again(empty_url: str) -> None:
    await asyncio.to_thread(upgrade, empty_url)
    database = Database.from_settings(make_settings(empty_url))
    try:
        assert await current_revision(database.engine) == head_revision()
        async with database.writer() as session, session.begin():
            counts = await load_demo(session)
        assert counts == {"entities": 9, "articles": 4}
        assert {"articles", "entities", "tags", "mentions", "changes"} <= await _tables(database)
        await asyncio.to_thread(downgrade, empty_url, "base")
        assert await _tables(database) == set()
        await asyncio.to_thread(upgrade, empty_url)
        async with database.reader() as session:
            assert await session.scalar(text("SELECT count(*) FROM articles")) == 0
            assert await session.scalar(text("SELECT count(*) FROM counters")) == 2
    finally:
        await database.dispose()


async def test_app_refuses_a_schema_behind_head(tmp_path: Path) -> None:
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'empty.db'}"))
    with pytest.raises(SchemaBehind, match="lede migrate"):
        async with app.router.lifespan_context(app):
            pass


async def test_migrate_makes_the_sqlite_folder(tmp_path: Path) -> None:
    """A fresh checkout has no ./var/: `lede migrate` must not fail on it."""
    url = f"sqlite:///{tmp_path / 'not' / 'yet' / 'there.db'}"
    await asyncio.to_thread(upgrade, url)
    assert (tmp_path / "not" / "yet" / "there.db").is_file()
