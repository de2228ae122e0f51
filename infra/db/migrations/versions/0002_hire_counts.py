"""Hires per department, job, year and quarter: the reports' summary, kept in step.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hire_counts",
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("hires", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("year", "department_id", "job_id", "quarter"),
    )
    if op.get_context().as_sql:  # an SQL script for a new database: nothing to count
        return
    # Employees stored before this table existed are counted once, here.
    hired = sa.table(
        "hired_employees",
        sa.column("datetime", sa.DateTime()),
        sa.column("department_id", sa.Integer()),
        sa.column("job_id", sa.Integer()),
    )
    counts: dict[tuple[int, int, int, int], int] = {}
    for moment, department, job in op.get_bind().execute(
        sa.select(hired.c.datetime, hired.c.department_id, hired.c.job_id)
    ):
        key = (department, job, moment.year, (moment.month - 1) // 3 + 1)
        counts[key] = counts.get(key, 0) + 1
    if counts:
        op.bulk_insert(
            sa.table(
                "hire_counts",
                sa.column("department_id", sa.Integer()),
                sa.column("job_id", sa.Integer()),
                sa.column("year", sa.Integer()),
                sa.column("quarter", sa.Integer()),
                sa.column("hires", sa.BigInteger()),
            ),
            [
                {"department_id": d, "job_id": j, "year": y, "quarter": q, "hires": n}
                for (d, j, y, q), n in counts.items()
            ],
        )


def downgrade() -> None:
    op.drop_table("hire_counts")
