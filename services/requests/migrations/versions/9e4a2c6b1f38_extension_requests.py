"""extension requests: their rows, their history, and the analysis groups' members

Revision ID: 9e4a2c6b1f38
Revises: 9d4c2f7a1b38
Create Date: 2026-12-03 06:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "9e4a2c6b1f38"
down_revision: str | None = "9d4c2f7a1b38"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXED = ("state", "regional_centre", "convention", "status", "assistance_request_id")


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "extension_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("state", _text(3), nullable=False),
        sa.Column("regional_centre", _text(63), nullable=True),
        sa.Column("convention", _text(40), nullable=False),
        sa.Column("area", _text(80), nullable=False),
        sa.Column("article", _text(10), nullable=False),
        sa.Column("status", _text(20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("current_deadline", sa.Date(), nullable=False),
        sa.Column("requested_deadline", sa.Date(), nullable=False),
        sa.Column("plan", sa.Text(), nullable=False),
        sa.Column("cost", sa.Numeric(20, 2), nullable=False),
        sa.Column("currency", _text(3), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("questions", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("analysis", sa.Text(), nullable=True),
        sa.Column("decision", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("granted_deadline", sa.Date(), nullable=True),
        sa.Column("assistance_request_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assistance_request_id"],
            ["requests.requests.id"],
            name=op.f("fk_extension_requests_assistance_request_id_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extension_requests")),
        schema="requests",
    )
    for column in INDEXED:
        op.create_index(
            op.f(f"ix_requests_extension_requests_{column}"),
            "extension_requests",
            [column],
            unique=False,
            schema="requests",
        )
    op.create_index(
        "ix_extension_requests_created_at_id",
        "extension_requests",
        ["created_at", "id"],
        unique=False,
        schema="requests",
    )
    op.create_table(
        "extension_history",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("extension_id", sa.Uuid(), nullable=False),
        sa.Column("action", _text(20), nullable=False),
        sa.Column("from_status", _text(20), nullable=True),
        sa.Column("to_status", _text(20), nullable=False),
        sa.Column("actor", _text(120), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["extension_id"],
            ["requests.extension_requests.id"],
            name=op.f("fk_extension_history_extension_id_extension_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extension_history")),
        schema="requests",
    )
    op.create_index(
        op.f("ix_requests_extension_history_extension_id"),
        "extension_history",
        ["extension_id"],
        unique=False,
        schema="requests",
    )
    op.create_table(
        "analysis_group_members",
        sa.Column("convention", _text(40), nullable=False),
        sa.Column("member", _text(120), nullable=False),
        sa.Column("named_by", _text(120), nullable=False),
        sa.Column("named_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("convention", "member", name=op.f("pk_analysis_group_members")),
        schema="requests",
    )


def downgrade() -> None:
    op.drop_table("analysis_group_members", schema="requests")
    op.drop_table("extension_history", schema="requests")
    op.drop_table("extension_requests", schema="requests")
