"""API key names are unique, so a key can be revoked by its name.

Keys that already share a name keep the oldest one's name; the others get
`` (2)``, `` (3)``… appended.

Revision ID: 5d0e2c7b9a13
Revises: a7c3e1f25b90
Create Date: 2026-12-03 10:50:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5d0e2c7b9a13"
down_revision: str | None = "a7c3e1f25b90"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

keys = sa.table(
    "api_keys",
    sa.column("id", sa.Uuid()),
    sa.column("name", sa.String(200)),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(keys.c.id, keys.c.name).order_by(keys.c.created_at, keys.c.id)
    ).all()
    taken = {name for _, name in rows}
    seen: set[str] = set()
    for key_id, name in rows:
        if name not in seen:
            seen.add(name)
            continue
        n = 2
        while (renamed := f"{name[:190]} ({n})") in taken:
            n += 1
        taken.add(renamed)
        connection.execute(keys.update().where(keys.c.id == key_id).values(name=renamed))
    with op.batch_alter_table("api_keys") as batch:
        batch.create_unique_constraint(op.f("uq_api_keys_name"), ["name"])


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_constraint(op.f("uq_api_keys_name"), type_="unique")
