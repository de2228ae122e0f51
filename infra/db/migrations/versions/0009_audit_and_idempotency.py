"""The audit trail, and idempotency keys with the answers they replay.

audit_log: a row for every write and every read of personal data. idempotency_keys: the
keys of writes sent through the API, each with the answer of the request that took it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-09
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mssql

LongText = sa.UnicodeText().with_variant(mssql.NVARCHAR(), "mssql")
LongBinary = sa.LargeBinary().with_variant(mssql.VARBINARY("max"), "mssql")  # type: ignore[no-untyped-call]

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("key_name", sa.Unicode(255), nullable=True),
        sa.Column("role", sa.String(32), nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("route", sa.Unicode(1024), nullable=False),
        sa.Column("target", sa.Unicode(255), nullable=True),
        sa.Column("request_id", sa.String(128), nullable=True),
        sa.Column("outcome", sa.Integer(), nullable=False),
        sa.Column("rows", LongText, nullable=True),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_action_at", "audit_log", ["action", "at"])
    op.create_index("ix_audit_log_key_name_at", "audit_log", ["key_name", "at"])
    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.Unicode(255), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("body", LongBinary, nullable=True),
        sa.Column("headers", LongText, nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "idempotency_key"),
    )
    op.create_index("ix_idempotency_keys_expires_at", "idempotency_keys", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_idempotency_keys_expires_at", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    for index in ("ix_audit_log_key_name_at", "ix_audit_log_action_at", "ix_audit_log_at"):
        op.drop_index(index, table_name="audit_log")
    op.drop_table("audit_log")
