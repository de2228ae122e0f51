"""Which process runs a load task, so that one left behind by a stopped process is resumed.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("load_tasks", sa.Column("runner", sa.String(128), nullable=True))
    op.create_index("ix_load_tasks_state", "load_tasks", ["state"])


def downgrade() -> None:
    op.drop_index("ix_load_tasks_state", table_name="load_tasks")
    op.drop_column("load_tasks", "runner")
