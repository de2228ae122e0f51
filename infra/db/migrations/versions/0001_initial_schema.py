"""The three data tables, load task records and stored rejections.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mssql

LongText = sa.UnicodeText().with_variant(mssql.NVARCHAR(), "mssql")

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "departments",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("department", sa.Unicode(255), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("job", sa.Unicode(255), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "hired_employees",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.Unicode(255), nullable=False),
        sa.Column("datetime", sa.DateTime(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_hired_employees_datetime", "hired_employees", ["datetime"])
    op.create_table(
        "load_tasks",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("table_name", sa.String(32), nullable=False),
        sa.Column("source", sa.Unicode(1024), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("rows_read", sa.BigInteger(), nullable=False),
        sa.Column("result", LongText, nullable=True),
        sa.Column("error", LongText, nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_load_tasks_created_at", "load_tasks", ["created_at"])
    op.create_table(
        "rejections",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("table_name", sa.String(32), nullable=False),
        sa.Column("task_id", sa.String(36), nullable=True),
        sa.Column("batch_id", sa.String(36), nullable=True),
        sa.Column("line", sa.BigInteger(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("record_id", sa.BigInteger(), nullable=True),
        sa.Column("field", sa.String(64), nullable=True),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("message", sa.Unicode(1024), nullable=False),
        sa.Column("raw", LongText, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_rejections_task_id", "rejections", ["task_id"])
    op.create_index("ix_rejections_batch_id", "rejections", ["batch_id"])
    op.create_index("ix_rejections_table_name", "rejections", ["table_name"])


def downgrade() -> None:
    for table in ("rejections", "load_tasks", "hired_employees", "jobs", "departments"):
        op.drop_table(table)
