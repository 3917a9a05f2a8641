"""coalition views: each country coalition's state, obligations, status and members

Revision ID: f3b8d1c6a4e2
Revises: e2a91c5b7d40
Create Date: 2026-12-03 07:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "f3b8d1c6a4e2"
down_revision: str | None = "e2a91c5b7d40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Empty: coalitions are new, and their events fill it from now on."""
    op.create_table(
        "coalition_views",
        sa.Column("coalition_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=3), nullable=False),
        sa.Column("convention", sa.String(length=40), nullable=False),
        sa.Column("areas", postgresql.ARRAY(sa.String(length=80)), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("members", postgresql.ARRAY(sa.String(length=100)), nullable=False),
        sa.PrimaryKeyConstraint("coalition_id", name=op.f("pk_coalition_views")),
        schema="notifications",
    )
    op.create_index(
        op.f("ix_notifications_coalition_views_state"),
        "coalition_views",
        ["state"],
        unique=False,
        schema="notifications",
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_notifications_coalition_views_state"),
        table_name="coalition_views",
        schema="notifications",
    )
    op.drop_table("coalition_views", schema="notifications")
