"""Mention salience: whether a story is about an entity or only mentions it, and its score.

Existing mentions start as ``mentions`` with a score of 0; ``lede reindex``
computes them from the stored stories.

Revision ID: 5a1e7c3b9d20
Revises: 5d0e2c7b9a13
Create Date: 2026-12-03 10:50:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5a1e7c3b9d20"
down_revision: str | None = "5d0e2c7b9a13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("mentions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("salience", sa.String(length=16), nullable=False, server_default="mentions")
        )
        batch_op.add_column(sa.Column("score", sa.Float(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("editor_salience", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mentions", schema=None) as batch_op:
        batch_op.drop_column("editor_salience")
        batch_op.drop_column("score")
        batch_op.drop_column("salience")
