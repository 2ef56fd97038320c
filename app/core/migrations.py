"""Alembic from inside the app: migrate, and refuse to serve a schema that is behind.

Serving only compares revisions, read from the migration files and the
database's ``alembic_version`` table: alembic itself, with the migration
scripts it loads (about 20 MiB a worker), is imported only to migrate.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.db import schema_revision
from app.core.sqlite import make_sqlite_folder

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


class SchemaBehind(RuntimeError):
    pass


def alembic_config(database_url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> list[str]:
    """Migrate up to ``revision``; the revisions applied, each with what it does."""
    from alembic import command

    make_sqlite_folder(database_url)
    config = alembic_config(database_url)
    applied: list[str] = []
    config.attributes["applied"] = applied
    command.upgrade(config, revision)
    return applied


def downgrade(database_url: str, revision: str = "base") -> None:
    from alembic import command

    command.downgrade(alembic_config(database_url), revision)


def _declared(path: Path) -> dict[str, Any]:
    """The ``revision`` and ``down_revision`` a migration file assigns."""
    values: dict[str, ast.expr] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            values[node.target.id] = node.value
        elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            values[node.targets[0].id] = node.value
    return {
        name: ast.literal_eval(values[name])
        for name in ("revision", "down_revision")
        if name in values
    }


@cache
def head_revision() -> str | None:
    """The revision the code needs: the one no other migration revises (read once: the
    files do not change under a running process, and every readiness probe asks)."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        declared = _declared(path)
        revisions.add(declared["revision"])
        parents = declared.get("down_revision") or ()
        revised.update((parents,) if isinstance(parents, str) else parents)
    heads = revisions - revised
    if len(heads) > 1:
        raise RuntimeError(f"The migrations have several heads: {sorted(heads)}.")
    return next(iter(heads), None)


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(schema_revision)


async def check_schema(engine: AsyncEngine) -> None:
    current, head = await current_revision(engine), head_revision()
    if current != head:
        raise SchemaBehind(
            f"The database schema is at {current or 'nothing'}, Lede needs {head}: "
            "run `lede migrate` (or `alembic upgrade head`) and start again."
        )
