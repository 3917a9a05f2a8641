"""bulk uploads: how far each upload of a file of requests has got

Revision ID: 5b2d8e4f9a61
Revises: 7b1e5c3a9d20
Create Date: 2026-12-02 13:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "5b2d8e4f9a61"
down_revision: str | None = "7b1e5c3a9d20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bulk_uploads",
        sa.Column("caller", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=True),
        sa.Column("rows_validated", sa.Integer(), nullable=False),
        sa.Column("rows_stored", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("caller", "key", name=op.f("pk_bulk_uploads")),
        schema="requests",
    )


def downgrade() -> None:
    op.drop_table("bulk_uploads", schema="requests")
