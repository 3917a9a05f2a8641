"""in-kind needs: a request asks for money, help in kind, or both

Revision ID: 3c9f0a1d7e42
Revises: e667b3894118
Create Date: 2026-12-02 03:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "3c9f0a1d7e42"
down_revision: str | None = "e667b3894118"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Existing requests ask for no help in kind: an empty list each."""
    op.add_column(
        "requests",
        sa.Column(
            "in_kind",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        schema="requests",
    )


def downgrade() -> None:
    op.drop_column("requests", "in_kind", schema="requests")
