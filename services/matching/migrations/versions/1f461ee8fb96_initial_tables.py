"""initial tables

Revision ID: 1f461ee8fb96
Revises:
Create Date: 2026-11-23 10:19:52.471058
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.migrations import create_kernel_tables, drop_kernel_tables

revision: str = "1f461ee8fb96"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "allocation_queue",
        sa.Column("aggregate_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column(
            "queued_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("aggregate_id", name=op.f("pk_allocation_queue")),
        schema="matching",
    )
    create_kernel_tables()
    op.create_table(
        "coverage",
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("matched_amount", sa.Numeric(precision=20, scale=2), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
        sa.Column("fully_matched", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_coverage")),
        schema="matching",
    )
    op.create_table(
        "matches",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("regional_centre", sqlmodel.sql.sqltypes.AutoString(length=63), nullable=True),
        sa.Column("source_id", sa.Uuid(), nullable=False),
        sa.Column("window_id", sa.Uuid(), nullable=False),
        sa.Column("donor", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("amount", sa.Numeric(precision=20, scale=2), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
        sa.Column("lead", sa.Boolean(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("explanation", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_matches")),
        schema="matching",
    )
    op.create_index(
        op.f("ix_matching_matches_donor"), "matches", ["donor"], unique=False, schema="matching"
    )
    op.create_index(
        op.f("ix_matching_matches_request_id"),
        "matches",
        ["request_id"],
        unique=False,
        schema="matching",
    )
    op.create_index(
        op.f("ix_matching_matches_source_id"),
        "matches",
        ["source_id"],
        unique=False,
        schema="matching",
    )
    op.create_index(
        op.f("ix_matching_matches_state"), "matches", ["state"], unique=False, schema="matching"
    )
    op.create_index(
        op.f("ix_matching_matches_status"), "matches", ["status"], unique=False, schema="matching"
    )
    op.create_table(
        "request_view",
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("regional_centre", sqlmodel.sql.sqltypes.AutoString(length=63), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_request_view")),
        schema="matching",
    )
    op.create_index(
        op.f("ix_matching_request_view_state"),
        "request_view",
        ["state"],
        unique=False,
        schema="matching",
    )
    op.create_index(
        op.f("ix_matching_request_view_status"),
        "request_view",
        ["status"],
        unique=False,
        schema="matching",
    )
    op.create_table(
        "source_view",
        sa.Column("source_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("donor", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("source_id", name=op.f("pk_source_view")),
        schema="matching",
    )
    op.create_index(
        op.f("ix_matching_source_view_donor"),
        "source_view",
        ["donor"],
        unique=False,
        schema="matching",
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_matching_source_view_donor"), table_name="source_view", schema="matching"
    )
    op.drop_table("source_view", schema="matching")
    op.drop_index(
        op.f("ix_matching_request_view_status"), table_name="request_view", schema="matching"
    )
    op.drop_index(
        op.f("ix_matching_request_view_state"), table_name="request_view", schema="matching"
    )
    op.drop_table("request_view", schema="matching")
    drop_kernel_tables()
    op.drop_index(op.f("ix_matching_matches_status"), table_name="matches", schema="matching")
    op.drop_index(op.f("ix_matching_matches_state"), table_name="matches", schema="matching")
    op.drop_index(op.f("ix_matching_matches_source_id"), table_name="matches", schema="matching")
    op.drop_index(op.f("ix_matching_matches_request_id"), table_name="matches", schema="matching")
    op.drop_index(op.f("ix_matching_matches_donor"), table_name="matches", schema="matching")
    op.drop_table("matches", schema="matching")
    op.drop_table("coverage", schema="matching")
    op.drop_table("allocation_queue", schema="matching")
