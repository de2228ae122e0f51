"""Hire counts with a column a quarter: one row per department, job and year.

On PostgreSQL the table keeps half of each page free, for updates in place.

The counts are moved through a scratch table, so that the new table is created under its
own name, with the constraint names a new database gets.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

QUARTERS = ("q1", "q2", "q3", "q4")
KEY = ("department_id", "job_id", "year")


def _key_columns() -> list[sa.Column[int]]:
    return [sa.Column(name, sa.Integer(), autoincrement=False, nullable=False) for name in KEY]


def _by_quarter(name: str) -> None:
    op.create_table(
        name,
        *_key_columns(),
        *(sa.Column(q, sa.BigInteger(), nullable=False) for q in QUARTERS),
        sa.PrimaryKeyConstraint("year", "department_id", "job_id"),
        postgresql_with={"fillfactor": 50},  # room for updates in place (HOT)
    )


def _by_row(name: str) -> None:
    op.create_table(
        name,
        *_key_columns(),
        sa.Column("quarter", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("hires", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("year", "department_id", "job_id", "quarter"),
    )


def _copy(source: str, target: str, columns: str) -> None:
    op.execute(f"INSERT INTO {target} ({columns}) SELECT {columns} FROM {source}")


def upgrade() -> None:
    columns = ", ".join(KEY + QUARTERS)
    _by_quarter("hire_counts_moving")
    sums = ", ".join(f"SUM(CASE WHEN quarter = {n} THEN hires ELSE 0 END)" for n in range(1, 5))
    op.execute(
        f"INSERT INTO hire_counts_moving ({columns}) "
        f"SELECT {', '.join(KEY)}, {sums} FROM hire_counts GROUP BY {', '.join(KEY)}"
    )
    op.drop_table("hire_counts")
    _by_quarter("hire_counts")
    _copy("hire_counts_moving", "hire_counts", columns)
    op.drop_table("hire_counts_moving")


def downgrade() -> None:
    columns = ", ".join((*KEY, "quarter", "hires"))
    _by_row("hire_counts_moving")
    for number, column in enumerate(QUARTERS, 1):
        op.execute(
            f"INSERT INTO hire_counts_moving ({columns}) "
            f"SELECT {', '.join(KEY)}, {number}, {column} FROM hire_counts WHERE {column} > 0"
        )
    op.drop_table("hire_counts")
    _by_row("hire_counts")
    _copy("hire_counts_moving", "hire_counts", columns)
    op.drop_table("hire_counts_moving")
