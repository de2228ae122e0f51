"""No index on hired_employees.datetime: the reports read hire_counts, and no query reads it.

Every insert into a table in random hire-time order had to update that index at a random
place, which made loads rewrite most of its pages at every commit.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_hired_employees_datetime", table_name="hired_employees")


def downgrade() -> None:
    op.create_index("ix_hired_employees_datetime", "hired_employees", ["datetime"])
