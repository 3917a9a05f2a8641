"""iati exchange: a projection of the requests, and the reference of an imported transaction

Revision ID: b7f3a9c2d615
Revises: 664daf6e28f4
Create Date: 2026-12-02 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "b7f3a9c2d615"
down_revision: str | None = "664daf6e28f4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Existing entries were recorded here, not imported: they have no reference. The requests
    projection starts empty and fills from the requests topic (a consumer group of its own, which
    reads the topic from its start)."""
    op.create_table(
        "requests",
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=3), nullable=False),
        sa.Column("regional_centre", sa.String(length=63), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("convention", sa.String(length=40), nullable=False),
        sa.Column("areas", postgresql.ARRAY(sa.String(length=130)), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=20, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("in_kind", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_requests")),
        schema="inventory",
    )
    op.create_index(
        op.f("ix_inventory_requests_convention"),
        "requests",
        ["convention"],
        unique=False,
        schema="inventory",
    )
    op.add_column(
        "ledger_entries",
        sa.Column("reference", sa.String(length=400), nullable=True),
        schema="inventory",
    )
    op.create_unique_constraint(
        op.f("uq_ledger_entries_reference"), "ledger_entries", ["reference"], schema="inventory"
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("uq_ledger_entries_reference"), "ledger_entries", type_="unique", schema="inventory"
    )
    op.drop_column("ledger_entries", "reference", schema="inventory")
    op.drop_index(
        op.f("ix_inventory_requests_convention"), table_name="requests", schema="inventory"
    )
    op.drop_table("requests", schema="inventory")
