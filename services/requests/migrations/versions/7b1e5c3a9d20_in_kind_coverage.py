"""in-kind coverage: what proposals cover and reservations hold of each in-kind need

Revision ID: 7b1e5c3a9d20
Revises: 3c9f0a1d7e42
Create Date: 2026-12-02 13:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "7b1e5c3a9d20"
down_revision: str | None = "3c9f0a1d7e42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("matched_in_kind", "reserved_in_kind")


def upgrade() -> None:
    """Nothing in kind is covered or held yet: an empty object each."""
    for name in COLUMNS:
        op.add_column(
            "requests",
            sa.Column(
                name,
                postgresql.JSONB(astext_type=sa.Text()),
                server_default=sa.text("'{}'::jsonb"),
                nullable=False,
            ),
            schema="requests",
        )


def downgrade() -> None:
    for name in COLUMNS:
        op.drop_column("requests", name, schema="requests")
