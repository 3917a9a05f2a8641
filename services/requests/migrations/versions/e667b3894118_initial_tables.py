"""initial tables

Revision ID: e667b3894118
Revises:
Create Date: 2026-11-23 08:07:29.122901
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.migrations import create_kernel_tables, drop_kernel_tables

revision: str = "e667b3894118"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_kernel_tables()
    op.create_table(
        "requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("regional_centre", sqlmodel.sql.sqltypes.AutoString(length=63), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("convention", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("areas", sa.ARRAY(sa.String(length=80)), nullable=False),
        sa.Column("assistance_types", sa.ARRAY(sa.String(length=40)), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("evidence", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("amount", sa.Numeric(precision=20, scale=2), nullable=True),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("deadline_reason", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("urgency", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("contact", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("matched_amount", sa.Numeric(precision=20, scale=2), nullable=False),
        sa.Column("reserved_amount", sa.Numeric(precision=20, scale=2), nullable=False),
        sa.Column("coverage_sequence", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_requests")),
        schema="requests",
    )
    op.create_index(
        "ix_requests_areas",
        "requests",
        ["areas"],
        unique=False,
        schema="requests",
        postgresql_using="gin",
    )
    op.create_index(
        "ix_requests_created_at_id",
        "requests",
        ["created_at", "id"],
        unique=False,
        schema="requests",
    )
    op.create_index(
        op.f("ix_requests_requests_convention"),
        "requests",
        ["convention"],
        unique=False,
        schema="requests",
    )
    op.create_index(
        op.f("ix_requests_requests_deadline"),
        "requests",
        ["deadline"],
        unique=False,
        schema="requests",
    )
    op.create_index(
        op.f("ix_requests_requests_regional_centre"),
        "requests",
        ["regional_centre"],
        unique=False,
        schema="requests",
    )
    op.create_index(
        op.f("ix_requests_requests_state"), "requests", ["state"], unique=False, schema="requests"
    )
    op.create_index(
        op.f("ix_requests_requests_status"), "requests", ["status"], unique=False, schema="requests"
    )
    op.create_table(
        "request_history",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("from_status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("to_status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["requests.requests.id"],
            name=op.f("fk_request_history_request_id_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_history")),
        schema="requests",
    )
    op.create_index(
        op.f("ix_requests_request_history_request_id"),
        "request_history",
        ["request_id"],
        unique=False,
        schema="requests",
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_requests_request_history_request_id"),
        table_name="request_history",
        schema="requests",
    )
    op.drop_table("request_history", schema="requests")
    op.drop_index(op.f("ix_requests_requests_status"), table_name="requests", schema="requests")
    op.drop_index(op.f("ix_requests_requests_state"), table_name="requests", schema="requests")
    op.drop_index(
        op.f("ix_requests_requests_regional_centre"), table_name="requests", schema="requests"
    )
    op.drop_index(op.f("ix_requests_requests_deadline"), table_name="requests", schema="requests")
    op.drop_index(op.f("ix_requests_requests_convention"), table_name="requests", schema="requests")
    op.drop_index("ix_requests_created_at_id", table_name="requests", schema="requests")
    op.drop_index(
        "ix_requests_areas", table_name="requests", schema="requests", postgresql_using="gin"
    )
    op.drop_table("requests", schema="requests")
    drop_kernel_tables()
