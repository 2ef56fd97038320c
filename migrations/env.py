"""Async alembic environment; the URL comes from the caller's config or LEDE_DATABASE_URL."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from alembic.runtime.migration import MigrationInfo
from sqlalchemy import pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.config import async_database_url, get_settings
from app.models import Base
from app.search.backends import is_search_index

config = context.config
target_metadata = Base.metadata
# Held while migrating on PostgreSQL: replicas that start together each run
# `lede migrate`, one at a time, and the later ones find nothing left to do.
MIGRATION_LOCK = 0x1ED3_0A1E_3B1C


def note_applied(*, step: MigrationInfo, **_: Any) -> None:
    """Tell the caller (``lede migrate``) each revision applied, when it asks."""
    applied = config.attributes.get("applied")
    if applied is not None and step.is_upgrade:
        doc = " ".join(step.up_revision.doc.split()) if step.up_revision else ""
        applied.append(f"{step.up_revision_id} ({doc})")


def database_url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    return async_database_url(url) if url else get_settings().database_url


def include_object(
    _object: object, name: str | None, _type: str, reflected: bool, compare_to: object
) -> bool:
    # The search index is made by its migration, not from the models.
    return not (reflected and compare_to is None and is_search_index(name))


def run_migrations_offline() -> None:
    context.configure(
        url=database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        # A session lock: it outlives the transaction per migration and goes
        # with the connection.
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
        connection.commit()
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite alters tables by copying them; batch mode does that for us.
        render_as_batch=connection.dialect.name == "sqlite",
        transaction_per_migration=True,
        include_object=include_object,
        on_version_apply=note_applied,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    engine = create_async_engine(database_url(), poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(do_run_migrations)
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_async_migrations())
