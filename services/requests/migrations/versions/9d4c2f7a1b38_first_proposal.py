"""first proposal: when something was first proposed for each request

Revision ID: 9d4c2f7a1b38
Revises: 5b2d8e4f9a61
Create Date: 2026-12-03 06:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9d4c2f7a1b38"
down_revision: str | None = "5b2d8e4f9a61"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Empty for every request: the service learns of proposals from matching's events from now
    on, so a request published earlier with proposals still unanswered may be escalated once."""
    op.add_column(
        "requests",
        sa.Column("first_proposed_at", sa.DateTime(timezone=True), nullable=True),
        schema="requests",
    )


def downgrade() -> None:
    op.drop_column("requests", "first_proposed_at", schema="requests")
