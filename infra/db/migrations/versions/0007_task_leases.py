"""Leases on load tasks and their parts, and the number of times each was started.

A running task is held by its process until a moment that the process keeps moving on; any
process takes over a task whose lease has run out, instead of guessing from host names
which processes have stopped.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TABLES = ("load_tasks", "load_task_parts")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("lease_owner", sa.String(128), nullable=True))
        op.add_column(table, sa.Column("lease_expires_at", sa.DateTime(), nullable=True))
        op.add_column(
            table, sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("attempts")
            batch.drop_column("lease_expires_at")
            batch.drop_column("lease_owner")
