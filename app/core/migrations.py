"""Alembic from inside the app: migrate, and refuse to serve a schema that is behind."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.sqlite import make_sqlite_folder

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


class SchemaBehind(RuntimeError):
    pass


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> list[str]:
    """Migrate up to ``revision``; the revisions applied, each with what it does."""
    make_sqlite_folder(database_url)
    config = alembic_config(database_url)
    applied: list[str] = []
    config.attributes["applied"] = applied
    command.upgrade(config, revision)
    return applied


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)


def head_revision() -> str | None:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(_current)


async def check_schema(engine: AsyncEngine) -> None:
    current, head = await current_revision(engine), head_revision()
    if current != head:
        raise SchemaBehind(
            f"The database schema is at {current or 'nothing'}, Lede needs {head}: "
            "run `lede migrate` (or `alembic upgrade head`) and start again."
        )
