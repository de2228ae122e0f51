"""Bytes read by load tasks and their parts, and the sizes of what they read.

A task's progress is then told in bytes of its files as well as in rows: how far it has
got, and how long it may take still.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TABLES = ("load_tasks", "load_task_parts")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(
            table,
            sa.Column("bytes_read", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
        )
        op.add_column(table, sa.Column("bytes_total", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("bytes_total")
            batch.drop_column("bytes_read")
