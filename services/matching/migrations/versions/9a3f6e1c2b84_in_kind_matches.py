"""in-kind matches: a proposal gives money in a currency or help in kind in a unit

Revision ID: 9a3f6e1c2b84
Revises: 1f461ee8fb96
Create Date: 2026-12-02 13:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "9a3f6e1c2b84"
down_revision: str | None = "1f461ee8fb96"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Every existing match is money, and no coverage counts help in kind yet."""
    op.add_column(
        "matches", sa.Column("unit", sa.String(length=40), nullable=True), schema="matching"
    )
    op.add_column(
        "coverage",
        sa.Column(
            "in_kind",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        schema="matching",
    )


def downgrade() -> None:
    op.drop_column("coverage", "in_kind", schema="matching")
    op.execute("DELETE FROM matching.matches WHERE unit IS NOT NULL")
    op.drop_column("matches", "unit", schema="matching")
