"""The migration chain, forwards and back, on both databases, with data in them."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from subprocess import PIPE

import httpx
import pytest
from sqlalchemy import JSON, Boolean, Integer, Uuid, column, insert, inspect, table, text

from app.core.clock import utcnow
from app.core.db import Database
from app.core.migrations import SchemaBehind, current_revision, downgrade, head_revision, upgrade
from app.demo.load import load_demo
from app.main import create_app
from app.models import ApiKey
from app.models.base import UTCDateTime
from tests.conftest import _create_pg_database, _drop_pg_database, make_settings

BEFORE_AUTHORS = "f44d7cc9571c"
BEFORE_UNIQUE_KEY_NAMES = "a7c3e1f25b90"


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


def test_the_head_is_the_one_alembic_finds() -> None:
    from alembic.script import ScriptDirectory

    from app.core.migrations import MIGRATIONS

    assert head_revision() == ScriptDirectory(str(MIGRATIONS)).get_current_head()


async def test_serving_checks_the_schema_without_loading_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'served.db'}"
    await asyncio.to_thread(upgrade, url)
    script = (
        "import asyncio, sys\n"
        "from app.main import create_app\n"
        "async def main():\n"
        "    app = create_app()\n"
        "    async with app.router.lifespan_context(app):\n"
        "        pass\n"
        "asyncio.run(main())\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))\n"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        script,
        stdout=PIPE,
        stderr=PIPE,
        env={**os.environ, "LEDE_DATABASE_URL": url},
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    assert out.decode().strip() == "[]"


async def test_migrate_makes_the_sqlite_folder(tmp_path: Path) -> None:
    """A fresh checkout has no ./var/: `lede migrate` must not fail on it."""
    url = f"sqlite:///{tmp_path / 'not' / 'yet' / 'there.db'}"
    await asyncio.to_thread(upgrade, url)
    assert (tmp_path / "not" / "yet" / "there.db").is_file()


async def test_bylines_of_stored_articles_become_authors(empty_url: str) -> None:
    await asyncio.to_thread(upgrade, empty_url, BEFORE_AUTHORS)
    # The columns the table had before authors, whatever later revisions add.
    articles = table(
        "articles",
        *(column(name) for name in ("slug", "title", "body", "body_format", "body_html")),
        *(column(name) for name in ("body_text", "language", "status")),
        column("id", Uuid()),
        column("authors", JSON()),
        column("summary_derived", Boolean()),
        *(column(name, Integer()) for name in ("word_count", "reading_time_minutes", "version")),
        *(column(name, UTCDateTime()) for name in ("published_at", "created_at", "updated_at")),
    )
    now = utcnow()
    bylines = {"one": ["Ann Writer", "ANN WRITER", "Bob Réporter"], "two": ["bob reporter"]}
    database = Database.from_settings(make_settings(empty_url))
    try:
        async with database.writer() as session, session.begin():
            for slug, names in bylines.items():
                await session.execute(
                    insert(articles).values(
                        id=uuid.uuid4(),
                        slug=slug,
                        title=slug,
                        body="",
                        body_format="text",
                        body_html="",
                        body_text="",
                        language="en",
                        status="published",
                        authors=names,
                        summary_derived=False,
                        word_count=0,
                        reading_time_minutes=0,
                        version=1,
                        published_at=now,
                        created_at=now,
                        updated_at=now,
                    )
                )
    finally:
        await database.dispose()
    await asyncio.to_thread(upgrade, empty_url)
    app = create_app(make_settings(empty_url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            one = (await client.get("/v1/articles/one")).json()
            two = (await client.get("/v1/articles/two")).json()
            authors = (await client.get("/v1/authors")).json()["data"]
    assert one["authors"] == bylines["one"]
    assert [b["slug"] for b in one["bylines"]] == ["ann-writer", "bob-reporter"]
    assert two["bylines"] == one["bylines"][1:]
    assert one["corrections"] == []
    assert [(a["name"], a["article_count"]) for a in authors] == [
        ("Ann Writer", 1),
        ("Bob Réporter", 2),
    ]


async def test_expiry_migration_keeps_what_readers_saw(empty_url: str) -> None:
    """Tags and entities stored before it: public unless only hidden stories carry them."""
    await asyncio.to_thread(upgrade, empty_url, "f44d7cc9571c")
    database = Database.from_settings(make_settings(empty_url))
    article = "00000000-0000-0000-0000-00000000000{}".format
    tag = "10000000-0000-0000-0000-00000000000{}".format
    statements = [
        "INSERT INTO articles (id, slug, title, summary_derived, body, body_format, body_html,"
        " body_text, authors, language, status, published_at, word_count,"
        " reading_time_minutes, version, created_at, updated_at) VALUES"
        f" ('{article(0)}', 'open', 'Open', false, '', 'text', '', '', '[]', 'en', 'published',"
        " '2024-02-01 00:00:00', 0, 0, 1, '2024-01-01 00:00:00', '2024-01-01 00:00:00'),"
        f" ('{article(1)}', 'quiet', 'Quiet', false, '', 'text', '', '', '[]', 'en', 'draft',"
        " NULL, 0, 0, 1, '2024-01-01 00:00:00', '2024-01-01 00:00:00')",
        *(
            "INSERT INTO tags (id, slug, name, name_key, version, created_at, updated_at)"
            f" VALUES ('{tag(i)}', '{name}', '{name}', '{name}', 1,"
            " '2024-01-01 00:00:00', '2024-01-01 00:00:00')"
            for i, name in enumerate(("carried", "hidden", "alone"))
        ),
        *(
            f"INSERT INTO article_tags VALUES ('{article(a)}', '{tag(t)}', 0)"
            for a, t in ((0, 0), (1, 0), (1, 1))
        ),
    ]
    try:
        async with database.writer() as session, session.begin():
            for statement in statements:
                await session.execute(text(statement))
        await asyncio.to_thread(upgrade, empty_url)
        async with database.reader() as session:
            rows = await session.execute(text("SELECT slug, public_from FROM tags ORDER BY slug"))
            public = {slug: None if at is None else str(at)[:10] for slug, at in rows.all()}
            assert public == {"alone": "2024-01-01", "carried": "2024-02-01", "hidden": None}
            found = await session.scalar(
                text("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'open'")
                if empty_url.startswith("sqlite")
                else text("SELECT count(*) FROM articles WHERE search_vector @@ 'open'")
            )
            assert found == 1
    finally:
        await database.dispose()


async def test_keys_sharing_a_name_are_renamed_when_names_become_unique(empty_url: str) -> None:
    await asyncio.to_thread(upgrade, empty_url, BEFORE_UNIQUE_KEY_NAMES)
    database = Database.from_settings(make_settings(empty_url))
    try:
        async with database.writer() as session, session.begin():
            for n, name in enumerate(["wire", "wire", "site", "wire", "wire (2)"]):
                await session.execute(
                    insert(ApiKey).values(
                        id=uuid.uuid4(),
                        name=name,
                        role="reader",
                        prefix="lede_x",
                        key_hash=f"hash{n}",
                        created_at=datetime(2026, 1, 1, 0, n, tzinfo=UTC),
                    )
                )
        applied = await asyncio.to_thread(upgrade, empty_url)
        assert applied[-1].startswith(f"{head_revision()} (")
        async with database.reader() as session:
            names = (
                await session.execute(text("SELECT name FROM api_keys ORDER BY created_at"))
            ).scalars()
            assert list(names) == ["wire", "wire (3)", "site", "wire (4)", "wire (2)"]
    finally:
        await database.dispose()


async def test_two_migrations_at_once_on_postgresql_take_turns() -> None:
    """Replicas starting together each run `lede migrate`: the lock makes them take turns."""
    name, url = await _create_pg_database()
    lede = str(Path(sys.executable).parent / "lede")
    env = {**os.environ, "LEDE_DATABASE_URL": url}
    try:
        processes = [
            await asyncio.create_subprocess_exec(lede, "migrate", env=env, stdout=PIPE, stderr=PIPE)
            for _ in range(2)
        ]
        results = [await process.communicate() for process in processes]
        assert [process.returncode for process in processes] == [0, 0], results
        said = sorted(stderr.decode().splitlines()[-1] for _, stderr in results)
        assert said[0].startswith("Applied ")
        assert said[1] == "The schema was already up to date: nothing to do."
        assert (await _pg_revision(url)) == head_revision()
    finally:
        await _drop_pg_database(name)


async def _pg_revision(url: str) -> str | None:
    database = Database.from_settings(make_settings(url))
    try:
        return await current_revision(database.engine)
    finally:
        await database.dispose()
