"""event milestones index: the dashboard's charts read when each request was first proposed,
funded, declined... from the events the service keeps, by type

Revision ID: e2a91c5b7d40
Revises: c4e7a2b9d031
Create Date: 2026-12-02 20:20:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "e2a91c5b7d40"
down_revision: str | None = "c4e7a2b9d031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_events_type_request_id",
        "events",
        ["type", "request_id", "occurred_at"],
        unique=False,
        schema="notifications",
    )


def downgrade() -> None:
    op.drop_index("ix_events_type_request_id", table_name="events", schema="notifications")
