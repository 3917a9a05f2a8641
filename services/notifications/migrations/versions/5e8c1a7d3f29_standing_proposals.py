"""standing proposals: the proposals that stand, counted per request on the dashboard

Revision ID: 5e8c1a7d3f29
Revises: bdd59a15601b
Create Date: 2026-12-02 14:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e8c1a7d3f29"
down_revision: str | None = "bdd59a15601b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Empty: a proposal made before the table existed is not counted (its answer or
    withdrawal later removes nothing)."""
    op.create_table(
        "standing_proposals",
        sa.Column("match_id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("match_id", name=op.f("pk_standing_proposals")),
        schema="notifications",
    )
    op.create_index(
        op.f("ix_notifications_standing_proposals_request_id"),
        "standing_proposals",
        ["request_id"],
        unique=False,
        schema="notifications",
    )


def downgrade() -> None:
    op.drop_table("standing_proposals", schema="notifications")
